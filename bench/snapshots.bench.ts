import type { Db } from '../src/db/database.js';
import { loadSqlQueries } from '../src/db/sql.js';
import { refreshAllMetrics } from '../src/segmentation/customer-metrics.js';
import type { SegmentNode } from '../src/segmentation/rules.js';
import {
  compileSegmentation,
  createSegmentation,
  getSnapshots,
  listSegmentations,
  queueSnapshot,
  runSnapshot,
  transitionMatrix,
} from '../src/segmentation/segmentations.js';
import { createSegment } from '../src/segmentation/segments.js';
import { generateBase } from '../src/seed/generate-base.js';
import { closeDatabase, median, openBenchDatabase, report } from './support.js';

const DB = 'cible_bench_1m';
const NOW = new Date('2026-11-01T00:00:00Z');
const ROUNDS = 3;
const LIMITS = { maxDepth: 8 };
const BASELINE = loadSqlQueries(`file://${process.cwd()}/bench/snapshots.bench.ts`, 'baselines/snapshots.sql', ['create', 'clear', 'take', 'transitions', 'size'] as const);

const cond = (field: string, operator: string, value?: unknown, params?: unknown): SegmentNode =>
  ({ condition: { field, operator, ...(value ? { value } : {}), ...(params ? { params } : {}) } }) as SegmentNode;

/** A custom segmentation mixing every kind of condition: metrics, events and transactions in windows, consent, a column. */
const CUSTOM: [string, SegmentNode][] = [
  ['bench: champions', cond('metrics.rfm_group', 'EQ', { string: 'CHAMPIONS' })],
  ['bench: song fans', cond('events.count', 'GTE', { number: 3 }, { eventName: 'song_favourited', within: { amount: 14, unit: 'DAYS' } })],
  ['bench: book buyers', cond('transactions.total_spent', 'GTE', { number: 100 }, { category: 'books', within: { amount: 90, unit: 'DAYS' } })],
  ['bench: reachable by SMS', cond('reachable.sms', 'EQ', { boolean: true })],
  ['bench: French', cond('customer.country', 'EQ', { string: 'FR' })],
];

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

async function customSegmentation(db: Db): Promise<string> {
  await db.pool.query(`DELETE FROM segmentations WHERE name = 'bench: custom'`);
  await db.pool.query(`DELETE FROM segments WHERE name = ANY ($1::text[])`, [CUSTOM.map(([name]) => name)]);
  const ids: string[] = [];
  for (const [name, definition] of CUSTOM) ids.push((await createSegment({ db, name, definition, now: NOW, limits: LIMITS })).segment.id);
  return (await createSegmentation({ db, name: 'bench: custom', segmentIds: ids, now: NOW })).id;
}

/**
 * Snapshots of the built-in segmentations and a custom one on the 1M-customer seed (target < 10 s
 * each), and the transition matrix between two snapshots, against the row-per-customer design in
 * the same run: time, and bytes a snapshot occupies.
 */
export async function benchSnapshots(options: { customers: number; transactions: number }): Promise<void> {
  const db: Db = await openBenchDatabase(DB);
  const { rows } = await db.pool.query<{ c: number; v: number }>(
    `SELECT (SELECT count(*) FROM customers)::int AS c, (SELECT count(value_tier) FROM customer_metrics)::int AS v`,
  );
  if (rows[0].c !== options.customers) await generateBase({ db, customers: options.customers, transactions: options.transactions, seed: 1, now: NOW, reset: true });
  if (rows[0].v === 0) await refreshAllMetrics({ db, now: NOW });
  await db.pool.query(`TRUNCATE segmentation_snapshot_blocks, segmentation_snapshots`);
  await db.pool.query(BASELINE.create);

  const segmentations = (await listSegmentations(db, null, 10)).filter((s) => s.builtIn).map((s) => ({ id: s.id, name: s.kind.toLowerCase() }));
  segmentations.push({ id: await customSegmentation(db), name: 'custom' });

  for (const s of segmentations) {
    const compiled = await compileSegmentation({ db, segmentationId: s.id, now: NOW, limits: LIMITS });
    const naiveTake = (snapshot: number) =>
      db.pool.query(
        BASELINE.take.replace('{{snapshot}}', String(snapshot)).replace('{{code}}', compiled.code).replace('{{from}}', compiled.from),
        compiled.params,
      );
    const ours: number[] = [];
    const theirs: number[] = [];
    const snapshotIds: string[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      await db.pool.query(BASELINE.clear);
      const before = i === 0 ? await db.pool.query<{ b: string }>(`SELECT pg_total_relation_size('segmentation_snapshot_blocks') AS b`) : null;
      const id = await queueSnapshot({ db, segmentationId: s.id, trigger: 'API', now: NOW });
      ours.push((await timed(() => runSnapshot({ db, snapshotId: id, now: NOW, limits: LIMITS }))).ms);
      snapshotIds.push(id);
      if (before) {
        const after = await db.pool.query<{ b: string }>(`SELECT pg_total_relation_size('segmentation_snapshot_blocks') AS b`);
        const ourBytes = Number(after.rows[0].b) - Number(before.rows[0].b);
        theirs.push((await timed(() => naiveTake(1))).ms);
        const naiveBytes = Number((await db.pool.query<{ bytes: string }>(BASELINE.size)).rows[0].bytes);
        report({ bench: `snapshots.bytes.${s.name}`, bytes: ourBytes, rowPerCustomerBytes: naiveBytes, ratio: Number((ourBytes / naiveBytes).toFixed(3)) });
      } else theirs.push((await timed(() => naiveTake(1))).ms);
    }
    const [snap] = await getSnapshots(db, [snapshotIds[0]]);
    report({
      bench: `snapshots.take.${s.name}`,
      customers: snap.customers,
      segments: snap.legend!.length,
      ms: Math.round(median(ours)),
      rowPerCustomerMs: Math.round(median(theirs)),
      ratio: Number((median(ours) / median(theirs)).toFixed(2)),
      target: { ms: 10_000 },
    });

    // Transition matrix between two snapshots (same data: what is timed is decoding and matching 2 x 1M).
    await naiveTake(2);
    const snaps = await getSnapshots(db, snapshotIds.slice(0, 2));
    const [a, z] = [snaps.find((x) => x.id === snapshotIds[0])!, snaps.find((x) => x.id === snapshotIds[1])!];
    const tOurs: number[] = [];
    const tTheirs: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      tOurs.push((await timed(() => transitionMatrix({ db, from: a, to: z, otherLabel: 'Everyone else' }))).ms);
      tTheirs.push((await timed(() => db.pool.query(BASELINE.transitions))).ms);
    }
    report({
      bench: `snapshots.transitions.${s.name}`,
      ms: Math.round(median(tOurs)),
      rowPerCustomerMs: Math.round(median(tTheirs)),
      ratio: Number((median(tOurs) / median(tTheirs)).toFixed(2)),
    });
  }
  await db.pool.query(`DROP TABLE IF EXISTS bench_snapshot_rows`);
  await closeDatabase(db);
}
