import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ClusteringFailure, describeCentroid, getClusteringRuns, isPermanentClusteringError, meanSilhouette, nearest, queueClustering, runClustering, type ClusteringFeature } from '../../src/segmentation/clustering.js';
import { createSegmentation, deleteSegmentation, evaluateSegmentation, segmentIdsOf } from '../../src/segmentation/segmentations.js';
import { compileDefinition, getSegments, memberIds, type SegmentRow } from '../../src/segmentation/segments.js';
import { RunBusyError } from '../../src/errors.js';
import { createTestDb, type TestDb } from '../support/databases.js';
import { rng } from '../support/random.js';

/*
 * Clustering on a base of known blobs: the chosen k, clusters equal to the blobs, centres near the
 * blob means, everyone eligible assigned and no one else; the SQL assignment checked against the
 * nearest centre computed here (on a base with no structure, where many customers sit near a
 * boundary); determinism for a seed; a redelivered run; bad input; deletion.
 */

const NOW = new Date('2026-06-15T12:00:00.000Z');
const LIMITS = { maxDepth: 8 };

interface Row {
  id: number;
  blob: number | null;
  points: number | null;
  household: number | null;
}

let db: TestDb;
const rows: Row[] = [];
/** Blobs of (loyalty points, household size): sizes 200, 120, 60. */
const BLOBS = [
  { n: 200, points: 100, household: 1 },
  { n: 120, points: 1000, household: 4 },
  { n: 60, points: 8000, household: 2 },
];

beforeAll(async () => {
  db = await createTestDb();
  const r = rng(5);
  let id = 1;
  for (const [b, blob] of BLOBS.entries())
    for (let i = 0; i < blob.n; i++) rows.push({ id: id++, blob: b, points: Math.round(blob.points * (0.9 + 0.2 * r())), household: blob.household });
  // Missing a feature: not clustered.
  for (let i = 0; i < 15; i++) rows.push({ id: id++, blob: null, points: i % 2 ? null : 500, household: i % 2 ? 3 : null });
  await db.pool.query(
    `INSERT INTO customers (id, external_id, loyalty_points, household_size)
     OVERRIDING SYSTEM VALUE SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[], $4::int[])`,
    [rows.map((x) => x.id), rows.map((x) => `k-${x.id}`), rows.map((x) => x.points), rows.map((x) => x.household)],
  );
  // Erased: outside the base, never clustered even with both features.
  await db.pool.query(`INSERT INTO customers (id, external_id, loyalty_points, household_size, erased_at) OVERRIDING SYSTEM VALUE VALUES (9999, 'gone', 100, 1, $1)`, [NOW]);
});
afterAll(async () => {
  await db?.drop();
});

const FEATURES: ClusteringFeature[] = [
  { field: 'customer.loyalty_points', transform: 'LOG1P' },
  { field: 'customer.household_size', transform: 'NONE' },
];

async function cluster(name: string, extra: { k?: number; kMin?: number; kMax?: number; seed?: number; sampleSize?: number } = {}, features = FEATURES) {
  const run = await queueClustering({ db, name, features, now: NOW, limits: LIMITS, ...extra });
  expect(await runClustering({ db, runId: run.id, now: NOW, limits: LIMITS })).toBe('SUCCEEDED');
  const [done] = await getClusteringRuns(db, [run.id]);
  const ids = (await segmentIdsOf(db, [done.segmentationId!])).get(done.segmentationId!)!;
  const segments = await getSegments(db, ids);
  const ordered = ids.map((sid) => segments.find((s) => s.id === sid)!);
  const members = new Map<string, Set<number>>();
  for (const s of ordered) {
    const m = await db.pool.query<{ customer_id: string }>(`SELECT customer_id FROM segment_members WHERE segment_id = $1`, [s.id]);
    members.set(s.id, new Set(m.rows.map((x) => Number(x.customer_id))));
  }
  return { run: done, segments: ordered, members };
}

describe('clustering', () => {
  test('finds the blobs: k chosen by silhouette, clusters = blobs (largest first), centres at the blob means, the rest unassigned', async () => {
    const { run, segments, members } = await cluster('Blobs', { kMin: 2, kMax: 5 });
    expect(run).toMatchObject({ status: 'SUCCEEDED', chosenK: 3, sampled: 380, assigned: 380, unassigned: 15, eligible: 380, error: null });
    expect(run.candidates!.map((c) => c.k)).toEqual([2, 3, 4, 5]);
    const best = run.candidates!.find((c) => c.k === 3)!;
    expect(run.candidates!.every((c) => c.silhouette <= best.silhouette)).toBe(true);
    expect(best.silhouette).toBeGreaterThan(0.7);
    // Inertia falls as k grows (the elbow curve).
    expect(run.candidates![0].inertia).toBeGreaterThan(best.inertia);

    expect(segments.map((s) => [s.kind, s.size])).toEqual([
      ['COMPUTED', 200],
      ['COMPUTED', 120],
      ['COMPUTED', 60],
    ]);
    for (const [b, blob] of BLOBS.entries()) {
      expect(members.get(segments[b].id)).toEqual(new Set(rows.filter((x) => x.blob === b).map((x) => x.id)));
      const centre = Object.fromEntries(segments[b].centroid!.map((c) => [c.field, c.value]));
      // LOG1P centres come back near the geometric mean of the blob.
      const pts = rows.filter((x) => x.blob === b).map((x) => x.points!);
      const geo = Math.expm1(pts.reduce((a, p) => a + Math.log1p(p), 0) / pts.length);
      expect(centre['customer.loyalty_points']).toBeCloseTo(geo, 6);
      expect(centre['customer.household_size']).toBeCloseTo(blob.household, 9);
    }
    // Names say what sets each cluster apart, most distinctive feature first.
    expect(segments[0].name).toBe('Blobs · 1: low loyalty points, low household size');
    expect(segments[2].name).toMatch(/^Blobs · 3: high loyalty points/);
    expect(segments.every((s) => s.description.includes(`clustering run ${run.id}`))).toBe(true);

    // Members of computed segments page by keyset (each page reads the list from its cursor on),
    // under NOT as well.
    const pages = async (root: unknown) => {
      const compiled = await compileDefinition({ db, root, now: NOW, limits: LIMITS });
      const out: number[] = [];
      for (let after: string | null = null; ; ) {
        const ids = await memberIds(db, compiled, after, 7);
        out.push(...ids.map(Number));
        if (ids.length < 7) return out;
        after = ids[ids.length - 1];
      }
    };
    expect(await pages({ segment: segments[1].id })).toEqual([...members.get(segments[1].id)!].sort((a, b) => a - b));
    const notFirst = await pages({ and: [{ not: { segment: segments[0].id } }, { condition: { field: 'customer.household_size', operator: 'IS_SET' } }] });
    expect(notFirst).toEqual(rows.filter((x) => x.household !== null && x.blob !== 0).map((x) => x.id));

    // The segmentation: clusters first match wins, the unassigned are everyone else.
    const e = await evaluateSegmentation({ db, segmentationId: run.segmentationId!, now: NOW, limits: LIMITS });
    expect(e.counts).toEqual([15, 200, 120, 60]);
  });

  test('every customer goes to the nearest centre, in SQL as in a direct computation (a base with no structure)', async () => {
    const r = rng(9);
    const ids = Array.from({ length: 500 }, (_, i) => 20_000 + i);
    const values = ids.map(() => ({ p: Math.floor(r() * 10_000), h: 1 + Math.floor(r() * 8), s: Math.round(r() * 100_000) / 100 }));
    await db.pool.query(
      `INSERT INTO customers (id, external_id, loyalty_points, household_size, attributes) OVERRIDING SYSTEM VALUE
       SELECT id, 'u-' || id, p, h, jsonb_build_object('score', s) FROM unnest($1::bigint[], $2::int[], $3::int[], $4::float8[]) AS t (id, p, h, s)`,
      [ids, values.map((v) => v.p), values.map((v) => v.h), values.map((v) => v.s)],
    );
    await db.pool.query(`INSERT INTO attribute_definitions (key, type, description) VALUES ('score', 'NUMBER', 'A score.') ON CONFLICT DO NOTHING`);
    try {
      const features: ClusteringFeature[] = [...FEATURES, { field: 'attributes.score', transform: 'NONE' }];
      // A small sample: most customers are assigned without having been seen by k-means.
      const { run, segments, members } = await cluster('Uniform', { k: 6, sampleSize: 150, seed: 3 }, features);
      expect(run).toMatchObject({ chosenK: 6, sampled: 150, assigned: 500 });
      // Recover each feature's transform, mean and sd from two centres (value = inverse(mean + z·sd)).
      const forward = (f: ClusteringFeature, v: number) => (f.transform === 'LOG1P' ? Math.sign(v) * Math.log1p(Math.abs(v)) : v);
      const scale = features.map((f, i) => {
        const [a, b] = [segments[0].centroid![i], segments[1].centroid![i]];
        const sd = (forward(f, a.value) - forward(f, b.value)) / (a.zScore - b.zScore);
        return { mean: forward(f, a.value) - a.zScore * sd, sd };
      });
      const centres = segments.map((s) => s.centroid!.map((c) => c.zScore));
      const where = new Map<number, number>();
      segments.forEach((s, j) => members.get(s.id)!.forEach((id) => where.set(id, j)));
      let checked = 0;
      values.forEach((v, i) => {
        const z = [v.p, v.h, v.s].map((x, f) => (forward(features[f], x) - scale[f].mean) / scale[f].sd);
        // Only customers clearly nearer one centre: float rounding may split exact ties differently.
        const d = centres.map((c) => c.reduce((a, x, f) => a + (x - z[f]) ** 2, 0)).sort((a, b) => a - b);
        if (d[1] - d[0] < 1e-9) return;
        expect(where.get(ids[i]), `customer ${ids[i]}`).toBe(nearest(z, centres));
        checked++;
      });
      expect(checked).toBeGreaterThan(490);
      expect(segments.some((s) => s.usesSensitiveFields.length)).toBe(false);
    } finally {
      await db.pool.query(`DELETE FROM customers WHERE id >= 20000`);
    }
  });

  test('the same seed gives the same clusters; a redelivered run is skipped', async () => {
    const a = await cluster('Seeded A', { kMin: 2, kMax: 4, seed: 42, sampleSize: 120 });
    const b = await cluster('Seeded B', { kMin: 2, kMax: 4, seed: 42, sampleSize: 120 });
    expect(b.run.candidates).toEqual(a.run.candidates);
    expect([...b.members.values()]).toEqual([...a.members.values()]);
    expect(b.segments.map((s) => s.centroid)).toEqual(a.segments.map((s) => s.centroid));

    expect(await runClustering({ db, runId: a.run.id, now: NOW, limits: LIMITS })).toBe('SKIPPED');
    const n = await db.pool.query(`SELECT count(*)::int AS n FROM segmentations WHERE name LIKE 'Seeded%'`);
    expect(n.rows[0].n).toBe(2);
  });

  test('when few customers have every feature, the sample stream widens its range until it has sampleSize of them', async () => {
    await db.pool.query(`INSERT INTO attribute_definitions (key, type, description) VALUES ('some', 'NUMBER', 'Set on a third.') ON CONFLICT DO NOTHING`);
    await db.pool.query(`UPDATE customers SET attributes = attributes || jsonb_build_object('some', id % 7) WHERE id % 3 = 0`);
    try {
      const eligible = rows.filter((x) => x.id % 3 === 0).length;
      const { run } = await cluster('A third', { k: 2, sampleSize: 100 }, [{ field: 'attributes.some', transform: 'NONE' }]);
      expect(run).toMatchObject({ sampled: 100, assigned: eligible });
    } finally {
      await db.pool.query(`UPDATE customers SET attributes = attributes - 'some'`);
    }
  });

  test('a run killed mid-way leaves nothing behind and is run again by the next delivery; a delivery while another session holds it retries', async () => {
    const run = await queueClustering({ db, name: 'Interrupted', features: FEATURES, k: 3, now: NOW, limits: LIMITS });
    // Hold the member table so the run stops at its INSERT, after writing its segmentation and segments.
    const blocker = await db.pool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE segment_members IN EXCLUSIVE MODE');
      const dying = runClustering({ db, runId: run.id, now: NOW, limits: LIMITS }).then(
        () => 'finished',
        (e: Error) => e.message,
      );
      let pid: number | undefined;
      for (let i = 0; i < 200 && !pid; i++) {
        const { rows: waiting } = await db.pool.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO segment_members%'`,
        );
        pid = waiting[0]?.pid;
        if (!pid) await new Promise((r) => setTimeout(r, 25));
      }
      expect(pid).toEqual(expect.any(Number));
      // What a worker killed at that point leaves: its session gone, its transaction with it.
      await db.pool.query('SELECT pg_terminate_backend($1)', [pid]);
      expect(await dying).toMatch(/terminat/);
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
    }
    const left = await db.pool.query(`SELECT (SELECT count(*) FROM segmentations WHERE name = 'Interrupted')::int AS g, (SELECT count(*) FROM segments WHERE name LIKE 'Interrupted%')::int AS s`);
    expect(left.rows[0]).toEqual({ g: 0, s: 0 });

    // While another session holds the run, a delivery retries later; after it, one skips.
    const holder = await db.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM clustering_runs WHERE id = $1 FOR UPDATE', [run.id]);
      await expect(runClustering({ db, runId: run.id, now: NOW, limits: LIMITS })).rejects.toThrow(RunBusyError);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    expect(await runClustering({ db, runId: run.id, now: NOW, limits: LIMITS })).toBe('SUCCEEDED');
    expect(await runClustering({ db, runId: run.id, now: NOW, limits: LIMITS })).toBe('SKIPPED');
    const [done] = await getClusteringRuns(db, [run.id]);
    expect(done).toMatchObject({ status: 'SUCCEEDED', assigned: 380, error: null });
    const counts = await db.pool.query(
      `SELECT count(*)::int AS n, count(DISTINCT customer_id)::int AS d FROM segment_members WHERE segment_id IN (SELECT segment_id FROM segmentation_segments WHERE segmentation_id = $1)`,
      [done.segmentationId],
    );
    expect(counts.rows[0]).toEqual({ n: 380, d: 380 });
  });

  test('sensitive features flag the computed segments; fewer distinct points than k leaves no empty cluster', async () => {
    await db.pool.query(`INSERT INTO attribute_definitions (key, type, description, is_sensitive) VALUES ('mood', 'NUMBER', 'Sensitive.', true) ON CONFLICT DO NOTHING`);
    await db.pool.query(`UPDATE customers SET attributes = attributes || jsonb_build_object('mood', id % 2) WHERE id <= 380`);
    try {
      const { run, segments } = await cluster('Moods', { k: 4 }, [{ field: 'attributes.mood', transform: 'NONE' }]);
      // Two distinct values: two clusters, whatever k asked for, none empty.
      expect(run).toMatchObject({ status: 'SUCCEEDED', chosenK: 2, assigned: 380 });
      expect(segments.map((x) => x.size)).toEqual([190, 190]);
      expect(segments.every((x) => x.usesSensitiveFields.includes('attributes.mood'))).toBe(true);
    } finally {
      await db.pool.query(`UPDATE customers SET attributes = attributes - 'mood'`);
    }
  });

  test('a run that cannot succeed fails with its reason and leaves nothing behind', async () => {
    await db.pool.query(`INSERT INTO attribute_definitions (key, type, description) VALUES ('rare', 'NUMBER', 'Set on few.') ON CONFLICT DO NOTHING`);
    await db.pool.query(`UPDATE customers SET attributes = jsonb_build_object('rare', 1) WHERE id IN (1, 2)`);
    const run = await queueClustering({ db, name: 'Too few', features: [{ field: 'attributes.rare', transform: 'NONE' }], k: 3, now: NOW, limits: LIMITS });
    const err = await runClustering({ db, runId: run.id, now: NOW, limits: LIMITS }).catch((e) => e);
    expect(err).toBeInstanceOf(ClusteringFailure);
    expect(isPermanentClusteringError(err)).toBe(true);
    expect(err.message).toMatch(/only 2 customers have every feature/);
    const [failed] = await getClusteringRuns(db, [run.id]);
    expect(failed).toMatchObject({ status: 'FAILED', segmentationId: null });
    expect(failed.error).toMatch(/too few for 3 clusters/);
    const s = await db.pool.query(`SELECT count(*)::int AS n FROM segmentations WHERE name = 'Too few'`);
    expect(s.rows[0].n).toBe(0);
  });

  test('bad input is refused with the path of the bad field, and nothing is recorded', async () => {
    const before = (await db.pool.query(`SELECT count(*)::int AS n FROM clustering_runs`)).rows[0].n;
    const bad = async (input: Record<string, unknown>, path: string, code: string) => {
      const err = await queueClustering({ db, name: 'Bad', features: FEATURES, now: NOW, limits: LIMITS, ...input }).catch((e) => e);
      expect(err, JSON.stringify(input)).toMatchObject({ field: path, reason: code });
    };
    await bad({ features: [] }, 'input.features', 'INVALID_FEATURES');
    await bad({ features: [{ field: 'customer.nope', transform: 'NONE' }] }, 'input.features[0].field', 'UNKNOWN_FIELD');
    await bad({ features: [FEATURES[0], { field: 'metrics.rfm_group', transform: 'NONE' }] }, 'input.features[1].field', 'INVALID_FIELD_TYPE');
    await bad({ features: [{ field: 'transactions.count', transform: 'NONE' }] }, 'input.features[0].field', 'INVALID_FIELD_TYPE');
    await bad({ features: [FEATURES[0], FEATURES[0]] }, 'input.features[1].field', 'DUPLICATE');
    await bad({ features: [{ field: 'customer.loyalty_points', transform: 'SQRT' }] }, 'input.features[0].transform', 'INVALID_TRANSFORM');
    await bad({ k: 1 }, 'input.k', 'OUT_OF_RANGE');
    await bad({ k: 3, kMax: 5 }, 'input.k', 'ONE_OF');
    await bad({ kMin: 6, kMax: 3 }, 'input.kMax', 'INVALID_RANGE');
    await bad({ kMax: 21 }, 'input.kMax', 'OUT_OF_RANGE');
    await bad({ sampleSize: 200_001 }, 'input.sampleSize', 'OUT_OF_RANGE');
    await bad({ name: ' ' }, 'input.name', 'INVALID_NAME');
    await bad({ name: 'Blobs' }, 'input.name', 'NAME_TAKEN');
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM clustering_runs`)).rows[0].n).toBe(before);
  });

  test('deleting a clustering segmentation deletes its computed segments, but those used elsewhere', async () => {
    const { run, segments } = await cluster('Doomed', { k: 2 });
    const kept = segments[1];
    const other = await createSegmentation({ db, name: 'Keeps one', segmentIds: [kept.id], now: NOW });
    await deleteSegmentation({ db, id: run.segmentationId! });
    const left = await getSegments(db, segments.map((s) => s.id));
    expect(left.map((s: SegmentRow) => s.id)).toEqual([kept.id]);
    const m = await db.pool.query(`SELECT count(*)::int AS n FROM segment_members WHERE segment_id = $1`, [segments[0].id]);
    expect(m.rows[0].n).toBe(0);
    expect((await getClusteringRuns(db, [run.id]))[0].segmentationId).toBeNull();
    await deleteSegmentation({ db, id: other.id });
  });
});

test('silhouette and centre descriptions', () => {
  // Two tight pairs far apart: s = (b − a) / max(a, b) per point, by hand.
  const s = meanSilhouette([[0], [1], [10], [11]], [0, 0, 1, 1], 2);
  expect(s).toBeCloseTo((9.5 / 10.5 + 8.5 / 9.5) / 2, 12);
  // A point alone in its cluster scores 0.
  expect(meanSilhouette([[0], [1], [10]], [0, 0, 1], 2)).toBeCloseTo((9 / 10 + 8 / 9) / 3, 12);
  expect(describeCentroid([{ field: 'metrics.total_spent', value: 1, zScore: 0.2 }])).toBe('close to average');
  expect(
    describeCentroid([
      { field: 'metrics.total_spent', value: 1, zScore: 0.6 },
      { field: 'metrics.recency_days', value: 1, zScore: -2 },
      { field: 'attributes.pets', value: 1, zScore: 1 },
      { field: 'customer.household_size', value: 1, zScore: 0.9 },
    ]),
  ).toBe('low recency days, high pets, high household size');
});
