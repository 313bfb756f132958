import type { ContactInputs } from './audience-query.js';
import type { CampaignDetail } from './campaigns.js';
import { decide, type CandidateMessage, type Channel, type ContactRule, type CustomerOverrides, type Decision, type HistoryEntry } from './contact-policy.js';
import { localSendAt, scheduleFromColumns } from './schedule.js';

/*
 * Who a campaign reaches, and why not. One precedence, written here and nowhere else; every person in
 * the target segments ends with exactly one outcome:
 *
 *   1. EXCLUDED           in an excluded segment
 *   2. NO_CONSENT         marketing only: not SUBSCRIBED on the channel
 *      NO_ADDRESS         no email / phone on the channel
 *      BLOCKLISTED        the normalised address is blocklisted (hard bounce, complaint, STOP): it
 *                         holds for every customer sharing it
 *                         (checked per channel in that order; PREFERRED tries the customer's
 *                         preferred channel, then the configured fallback order, among channels with
 *                         content; when none works the reason is the intended channel's)
 *   3. DUPLICATE_ADDRESS  another customer of this run has the same address on the channel: the lowest
 *                         customer id gets the one message (and a rule's FALLBACK only goes to an
 *                         address no other customer of the run may be reached on)
 *   4. HELD_OUT           control group: hold-out bucket < holdout basis points (assignment.ts)
 *   5. OVER_MAX_RECIPIENTS beyond maxRecipients, keeping the lowest hold-out buckets (ties by id). The
 *                         cap bounds who reaches the contact rules: people the rules drop are not
 *                         replaced by others, so that nobody's inclusion depends on others' history.
 *   6. contact rules      contact-policy.ts `decide`: SEND (possibly on the fallback channel), DEFER
 *                         (sent later, before expiry), DROP (SUPPRESSED with the rule's reason and id),
 *                         EXPIRED (no instant before expiry passes every rule).
 *
 * Steps 1–2 and the draws (hold-out and variant buckets) are one SQL pass over the base
 * (audience-query.ts), grouped: customers are counted (forecast) or written (run) by group, and the
 * rules run once per distinct input (channel, fallback, time zone, scoped segments, contact history,
 * own limits). Customers whose outcome depends on other customers are resolved one by one in
 * TypeScript: those reachable on an address another live customer holds (step 3) and, under a cap,
 * those in the bucket where the cap falls (step 5: a first pass counts the buckets). Both paths call
 * the same functions, so the forecast and the run agree exactly with each other and with the pure
 * rules.
 */


/** The inputs of one decision (a group of customers without history, or one customer). */
export interface DecisionInput {
  chosen: Channel;
  fallback: Channel | null;
  tz: string;
  segBits: number;
  history?: readonly HistoryEntry[];
  overrides?: CustomerOverrides | null;
}

/**
 * The rules step for one input: the instant the message is meant for (now, or the customer's local
 * time for LOCAL_TIME schedules), then the pure decision. A local time already past by more than the
 * lateness limit is not sent late.
 */
export function decideFor(options: {
  detail: CampaignDetail;
  rules: readonly ContactRule[];
  policySegments: readonly string[];
  now: Date;
  latenessMs: number;
  input: DecisionInput;
}): { decision: Decision | { outcome: 'LATE' }; at: Date; expiresAt: Date } {
  const { detail, input, now } = options;
  const { campaign } = detail;
  const schedule = scheduleFromColumns(campaign);
  let at = schedule?.kind === 'LOCAL_TIME' ? localSendAt(schedule, input.tz) : now;
  const expiryMs = campaign.expiryMinutes * 60_000;
  if (at < now) {
    if (now.getTime() - at.getTime() > options.latenessMs) return { decision: { outcome: 'LATE' }, at, expiresAt: new Date(at.getTime() + expiryMs) };
    at = now;
  }
  const message: CandidateMessage = { category: campaign.category, tags: campaign.tags, priority: campaign.priority };
  const segmentIds = new Set(options.policySegments.filter((_, i) => (input.segBits & (2 ** i)) !== 0));
  const expiresAt = new Date(at.getTime() + expiryMs);
  const channels = input.fallback ? [input.chosen, input.fallback] : [input.chosen];
  const decision = decide(message, channels, at, expiresAt, {
    history: input.history ?? [],
    rules: options.rules,
    timeZone: input.tz,
    segmentIds,
    overrides: input.overrides ?? null,
  });
  return { decision, at, expiresAt };
}

/** The outcome a decision records in the ledger, and the reason/rule of a message not sent now. */
export function ledgerOutcome(d: Decision | { outcome: 'LATE' }): { outcome: 'RESERVED' | 'DEFERRED' | 'SUPPRESSED' | 'EXPIRED'; channel: Channel | null; reason: string | null; ruleId: string | null; contactAt: Date | null } {
  switch (d.outcome) {
    case 'SEND':
      return { outcome: 'RESERVED', channel: d.channel, reason: null, ruleId: null, contactAt: d.at };
    case 'DEFER':
      return { outcome: 'DEFERRED', channel: d.channel, reason: d.failures[0].reason, ruleId: d.failures[0].ruleId, contactAt: d.until };
    case 'DROP':
      return { outcome: 'SUPPRESSED', channel: null, reason: d.failures[0].reason, ruleId: d.failures[0].ruleId, contactAt: null };
    case 'EXPIRED':
      return { outcome: 'EXPIRED', channel: null, reason: d.failures[0].reason, ruleId: d.failures[0].ruleId, contactAt: null };
    case 'LATE':
      return { outcome: 'EXPIRED', channel: null, reason: 'SKIPPED_LATE', ruleId: null, contactAt: null };
  }
}

/** One customer resolved in TypeScript (shared address, or at the cut). */
export interface AudienceMember {
  id: string;
  reason: string | null;
  intended: Channel;
  chosen: Channel | null;
  fallback: Channel | null;
  address: string | null;
  fallbackAddress: string | null;
  variantIdx: number | null;
  tz: string;
  segBits: number;
  hb: number;
  heldOut: boolean;
  isShared: boolean;
  /** Index of the customer's contact history and own limits (AudienceQuery.inputs), null without. */
  hist: number | null;
}

/** What identifies a decision: customers with the same key get the same outcome from the rules. */
export interface DecisionKey {
  chosen: Channel;
  fallback: Channel | null;
  tz: string;
  segBits: number;
  /** Index into the audience's contact inputs (history and own limits), null without. */
  hist: number | null;
}

/** The input of one decision, with the contact inputs its key points to. */
export function decisionInput(inputs: readonly ContactInputs[], k: DecisionKey): DecisionInput {
  const c = k.hist === null ? null : inputs[k.hist];
  return { chosen: k.chosen, fallback: k.fallback, tz: k.tz, segBits: k.segBits, history: c?.history ?? [], overrides: c?.overrides ?? null };
}

/** A decision key as a string (the rules run once per distinct key). */
export const keyOf = (k: DecisionKey) => `${k.chosen}|${k.fallback}|${k.tz}|${k.segBits}|${k.hist}`;

/** What happens to a customer (or a whole group): the ledger row's outcome and where it goes. */
export interface AudienceOutcome {
  outcome: 'RESERVED' | 'DEFERRED' | 'SUPPRESSED' | 'HELD_OUT' | 'EXPIRED';
  channel: Channel | null;
  address?: string | null;
  reason: string | null;
  ruleId: string | null;
  contactAt: Date | null;
  expiresAt: Date | null;
}

/**
 * Step 3 on the customers reachable on a shared address (all of them are members: their address is
 * held by more than one live customer): the lowest id keeps each address, and a FALLBACK never goes
 * to an address another customer of the run may be reached on. Returns the losers' ids.
 */
export function resolveSharedAddresses(members: AudienceMember[]): Set<string> {
  const live = members.filter((m) => m.reason === null && m.isShared);
  const reach = new Map<string, number>();
  const key = (c: Channel | null, a: string | null) => `${c}|${a}`;
  for (const m of live) {
    reach.set(key(m.chosen, m.address), (reach.get(key(m.chosen, m.address)) ?? 0) + 1);
    if (m.fallback) reach.set(key(m.fallback, m.fallbackAddress), (reach.get(key(m.fallback, m.fallbackAddress)) ?? 0) + 1);
  }
  const keeper = new Map<string, string>();
  for (const m of live) {
    if (m.fallback && (reach.get(key(m.fallback, m.fallbackAddress)) ?? 0) > 1) m.fallback = null;
    const k = key(m.chosen, m.address);
    const held = keeper.get(k);
    if (held === undefined || BigInt(m.id) < BigInt(held)) keeper.set(k, m.id);
  }
  return new Set(live.filter((m) => keeper.get(key(m.chosen, m.address)) !== m.id).map((m) => m.id));
}

/**
 * The cut of maxRecipients: the hold-out bucket where the count of eligible, not held-out customers
 * reaches the cap, and how many of that bucket's customers (lowest ids) are still in. Null when
 * there is no cap or everyone fits.
 */
export function maxRecipientsCut(histogram: ReadonlyMap<number, number>, max: number | null): { bucket: number; within: number } | null {
  if (max === null) return null;
  let before = 0;
  for (const b of [...histogram.keys()].sort((x, y) => x - y)) {
    const n = histogram.get(b)!;
    if (before + n > max) return { bucket: b, within: max - before };
    before += n;
  }
  return null;
}

export interface ResolveContext {
  detail: CampaignDetail;
  rules: readonly ContactRule[];
  policySegments: readonly string[];
  now: Date;
  latenessMs: number;
  /** Expiry of messages not sent (suppressed, held out): the run's. */
  runExpiry: Date | null;
}

/** Step 6 for a group or one customer, as a ledger outcome. */
export function decideOutcome(ctx: ResolveContext, input: DecisionInput): AudienceOutcome {
  const { decision, expiresAt } = decideFor({ ...ctx, input });
  const o = ledgerOutcome(decision);
  const sent = o.outcome === 'RESERVED' || o.outcome === 'DEFERRED';
  return { ...o, channel: o.channel ?? input.chosen, expiresAt: sent ? expiresAt : ctx.runExpiry };
}

/**
 * Steps 3–6 for the members (customers resolved one by one), given the cut of maxRecipients: returns
 * each member's outcome, with the address of the channel it goes to.
 */
export function resolveMembers(
  ctx: ResolveContext & { inputs: readonly ContactInputs[]; cut: { bucket: number; within: number } | null },
  members: AudienceMember[],
): Map<string, AudienceOutcome> {
  const out = new Map<string, AudienceOutcome>();
  const suppressed = (m: AudienceMember, reason: string, outcome: AudienceOutcome['outcome'] = 'SUPPRESSED'): AudienceOutcome => ({
    outcome,
    channel: m.chosen ?? m.intended,
    address: m.address,
    reason,
    ruleId: null,
    contactAt: null,
    expiresAt: ctx.runExpiry,
  });
  const losers = resolveSharedAddresses(members);
  const edge: AudienceMember[] = [];
  const toDecide: AudienceMember[] = [];
  for (const m of members) {
    if (m.reason !== null) out.set(m.id, suppressed(m, m.reason, m.reason === 'HELD_OUT' ? 'HELD_OUT' : 'SUPPRESSED'));
    else if (losers.has(m.id)) out.set(m.id, suppressed(m, 'DUPLICATE_ADDRESS'));
    else if (m.heldOut) out.set(m.id, suppressed(m, 'HELD_OUT', 'HELD_OUT'));
    else if (ctx.cut && m.hb > ctx.cut.bucket) out.set(m.id, suppressed(m, 'OVER_MAX_RECIPIENTS'));
    else if (ctx.cut && m.hb === ctx.cut.bucket) edge.push(m);
    else toDecide.push(m);
  }
  edge.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  edge.forEach((m, i) => (i < ctx.cut!.within ? toDecide.push(m) : out.set(m.id, suppressed(m, 'OVER_MAX_RECIPIENTS'))));
  const memo = new Map<string, AudienceOutcome>();
  for (const m of toDecide) {
    const k: DecisionKey = { chosen: m.chosen!, fallback: m.fallback, tz: m.tz, segBits: m.segBits, hist: m.hist };
    let o = memo.get(keyOf(k));
    if (!o) memo.set(keyOf(k), (o = decideOutcome(ctx, decisionInput(ctx.inputs, k))));
    out.set(m.id, { ...o, address: o.channel === m.fallback ? m.fallbackAddress : m.address });
  }
  return out;
}

/**
 * The cut of maxRecipients (null without a cap or when everyone fits): a histogram of the hold-out
 * buckets of the eligible, not held-out customers (`histogram`, counted in SQL without the
 * shared-address ones), plus the shared-address members that step 3 keeps.
 */
export function findCut(histogram: ReadonlyMap<number, number>, shared: AudienceMember[], max: number | null): { bucket: number; within: number } | null {
  if (max === null) return null;
  const all = new Map(histogram);
  const losers = resolveSharedAddresses(shared.map((m) => ({ ...m })));
  for (const m of shared) if (m.reason === null && !losers.has(m.id) && !m.heldOut) all.set(m.hb, (all.get(m.hb) ?? 0) + 1);
  return maxRecipientsCut(all, max);
}

/** The SQL of the histogram findCut needs, over `table` (the audience CTE or a run's copy). */
export const HISTOGRAM_SQL = (table: string) => `SELECT hb, count(*) AS n FROM ${table} WHERE reason IS NULL AND NOT is_shared AND NOT held_out GROUP BY hb`;

/** A member from a row of MEMBER_COLUMNS. */
export function toMember(r: Partial<AudienceMember> & { hb: number | null }): AudienceMember {
  return {
    id: String(r.id),
    reason: r.reason ?? null,
    intended: r.intended!,
    chosen: r.chosen ?? null,
    fallback: r.fallback ?? null,
    address: r.address ?? null,
    fallbackAddress: r.fallbackAddress ?? null,
    variantIdx: r.variantIdx ?? null,
    tz: r.tz!,
    segBits: Number(r.segBits ?? 0),
    hb: Number(r.hb ?? 0),
    heldOut: r.heldOut ?? false,
    isShared: r.isShared ?? false,
    hist: r.hist ?? null,
  };
}
