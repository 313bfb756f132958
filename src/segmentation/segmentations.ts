import type { Db } from '../db/database.js';
import { bindNamed, loadSqlQueries } from '../db/sql.js';
import { withTransaction } from '../db/transaction.js';
import { badInput, conflict, notFound, RunBusyError } from '../errors.js';
import { loadAttributeCatalogue } from '../ingestion/attribute-catalogue.js';
import { cleanText } from '../ingestion/field-checks.js';
import { compileSegmentList, type CompiledSegmentList, type SegmentReference } from './compile-segment.js';
import { buildFieldRegistry } from './fields/registry.js';
import { getSegments, loadSegmentReferences, type SegmentLimits, type SegmentRow } from './segments.js';

const Q = loadSqlQueries(import.meta.url, 'sql/segmentations.sql', [
  'columns',
  'by_ids',
  'page',
  'scheduled',
  'members_of',
  'insert',
  'update',
  'clear_segments',
  'set_segments',
  'existing_segments',
  'delete',
  'delete_computed',
  'snapshot_queue',
  'snapshot_mark_running',
  'snapshot_lock',
  'snapshot_counts',
  'snapshot_finish',
  'snapshot_fail',
  'snapshot_columns',
  'snapshots_by_ids',
  'snapshot_page',
  'snapshot_at',
  'transitions',
  'prune',
] as const);
const withColumns = (sql: string) => sql.replace('{{columns}}', Q.columns).replace('{{snapshot_columns}}', Q.snapshot_columns);

/** At most this many segments per segmentation: a snapshot entry keeps 6 bits for the code (0 = everyone else). */
export const MAX_SEGMENTATION_SEGMENTS = 63;

export type SegmentationKind = 'CUSTOM' | 'LIFECYCLE' | 'RFM_GROUP' | 'VALUE_TIER' | 'CLUSTERING';

export interface SegmentationRow {
  id: string;
  name: string;
  description: string;
  kind: SegmentationKind;
  builtIn: boolean;
  otherLabel: string;
  scheduled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface SnapshotLegendEntry {
  code: number;
  segmentId: string;
  name: string;
}

export type SnapshotStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export interface SnapshotRow {
  id: string;
  segmentationId: string;
  trigger: 'API' | 'SCHEDULE';
  status: SnapshotStatus;
  requestedAt: Date;
  takenAt: Date | null;
  legend: SnapshotLegendEntry[] | null;
  /** Customers per code: index 0 = everyone else, i = the legend's code i. */
  counts: number[] | null;
  customers: number | null;
  durationMs: number | null;
  error: string | null;
}

export async function getSegmentations(db: Db, ids: readonly string[]): Promise<SegmentationRow[]> {
  const { rows } = await db.pool.query<SegmentationRow>(bindNamed(withColumns(Q.by_ids), { ids }));
  return rows;
}

export async function listSegmentations(db: Db, after: string | null, limit: number): Promise<SegmentationRow[]> {
  const { rows } = await db.pool.query<SegmentationRow>(bindNamed(withColumns(Q.page), { after: after ?? '0', limit }));
  return rows;
}

/** The segment ids of each segmentation, in position order. */
export async function segmentIdsOf(db: Db, segmentationIds: readonly string[]): Promise<Map<string, string[]>> {
  const { rows } = await db.pool.query<{ segmentationId: string; segmentId: string }>(bindNamed(Q.members_of, { ids: segmentationIds }));
  const out = new Map<string, string[]>(segmentationIds.map((id) => [id, []]));
  for (const r of rows) out.get(r.segmentationId)?.push(r.segmentId);
  return out;
}

function checkName(name: unknown, field: string): string {
  const n = typeof name === 'string' ? cleanText(name, 200) : undefined;
  if (!n) throw badInput(field, 'INVALID_NAME', 'a name is 1 to 200 characters');
  return n;
}

async function checkSegmentIds(db: Db, ids: unknown, field: string): Promise<string[]> {
  if (!Array.isArray(ids) || ids.length === 0) throw badInput(field, 'EMPTY', 'a segmentation needs at least one segment');
  if (ids.length > MAX_SEGMENTATION_SEGMENTS) throw badInput(field, 'TOO_MANY', `at most ${MAX_SEGMENTATION_SEGMENTS} segments per segmentation`);
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (typeof id !== 'string' || !/^\d{1,18}$/.test(id)) throw badInput(`${field}[${i}]`, 'INVALID_ID', 'a segment id is expected');
    if (seen.has(id)) throw badInput(`${field}[${i}]`, 'DUPLICATE', `segment ${id} is listed twice`);
    seen.add(id);
  });
  const { rows } = await db.pool.query<{ id: string }>(bindNamed(Q.existing_segments, { ids }));
  const found = new Set(rows.map((r) => r.id));
  const missing = ids.findIndex((id) => !found.has(id));
  if (missing >= 0) throw badInput(`${field}[${missing}]`, 'UNKNOWN_SEGMENT', `no segment ${ids[missing]}`);
  return ids as string[];
}

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';

/** Creates a CUSTOM segmentation over saved segments (first listed = tested first). */
export async function createSegmentation(options: {
  db: Db;
  name: unknown;
  description?: string | null;
  segmentIds: unknown;
  otherLabel?: string | null;
  scheduled?: boolean | null;
  now: Date;
}): Promise<SegmentationRow> {
  const { db, now } = options;
  const name = checkName(options.name, 'input.name');
  const otherLabel = options.otherLabel != null ? checkName(options.otherLabel, 'input.otherLabel') : 'Everyone else';
  const description = options.description ? (cleanText(options.description, 2000) ?? '') : '';
  const segmentIds = await checkSegmentIds(db, options.segmentIds, 'input.segmentIds');
  try {
    return await withTransaction(db, async (client) => {
      const { rows } = await client.query<SegmentationRow>(
        bindNamed(withColumns(Q.insert), { name, description, kind: 'CUSTOM', other_label: otherLabel, scheduled: options.scheduled ?? false, now }),
      );
      await client.query(bindNamed(Q.set_segments, { id: rows[0].id, segment_ids: segmentIds }));
      return rows[0];
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('input.name', 'NAME_TAKEN', `a segmentation is already named "${name}"`);
    throw err;
  }
}

/**
 * Changes a segmentation. Built-in ones are read-only except for `scheduled` (whether the scheduled
 * snapshot includes them).
 */
export async function updateSegmentation(options: {
  db: Db;
  id: string;
  name?: string | null;
  description?: string | null;
  segmentIds?: unknown;
  otherLabel?: string | null;
  scheduled?: boolean | null;
  now: Date;
}): Promise<SegmentationRow> {
  const { db, id, now } = options;
  const [current] = await getSegmentations(db, [id]);
  if (!current) throw notFound('id', `no segmentation ${id}`);
  if (current.builtIn || current.kind === 'CLUSTERING') {
    const changed = (['name', 'description', 'segmentIds', 'otherLabel'] as const).find((k) => options[k] != null);
    if (changed) throw conflict(`input.${changed}`, current.builtIn ? 'BUILT_IN' : 'COMPUTED', `segmentation ${id} is ${current.builtIn ? 'built in' : 'computed by clustering'}: only scheduled may change`);
  }
  const name = options.name != null ? checkName(options.name, 'input.name') : current.name;
  const otherLabel = options.otherLabel != null ? checkName(options.otherLabel, 'input.otherLabel') : current.otherLabel;
  const description = options.description != null ? (cleanText(options.description, 2000) ?? '') : current.description;
  const segmentIds = options.segmentIds != null ? await checkSegmentIds(db, options.segmentIds, 'input.segmentIds') : null;
  try {
    return await withTransaction(db, async (client) => {
      const { rows } = await client.query<SegmentationRow>(
        bindNamed(withColumns(Q.update), { id, name, description, other_label: otherLabel, scheduled: options.scheduled ?? current.scheduled, now }),
      );
      if (segmentIds) {
        await client.query(bindNamed(Q.clear_segments, { id }));
        await client.query(bindNamed(Q.set_segments, { id, segment_ids: segmentIds }));
      }
      return rows[0];
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('input.name', 'NAME_TAKEN', `a segmentation is already named "${name}"`);
    throw err;
  }
}

/**
 * Deletes a segmentation and its snapshots. Its segments stay, but for a CLUSTERING one: its
 * computed segments go with it unless something else uses them. Built-in ones cannot be deleted.
 */
export async function deleteSegmentation(options: { db: Db; id: string }): Promise<void> {
  const { db, id } = options;
  const [current] = await getSegmentations(db, [id]);
  if (!current) throw notFound('id', `no segmentation ${id}`);
  if (current.builtIn) throw conflict('id', 'BUILT_IN', `segmentation ${id} is built in`);
  const segmentIds = current.kind === 'CLUSTERING' ? ((await segmentIdsOf(db, [id])).get(id) ?? []) : [];
  await withTransaction(db, async (client) => {
    await client.query(bindNamed(Q.delete, { id }));
    if (segmentIds.length) await client.query(bindNamed(Q.delete_computed, { ids: segmentIds }));
  });
}

/** A segmentation as one query: `SELECT c.id, ${code} ${from} WHERE c.erased_at IS NULL`. */
export interface CompiledSegmentation extends Omit<CompiledSegmentList, 'conditions' | 'values' | 'keysetIndex' | 'filteredJoins'> {
  /** `CASE WHEN <segment 1> THEN 1 ... ELSE 0 END`: first match wins, 0 = everyone else. */
  code: string;
  legend: SnapshotLegendEntry[];
}

/** Compiles the segments of a segmentation, in order, into one CASE over the base. */
export async function compileSegmentation(options: { db: Db; segmentationId: string; now: Date; limits: SegmentLimits }): Promise<CompiledSegmentation> {
  const { db } = options;
  const ids = (await segmentIdsOf(db, [options.segmentationId])).get(options.segmentationId) ?? [];
  const [catalogue, refs, segments] = await Promise.all([loadAttributeCatalogue(db), loadSegmentReferences(db), getSegments(db, ids)]);
  const byId = new Map(segments.map((s) => [s.id, s]));
  const list = compileSegmentList(
    ids.map((id, i) => ({ root: { segment: id }, path: `segments[${i}]` })),
    {
      registry: buildFieldRegistry(catalogue),
      now: options.now,
      resolveSegment: (id: string): SegmentReference => refs.get(id) ?? null,
      maxDepth: options.limits.maxDepth + 1,
    },
  );
  const code = list.conditions.length ? `CASE ${list.conditions.map((c, i) => `WHEN ${c} THEN ${i + 1}`).join(' ')} ELSE 0 END` : '0';
  return {
    from: list.from,
    params: list.params,
    sensitiveFields: list.sensitiveFields,
    code,
    legend: ids.map((id, i) => ({ code: i + 1, segmentId: id, name: (byId.get(id) as SegmentRow).name })),
  };
}

/**
 * Memory for a snapshot: a STATIC or COMPUTED segment is an `IN (members)` test that PostgreSQL runs
 * as a hashed subplan only when the member set fits (a clustering's 200k-member segments do not in
 * the default 4 MB, and the unhashed form rescans the members per customer).
 */
const SNAPSHOT_WORK_MEM = '256MB';

/** One segmentation evaluated now: per code (index 0 = everyone else) customers, revenue and mean predicted CLV. */
export interface SegmentationEvaluation {
  legend: SnapshotLegendEntry[];
  counts: number[];
  revenue: number[];
  meanClv: (number | null)[];
  ms: number;
}

/** Evaluates a segmentation now, with the value of each segment, without recording anything. */
export async function evaluateSegmentation(options: { db: Db; segmentationId: string; now: Date; limits: SegmentLimits }): Promise<SegmentationEvaluation> {
  const t0 = performance.now();
  const compiled = await compileSegmentation(options);
  const rows = await withTransaction(options.db, async (client) => {
    await client.query(`SET LOCAL work_mem = '${SNAPSHOT_WORK_MEM}'`);
    const r = await client.query<{ code: number; n: number; revenue: number; mean_clv: number | null }>(
      `SELECT x.code, count(*)::int AS n, coalesce(sum(pm.total_spent), 0)::float8 AS revenue, avg(pm.clv_predicted)::float8 AS mean_clv
       FROM (SELECT c.id, ${compiled.code} AS code ${compiled.from} WHERE c.erased_at IS NULL) x
       LEFT JOIN customer_metrics pm ON pm.customer_id = x.id
       GROUP BY x.code`,
      compiled.params,
    );
    return r.rows;
  });
  const size = compiled.legend.length + 1;
  const revenue = new Array<number>(size).fill(0);
  const meanClv = new Array<number | null>(size).fill(null);
  for (const r of rows) {
    revenue[r.code] = r.revenue;
    meanClv[r.code] = r.mean_clv;
  }
  return { legend: compiled.legend, counts: countsByCode(rows, compiled.legend.length), revenue, meanClv, ms: Math.round(performance.now() - t0) };
}

function countsByCode(rows: { code: number; n: number }[], segments: number): number[] {
  const counts = new Array<number>(segments + 1).fill(0);
  for (const r of rows) counts[r.code] = r.n;
  return counts;
}

/** Records a snapshot request; the caller enqueues a job carrying the returned id. */
export async function queueSnapshot(options: { db: Db; segmentationId: string; trigger: 'API' | 'SCHEDULE'; now: Date }): Promise<string> {
  const { rows } = await options.db.pool.query<{ id: string }>(
    bindNamed(Q.snapshot_queue, { segmentation_id: options.segmentationId, trigger: options.trigger, now: options.now }),
  );
  return rows[0].id;
}

/**
 * Takes a recorded snapshot: every customer of the base with the code of their segment as of `now`,
 * written as blocks in one INSERT ... SELECT, with the legend and counts, all in one transaction.
 * A redelivered job that finds the row locked by another session fails with RunBusyError (the
 * queue retries it later: that session may still roll back); after a crash the run starts over. A
 * SUCCEEDED snapshot is never retaken.
 */
export async function runSnapshot(options: { db: Db; snapshotId: string; now: Date; limits: SegmentLimits }): Promise<SnapshotStatus | 'SKIPPED'> {
  const { db, snapshotId, now } = options;
  const t0 = performance.now();
  await db.pool.query(bindNamed(Q.snapshot_mark_running, { id: snapshotId }));
  try {
    return await withTransaction(db, async (client) => {
      const { rows } = await client.query<{ segmentationId: string; status: SnapshotStatus | null; present: boolean }>(bindNamed(Q.snapshot_lock, { id: snapshotId }));
      if (!rows[0].present || rows[0].status === 'SUCCEEDED') return 'SKIPPED';
      if (rows[0].status === null) throw new RunBusyError(`snapshot ${snapshotId}`);
      await client.query(`SET LOCAL work_mem = '${SNAPSHOT_WORK_MEM}'`);
      const compiled = await compileSegmentation({ db, segmentationId: rows[0].segmentationId, now, limits: options.limits });
      const n = compiled.params.length;
      await client.query(
        `INSERT INTO segmentation_snapshot_blocks (snapshot_id, block, entries)
         SELECT $${n + 1}::bigint, x.id >> 9, array_agg((((x.id & 511) << 6) | x.code)::smallint)
         FROM (SELECT c.id, ${compiled.code} AS code ${compiled.from} WHERE c.erased_at IS NULL) x
         GROUP BY x.id >> 9`,
        [...compiled.params, snapshotId],
      );
      const counted = await client.query<{ code: number; n: number }>(bindNamed(Q.snapshot_counts, { id: snapshotId }));
      const counts = countsByCode(counted.rows, compiled.legend.length);
      await client.query(
        bindNamed(Q.snapshot_finish, {
          id: snapshotId,
          taken_at: now,
          legend: JSON.stringify(compiled.legend),
          counts,
          customers: counts.reduce((a, b) => a + b, 0),
          duration_ms: Math.round(performance.now() - t0),
        }),
      );
      return 'SUCCEEDED' as const;
    });
  } catch (err) {
    if (err instanceof RunBusyError) throw err; // the other session's run is not ours to mark
    await db.pool
      .query(bindNamed(Q.snapshot_fail, { id: snapshotId, duration_ms: Math.round(performance.now() - t0), error: String((err as Error).message ?? err).slice(0, 2000) }))
      .catch(() => undefined);
    throw err;
  }
}

export async function getSnapshots(db: Db, ids: readonly string[]): Promise<SnapshotRow[]> {
  const { rows } = await db.pool.query<SnapshotRow>(bindNamed(withColumns(Q.snapshots_by_ids), { ids }));
  return rows;
}

/** Snapshots of a segmentation, newest first, keyset by id. */
export async function listSnapshots(db: Db, segmentationId: string, beforeId: string | null, limit: number): Promise<SnapshotRow[]> {
  const { rows } = await db.pool.query<SnapshotRow>(bindNamed(withColumns(Q.snapshot_page), { segmentation_id: segmentationId, before_id: beforeId, limit }));
  return rows;
}

/** The latest successful snapshot taken at or before `at`, if any. */
export async function snapshotAt(db: Db, segmentationId: string, at: Date): Promise<SnapshotRow | null> {
  const { rows } = await db.pool.query<SnapshotRow>(bindNamed(withColumns(Q.snapshot_at), { segmentation_id: segmentationId, at }));
  return rows[0] ?? null;
}

/** A state of the transition matrix: a segment (by id, across legends), everyone else, or outside the base. */
export type TransitionStateKey = `segment:${string}` | 'OTHER' | 'OUTSIDE';

export interface TransitionMatrix {
  from: SnapshotRow;
  to: SnapshotRow;
  /** Row and column order: segments (the later snapshot's order, then segments only the earlier had), everyone else, outside the base. */
  states: { key: TransitionStateKey; segmentId: string | null; label: string }[];
  /** counts[i][j]: customers in states[i] at `from` and states[j] at `to`. */
  counts: number[][];
}

/**
 * Customers moving between states from one snapshot to another (the "matrice de passage"). Segments
 * are matched by id, so a segmentation edited between the two snapshots still compares what is
 * comparable; a customer absent from a snapshot was outside the base (not yet created, or erased).
 */
export async function transitionMatrix(options: { db: Db; from: SnapshotRow; to: SnapshotRow; otherLabel: string }): Promise<TransitionMatrix> {
  const { db, from, to } = options;
  const { rows } = await db.pool.query<{ fromCode: number | null; toCode: number | null; n: number }>(
    bindNamed(Q.transitions, { from_id: from.id, to_id: to.id }),
  );
  const states: TransitionMatrix['states'] = [];
  const index = new Map<string, number>();
  const add = (key: TransitionStateKey, segmentId: string | null, label: string) => {
    if (!index.has(key)) index.set(key, states.push({ key, segmentId, label }) - 1);
  };
  for (const e of [...(to.legend ?? []), ...(from.legend ?? [])]) add(`segment:${e.segmentId}`, e.segmentId, e.name);
  add('OTHER', null, options.otherLabel);
  add('OUTSIDE', null, 'Outside the base');
  const keyOf = (legend: SnapshotLegendEntry[] | null, code: number | null): TransitionStateKey =>
    code === null ? 'OUTSIDE' : code === 0 ? 'OTHER' : `segment:${legend![code - 1].segmentId}`;
  const counts = states.map(() => new Array<number>(states.length).fill(0));
  for (const r of rows) counts[index.get(keyOf(from.legend, r.fromCode))!][index.get(keyOf(to.legend, r.toCode))!] += r.n;
  return { from, to, states, counts };
}

/** Ids of the segmentations the scheduled snapshot covers. */
export async function scheduledSegmentations(db: Db): Promise<string[]> {
  const { rows } = await db.pool.query<{ id: string }>(Q.scheduled);
  return rows.map((r) => r.id);
}

/** Deletes snapshots requested before `before` (and their blocks). Returns how many. */
export async function pruneSnapshots(db: Db, before: Date): Promise<number> {
  const { rowCount } = await db.pool.query(bindNamed(Q.prune, { before }));
  return rowCount ?? 0;
}
