import type pg from 'pg';
import type { Db } from '../db/database.js';
import { loadAttributeCatalogue } from '../ingestion/attribute-catalogue.js';
import { compileSegmentList } from '../segmentation/compile-segment.js';
import { buildFieldRegistry } from '../segmentation/fields/registry.js';
import { loadSegmentReferences, type SegmentLimits } from '../segmentation/segments.js';
import { drawsLateral, variantBounds } from './assignment.js';
import { channelsWithContent, type CampaignDetail } from './campaigns.js';
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
 * Steps 1–2 and the draws (hold-out and variant buckets) are one SQL pass over the base, grouped:
 * customers who need nothing more than their group's inputs are counted (forecast) or written
 * (run) by group, and the rules run once per distinct (channel, fallback, time zone, scoped segments).
 * Customers whose outcome depends on others or on their own past are resolved one by one in
 * TypeScript: those reachable on an address another live customer holds (step 3), those with contact
 * history in the rules' look-back or own limits (step 6), and, under a cap, those in the bucket where
 * the cap falls (step 5: a first pass counts the buckets). Both paths call the same functions, so the
 * forecast and the run agree exactly with each other and with the pure rules.
 */

export type AudienceReason = 'EXCLUDED' | 'NO_CONSENT' | 'NO_ADDRESS' | 'BLOCKLISTED' | 'DUPLICATE_ADDRESS' | 'HELD_OUT' | 'OVER_MAX_RECIPIENTS';

export interface AudienceSettings {
  /** Time zone of customers without one (quiet hours, calendar windows, local-time schedules). */
  defaultTimeZone: string;
  /** Channel order for PREFERRED campaigns after the customer's own preference. */
  fallbackOrder: readonly Channel[];
  limits: SegmentLimits;
}

/** The SQL of steps 1–5 and what the rules step needs to read its rows. */
export interface AudienceQuery {
  /**
   * A CTE list ending in `audience (id, reason, intended, chosen, fallback, tz, seg_bits, address,
   * fallback_address, hb, variant_idx, held_out, is_shared, has_history)`: steps 1–2 decided (reason),
   * the draws made; steps 3–6 are resolveAudience's.
   */
  sql: string;
  params: unknown[];
  /** Segment ids of segment-scoped rules, bit i of seg_bits = member of policySegments[i]. */
  policySegments: string[];
  /** Variant keys by index. */
  variantKeys: string[];
  /** History older than this cannot change any rule's answer. */
  lookbackFrom: Date;
}

const DAY = 86_400_000;

/**
 * work_mem of audience queries: the address de-duplication and the final grouping hash ~0.5M
 * addresses per million customers; at the default 4 MB they spill to disk in ~30 batches, which
 * costs seconds at 1M customers (EXPLAIN in bench/out). One such query per planner or forecast.
 */
export const AUDIENCE_WORK_MEM = '256MB';

/** How far back contact history can matter to these rules (and to customers' own weekly caps). */
export function lookbackMs(rules: readonly ContactRule[], latenessMs: number): number {
  let ms = 8 * DAY; // customer caps are at most a local ISO week
  for (const r of rules) {
    const l = r.limit;
    if (l.kind === 'ROLLING_CAP') ms = Math.max(ms, l.hours * 3_600_000);
    if (l.kind === 'CALENDAR_CAP') ms = Math.max(ms, l.unit === 'DAY' ? 2 * DAY : 8 * DAY);
    if (l.kind === 'MIN_GAP') ms = Math.max(ms, l.minutes * 60_000);
  }
  return ms + latenessMs;
}

/**
 * Compiles steps 1–5 for a campaign into one parameterised query. Target, excluded and policy segments
 * share one compilation (joins and parameters), so each customer is tested in one pass.
 */
export async function compileAudience(options: {
  db: Db | pg.ClientBase;
  detail: CampaignDetail;
  rules: readonly ContactRule[];
  now: Date;
  settings: AudienceSettings;
  latenessMs?: number;
}): Promise<AudienceQuery> {
  const { detail, rules, now, settings } = options;
  const { campaign, variants } = detail;
  const db = 'pool' in options.db ? (options.db as Db) : ({ pool: options.db } as unknown as Db);
  const [catalogue, refs] = await Promise.all([loadAttributeCatalogue(db), loadSegmentReferences(db)]);
  const policySegments = [...new Set(rules.map((r) => r.segmentId).filter((s): s is string => s !== null))];
  const roots = [...detail.targetSegmentIds, ...detail.excludedSegmentIds, ...policySegments].map((id, i) => ({ root: { segment: id }, path: `segments[${i}]` }));
  const list = compileSegmentList(roots, {
    registry: buildFieldRegistry(catalogue),
    now,
    resolveSegment: (id) => refs.get(id) ?? null,
    maxDepth: settings.limits.maxDepth,
    maxConditions: 10_000,
  });
  const params = [...list.params];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const nT = detail.targetSegmentIds.length;
  const nX = detail.excludedSegmentIds.length;
  const targets = list.conditions.slice(0, nT);
  const excluded = list.conditions.slice(nT, nT + nX);
  const scoped = list.conditions.slice(nT + nX);
  const segBits = scoped.length ? scoped.map((c, i) => `(CASE WHEN ${c} THEN ${2 ** i} ELSE 0 END)`).join(' + ') : '0';

  const content = channelsWithContent(variants);
  const hasEmail = content.includes('EMAIL');
  const hasSms = content.includes('SMS');
  const marketing = campaign.category === 'MARKETING';
  const block = (ch: Channel, alias: string, consent: string, blocked: string) =>
    `CASE WHEN ${marketing ? `${consent}.status IS DISTINCT FROM 'SUBSCRIBED'` : 'false'} THEN 'NO_CONSENT'
          WHEN b.${alias} IS NULL THEN 'NO_ADDRESS'
          WHEN ${blocked}.address IS NOT NULL THEN 'BLOCKLISTED' END`;
  const emailBlock = hasEmail ? block('EMAIL', 'email', 'ce', 'be') : `'NO_CONTENT'`;
  const smsBlock = hasSms ? block('SMS', 'phone', 'cs', 'bs') : `'NO_CONTENT'`;
  // The intended channel: the campaign's, or for PREFERRED the customer's preferred one when it has
  // content, else the first of the fallback order that has content.
  const order = settings.fallbackOrder.filter((c) => content.includes(c));
  const intended =
    campaign.channel !== 'PREFERRED'
      ? `${p(campaign.channel)}::text`
      : `CASE WHEN b.preferred_channel = ANY (${p(content)}::text[]) THEN b.preferred_channel ELSE ${p(order[0] ?? 'EMAIL')}::text END`;
  const holdout = campaign.holdoutBasisPoints;
  const needsHoldoutBucket = holdout > 0 || campaign.maxRecipients !== null;
  // Bound only when a bucket is drawn: PostgreSQL cannot type a parameter no expression uses.
  let campaignParam: string | undefined;
  const campaignRef = () => (campaignParam ??= p(campaign.id));
  const bounds = variantBounds(variants.map((v) => v.weight));
  const lookbackFrom = new Date(now.getTime() - lookbackMs(rules, options.latenessMs ?? 0));
  const client = 'pool' in options.db ? (options.db as Db).pool : options.db;
  const { shared, historyIds } = await loadAudienceSets(client, { email: hasEmail, sms: hasSms, lookbackFrom });

  // The digest only for people still eligible after steps 1–2 (sha256 costs ~1 µs a row).
  const draws =
    needsHoldoutBucket || variants.length > 1
      ? drawsLateral('dr', { campaignIdParam: `${campaignRef()}::bigint`, customerIdColumn: 'ch.id', active: 'ch.reason IS NULL', wantHoldout: needsHoldoutBucket, bounds })
      : null;
  const sql = `
WITH base AS (
  SELECT c.id, c.email, c.phone, c.preferred_channel, COALESCE(c.time_zone, ${p(settings.defaultTimeZone)}::text) AS tz,
         ${excluded.length ? `(${excluded.join(' OR ')})` : 'false'} AS is_excluded,
         ${segBits} AS seg_bits
  ${list.from}
  WHERE c.erased_at IS NULL AND (${targets.join(' OR ')})
),
reach AS (
  SELECT b.id, b.email, b.phone, b.tz, b.seg_bits, b.is_excluded, ${intended} AS intended,
         ${emailBlock} AS email_block, ${smsBlock} AS sms_block
  FROM base b
  ${hasEmail ? `LEFT JOIN customer_consents ce ON ce.customer_id = b.id AND ce.channel = 'EMAIL'
  LEFT JOIN blocked_addresses be ON be.channel = 'EMAIL' AND be.address = b.email` : ''}
  ${hasSms ? `LEFT JOIN customer_consents cs ON cs.customer_id = b.id AND cs.channel = 'SMS'
  LEFT JOIN blocked_addresses bs ON bs.channel = 'SMS' AND bs.address = b.phone` : ''}
),
routed AS (
  SELECT r.*,
         CASE WHEN r.intended = 'EMAIL' THEN r.email_block ELSE r.sms_block END AS intended_block,
         CASE r.intended WHEN 'EMAIL' THEN 'SMS' ELSE 'EMAIL' END AS other,
         CASE r.intended WHEN 'EMAIL' THEN r.sms_block ELSE r.email_block END AS other_block
  FROM reach r
),
chosen AS (
  SELECT id, tz, seg_bits, intended, email, phone,
         CASE WHEN intended_block IS NULL THEN intended
              WHEN ${campaign.channel === 'PREFERRED'} AND other_block IS NULL THEN other END AS chosen,
         -- The fallback for rules that say FALLBACK: the other channel, when it has content and passes the checks.
         CASE WHEN intended_block IS NULL AND other_block IS NULL THEN other END AS fallback,
         CASE WHEN is_excluded THEN 'EXCLUDED'
              WHEN intended_block IS NOT NULL AND NOT (${campaign.channel === 'PREFERRED'} AND other_block IS NULL) THEN intended_block END AS reason
  FROM routed
),
audience AS (
  SELECT ch.id, ch.reason, ch.intended, ch.chosen, ch.fallback, ch.tz, ch.seg_bits,
         CASE ch.chosen WHEN 'EMAIL' THEN ch.email WHEN 'SMS' THEN ch.phone END AS address,
         CASE ch.fallback WHEN 'EMAIL' THEN ch.email WHEN 'SMS' THEN ch.phone END AS fallback_address,
         ${needsHoldoutBucket ? 'dr.hb' : '0'} AS hb,
         CASE WHEN ch.reason IS NULL THEN ${draws ? 'dr.vi' : '0'} END AS variant_idx,
         ${holdout > 0 ? `COALESCE(dr.hb < ${p(holdout)}::int, false)` : 'false'} AS held_out,
         -- Constant arrays, hashed once by the planner (PostgreSQL 14+): subqueries over CTEs here kept
         -- the plan serial, and joins on these computed keys made it sort the audience twice.
         COALESCE(ch.reason IS NULL AND (
           ((ch.chosen = 'EMAIL' OR ch.fallback = 'EMAIL') AND ch.email = ANY (${p(shared.EMAIL)}::text[]))
           OR ((ch.chosen = 'SMS' OR ch.fallback = 'SMS') AND ch.phone = ANY (${p(shared.SMS)}::text[]))
         ), false) AS is_shared,
         ch.reason IS NULL AND ch.id = ANY (${p(historyIds)}::bigint[]) AS has_history
  FROM chosen ch
  ${draws ?? ''}
)`;
  return { sql, params, policySegments, variantKeys: variants.map((v) => v.key), lookbackFrom };
}

/**
 * The small sets the audience query tests customers against: live addresses more than one customer
 * holds (a family email or phone; customers reachable on one are resolved one by one, step 3), and
 * customers whose contact history or own limits can matter (resolved one by one, step 6).
 */
async function loadAudienceSets(client: pg.Pool | pg.ClientBase, options: { email: boolean; sms: boolean; lookbackFrom: Date }) {
  const sharedOf = async (column: 'email' | 'phone', wanted: boolean) =>
    wanted
      ? (await client.query<{ a: string }>(`SELECT ${column} AS a FROM customers WHERE ${column} IS NOT NULL AND erased_at IS NULL GROUP BY ${column} HAVING count(*) > 1`)).rows.map((r) => r.a)
      : [];
  const EMAIL = await sharedOf('email', options.email);
  const SMS = await sharedOf('phone', options.sms);
  const { rows } = await client.query<{ id: string }>(
    `SELECT customer_id AS id FROM messages
     WHERE outcome IN ('RESERVED', 'DEFERRED', 'SENT', 'DELIVERED', 'UNKNOWN') AND contact_at > $1
     UNION
     SELECT customer_id FROM customer_contact_preferences`,
    [options.lookbackFrom],
  );
  return { shared: { EMAIL, SMS }, historyIds: rows.map((r) => r.id) };
}

/** Customers' recent and planned contact history (what counts toward rules), by customer; null ids: everyone's in the window. */
export async function loadHistories(client: pg.Pool | pg.ClientBase, customerIds: readonly string[] | null, from: Date): Promise<Map<string, HistoryEntry[]>> {
  const { rows } = await client.query<{ customer_id: string; at: Date; reserved_at: Date | null; channel: Channel; category: HistoryEntry['category']; tags: string[]; priority: number }>(
    `SELECT m.customer_id, m.contact_at AS at, m.reserved_at, m.channel, c.category, c.tags, c.priority
     FROM messages m JOIN campaigns c ON c.id = m.campaign_id
     WHERE ($1::bigint[] IS NULL OR m.customer_id = ANY ($1::bigint[])) AND m.contact_at > $2
       AND m.outcome IN ('RESERVED', 'DEFERRED', 'SENT', 'DELIVERED', 'UNKNOWN')`,
    [customerIds, from],
  );
  const out = new Map<string, HistoryEntry[]>();
  for (const r of rows) {
    const list = out.get(r.customer_id) ?? [];
    list.push({ at: r.at, reservedAt: r.reserved_at ?? r.at, channel: r.channel, category: r.category, tags: r.tags, priority: r.priority });
    out.set(r.customer_id, list);
  }
  return out;
}

/** Customers' own limits as overrides, by customer (null ids: all of them). */
export async function loadOverrides(client: pg.Pool | pg.ClientBase, customerIds: readonly string[] | null): Promise<Map<string, CustomerOverrides>> {
  const { rows } = await client.query<{ customer_id: string; cap_max: number | null; cap_unit: 'DAY' | 'WEEK' | null; marketing_paused_until: Date | null }>(
    `SELECT customer_id, cap_max, cap_unit, marketing_paused_until FROM customer_contact_preferences WHERE $1::bigint[] IS NULL OR customer_id = ANY ($1::bigint[])`,
    [customerIds],
  );
  return new Map(rows.map((r) => [r.customer_id, { cap: r.cap_max !== null && r.cap_unit ? { max: r.cap_max, unit: r.cap_unit } : null, marketingPausedUntil: r.marketing_paused_until }]));
}

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

/** Where a customer stands against maxRecipients: within it, at the cut bucket (ranked by id), beyond it. */
export type Band = 0 | 1 | 2;

/** One customer resolved in TypeScript (shared address, contact history or own limits, or at the cut). */
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
  hasHistory: boolean;
}

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

/** The columns of one member, as SQL selects them from `audience` (or its temp-table copy). */
export const MEMBER_COLUMNS = `id, reason, intended, chosen, fallback, address, fallback_address AS "fallbackAddress", variant_idx AS "variantIdx",
  tz, seg_bits AS "segBits", hb, held_out AS "heldOut", is_shared AS "isShared", has_history AS "hasHistory"`;

/**
 * The SQL band of a row against maxRecipients once the cut bucket is known (0 when there is no cap):
 * shared-address customers are banded in TypeScript, after step 3.
 */
export function bandSql(cut: { bucket: number } | null, alias = ''): string {
  const a = alias ? `${alias}.` : '';
  return cut ? `CASE WHEN ${a}reason IS NOT NULL OR ${a}held_out OR ${a}is_shared OR ${a}hb < ${cut.bucket} THEN 0 WHEN ${a}hb = ${cut.bucket} THEN 1 ELSE 2 END` : '0';
}

/** Who is resolved one by one: shared addresses, history or own limits, and the cut bucket's customers. */
export function individualSql(cut: { bucket: number } | null, alias = ''): string {
  const a = alias ? `${alias}.` : '';
  return `${a}reason IS NULL AND (${a}is_shared OR ${a}has_history${cut ? ` OR (NOT ${a}held_out AND ${a}hb = ${cut.bucket})` : ''})`;
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
export async function resolveMembers(
  ctx: ResolveContext & { client: pg.Pool | pg.ClientBase; lookbackFrom: Date; cut: { bucket: number; within: number } | null },
  members: AudienceMember[],
): Promise<Map<string, AudienceOutcome>> {
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
  // Inputs repeat (everyone planned by one run has the same history entry): decide each distinct one once.
  const memo = new Map<string, AudienceOutcome>();
  const withHistory = toDecide.filter((m) => m.hasHistory).map((m) => m.id);
  // Past a few batches, one scan of the whole look-back window beats a lookup per batch of ids.
  const whole = withHistory.length > WHOLE_WINDOW_FROM ? await loadHistories(ctx.client, null, ctx.lookbackFrom) : null;
  const allOverrides = whole ? await loadOverrides(ctx.client, null) : null;
  for (let i = 0; i < toDecide.length; i += HISTORY_BATCH) {
    const batch = toDecide.slice(i, i + HISTORY_BATCH);
    const ids = batch.filter((m) => m.hasHistory).map((m) => m.id);
    const [histories, overrides] = whole
      ? [whole, allOverrides!]
      : ids.length
        ? await Promise.all([loadHistories(ctx.client, ids, ctx.lookbackFrom), loadOverrides(ctx.client, ids)])
        : [new Map<string, HistoryEntry[]>(), new Map<string, CustomerOverrides>()];
    for (const m of batch) {
      const input: DecisionInput = { chosen: m.chosen!, fallback: m.fallback, tz: m.tz, segBits: m.segBits, history: histories.get(m.id) ?? [], overrides: overrides.get(m.id) ?? null };
      const key = JSON.stringify(input);
      let o = memo.get(key);
      if (!o) memo.set(key, (o = decideOutcome(ctx, input)));
      out.set(m.id, { ...o, address: o.channel === m.fallback ? m.fallbackAddress : m.address });
    }
  }
  return out;
}

/** Customers with history are decided in batches of this many (one history query each). */
const HISTORY_BATCH = 5_000;
/** Above this many customers with history, the whole look-back window is read in one pass instead. */
const WHOLE_WINDOW_FROM = 20_000;

/** The source of audience rows: the compiled query (forecast) or a run's temp-table copy of it. */
export interface AudienceSource {
  /** SQL put before `SELECT ... FROM <table>`: the CTE list, or nothing. */
  prefix: string;
  table: string;
  params: unknown[];
}

/**
 * The cut of maxRecipients (null without a cap or when everyone fits): a histogram of the hold-out
 * buckets of the eligible, not held-out customers, where the shared-address ones count only once
 * step 3 has kept them. One pass over the audience.
 */
export async function findCut(client: pg.ClientBase, source: AudienceSource, max: number | null): Promise<{ bucket: number; within: number } | null> {
  if (max === null) return null;
  const { rows } = await client.query<{ hb: number; n: string } & Partial<AudienceMember> & { member: string | null }>(
    `${source.prefix} SELECT hb, CASE WHEN is_shared THEN id END AS member, count(*) AS n, ${MEMBER_AGGREGATES}
     FROM ${source.table} WHERE reason IS NULL AND (is_shared OR NOT held_out) GROUP BY 1, 2`,
    source.params,
  );
  const histogram = new Map<number, number>();
  const add = (b: number, n: number) => histogram.set(b, (histogram.get(b) ?? 0) + n);
  const members = rows.filter((r) => r.member !== null).map(toMember);
  for (const r of rows) if (r.member === null) add(r.hb, Number(r.n));
  const losers = resolveSharedAddresses(members);
  for (const m of members) if (!losers.has(m.id) && !m.heldOut) add(m.hb, 1);
  return maxRecipientsCut(histogram, max);
}

/** A member's columns as aggregates of its one-row group (the group key holds the rest). */
export const MEMBER_AGGREGATES = `min(id) AS id, min(reason) AS reason, min(intended) AS intended, min(chosen) AS chosen, min(fallback) AS fallback,
  min(address) AS address, min(fallback_address) AS "fallbackAddress", min(variant_idx) AS "variantIdx", min(tz) AS tz, min(seg_bits) AS "segBits",
  bool_or(held_out) AS "heldOut", bool_or(is_shared) AS "isShared", bool_or(has_history) AS "hasHistory"`;

/** A member from a row of MEMBER_COLUMNS or MEMBER_AGGREGATES (+ hb). */
export function toMember(r: Partial<AudienceMember> & { hb: number }): AudienceMember {
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
    hb: Number(r.hb),
    heldOut: r.heldOut ?? false,
    isShared: r.isShared ?? false,
    hasHistory: r.hasHistory ?? false,
  };
}
