import type pg from 'pg';
import type { CompiledSegmentList, FilteredJoin } from '../segmentation/compile-segment.js';

/*
 * Per-customer lookups bound to an audience query as byte maps by customer id: the contact input of
 * each customer (audience-query.ts) and the rows of the segments' filtered joins (mapFilteredJoins).
 * A get_byte per customer instead of a probe into a hash table the size of the customers concerned:
 * random reads in 10–60 MB tables, a third of a 1M forecast's PostgreSQL time before these maps.
 */

/** The largest id map bound to an audience query (64 MiB: 64M ids a byte each, 32M at two bytes). */
export const MAX_MAP_BYTES = 64 * 1024 * 1024;

/** Bytes per id in the map: enough for the number of lists plus one (0 means none); 0 when too many. */
const widthFor = (lists: number) => (lists <= 0xff ? 1 : lists <= 0xffff ? 2 : lists <= 0xffffff ? 3 : 0);

/**
 * Customer ids → the list holding them: for each id from `firstId` to `lastId`, the list's index plus
 * one (0: in none) on `width` big-endian bytes, read in SQL with get_byte (positionSql).
 */
export interface IdMap {
  map: Buffer | null;
  firstId: number;
  lastId: number;
  width: number;
  /**
   * Ids the map does not hold (beyond `maxBytes` of it, from 2^53 on, or all of them with 2^24 lists
   * or more), and their list's index. Usually none.
   */
  otherIds: string[];
  otherLists: number[];
}

/** Maps the ids of each list (decimal text) to the list's index, from the smallest id as far as `maxBytes` allows. */
export function idMap(lists: readonly string[][], maxBytes: number): IdMap {
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
  const otherLists: number[] = [];
  numbers.forEach((list, i) =>
    list.forEach((id, j) => {
      if (map && id <= last) map.writeUIntBE(i + 1, (id - first) * width, width);
      else {
        otherIds.push(lists[i][j]);
        otherLists.push(i);
      }
    }),
  );
  return { map, firstId: map ? first : 0, lastId: map ? last : -1, width: map ? width : 0, otherIds, otherLists };
}

/**
 * The 1-based position of `idColumn`'s list in a map as SQL, NULL when the map holds nothing for it.
 * The map goes through a sub-select: PostgreSQL evaluates it once (an InitPlan) and hands it to the
 * parallel workers.
 */
export function positionSql(m: IdMap, idColumn: string, p: (v: unknown) => string): string {
  const map = p(m.map);
  const byteAt = (k: number) => `get_byte((SELECT ${map}::bytea), ((${idColumn} - ${m.firstId}) * ${m.width} + ${k})::int)`;
  let value = byteAt(0);
  for (let k = 1; k < m.width; k++) value = `(${value}) * 256 + ${byteAt(k)}`;
  return `CASE WHEN ${idColumn} BETWEEN ${m.firstId} AND ${m.lastId} THEN NULLIF(${value}, 0) END`;
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
    const k = ids.map ? positionSql(ids, 'c.id', p) : 'NULL::int';
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
