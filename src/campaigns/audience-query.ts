import type pg from 'pg';
import type { Db } from '../db/database.js';
import { loadAttributeCatalogue } from '../ingestion/attribute-catalogue.js';
import { compileSegmentList } from '../segmentation/compile-segment.js';
import { buildFieldRegistry } from '../segmentation/fields/registry.js';
import { loadSegmentReferences, type SegmentLimits } from '../segmentation/segments.js';
import { variantBounds } from './assignment.js';
import { channelsWithContent, type CampaignDetail } from './campaigns.js';
import type { Channel, ContactRule, CustomerOverrides, HistoryEntry } from './contact-policy.js';
import { drawSql } from './draws.js';
import { idMap, mapFilteredJoins, MAX_MAP_BYTES, positionSql, type IdMap } from './id-maps.js';
import { routeTable, type Route } from './reach.js';

/*
 * The SQL side of the audience (the precedence is in audience.ts): one parameterised query deciding
 * steps 1–2 from the reach columns of customers and drawing the buckets for every customer of the
 * target segments, and the read of contact history and own limits, grouped by distinct content.
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
   * A CTE list ending in `audience (id, route, is_excluded, reason, intended, chosen, fallback, tz,
   * seg_bits, s0…, address, fallback_address, hb, variant_idx, held_out, is_shared, hist)` (see
   * AUDIENCE_COLUMNS): steps 1–2 decided (reason: EXCLUDED, or the route's), the draws made (read
   * from the campaign's stored draws, draws.ts, or drawn live beyond them) for reachable customers,
   * and `hist`, the index of the customer's contact history and own limits in `inputs` (NULL: none);
   * steps 3–6 are audience.ts's. `route` indexes `routes`; `s<i>` is bit i of seg_bits as a boolean.
   */
  sql: string;
  /**
   * The same CTE list for part of the work: `counts` without contact inputs or variants (the
   * histogram of a cap), `shared` only the customers on a shared address (through an index; step 3
   * resolves them one by one). With `ids`, only those customers (the cut of a cap, found from the
   * stored draws) and every customer from `ids.from` up (beyond the stored draws).
   */
  sqlOf: (part: AudiencePart, ids?: IdFilter) => { sql: string; params: unknown[] };
  params: unknown[];
  /** Segment ids of segment-scoped rules, bit i of seg_bits = member of policySegments[i]. */
  policySegments: string[];
  /** Variant keys by index. */
  variantKeys: string[];
  /** The distinct contact inputs (history in the look-back window, own limits); `hist` indexes them. */
  inputs: ContactInputs[];
  /** The campaign's routes (step 2, reach.ts); `route` indexes them. */
  routes: Route[];
}

export type AudiencePart = 'all' | 'counts' | 'shared';

/** Restricts a part to these customers and those from `from` up (found through the primary key). */
export interface IdFilter {
  ids: readonly string[];
  from: string;
}

/** What a customer's own past and wishes bring to the rules step. */
export interface ContactInputs {
  history: HistoryEntry[];
  overrides: CustomerOverrides | null;
}

const DAY = 86_400_000;

/**
 * work_mem of audience queries (set per transaction): the grouping of a forecast holds up to ~100k
 * groups per worker and a run copies the audience into a temporary table; at the default 4 MB both
 * spill. It is a per-node cap, so a few concurrent forecasts may each take that much: size the
 * server's memory for the forecasts you expect at once.
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
 * Compiles steps 1–5 for a campaign into one parameterised query over `customers`. Step 2 is a lookup
 * of the customer's reach code (migration 1764800000000, over the columns the triggers of migration
 * 1764600000000 keep: consent, address, blocklist, shared) in the campaign's routing table (reach.ts).
 * Target, excluded and policy segments share one compilation (joins and parameters), so each
 * customer is tested in one pass, and each segment's condition is evaluated once per row. Contact
 * history and own limits are read first (or given, read on another connection) and grouped:
 * customers with the same entries and limits share one `hist` index, so the rules run once per
 * distinct input rather than once per customer. Each customer's index is read from a byte map by id
 * (LoadedContact), and so are the values of the segments' filtered joins (mapFilteredJoins).
 */
export async function compileAudience(options: {
  db: Db | pg.ClientBase;
  detail: CampaignDetail;
  rules: readonly ContactRule[];
  now: Date;
  settings: AudienceSettings;
  latenessMs?: number;
  /** Contact inputs loaded (or being loaded: loadContactInputs from contactWindowStart); read here otherwise. */
  contact?: LoadedContact | Promise<LoadedContact>;
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
  // The maps of filtered joins are read meanwhile contact history is (on another connection when given).
  const client = 'pool' in options.db ? (options.db as Db).pool : options.db;
  const [joined, contact] = await Promise.all([
    mapFilteredJoins(client, list),
    options.contact ?? loadContactInputs(client, contactWindowStart(rules, now, options.latenessMs ?? 0)),
  ]);
  const params = [...joined.params];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const nT = detail.targetSegmentIds.length;
  const nX = detail.excludedSegmentIds.length;
  const targets = list.conditions.slice(0, nT);
  const excluded = list.conditions.slice(nT, nT + nX);
  const scoped = list.conditions.slice(nT + nX);
  // Bit i of seg_bits: member of policySegments[i]. The forecast groups on the booleans themselves
  // (PostgreSQL counts two values for a boolean key, whatever its expression).
  const segFlags = scoped.map((c, i) => `(${c}) IS TRUE AS s${i}`);
  const segBits = scoped.length ? scoped.map((c, i) => `(CASE WHEN ${c} THEN ${2 ** i} ELSE 0 END)`).join(' + ') : '0';

  // Step 2 from the reach code: the campaign's routing table (reach.ts) looked up per customer.
  const routing = routeTable({
    channel: campaign.channel,
    isMarketing: campaign.category === 'MARKETING',
    content: channelsWithContent(variants),
    fallbackOrder: settings.fallbackOrder,
  });
  const routeParam = p(routing.table);
  const routeArrays = {
    reason: p(routing.routes.map((r) => r.reason)),
    intended: p(routing.routes.map((r) => r.intended)),
    chosen: p(routing.routes.map((r) => r.chosen)),
    fallback: p(routing.routes.map((r) => r.fallback)),
  };
  const routeArray = (f: keyof typeof routeArrays) => `(${routeArrays[f]}::text[])[r.route + 1]`;
  // Draws and contact inputs only for the reachable (an excluded customer may get them: the grouping
  // and the run ignore them, and the exclusion's condition is then evaluated once per row).
  const reachable = `r.route < ${routing.reachable}`;
  const holdout = campaign.holdoutBasisPoints;
  const needsHoldoutBucket = holdout > 0 || campaign.maxRecipients !== null;
  // Bound only when a bucket is drawn: PostgreSQL cannot type a parameter no expression uses.
  let campaignParam: string | undefined;
  const campaignRef = () => (campaignParam ??= `${p(campaign.id)}::bigint`);
  const bounds = variantBounds(variants.map((v) => v.weight));
  const tz = p(settings.defaultTimeZone);
  const hb = needsHoldoutBucket ? `CASE WHEN ${reachable} THEN ${drawSql(campaignRef(), 'r.id', 'holdout')} END` : '0';
  // The variant: how many bounds (all but the last) the bucket has reached, as variantOf.
  const variantIdx =
    variants.length > 1
      ? `CASE WHEN ${reachable} THEN width_bucket(${drawSql(campaignRef(), 'r.id', 'variant')}, ARRAY[${bounds.slice(0, -1).join(', ')}]::int[]) END`
      : `CASE WHEN ${reachable} THEN 0 END`;
  const holdoutParam = holdout > 0 ? p(holdout) : null;
  const hist = contactLookup(contact, reachable, p);

  const filters: Record<AudiencePart, string> = {
    all: '',
    counts: '',
    shared: ' AND (c.email_shared OR c.phone_shared)',
  };
  const build = (part: AudiencePart, idFilter = '') => `
WITH reach AS (
  SELECT c.id, c.email, c.phone, COALESCE(c.time_zone, ${tz}::text) AS tz,
         ${excluded.length ? `(${excluded.join(' OR ')}) IS TRUE` : 'false'} AS is_excluded,
         ${segBits} AS seg_bits${segFlags.map((f) => `, ${f}`).join('')},
         get_byte(${routeParam}::bytea, c.reach) AS route
  ${joined.from}
  WHERE c.erased_at IS NULL AND (${targets.join(' OR ')})${filters[part]}${idFilter}
),
audience AS (
  SELECT r.id, r.route, r.is_excluded,
         CASE WHEN r.is_excluded THEN 'EXCLUDED' ELSE ${routeArray('reason')} END AS reason,
         ${routeArray('intended')} AS intended, ${routeArray('chosen')} AS chosen, ${routeArray('fallback')} AS fallback,
         r.tz, r.seg_bits${segFlags.map((_, i) => `, r.s${i}`).join('')},
         CASE ${routeArray('chosen')} WHEN 'EMAIL' THEN r.email WHEN 'SMS' THEN r.phone END AS address,
         CASE ${routeArray('fallback')} WHEN 'EMAIL' THEN r.email WHEN 'SMS' THEN r.phone END AS fallback_address,
         ${hb} AS hb,
         ${part === 'counts' ? 'NULL::int' : variantIdx} AS variant_idx,
         ${holdoutParam ? `COALESCE(${hb} < ${holdoutParam}::int, false)` : 'false'} AS held_out,
         (r.route >= ${routing.direct} AND ${reachable}) AS is_shared,
         ${part === 'counts' ? 'NULL::int' : hist.sql} AS hist
  FROM reach r${part === 'counts' ? '' : hist.join}
)`;
  // The contact inputs' parameters are the last ones; a part that reads no history binds fewer.
  const used: Record<AudiencePart, number> = { all: 0, counts: hist.params, shared: 0 };
  const sqlOf = (part: AudiencePart, ids?: IdFilter) => {
    const bound = params.slice(0, params.length - used[part]);
    if (!ids) return { sql: build(part), params: bound };
    const filter = ` AND (c.id = ANY ($${bound.length + 1}::bigint[]) OR c.id >= $${bound.length + 2}::bigint)`;
    return { sql: build(part, filter), params: [...bound, ids.ids, ids.from] };
  };
  return { sql: build('all'), sqlOf, params, policySegments, variantKeys: variants.map((v) => v.key), inputs: contact.inputs, routes: routing.routes };
}

/** A counted message's outcomes: what contact rules weigh (reserved, sent, or of unknown outcome). */
const COUNTED = `('RESERVED', 'DEFERRED', 'SENT', 'DELIVERED', 'UNKNOWN')`;

/**
 * Contact inputs as compileAudience binds them: the inputs, and which one each customer has (`byId`,
 * list i = input i). A byte map by id instead of a hash of every customer with history, which each
 * parallel worker would also build for itself (~0.45 s of a 1M forecast here).
 */
export interface LoadedContact {
  byId: IdMap;
  inputs: ContactInputs[];
}

/**
 * The customer-id → input lookup of a loaded contact as SQL: `sql`, the input's index or NULL (for
 * reachable customers only), `join`, what `FROM reach r` needs for it, and `params`, how many
 * parameters it binds (the last ones of the query).
 */
function contactLookup(contact: LoadedContact, reachable: string, p: (v: unknown) => string): { sql: string; join: string; params: number } {
  const { byId } = contact;
  if (!contact.inputs.length) return { sql: 'NULL::int', join: '', params: 0 };
  const found: string[] = [];
  let join = '';
  let bound = 0;
  const bind = (v: unknown) => {
    bound++;
    return p(v);
  };
  if (byId.map) found.push(`CASE WHEN ${reachable} THEN ${positionSql(byId, 'r.id', bind)} - 1 END`);
  if (byId.otherIds.length) {
    const ids = bind(`{${byId.otherIds.join(',')}}`);
    const inputs = bind(byId.otherLists);
    // The arrays go through sub-selects so that the planner does not count the distinct inputs as one
    // per row: as a plain unnest of parameters, the forecast's aggregate would stay out of the
    // parallel workers.
    join = `
  LEFT JOIN unnest((SELECT ${ids}::bigint[]), (SELECT ${inputs}::int[])) AS h (customer_id, input) ON h.customer_id = r.id AND ${reachable}`;
    found.push('h.input');
  }
  // The index is a column of the list of inputs, joined on the lookup (a hash of a few hundred
  // entries): as an expression of the customer id, the planner would expect a group per customer and
  // aggregate the forecast in the leader instead of the parallel workers.
  const indexes = bind(contact.inputs.map((_, i) => i));
  join += `
  LEFT JOIN unnest((SELECT ${indexes}::int[])) AS hi (input) ON hi.input = ${found.length === 1 ? found[0] : `COALESCE(${found.join(', ')})`}`;
  return { sql: 'hi.input', join, params: bound };
}

/** The start of the contact history these rules can weigh at `now`. */
export function contactWindowStart(rules: readonly ContactRule[], now: Date, latenessMs: number): Date {
  return new Date(now.getTime() - lookbackMs(rules, latenessMs));
}

/**
 * Contact history in the look-back window and own limits, grouped: each distinct input (one
 * customer's entries: campaign, channel, instant, reservation; and their cap and pause) once, with
 * the customers who have exactly it. Entries are what contact-policy.ts weighs; a campaign's
 * category, tags and priority come with it.
 */
export async function loadContactInputs(client: pg.Pool | pg.ClientBase, from: Date, maxMapBytes = MAX_MAP_BYTES): Promise<LoadedContact> {
  // Epoch milliseconds, truncated as node-pg truncates a timestamp to a Date (date_part is a float: fast).
  const ms = (x: string) => `floor(date_part('epoch', ${x}) * 1000)::bigint`;
  // Entries are concatenated in the order of a sorted input (an ORDER BY inside string_agg sorts each
  // customer's entries apart: 3x slower). Order only decides how well identical histories group: a
  // history is a set, so any order gives the same decisions.
  // The ids come as one array literal per input, parsed straight into the map (idMap).
  const { rows } = await client.query<{ sig: string; ids: string }>(
    `SELECT sig, array_agg(customer_id)::text AS ids FROM (
       SELECT COALESCE(h.customer_id, p.customer_id) AS customer_id,
              COALESCE(h.entries, '') || '|' || COALESCE(p.cap_max::text, '') || ',' || COALESCE(p.cap_unit, '') || ',' || COALESCE(${ms('p.marketing_paused_until')}::text, '') AS sig
       FROM (
         SELECT customer_id, string_agg(entry, ';') AS entries
         FROM (
           SELECT m.customer_id, m.campaign_id || ',' || m.channel || ',' || ${ms('m.contact_at')} || ',' || ${ms('COALESCE(m.reserved_at, m.contact_at)')} AS entry
           FROM messages m WHERE m.contact_at > $1 AND m.outcome IN ${COUNTED}
           ORDER BY m.customer_id, m.contact_at, m.campaign_id, m.channel
         ) e
         GROUP BY customer_id
       ) h
       FULL JOIN customer_contact_preferences p ON p.customer_id = h.customer_id
     ) s GROUP BY sig`,
    [from],
  );
  const parsed = rows.map((r) => {
    const [entries, limits] = r.sig.split('|');
    return { entries: entries ? entries.split(';').map((e) => e.split(',')) : [], limits: limits.split(',') };
  });
  const campaignIds = [...new Set(parsed.flatMap((x) => x.entries.map((e) => e[0])))];
  const campaigns = new Map(
    (
      await client.query<{ id: string; category: HistoryEntry['category']; tags: string[]; priority: number }>(
        `SELECT id, category, tags, priority FROM campaigns WHERE id = ANY ($1::bigint[])`,
        [campaignIds],
      )
    ).rows.map((c) => [c.id, c]),
  );
  const byId = idMap(
    rows.map((r) => r.ids.slice(1, -1).split(',')),
    maxMapBytes,
  );
  const inputs = parsed.map(({ entries, limits: [capMax, capUnit, paused] }) => ({
    history: entries.map(([campaignId, channel, at, reservedAt]) => {
      const c = campaigns.get(campaignId)!;
      return { at: new Date(Number(at)), reservedAt: new Date(Number(reservedAt)), channel: channel as Channel, category: c.category, tags: c.tags, priority: c.priority };
    }),
    overrides:
      capMax || paused
        ? { cap: capMax && capUnit ? { max: Number(capMax), unit: capUnit as 'DAY' | 'WEEK' } : null, marketingPausedUntil: paused ? new Date(Number(paused)) : null }
        : null,
  }));
  return { byId, inputs };
}

/** What a run copies of its audience (every column its ledger writes and its steps 3–6 read). */
export const AUDIENCE_COLUMNS = `id, reason, intended, chosen, fallback, tz, seg_bits, address, fallback_address, hb, variant_idx, held_out, is_shared, hist`;

/** The columns of one member, as SQL selects them from `audience` (or its temp-table copy). */
export const MEMBER_COLUMNS = `id, reason, intended, chosen, fallback, address, fallback_address AS "fallbackAddress", variant_idx AS "variantIdx",
  tz, seg_bits AS "segBits", hb, held_out AS "heldOut", is_shared AS "isShared", hist`;

/**
 * Whether a row is past the cut of maxRecipients (false without a cap): shared-address customers are
 * banded in TypeScript, after step 3; held-out customers have buckets below every cut.
 */
export function overSql(cut: { bucket: number } | null, alias = ''): string {
  const a = alias ? `${alias}.` : '';
  return cut ? `COALESCE(${a}hb > ${cut.bucket}, false)` : 'false';
}

/** Who is resolved one by one: eligible customers on a shared address, and those of the cut bucket. */
export function individualSql(cut: { bucket: number } | null, alias = ''): string {
  const a = alias ? `${alias}.` : '';
  return `${a}reason IS NULL AND (${a}is_shared${cut ? ` OR (NOT ${a}held_out AND ${a}hb = ${cut.bucket})` : ''})`;
}
