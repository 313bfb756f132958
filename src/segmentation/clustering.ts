import { kmeansGenerator } from 'ml-kmeans';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Db } from '../db/database.js';
import { bindNamed, loadSqlQueries } from '../db/sql.js';
import { withTransaction } from '../db/transaction.js';
import { badInput, conflict, DomainError, RunBusyError } from '../errors.js';
import { loadAttributeCatalogue } from '../ingestion/attribute-catalogue.js';
import { cleanText } from '../ingestion/field-checks.js';
import { compileSegmentList } from './compile-segment.js';
import { buildFieldRegistry } from './fields/registry.js';
import type { CentroidCoordinate, SegmentLimits } from './segments.js';

const Q = loadSqlQueries(import.meta.url, 'sql/clustering.sql', [
  'columns',
  'queue',
  'by_ids',
  'page',
  'mark_running',
  'lock',
  'exists',
  'segmentation_name_taken',
  'insert_segment',
  'segment_sizes',
  'finish',
  'fail',
  'count_base',
] as const);
const withColumns = (sql: string) => sql.replace('{{columns}}', Q.columns);

/** Bounds of a run's input (the README documents them). */
export const CLUSTERING = {
  minK: 2,
  maxK: 20,
  defaultKMin: 2,
  defaultKMax: 8,
  maxFeatures: 10,
  minSample: 100,
  maxSample: 200_000,
  defaultSample: 100_000,
  /** Points of the sample the silhouette is computed on (it costs n² distances). */
  silhouetteSample: 3_000,
  /** k-means fits of the chosen k (seeds seed, seed+1, ...): the lowest inertia is kept. */
  restarts: 3,
  maxIterations: 100,
} as const;

export type FeatureTransform = 'NONE' | 'LOG1P';
export const FEATURE_TRANSFORMS: readonly FeatureTransform[] = ['NONE', 'LOG1P'];

export interface ClusteringFeature {
  /** A per-customer NUMBER field of segmentFields (metrics.total_spent, attributes.x, ...). */
  field: string;
  transform: FeatureTransform;
}

export type ClusteringStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export interface ClusteringCandidate {
  k: number;
  /** Mean silhouette on a subsample of the sample (−1..1, higher = better separated). */
  silhouette: number;
  /** Sum of squared distances of the sample to their centres, in standardised units. */
  inertia: number;
  iterations: number;
}

export interface ClusteringRunRow {
  id: string;
  name: string;
  status: ClusteringStatus;
  features: ClusteringFeature[];
  kMin: number;
  kMax: number;
  seed: number;
  sampleSize: number;
  requestedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Customers of the base with every feature set. */
  eligible: number | null;
  sampled: number | null;
  chosenK: number | null;
  candidates: ClusteringCandidate[] | null;
  segmentationId: string | null;
  assigned: number | null;
  /** Customers of the base left out for a missing feature (the segmentation's "everyone else"). */
  unassigned: number | null;
  timings: { sampleMs: number; kmeansMs: number; assignMs: number } | null;
  error: string | null;
}

export async function getClusteringRuns(db: Db, ids: readonly string[]): Promise<ClusteringRunRow[]> {
  const { rows } = await db.pool.query<ClusteringRunRow>(bindNamed(withColumns(Q.by_ids), { ids }));
  return rows;
}

/** Runs newest first, before the run id `before` (exclusive). */
export async function listClusteringRuns(db: Db, before: string | null, limit: number): Promise<ClusteringRunRow[]> {
  const { rows } = await db.pool.query<ClusteringRunRow>(bindNamed(withColumns(Q.page), { before: before ?? '9223372036854775807', limit }));
  return rows;
}

function intIn(value: number | null | undefined, field: string, min: number, max: number, fallback: number): number {
  if (value == null) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) throw badInput(field, 'OUT_OF_RANGE', `${field} must be an integer from ${min} to ${max}`);
  return value;
}

/** Compiles the feature values (checking that each is a per-customer NUMBER field) for one query over the base. */
async function compileFeatures(db: Db, features: readonly ClusteringFeature[], now: Date, limits: SegmentLimits, path: string) {
  const catalogue = await loadAttributeCatalogue(db);
  const compiled = compileSegmentList(
    [],
    { registry: buildFieldRegistry(catalogue), now, resolveSegment: () => null, maxDepth: limits.maxDepth },
    features.map((f, i) => ({ field: f.field, path: `${path}[${i}].field`, types: ['NUMBER'] as const })),
  );
  // float8 before the transform: LOG1P is sign(x)·ln(1 + |x|), defined for every value.
  const values = compiled.values.map((v, i) => (features[i].transform === 'LOG1P' ? `(sign((${v})::float8) * ln(1 + abs((${v})::float8)))` : `(${v})::float8`));
  return { from: compiled.from, params: compiled.params, raw: compiled.values, values, sensitiveFields: compiled.sensitiveFields };
}

/**
 * Checks a clustering request and records it (QUEUED); the caller enqueues a job with the run id.
 * `k` fixes the number of clusters; otherwise every k of kMin..kMax is tried and the best mean
 * silhouette wins.
 */
export async function queueClustering(options: {
  db: Db;
  name: unknown;
  features: unknown;
  k?: number | null;
  kMin?: number | null;
  kMax?: number | null;
  seed?: number | null;
  sampleSize?: number | null;
  now: Date;
  limits: SegmentLimits;
}): Promise<ClusteringRunRow> {
  const { db, now } = options;
  const name = typeof options.name === 'string' ? cleanText(options.name, 150) : undefined;
  if (!name) throw badInput('input.name', 'INVALID_NAME', 'a name is 1 to 150 characters');
  const input = options.features;
  if (!Array.isArray(input) || input.length === 0 || input.length > CLUSTERING.maxFeatures)
    throw badInput('input.features', 'INVALID_FEATURES', `1 to ${CLUSTERING.maxFeatures} features`);
  const seen = new Set<string>();
  const features = input.map((f: { field: string; transform?: FeatureTransform | null }): ClusteringFeature => ({ field: f.field, transform: f.transform ?? 'NONE' }));
  features.forEach((f, i) => {
    if (!FEATURE_TRANSFORMS.includes(f.transform)) throw badInput(`input.features[${i}].transform`, 'INVALID_TRANSFORM', `one of ${FEATURE_TRANSFORMS.join(', ')}`);
    if (seen.has(f.field)) throw badInput(`input.features[${i}].field`, 'DUPLICATE', `${f.field} is listed twice`);
    seen.add(f.field);
  });
  await compileFeatures(db, features, now, options.limits, 'input.features');
  let kMin: number;
  let kMax: number;
  if (options.k != null) {
    if (options.kMin != null || options.kMax != null) throw badInput('input.k', 'ONE_OF', 'give either k or a range kMin..kMax');
    kMin = kMax = intIn(options.k, 'input.k', CLUSTERING.minK, CLUSTERING.maxK, 0);
  } else {
    kMin = intIn(options.kMin, 'input.kMin', CLUSTERING.minK, CLUSTERING.maxK, CLUSTERING.defaultKMin);
    kMax = intIn(options.kMax, 'input.kMax', CLUSTERING.minK, CLUSTERING.maxK, Math.max(kMin, CLUSTERING.defaultKMax));
    if (kMin > kMax) throw badInput('input.kMax', 'INVALID_RANGE', 'kMax must not be below kMin');
  }
  const seed = intIn(options.seed, 'input.seed', 0, 2_147_483_647, 1);
  const sampleSize = intIn(options.sampleSize, 'input.sampleSize', CLUSTERING.minSample, CLUSTERING.maxSample, CLUSTERING.defaultSample);
  const taken = await db.pool.query<{ taken: boolean }>(bindNamed(Q.segmentation_name_taken, { name }));
  if (taken.rows[0].taken) throw conflict('input.name', 'NAME_TAKEN', `a segmentation is already named "${name}"`);
  const { rows } = await db.pool.query<ClusteringRunRow>(
    bindNamed(withColumns(Q.queue), {
      name,
      features: JSON.stringify(features),
      k_min: kMin,
      k_max: kMax,
      seed,
      sample_size: sampleSize,
      now,
    }),
  );
  return rows[0];
}

/** Mean silhouette of a labelled set of points (Rousseeuw 1987; a point alone in its cluster scores 0). */
export function meanSilhouette(points: readonly (readonly number[])[], labels: readonly number[], k: number): number {
  const n = points.length;
  if (n < 2) return 0;
  const sizes = new Array<number>(k).fill(0);
  for (const l of labels) sizes[l]++;
  const sums = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < n; i++) {
    sums.fill(0);
    const p = points[i];
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const q = points[j];
      let d = 0;
      for (let f = 0; f < p.length; f++) d += (p[f] - q[f]) ** 2;
      sums[labels[j]] += Math.sqrt(d);
    }
    const own = labels[i];
    if (sizes[own] <= 1) continue;
    const a = sums[own] / (sizes[own] - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && sizes[c] > 0) b = Math.min(b, sums[c] / sizes[c]);
    if (b === Infinity) continue;
    const m = Math.max(a, b);
    total += m > 0 ? (b - a) / m : 0;
  }
  return total / n;
}

interface Fit {
  centroids: number[][];
  labels: number[];
  inertia: number;
  iterations: number;
}

/**
 * k-means with k-means++ seeding, restarts `seeds` (the lowest inertia kept), yielding to the event
 * loop between iterations so that the worker keeps its job lock.
 */
async function kmeansBest(data: number[][], k: number, seeds: readonly number[], best: Fit | null = null): Promise<Fit> {
  for (const seed of seeds) {
    let last: { clusters: number[]; centroids: number[][]; iterations: number } | undefined;
    for (const step of kmeansGenerator(data, k, { initialization: 'kmeans++', seed, maxIterations: CLUSTERING.maxIterations })) {
      last = step;
      await yieldToEventLoop();
    }
    if (!last) continue;
    // The last step's labels go with the centres before its update: label against the final centres.
    const labels = data.map((p) => nearest(p, last.centroids));
    let inertia = 0;
    data.forEach((p, i) => (inertia += squared(p, last.centroids[labels[i]])));
    if (!best || inertia < best.inertia) best = { centroids: last.centroids, labels, inertia, iterations: last.iterations };
  }
  return best!;
}

const squared = (p: readonly number[], q: readonly number[]) => {
  let d = 0;
  for (let f = 0; f < p.length; f++) d += (p[f] - q[f]) ** 2;
  return d;
};

/** Index of the nearest centre (the lowest index on ties, as the SQL assignment does). */
export function nearest(p: readonly number[], centroids: readonly (readonly number[])[]): number {
  let best = 0;
  let bestD = Infinity;
  centroids.forEach((c, j) => {
    const d = squared(p, c);
    if (d < bestD) {
      bestD = d;
      best = j;
    }
  });
  return best;
}

/** "total spent" from metrics.total_spent, "pets" from attributes.pets. */
export function featureLabel(field: string): string {
  return field.slice(field.indexOf('.') + 1).replaceAll('_', ' ');
}

/** A short description of a centre: its most distinctive features (|z| ≥ 0.5), at most three. */
export function describeCentroid(coordinates: readonly CentroidCoordinate[]): string {
  const notable = [...coordinates].filter((c) => Math.abs(c.zScore) >= 0.5).sort((a, b) => Math.abs(b.zScore) - Math.abs(a.zScore));
  if (!notable.length) return 'close to average';
  return notable
    .slice(0, 3)
    .map((c) => `${c.zScore > 0 ? 'high' : 'low'} ${featureLabel(c.field)}`)
    .join(', ');
}

/** Rows per keyset batch of the sample stream. */
const SAMPLE_BATCH = 10_000;
/** Hashes are compared on 53 bits: exact as JavaScript numbers. */
const HASH_RANGE = 2 ** 53;

/**
 * The sample: the `size` eligible customers with the lowest hash of their id under `seed` (a uniform
 * sample without replacement, the same for the same seed and data). Customers are streamed in id
 * order by keyset batches, keeping those whose hash falls under a threshold set for about 1.25 × size
 * of them; when fewer qualify (few customers have every feature), a further pass widens the range.
 * Memory stays near 1.25 × size rows whatever the size of the base.
 */
async function streamSample(
  client: { query: Db['pool']['query'] },
  f: { from: string; params: unknown[]; values: string[] },
  eligible: string,
  seed: number,
  size: number,
): Promise<number[][]> {
  const base = (await client.query<{ n: number }>(Q.count_base)).rows[0].n;
  const n = f.params.length;
  const text = `SELECT c.id, (hashint8extended(c.id, $${n + 1}::bigint) & ${HASH_RANGE - 1})::float8 AS h, ARRAY[${f.values.join(', ')}] AS v
                ${f.from}
                WHERE c.id > $${n + 2}::bigint AND ${eligible}
                  AND (hashint8extended(c.id, $${n + 1}::bigint) & ${HASH_RANGE - 1}) >= $${n + 3}::float8
                  AND (hashint8extended(c.id, $${n + 1}::bigint) & ${HASH_RANGE - 1}) < $${n + 4}::float8
                ORDER BY c.id LIMIT ${SAMPLE_BATCH}`;
  const kept: { h: number; v: number[] }[] = [];
  let low = 0;
  let share = Math.min(1, (1.25 * size) / Math.max(base, 1));
  for (;;) {
    const high = share >= 1 ? HASH_RANGE : Math.floor(share * HASH_RANGE);
    let last = '0';
    for (;;) {
      const { rows } = await client.query<{ id: string; h: number; v: number[] }>(text, [...f.params, seed, last, low, high]);
      for (const r of rows) kept.push({ h: r.h, v: r.v });
      if (rows.length < SAMPLE_BATCH) break;
      last = rows[rows.length - 1].id;
    }
    if (kept.length >= size || high >= HASH_RANGE) break;
    // Too few under the threshold: widen it in proportion to what qualified so far, and scan the new range only.
    low = high;
    share = kept.length ? Math.min(1, share * ((1.25 * size) / kept.length)) : Math.min(1, share * 16);
  }
  kept.sort((a, b) => a.h - b.h);
  return kept.slice(0, size).map((r) => r.v);
}

/** A run that cannot succeed however often it is retried (too few customers, a name taken, a feature gone). */
export class ClusteringFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusteringFailure';
  }
}

/** Whether retrying the job could help: not after a ClusteringFailure or a bad-input error from the features. */
export function isPermanentClusteringError(err: unknown): boolean {
  return err instanceof ClusteringFailure || err instanceof DomainError;
}

/** Memory for the assignment: the member index build sorts a million rows. */
const CLUSTERING_WORK_MEM = '256MB';

/**
 * Runs a queued clustering: samples up to sampleSize customers having every feature (deterministic
 * for a seed: the lowest hashes of their ids), standardises the features on the sample, runs
 * k-means for each k of the range and keeps the best mean silhouette, then assigns every eligible
 * customer of the base to the nearest centre in one INSERT ... SELECT, creating a CLUSTERING
 * segmentation of COMPUTED segments, all in one transaction under the run's row lock.
 */
export async function runClustering(options: { db: Db; runId: string; now: Date; limits: SegmentLimits }): Promise<ClusteringStatus | 'SKIPPED'> {
  const { db, runId, now } = options;
  await db.pool.query(bindNamed(Q.mark_running, { id: runId, now }));
  try {
    return await withTransaction(db, async (client) => {
      // One snapshot of the data for the sample, the assignment and the counts.
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      const { rows } = await client.query<ClusteringRunRow>(bindNamed(withColumns(Q.lock), { id: runId }));
      const run = rows[0];
      if (!run) {
        const { rows: e } = await client.query<{ present: boolean }>(bindNamed(Q.exists, { id: runId }));
        if (e[0].present) throw new RunBusyError(`clustering run ${runId}`);
        return 'SKIPPED';
      }
      if (run.status === 'SUCCEEDED') return 'SKIPPED';
      await client.query(`SET LOCAL work_mem = '${CLUSTERING_WORK_MEM}'`);
      const t0 = performance.now();
      const f = await compileFeatures(db, run.features, now, options.limits, 'features');
      const d = f.values.length;
      const eligible = `c.erased_at IS NULL AND ${f.raw.map((v) => `${v} IS NOT NULL`).join(' AND ')}`;
      const data = await streamSample(client, f, eligible, run.seed, run.sampleSize);
      const sampleMs = performance.now() - t0;
      if (data.length < run.kMax) throw new ClusteringFailure(`only ${data.length} customers have every feature: too few for ${run.kMax} clusters`);

      // Standardise on the sample. A constant feature (sd within rounding of 0) gets sd 1: centred,
      // it contributes nothing, where dividing by a rounding residue would make every z ±1.
      const mean = new Array<number>(d).fill(0);
      const sd = new Array<number>(d).fill(0);
      for (const p of data) p.forEach((x, i) => (mean[i] += x / data.length));
      for (const p of data) p.forEach((x, i) => (sd[i] += (x - mean[i]) ** 2 / data.length));
      for (let i = 0; i < d; i++) sd[i] = Math.sqrt(sd[i]) < 1e-9 * Math.max(1, Math.abs(mean[i])) ? 1 : Math.sqrt(sd[i]);
      const z = data.map((p) => p.map((x, i) => (x - mean[i]) / sd[i]));

      const t1 = performance.now();
      // One fit per k of the range (seed `seed`), scored by silhouette; the chosen k is then refitted
      // from the other seeds and the lowest inertia kept. With a fixed k, that is every restart.
      const candidates: ClusteringCandidate[] = [];
      let chosen: ({ k: number } & Fit) | null = null;
      let bestSilhouette = -Infinity;
      const probe = z.slice(0, CLUSTERING.silhouetteSample); // the sample is in hash order: already random
      for (let k = run.kMin; k <= run.kMax; k++) {
        const r = await kmeansBest(z, k, [run.seed]);
        const silhouette = meanSilhouette(probe, r.labels.slice(0, probe.length), k);
        candidates.push({ k, silhouette, inertia: r.inertia, iterations: r.iterations });
        if (silhouette > bestSilhouette) {
          bestSilhouette = silhouette;
          chosen = { k, ...r };
        }
        await yieldToEventLoop();
      }
      const seeds = Array.from({ length: CLUSTERING.restarts - 1 }, (_, i) => run.seed + i + 1);
      chosen = { k: chosen!.k, ...(await kmeansBest(z, chosen!.k, seeds, chosen)) };
      const kmeansMs = performance.now() - t1;

      // Clusters largest first (in the sample); each becomes a COMPUTED segment. A centre no sampled
      // customer is nearest to (fewer distinct points than k: k-means++ repeats a centre) is dropped.
      const sizes = new Array<number>(chosen!.k).fill(0);
      for (const l of chosen!.labels) sizes[l]++;
      const order = sizes
        .map((s, j) => ({ s, j }))
        .filter((x) => x.s > 0)
        .sort((a, b) => b.s - a.s || a.j - b.j)
        .map((x) => x.j);
      const centroids = order.map((j) => chosen!.centroids[j]);
      const t2 = performance.now();
      const description = `k-means over ${run.features.map((x) => (x.transform === 'LOG1P' ? `log(1 + ${x.field})` : x.field)).join(', ')}; k = ${centroids.length} (run ${run.id}).`;
      const segmentation = await client.query<{ id: string }>(
        `INSERT INTO segmentations (name, description, kind, other_label, created_at, updated_at) VALUES ($1, $2, 'CLUSTERING', 'Not clustered (a feature is not set)', $3, $3) RETURNING id`,
        [run.name, description, now],
      );
      const segmentationId = segmentation.rows[0].id;
      const segmentIds: string[] = [];
      for (const [i, c] of centroids.entries()) {
        const coordinates: CentroidCoordinate[] = run.features.map((x, fi) => {
          const y = mean[fi] + c[fi] * sd[fi];
          return { field: x.field, value: x.transform === 'LOG1P' ? Math.sign(y) * Math.expm1(Math.abs(y)) : y, zScore: c[fi] };
        });
        const label = describeCentroid(coordinates);
        const s = await client.query<{ id: string }>(
          bindNamed(Q.insert_segment, {
            name: `${run.name} · ${i + 1}: ${label}`.slice(0, 200),
            description: `Cluster ${i + 1} of ${centroids.length} of clustering run ${run.id}: ${label}.`,
            centroid: JSON.stringify(coordinates),
            sensitive: f.sensitiveFields,
            now,
          }),
        );
        segmentIds.push(s.rows[0].id);
      }
      await client.query(
        `INSERT INTO segmentation_segments (segmentation_id, position, segment_id) SELECT $1, s.ord, s.id FROM unnest($2::bigint[]) WITH ORDINALITY AS s (id, ord)`,
        [segmentationId, segmentIds],
      );

      // Every eligible customer to the nearest centre (standardised with the sample's mean and sd).
      // Centres, means and sds are bound parameters; ties go to the lowest index, as in nearest().
      // OFFSET 0 fences each level: flattened, every distance would recompute every feature (with its
      // logarithm) once per use, k² times a row.
      const extra: unknown[] = [];
      const p = (value: unknown) => `$${f.params.length + extra.push(value)}::float8`;
      const zs = f.values.map((v, i) => `((${v}) - ${p(mean[i])}) / ${p(sd[i])} AS z${i}`);
      const dist = centroids.map((c, j) => `${c.map((x, i) => `(z${i} - ${p(x)})^2`).join(' + ')} AS d${j}`);
      const ds = centroids.map((_, j) => `d${j}`);
      const ids = `$${f.params.length + extra.push(segmentIds)}::bigint[]`;
      await client.query(
        `INSERT INTO segment_members (segment_id, customer_id)
         SELECT (${ids})[CASE dmin ${ds.map((d, j) => `WHEN ${d} THEN ${j + 1}`).join(' ')} END], id
         FROM (SELECT *, least(${ds.join(', ')}) AS dmin
               FROM (SELECT id, ${dist.join(', ')}
                     FROM (SELECT c.id, ${zs.join(', ')} ${f.from} WHERE ${eligible} OFFSET 0) zz
                     OFFSET 0) dd
               OFFSET 0) mm`,
        [...f.params, ...extra],
      );
      const assignMs = performance.now() - t2;
      const sized = await client.query<{ id: string; n: number }>(bindNamed(Q.segment_sizes, { ids: segmentIds, now, ms: Math.round(assignMs) }));
      const assigned = sized.rows.reduce((a, r) => a + r.n, 0);
      const base = (await client.query<{ n: number }>(Q.count_base)).rows[0].n;
      await client.query(
        bindNamed(Q.finish, {
          id: runId,
          now: new Date(),
          sampled: data.length,
          eligible: assigned,
          chosen_k: centroids.length,
          candidates: JSON.stringify(candidates),
          segmentation_id: segmentationId,
          assigned,
          unassigned: base - assigned,
          timings: JSON.stringify({ sampleMs: Math.round(sampleMs), kmeansMs: Math.round(kmeansMs), assignMs: Math.round(assignMs) }),
        }),
      );
      return 'SUCCEEDED' as const;
    });
  } catch (err) {
    if (err instanceof RunBusyError) throw err; // the other session's run is not ours to mark
    const failure =
      (err as { code?: string }).code === '23505' ? new ClusteringFailure(`a segmentation or segment name is already taken: ${(err as Error).message}`) : (err as Error);
    await db.pool.query(bindNamed(Q.fail, { id: runId, now: new Date(), error: String(failure.message ?? failure).slice(0, 2000) })).catch(() => undefined);
    throw failure;
  }
}
