import type pg from 'pg';
import type { Db } from '../db/database.js';
import { loadAttributeCatalogue } from '../ingestion/attribute-catalogue.js';
import { compileSegmentList } from '../segmentation/compile-segment.js';
import { buildFieldRegistry } from '../segmentation/fields/registry.js';
import { loadSegmentReferences, type SegmentLimits } from '../segmentation/segments.js';
import { drawsLateral, variantBounds } from './assignment.js';
import { channelsWithContent, type CampaignDetail } from './campaigns.js';
import type { Channel, ContactRule, CustomerOverrides, HistoryEntry } from './contact-policy.js';

/*
 * The SQL side of the audience (the precedence is in audience.ts): one parameterised query deciding
 * steps 1–2 and drawing the buckets for every customer of the target segments, the sets it tests
 * customers against, and the reads of contact history and own limits.
 */

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
 * work_mem of audience queries (set per transaction): finding the shared addresses hashes every
 * email (~0.95M distinct, ~100 MB at 1M customers) and the grouping holds ~65k groups; at the default
 * 4 MB the first spills to disk in ~80 batches. It is a per-node cap, so a few concurrent forecasts
 * may each take that much: size the server's memory for the forecasts you expect at once.
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

/** The source of audience rows: the compiled query (forecast) or a run's temp-table copy of it. */
export interface AudienceSource {
  /** SQL put before `SELECT ... FROM <table>`: the CTE list, or nothing. */
  prefix: string;
  table: string;
  params: unknown[];
}

/** A member's columns as aggregates of its one-row group (the group key holds the rest). */
export const MEMBER_AGGREGATES = `min(id) AS id, min(reason) AS reason, min(intended) AS intended, min(chosen) AS chosen, min(fallback) AS fallback,
  min(address) AS address, min(fallback_address) AS "fallbackAddress", min(variant_idx) AS "variantIdx", min(tz) AS tz, min(seg_bits) AS "segBits",
  bool_or(held_out) AS "heldOut", bool_or(is_shared) AS "isShared", bool_or(has_history) AS "hasHistory"`;
