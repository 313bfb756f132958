import { kmeans } from 'ml-kmeans';
import type { Db } from '../src/db/database.js';
import { getClusteringRuns, nearest, queueClustering, runClustering, type ClusteringFeature } from '../src/segmentation/clustering.js';
import { refreshAllMetrics } from '../src/segmentation/customer-metrics.js';
import { deleteSegmentation, segmentIdsOf } from '../src/segmentation/segmentations.js';
import { generateBase } from '../src/seed/generate-base.js';
import { closeDatabase, openBenchDatabase, report } from './support.js';

const DB = 'cible_bench_1m';
const NOW = new Date('2026-11-01T00:00:00Z');
const LIMITS = { maxDepth: 8 };
const FEATURES: ClusteringFeature[] = [
  { field: 'metrics.total_spent', transform: 'LOG1P' },
  { field: 'metrics.purchase_count', transform: 'LOG1P' },
  { field: 'metrics.recency_days', transform: 'NONE' },
];

/**
 * A clustering of the 1M-customer seed (target < 60 s end to end: 200k sample, k from 2 to 8 with 3
 * restarts each, every buyer assigned in PostgreSQL), against k-means on every eligible customer
 * loaded into Node at the chosen k, in the same run: time, and how far the sampled clusters agree
 * with the full-data ones (purity: the share of customers whose sampled cluster is the one most of
 * its full-data cluster's customers landed in).
 */
export async function benchClustering(options: { customers: number; transactions: number }): Promise<void> {
  const db: Db = await openBenchDatabase(DB);
  const { rows } = await db.pool.query<{ c: number; v: number }>(`SELECT (SELECT count(*) FROM customers)::int AS c, (SELECT count(value_tier) FROM customer_metrics)::int AS v`);
  if (rows[0].c !== options.customers) await generateBase({ db, customers: options.customers, transactions: options.transactions, seed: 1, now: NOW, reset: true });
  if (rows[0].v === 0) await refreshAllMetrics({ db, now: NOW });
  for (const old of (await db.pool.query<{ id: string }>(`SELECT id FROM segmentations WHERE name LIKE 'bench: clusters%'`)).rows) await deleteSegmentation({ db, id: old.id });

  const t0 = performance.now();
  const queued = await queueClustering({ db, name: `bench: clusters ${Date.now()}`, features: FEATURES, kMin: 2, kMax: 8, sampleSize: 200_000, seed: 1, now: NOW, limits: LIMITS });
  await runClustering({ db, runId: queued.id, now: NOW, limits: LIMITS });
  const ms = performance.now() - t0;
  const [run] = await getClusteringRuns(db, [queued.id]);
  if (run.status !== 'SUCCEEDED') throw new Error(`clustering failed: ${run.error}`);

  // Baseline: every eligible customer in Node, one k-means at the chosen k, nearest-centre labels.
  const t1 = performance.now();
  const all = await db.pool.query<{ id: string; v: number[] }>({
    text: `SELECT customer_id AS id, ARRAY[sign(total_spent::float8) * ln(1 + abs(total_spent::float8)), sign(purchase_count::float8) * ln(1 + abs(purchase_count::float8)), recency_days::float8] AS v
           FROM customer_metrics m JOIN customers c ON c.id = m.customer_id
           WHERE c.erased_at IS NULL AND total_spent IS NOT NULL AND purchase_count IS NOT NULL AND recency_days IS NOT NULL`,
  });
  const d = FEATURES.length;
  const mean = new Array<number>(d).fill(0);
  const sd = new Array<number>(d).fill(0);
  for (const r of all.rows) r.v.forEach((x, i) => (mean[i] += x / all.rows.length));
  for (const r of all.rows) r.v.forEach((x, i) => (sd[i] += (x - mean[i]) ** 2 / all.rows.length));
  for (let i = 0; i < d; i++) sd[i] = Math.sqrt(sd[i]) || 1;
  const z = all.rows.map((r) => r.v.map((x, i) => (x - mean[i]) / sd[i]));
  const full = kmeans(z, run.chosenK!, { initialization: 'kmeans++', seed: 1, maxIterations: 100 });
  const fullLabels = z.map((p) => nearest(p, full.centroids));
  const baselineMs = performance.now() - t1;

  // Agreement: for each full-data cluster, the sampled cluster most of its customers are in.
  const segmentIds = (await segmentIdsOf(db, [run.segmentationId!])).get(run.segmentationId!)!;
  const ours = new Map<string, number>();
  const members = await db.pool.query<{ segment_id: string; customer_id: string }>(`SELECT segment_id, customer_id FROM segment_members WHERE segment_id = ANY ($1::bigint[])`, [segmentIds]);
  for (const m of members.rows) ours.set(m.customer_id, segmentIds.indexOf(m.segment_id));
  const k = run.chosenK!;
  const table = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  all.rows.forEach((r, i) => table[fullLabels[i]][ours.get(r.id) ?? 0]++);
  const purity = table.reduce((a, row) => a + Math.max(...row), 0) / all.rows.length;

  report({
    bench: 'clustering.run',
    customers: options.customers,
    assigned: run.assigned,
    sampled: run.sampled,
    chosenK: run.chosenK,
    candidates: run.candidates!.map((c) => ({ k: c.k, silhouette: Number(c.silhouette.toFixed(3)) })),
    ms: Math.round(ms),
    phases: run.timings,
    fullDataKmeansMs: Math.round(baselineMs),
    ratio: Number((ms / baselineMs).toFixed(2)),
    agreementWithFullData: Number(purity.toFixed(4)),
    target: { ms: 60_000 },
  });
  await closeDatabase(db);
}
