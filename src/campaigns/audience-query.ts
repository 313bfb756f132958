import type pg from 'pg';
import type { Db } from '../db/database.js';
import { loadAttributeCatalogue } from '../ingestion/attribute-catalogue.js';
import { compileSegmentList, type CompiledSegmentList, type FilteredJoin } from '../segmentation/compile-segment.js';
import { buildFieldRegistry } from '../segmentation/fields/registry.js';
import { loadSegmentReferences, type SegmentLimits } from '../segmentation/segments.js';
import { variantBounds } from './assignment.js';
import { channelsWithContent, type CampaignDetail } from './campaigns.js';
import type { Channel, ContactRule, CustomerOverrides, HistoryEntry } from './contact-policy.js';
import { drawSql } from './draws.js';
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
 * Contact inputs as compileAudience binds them: which input (by index) each customer has.
 *
 * `map` holds, for each id from `firstId` to `lastId`, the index of their input plus one (0: none) on
 * `width` big-endian bytes, read with get_byte: one access per customer instead of a probe into a
 * hash of every customer with history (which each parallel worker would also build for itself:
 * ~0.45 s of a 1M forecast here). `others` holds the customers the map does not cover (ids beyond
 * MAX_MAP_BYTES of it, ids from 2^53 on, or all of them with 2^24 distinct inputs or more): their ids
 * as one array literal, with the input of each, joined by hash. Usually empty.
 */
export interface LoadedContact {
  map: Buffer | null;
  firstId: number;
  lastId: number;
  width: number;
  others: { ids: string; inputs: number[] } | null;
  inputs: ContactInputs[];
}

/** No contact history and no own limits (a part of the audience that reads neither). */
export const NO_CONTACT: LoadedContact = { map: null, firstId: 0, lastId: -1, width: 0, others: null, inputs: [] };

/** The largest id map bound to an audience query (64 MiB: 64M ids a byte each, 32M at two bytes). */
export const MAX_MAP_BYTES = 64 * 1024 * 1024;

/** Bytes per id in the map: enough for the number of inputs plus one (0 means none); 0 when too many. */
const widthFor = (inputs: number) => (inputs <= 0xff ? 1 : inputs <= 0xffff ? 2 : inputs <= 0xffffff ? 3 : 0);

/**
 * The customer-id → input lookup of a loaded contact as SQL: `sql`, the input's index or NULL (for
 * reachable customers only), `join`, what `FROM reach r` needs for it, and `params`, how many
 * parameters it binds (the last ones of the query).
 */
function contactLookup(contact: LoadedContact, reachable: string, p: (v: unknown) => string): { sql: string; join: string; params: number } {
  const found: string[] = [];
  let join = '';
  if (contact.map) {
    // A sub-select: PostgreSQL evaluates it once (an InitPlan) and hands it to the parallel workers.
    const map = p(contact.map);
    const byteAt = (k: number) => `get_byte((SELECT ${map}::bytea), ((r.id - ${contact.firstId}) * ${contact.width} + ${k})::int)`;
    let value = byteAt(0);
    for (let k = 1; k < contact.width; k++) value = `(${value}) * 256 + ${byteAt(k)}`;
    found.push(`CASE WHEN ${reachable} AND r.id BETWEEN ${contact.firstId} AND ${contact.lastId} THEN NULLIF(${value}, 0) - 1 END`);
  }
  if (contact.others) {
    const ids = p(contact.others.ids);
    const inputs = p(contact.others.inputs);
    // The arrays go through sub-selects so that the planner does not count the distinct inputs as one
    // per row: as a plain unnest of parameters, the forecast's aggregate would stay out of the
    // parallel workers.
    join = `
  LEFT JOIN unnest((SELECT ${ids}::bigint[]), (SELECT ${inputs}::int[])) AS h (customer_id, input) ON h.customer_id = r.id AND ${reachable}`;
    found.push('h.input');
  }
  if (found.length === 0) return { sql: 'NULL::int', join: '', params: 0 };
  // The index is a column of the list of inputs, joined on the lookup (a hash of a few hundred
  // entries): as an expression of the customer id, the planner would expect a group per customer and
  // aggregate the forecast in the leader instead of the parallel workers.
  const indexes = p(contact.inputs.map((_, i) => i));
  join += `
  LEFT JOIN unnest((SELECT ${indexes}::int[])) AS hi (input) ON hi.input = ${found.length === 1 ? found[0] : `COALESCE(${found.join(', ')})`}`;
  return { sql: 'hi.input', join, params: (contact.map ? 1 : 0) + (contact.others ? 2 : 0) + 1 };
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
  // The ids come as one array literal per input, parsed straight into the map (contactMap).
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
  const lookup = contactMap(rows, maxMapBytes);
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
  return { ...lookup, inputs };
}

/**
 * The id → input lookup of loadContactInputs' rows (row i is input i, its ids one array literal): a
 * byte map from the smallest id, as far as `maxBytes` allows, and the rest by hash (LoadedContact).
 */
function contactMap(rows: readonly { ids: string }[], maxBytes: number): Omit<LoadedContact, 'inputs'> {
  const m = idMap(
    rows.map((r) => r.ids.slice(1, -1).split(',')),
    maxBytes,
  );
  return { map: m.map, firstId: m.firstId, lastId: m.lastId, width: m.width, others: m.otherIds.length ? { ids: `{${m.otherIds.join(',')}}`, inputs: m.otherInputs } : null };
}

/** Customer ids → the index of the list holding them, plus one, on `width` bytes (0: in none). */
interface IdMap {
  map: Buffer | null;
  firstId: number;
  lastId: number;
  width: number;
  /** Ids the map does not hold (beyond `maxBytes` of it, or from 2^53 on), and their list's index. */
  otherIds: string[];
  otherInputs: number[];
}

/** Maps the ids of each list (decimal text) to the list's index: see IdMap. */
function idMap(lists: readonly string[][], maxBytes: number): IdMap {
  const width = widthFor(lists.length);
  // Ids from 2^53 on round as numbers (NaN here): they are never mapped.
  const numbers = lists.map((list) => list.map((id) => (id.length < 16 || Number.isSafeInteger(Number(id)) ? Number(id) : NaN)));
  let first = Infinity;
  for (const list of numbers) for (const id of list) if (id < first) first = id;
  const end = width === 0 ? -Infinity : first + Math.floor(maxBytes / width) - 1;
  let last = -Infinity;
  for (const list of numbers) for (const id of list) if (id <= end && id > last) last = id;
  const map = last >= first ? Buffer.alloc((last - first + 1) * width) : null;
  const otherIds: string[] = [];
  const otherInputs: number[] = [];
  numbers.forEach((list, i) =>
    list.forEach((id, j) => {
      if (map && id <= last) map.writeUIntBE(i + 1, (id - first) * width, width);
      else {
        otherIds.push(lists[i][j]);
        otherInputs.push(i);
      }
    }),
  );
  return { map, firstId: map ? first : 0, lastId: map ? last : -1, width: map ? width : 0, otherIds, otherInputs };
}

/** The most distinct rows (of the columns conditions read) a filtered join may have to be mapped. */
export const MAX_JOIN_VALUES = 64;

/**
 * The filtered joins of a compiled list (compile-segment.ts: customer_metrics, of which only the rows
 * some comparison can tell apart from a missing row) read from a byte map by customer id instead of
 * joined: the rows they bring are read first, grouped by the values of the columns the conditions
 * read, and each customer's group is looked up with get_byte, its values subscripted from one array
 * per column. A hash probe per customer (a third of a 1M forecast's PostgreSQL time, random reads in
 * a 20 MB table) becomes an array access. Exact: every customer gets the values the join gives them,
 * NULLs where it brings no row. A join keeps its hash when its rows have more than MAX_JOIN_VALUES
 * distinct values (a threshold on an amount: the statistics say so beforehand), or when its ids do
 * not fit a map. Returns `from` and its parameters (`list.params`, then the maps').
 */
export async function mapFilteredJoins(
  client: pg.Pool | pg.ClientBase,
  list: Pick<CompiledSegmentList, 'from' | 'params' | 'filteredJoins'>,
): Promise<{ from: string; params: unknown[]; mapped: number }> {
  const params = [...list.params];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  let from = list.from;
  let mapped = 0;
  const maps = await Promise.all(list.filteredJoins.map((j) => readJoinMap(client, j, list.params)));
  list.filteredJoins.forEach((j, i) => {
    const m = maps[i];
    if (!m) return;
    const { ids } = m;
    // The sub-selects are InitPlans: evaluated once, the arrays typed once, handed to parallel workers.
    const k = ids.map
      ? `CASE WHEN c.id BETWEEN ${ids.firstId} AND ${ids.lastId} THEN NULLIF(get_byte((SELECT ${p(ids.map)}::bytea), (c.id - ${ids.firstId})::int), 0) END`
      : 'NULL::int';
    const columns = j.columns.map((column, ci) => `((SELECT ${p(m.values[ci])}::text[]::${m.types[ci]}[]))[x.k] AS ${column}`);
    // A function replacement: the clause's own text may hold `$` patterns.
    from = from.replace(j.clause, () => `CROSS JOIN LATERAL (SELECT ${columns.join(', ')} FROM (SELECT ${k} AS k) x) ${j.alias}`);
    mapped++;
  });
  return { from, params, mapped };
}

/** A filtered join's rows as a map (mapFilteredJoins), or null when it keeps its hash join. */
async function readJoinMap(client: pg.Pool | pg.ClientBase, j: FilteredJoin, params: readonly unknown[]): Promise<{ ids: IdMap; values: (string | null)[][]; types: string[] } | null> {
  if (j.on !== `${j.alias}.customer_id = c.id` || !j.columns.length) return null;
  const { rows: meta } = await client.query<{ attname: string; type: string; n_distinct: number | null }>(
    `SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, s.n_distinct
     FROM pg_attribute a
     JOIN pg_class t ON t.oid = a.attrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = t.relname AND s.attname = a.attname
     WHERE a.attrelid = $1::regclass AND a.attname = ANY ($2::text[]) AND NOT a.attisdropped`,
    [j.table, j.columns],
  );
  const byName = new Map(meta.map((r) => [r.attname, r]));
  if (j.columns.some((c) => !byName.has(c))) return null;
  // Negative: a share of the rows (many values). Unknown (never analysed): tried, and checked below.
  const distinct = j.columns.reduce((n, c) => n * (byName.get(c)!.n_distinct ?? 1), 1);
  if (distinct < 0 || distinct > MAX_JOIN_VALUES) return null;
  // The selection reads some of the list's parameters: renumbered for a query of its own.
  const own: unknown[] = [];
  const renumbered = new Map<string, string>();
  const where = j.where.replace(/\$(\d+)/g, (_: string, n: string) => {
    let to = renumbered.get(n);
    if (!to) {
      own.push(params[Number(n) - 1]);
      renumbered.set(n, (to = `$${own.length}`));
    }
    return to;
  });
  const values = j.columns.map((c, i) => `${j.alias}.${c}::text AS v${i}`);
  const { rows } = await client.query<Record<string, string | null> & { ids: string }>(
    `SELECT ${values.join(', ')}, array_agg(${j.alias}.customer_id)::text AS ids FROM ${j.table} ${j.alias} WHERE ${where}
     GROUP BY ${j.columns.map((_, i) => i + 1).join(', ')} LIMIT ${MAX_JOIN_VALUES + 1}`,
    own,
  );
  if (rows.length > MAX_JOIN_VALUES) return null;
  const ids = idMap(
    rows.map((r) => r.ids.slice(1, -1).split(',')),
    MAX_MAP_BYTES,
  );
  if (ids.otherIds.length) return null;
  return { ids, values: j.columns.map((_, i) => rows.map((r) => r[`v${i}`])), types: j.columns.map((c) => byName.get(c)!.type) };
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
