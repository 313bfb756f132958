import type pg from 'pg';
import type { Db } from '../db/database.js';
import { loadAttributeCatalogue } from '../ingestion/attribute-catalogue.js';
import { compileSegmentList } from '../segmentation/compile-segment.js';
import { buildFieldRegistry } from '../segmentation/fields/registry.js';
import { loadSegmentReferences, type SegmentLimits } from '../segmentation/segments.js';
import { bucketLateral, variantBounds } from './assignment.js';
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
 * Steps 1–5 are one SQL query over the customer base. Step 6 runs the pure rules in TypeScript on the
 * distinct inputs: customers with no contact history in the rules' look-back and no own limits are
 * grouped by (channel, fallback, variant, time zone, scoped segments) and decided once per group; the
 * others are decided one by one with their history. The decision is therefore exactly the pure
 * function's, for the forecast and for the run alike.
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
  /** A CTE list ending in `final (id, reason, intended, chosen, fallback, address, fallback_address, variant_idx, tz, seg_bits, has_history)`. */
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
  const variantIdx = variants.length > 1 ? `CASE ${bounds.map((b, i) => `WHEN vb.bucket < ${b} THEN ${i}`).join(' ')} END` : '0';
  const lookbackFrom = new Date(now.getTime() - lookbackMs(rules, options.latenessMs ?? 0));

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
  SELECT id, tz, seg_bits, intended,
         CASE WHEN intended_block IS NULL THEN intended
              WHEN ${campaign.channel === 'PREFERRED'} AND other_block IS NULL THEN other END AS chosen,
         CASE WHEN is_excluded THEN 'EXCLUDED'
              WHEN intended_block IS NOT NULL AND NOT (${campaign.channel === 'PREFERRED'} AND other_block IS NULL) THEN intended_block END AS reason,
         email, phone, intended_block, other, other_block
  FROM routed
),
usable AS (
  SELECT id, tz, seg_bits, intended, chosen,
         CASE chosen WHEN 'EMAIL' THEN email ELSE phone END AS address,
         -- The fallback for rules that say FALLBACK: the other channel, when it has content and passes the checks.
         CASE WHEN chosen = intended AND other_block IS NULL THEN other END AS fallback,
         email, phone
  FROM chosen WHERE reason IS NULL
),
-- Addresses more than one customer of the run may be reached on (chosen or fallback): no fallback to
-- them, or a shared phone would get the message once per customer that falls back to it.
crowded AS (
  SELECT channel, address FROM (
    SELECT chosen AS channel, address FROM usable
    UNION ALL
    SELECT fallback, CASE fallback WHEN 'EMAIL' THEN email ELSE phone END FROM usable WHERE fallback IS NOT NULL
  ) a GROUP BY channel, address HAVING count(*) > 1
),
elig AS (
  SELECT u.id, u.tz, u.seg_bits, u.intended, u.chosen, u.address, CASE WHEN cr.address IS NULL THEN u.fallback END AS fallback, u.email, u.phone
  FROM usable u
  LEFT JOIN crowded cr ON cr.channel = u.fallback AND cr.address = CASE u.fallback WHEN 'EMAIL' THEN u.email ELSE u.phone END
),
shared AS (
  SELECT chosen, address, min(id) AS keep FROM elig GROUP BY chosen, address HAVING count(*) > 1
),
drawn AS (
  SELECT e.*, ${needsHoldoutBucket ? 'hb.bucket' : '0'} AS holdout_bucket, ${variantIdx} AS variant_idx,
         CASE WHEN s.keep IS NOT NULL AND s.keep <> e.id THEN 'DUPLICATE_ADDRESS'
              ${holdout > 0 ? `WHEN hb.bucket < ${p(holdout)}::int THEN 'HELD_OUT'` : ''} END AS reason
  FROM elig e
  LEFT JOIN shared s ON s.chosen = e.chosen AND s.address = e.address
  ${needsHoldoutBucket ? bucketLateral('hb', `${campaignRef()}::bigint`, 'e.id', 'holdout') : ''}
  ${variants.length > 1 ? bucketLateral('vb', `${campaignRef()}::bigint`, 'e.id', 'variant') : ''}
),
capped AS (
  SELECT d.*, ${
    campaign.maxRecipients !== null
      ? `CASE WHEN d.reason IS NULL AND row_number() OVER (PARTITION BY d.reason IS NULL ORDER BY d.holdout_bucket, d.id) > ${p(campaign.maxRecipients)}
              THEN 'OVER_MAX_RECIPIENTS' ELSE d.reason END`
      : 'd.reason'
  } AS final_reason
  FROM drawn d
),
history AS (
  SELECT DISTINCT customer_id FROM messages
  WHERE outcome IN ('RESERVED', 'DEFERRED', 'SENT', 'DELIVERED', 'UNKNOWN') AND contact_at > ${p(lookbackFrom)}::timestamptz
  UNION
  SELECT customer_id FROM customer_contact_preferences
),
final AS (
  SELECT id, reason, intended, chosen AS chosen, NULL::text AS fallback, NULL::text AS address, NULL::text AS fallback_address,
         NULL::int AS variant_idx, tz, seg_bits, false AS has_history
  FROM chosen WHERE reason IS NOT NULL
  UNION ALL
  SELECT c.id, c.final_reason, c.intended, c.chosen, c.fallback, c.address,
         CASE c.fallback WHEN 'EMAIL' THEN c.email WHEN 'SMS' THEN c.phone END, c.variant_idx, c.tz, c.seg_bits,
         c.final_reason IS NULL AND h.customer_id IS NOT NULL
  FROM capped c LEFT JOIN history h ON h.customer_id = c.id
)`;
  return { sql, params, policySegments, variantKeys: variants.map((v) => v.key), lookbackFrom };
}

/** A customer's recent and planned contact history (what counts toward rules), by customer. */
export async function loadHistories(client: pg.Pool | pg.ClientBase, customerIds: readonly string[], from: Date): Promise<Map<string, HistoryEntry[]>> {
  const { rows } = await client.query<{ customer_id: string; at: Date; reserved_at: Date | null; channel: Channel; category: HistoryEntry['category']; tags: string[]; priority: number }>(
    `SELECT m.customer_id, m.contact_at AS at, m.reserved_at, m.channel, c.category, c.tags, c.priority
     FROM messages m JOIN campaigns c ON c.id = m.campaign_id
     WHERE m.customer_id = ANY ($1::bigint[]) AND m.contact_at > $2
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

/** Customers' own limits as overrides, by customer. */
export async function loadOverrides(client: pg.Pool | pg.ClientBase, customerIds: readonly string[]): Promise<Map<string, CustomerOverrides>> {
  const { rows } = await client.query<{ customer_id: string; cap_max: number | null; cap_unit: 'DAY' | 'WEEK' | null; marketing_paused_until: Date | null }>(
    `SELECT customer_id, cap_max, cap_unit, marketing_paused_until FROM customer_contact_preferences WHERE customer_id = ANY ($1::bigint[])`,
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
