import { addLocalDays, calendarWindow, localDate, localInstant } from './local-time.js';

/*
 * Contact-frequency rules as pure functions of (the customer's contact history, the rules, now, the
 * customer's time zone). The sending workers enforce the same semantics atomically; the audience
 * forecast and the tests call these directly.
 *
 * - What counts toward a rule: the history given (messages reserved, sent, or of unknown outcome),
 *   each at its instant. Past entries always count. Entries planned after `now` (scheduled or
 *   deferred) count against a message of lower priority, or of equal priority reserved later: the
 *   first reserved wins at equal priority, and higher priorities keep their slots.
 * - Rolling windows are (t − W, t]; a message at t must fit every window that would contain it,
 *   including those of planned entries after t. Calendar windows are the local day, or ISO week from
 *   Monday, of the customer's time zone.
 * - Every applicable rule must pass. On failure: DROP if any failing rule says DROP; else FALLBACK
 *   to the next channel (that has content) on which every rule passes; else DEFER to the earliest
 *   instant at which every rule passes, at most until `expiresAt`, after which the message EXPIRES.
 *   Quiet hours and allowed weekdays always defer.
 */

export type Channel = 'EMAIL' | 'SMS';
export type MessageCategory = 'MARKETING' | 'TRANSACTIONAL';
export type RuleAction = 'DEFER' | 'DROP' | 'FALLBACK';

export type RuleLimit =
  /** At most `max` messages per rolling window of `hours`. */
  | { kind: 'ROLLING_CAP'; max: number; hours: number }
  /** At most `max` messages per local calendar day or ISO week. */
  | { kind: 'CALENDAR_CAP'; max: number; unit: 'DAY' | 'WEEK' }
  /** At least `minutes` between two messages. */
  | { kind: 'MIN_GAP'; minutes: number }
  /** No message from `start` to `end` local time (minutes after midnight; wraps past midnight when start > end). */
  | { kind: 'QUIET_HOURS'; start: number; end: number }
  /** Messages only on these ISO weekdays (1 = Monday … 7 = Sunday), local time. */
  | { kind: 'WEEKDAYS'; days: number[] };

export interface ContactRule {
  id: string;
  limit: RuleLimit;
  /** Only messages on this channel (null: every channel). */
  channel: Channel | null;
  /** Only messages of this category (null: both). Transactional messages are exempt from MARKETING rules. */
  category: MessageCategory | null;
  /** Only messages of campaigns with this tag (null: any). */
  tag: string | null;
  /** Only customers in this segment (null: everyone); membership is the caller's input. */
  segmentId: string | null;
  /** What breaking it does to a message (quiet hours and weekdays always DEFER). */
  action: RuleAction;
  /** Whether messages outside the rule's category (exempt ones) still count toward its cap or gap. */
  countsExempt: boolean;
}

/** One message of the contact history (reserved, sent or of unknown outcome). */
export interface HistoryEntry {
  /** When it was or will be sent. */
  at: Date;
  /** When its slot was reserved (first reserved wins at equal priority). */
  reservedAt: Date;
  channel: Channel;
  category: MessageCategory;
  tags: readonly string[];
  priority: number;
}

/** The message being decided. */
export interface CandidateMessage {
  category: MessageCategory;
  tags: readonly string[];
  priority: number;
}

/** A customer's own limits, honoured by every check. */
export interface CustomerOverrides {
  /** Their own cap on marketing messages (across channels); excess messages are dropped. */
  cap?: { max: number; unit: 'DAY' | 'WEEK' } | null;
  /** No marketing message before this instant; messages meanwhile are dropped. */
  marketingPausedUntil?: Date | null;
}

export interface CheckContext {
  history: readonly HistoryEntry[];
  rules: readonly ContactRule[];
  timeZone: string;
  /** Segments the customer is in, for segment-scoped rules. */
  segmentIds?: ReadonlySet<string>;
  overrides?: CustomerOverrides | null;
}

export interface RuleFailure {
  ruleId: string;
  action: RuleAction;
  /** Machine-readable: CAP_REACHED, MIN_GAP, QUIET_HOURS, WEEKDAY, CUSTOMER_CAP, CUSTOMER_PAUSED. */
  reason: string;
}

export type Decision =
  | { outcome: 'SEND'; channel: Channel; at: Date }
  | { outcome: 'DROP'; failures: RuleFailure[] }
  | { outcome: 'DEFER'; channel: Channel; until: Date; failures: RuleFailure[] }
  | { outcome: 'EXPIRED'; failures: RuleFailure[] };

/** Ids of the rules a customer override becomes. */
export const CUSTOMER_CAP_RULE = 'customer:cap';
export const CUSTOMER_PAUSE_RULE = 'customer:pause';

/**
 * The protective defaults: marketing at most 1 a day and 3 a week across channels (calendar, local),
 * and no marketing between 21:00 and 08:00 local time.
 */
export const DEFAULT_CONTACT_RULES: readonly ContactRule[] = [
  { id: 'default:marketing-daily', limit: { kind: 'CALENDAR_CAP', max: 1, unit: 'DAY' }, channel: null, category: 'MARKETING', tag: null, segmentId: null, action: 'DEFER', countsExempt: false },
  { id: 'default:marketing-weekly', limit: { kind: 'CALENDAR_CAP', max: 3, unit: 'WEEK' }, channel: null, category: 'MARKETING', tag: null, segmentId: null, action: 'DEFER', countsExempt: false },
  { id: 'default:quiet-hours', limit: { kind: 'QUIET_HOURS', start: 21 * 60, end: 8 * 60 }, channel: null, category: 'MARKETING', tag: null, segmentId: null, action: 'DEFER', countsExempt: false },
];

function applies(rule: ContactRule, message: CandidateMessage, channel: Channel, segmentIds: ReadonlySet<string> | undefined): boolean {
  return (
    (rule.channel === null || rule.channel === channel) &&
    (rule.category === null || rule.category === message.category) &&
    (rule.tag === null || message.tags.includes(rule.tag)) &&
    (rule.segmentId === null || (segmentIds?.has(rule.segmentId) ?? false))
  );
}

/** Whether a history entry counts toward a rule (its scope; other categories only if countsExempt). */
function counts(rule: ContactRule, e: HistoryEntry): boolean {
  return (
    (rule.channel === null || rule.channel === e.channel) &&
    (rule.category === null || rule.category === e.category || rule.countsExempt) &&
    (rule.tag === null || e.tags.includes(rule.tag))
  );
}

/** Entries that weigh on a message reserved at `now`: the past, and planned ones that outrank it. */
function weighing(history: readonly HistoryEntry[], message: CandidateMessage, now: Date): HistoryEntry[] {
  return history.filter(
    (e) => e.at <= now || e.priority > message.priority || (e.priority === message.priority && e.reservedAt <= now),
  );
}

/** The customer's overrides as rules (they apply to marketing on every channel). */
function overrideRules(o: CustomerOverrides | null | undefined): ContactRule[] {
  const out: ContactRule[] = [];
  const base = { channel: null, category: 'MARKETING' as const, tag: null, segmentId: null, action: 'DROP' as const, countsExempt: false };
  if (o?.cap) out.push({ ...base, id: CUSTOMER_CAP_RULE, limit: { kind: 'CALENDAR_CAP', max: o.cap.max, unit: o.cap.unit } });
  return out;
}

const HOUR = 3_600_000;

/**
 * One rule at instant `t`: null when it passes, else the failure and the earliest instant after `t`
 * at which it alone could pass (a lower bound: the caller re-checks every rule there).
 */
function checkRule(rule: ContactRule, entries: readonly HistoryEntry[], t: Date, zone: string): { failure: RuleFailure; next: Date } | null {
  const fail = (reason: string, next: Date, action: RuleAction = rule.action) => ({ failure: { ruleId: rule.id, action, reason }, next });
  const limit = rule.limit;
  const mine = entries.filter((e) => counts(rule, e));
  switch (limit.kind) {
    case 'ROLLING_CAP': {
      const w = limit.hours * HOUR;
      // Every window (s − W, s] holding t, for s = t and s = each later entry within W.
      const ends = [t.getTime(), ...mine.map((e) => e.at.getTime()).filter((s) => s > t.getTime() && s - w < t.getTime())];
      for (const s of ends) {
        const inWindow = mine.filter((e) => e.at.getTime() > s - w && e.at.getTime() <= s).map((e) => e.at.getTime()).sort((a, b) => a - b);
        if (inWindow.length + 1 > limit.max) {
          // Enough of them must leave the window: the (n − max + 1)-th oldest leaves at its time + W.
          const leaving = inWindow[inWindow.length - limit.max];
          return fail('CAP_REACHED', new Date(Math.max(leaving + w, s === t.getTime() ? 0 : s + 1)));
        }
      }
      return null;
    }
    case 'CALENDAR_CAP': {
      const { start, end } = calendarWindow(t, limit.unit, zone);
      const n = mine.filter((e) => e.at >= start && e.at < end).length;
      return n + 1 > limit.max ? fail(rule.id === CUSTOMER_CAP_RULE ? 'CUSTOMER_CAP' : 'CAP_REACHED', end) : null;
    }
    case 'MIN_GAP': {
      const gap = limit.minutes * 60_000;
      const near = mine.filter((e) => Math.abs(e.at.getTime() - t.getTime()) < gap);
      if (!near.length) return null;
      return fail('MIN_GAP', new Date(Math.max(...near.map((e) => e.at.getTime())) + gap));
    }
    case 'QUIET_HOURS': {
      const l = localDate(t, zone);
      const { start, end } = limit;
      const quiet = start <= end ? l.minutes >= start && l.minutes < end : l.minutes >= start || l.minutes < end;
      if (!quiet) return null;
      // The end of this quiet spell: today's `end`, or tomorrow's when it wraps past midnight.
      const day = start > end && l.minutes >= start ? addLocalDays(l, 1) : l;
      return fail('QUIET_HOURS', localInstant(day, end, zone), 'DEFER');
    }
    case 'WEEKDAYS': {
      const l = localDate(t, zone);
      if (limit.days.includes(l.weekday)) return null;
      for (let k = 1; k <= 7; k++) {
        const d = addLocalDays(l, k);
        const weekday = ((l.weekday - 1 + k) % 7) + 1;
        if (limit.days.includes(weekday)) return fail('WEEKDAY', localInstant(d, 0, zone), 'DEFER');
      }
      return fail('WEEKDAY', new Date(8.64e15), 'DEFER'); // no allowed day at all
    }
  }
}

/** Every applicable rule at instant `t` for a message on `channel`: the failures and their lower bounds. */
export function checkAt(message: CandidateMessage, channel: Channel, t: Date, now: Date, ctx: CheckContext): { failure: RuleFailure; next: Date }[] {
  const entries = weighing(ctx.history, message, now);
  const out: { failure: RuleFailure; next: Date }[] = [];
  if (message.category === 'MARKETING' && ctx.overrides?.marketingPausedUntil && t < ctx.overrides.marketingPausedUntil)
    out.push({ failure: { ruleId: CUSTOMER_PAUSE_RULE, action: 'DROP', reason: 'CUSTOMER_PAUSED' }, next: ctx.overrides.marketingPausedUntil });
  for (const rule of [...ctx.rules, ...overrideRules(ctx.overrides)]) {
    if (!applies(rule, message, channel, ctx.segmentIds)) continue;
    const r = checkRule(rule, entries, t, ctx.timeZone);
    if (r) out.push(r);
  }
  return out;
}

/** At most this many re-checks while looking for the earliest instant every rule passes. */
const MAX_DEFER_STEPS = 200;

/**
 * Decides a message: send now, drop, fall back to another channel, defer, or expire. `channels` is
 * the intended channel first, then the fallback order (channels with content and consent only).
 */
export function decide(message: CandidateMessage, channels: readonly Channel[], now: Date, expiresAt: Date, ctx: CheckContext): Decision {
  const [channel, ...fallbacks] = channels;
  const failures = checkAt(message, channel, now, now, ctx);
  if (!failures.length) return { outcome: 'SEND', channel, at: now };
  const reasons = failures.map((f) => f.failure);
  if (reasons.some((f) => f.action === 'DROP')) return { outcome: 'DROP', failures: reasons.filter((f) => f.action === 'DROP') };
  if (reasons.some((f) => f.action === 'FALLBACK'))
    for (const other of fallbacks) if (!checkAt(message, other, now, now, ctx).length) return { outcome: 'SEND', channel: other, at: now };
  // Defer: jump to the latest lower bound of the failing rules and check everything again.
  let t = now;
  let failing = failures;
  for (let step = 0; step < MAX_DEFER_STEPS && failing.length; step++) {
    t = new Date(Math.max(...failing.map((f) => f.next.getTime()), t.getTime() + 1));
    if (t > expiresAt) return { outcome: 'EXPIRED', failures: reasons };
    failing = checkAt(message, channel, t, now, ctx);
  }
  if (failing.length) return { outcome: 'EXPIRED', failures: reasons };
  return { outcome: 'DEFER', channel, until: t, failures: reasons };
}
