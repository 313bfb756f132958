import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createSegment } from '../../src/segmentation/segments.js';
import {
  createSegmentation,
  evaluateSegmentation,
  getSnapshots,
  queueSnapshot,
  runSnapshot,
  transitionMatrix,
  updateSegmentation,
} from '../../src/segmentation/segmentations.js';
import { RunBusyError } from '../../src/errors.js';
import { createTestDb, type TestDb } from '../support/databases.js';
import { rng } from '../support/random.js';

/*
 * Segmentations against an in-memory evaluation: first match wins, everyone else, erased customers
 * outside the base; snapshots decoded back to exactly each customer's segment, with ids on the edges
 * of the 512-id blocks and far apart; transition matrices counted by hand.
 */

const NOW = new Date('2026-06-15T12:00:00.000Z');
const LIMITS = { maxDepth: 8 };

interface Row {
  id: string;
  country: string | null;
  points: number | null;
  erased: boolean;
}

let db: TestDb;
let rows: Row[] = [];
let segmentationId: string;
let staticId: string;
const staticMembers = new Set<string>();

/** Ids on block edges (511, 512, 1023, 1024), a lone far id, and a run of ordinary ones. */
const IDS = [1, 2, 3, 511, 512, 513, 1023, 1024, 1025, 5000, 1_099_511_627_776, ...Array.from({ length: 300 }, (_, i) => 2000 + i * 3)];

async function writeRows() {
  await db.pool.query('DELETE FROM customers');
  await db.pool.query(
    `INSERT INTO customers (id, external_id, country, loyalty_points, erased_at)
     OVERRIDING SYSTEM VALUE
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::timestamptz[])`,
    [rows.map((r) => r.id), rows.map((r) => `x-${r.id}`), rows.map((r) => r.country), rows.map((r) => r.points), rows.map((r) => (r.erased ? NOW : null))],
  );
}

/** The reference: 1-based position of the first matching segment, 0 = everyone else, null = outside the base. */
function expectedCode(r: Row): number | null {
  if (r.erased) return null;
  if (r.country === 'FR' && (r.points ?? -1) >= 100) return 1; // segment A: French and ≥ 100 points
  if (staticMembers.has(r.id)) return 2; // segment B: static list
  if (r.country === 'FR' || r.country === 'DE') return 3; // segment C overlaps A: A's members stay in A
  return 0;
}

async function decodedSnapshot(snapshotId: string): Promise<Map<string, number>> {
  const { rows: decoded } = await db.pool.query<{ id: string; code: number }>(
    `SELECT (b.block * 512 + (e >> 6))::text AS id, (e & 63)::int AS code
     FROM segmentation_snapshot_blocks b, unnest(b.entries) e WHERE b.snapshot_id = $1`,
    [snapshotId],
  );
  return new Map(decoded.map((d) => [d.id, d.code]));
}

async function snapshot(): Promise<string> {
  const id = await queueSnapshot({ db, segmentationId, trigger: 'API', now: NOW });
  expect(await runSnapshot({ db, snapshotId: id, now: NOW, limits: LIMITS })).toBe('SUCCEEDED');
  return id;
}

function randomRows(seed: number): Row[] {
  const r = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  return IDS.map((id) => ({
    id: String(id),
    country: pick(['FR', 'FR', 'DE', 'ES', null]),
    points: pick([null, 0, 99, 100, 101, 500]),
    erased: r() < 0.05,
  }));
}

beforeAll(async () => {
  db = await createTestDb();
  rows = randomRows(7);
  await writeRows();
  const a = await createSegment({
    db,
    name: 'A',
    definition: {
      and: [
        { condition: { field: 'customer.country', operator: 'EQ', value: { string: 'FR' } } },
        { condition: { field: 'customer.loyalty_points', operator: 'GTE', value: { number: 100 } } },
      ],
    },
    now: NOW,
    limits: LIMITS,
  });
  for (const row of rows) if (Number(row.id) % 4 === 1) staticMembers.add(row.id);
  const b = await createSegment({ db, name: 'B', members: { ids: [...staticMembers] }, now: NOW, limits: LIMITS });
  staticId = b.segment.id;
  const c = await createSegment({ db, name: 'C', definition: { condition: { field: 'customer.country', operator: 'IN', value: { list: ['FR', 'DE'] } } }, now: NOW, limits: LIMITS });
  segmentationId = (await createSegmentation({ db, name: 'ABC', segmentIds: [a.segment.id, staticId, c.segment.id], now: NOW })).id;
});
afterAll(async () => {
  await db?.drop();
});

describe('evaluation', () => {
  test('every customer of the base counts once, in the first segment that matches', async () => {
    const { legend, counts } = await evaluateSegmentation({ db, segmentationId, now: NOW, limits: LIMITS });
    expect(legend.map((l) => l.name)).toEqual(['A', 'B', 'C']);
    const want = [0, 0, 0, 0];
    for (const r of rows) {
      const code = expectedCode(r);
      if (code !== null) want[code]++;
    }
    expect(counts).toEqual(want);
    expect(want.every((n) => n > 0)).toBe(true);
  });
});

describe('snapshots', () => {
  test('decode back to exactly each customer’s segment, ids on block edges and far ids included', async () => {
    const id = await snapshot();
    const got = await decodedSnapshot(id);
    const want = new Map(rows.flatMap((r) => (expectedCode(r) === null ? [] : [[r.id, expectedCode(r)!] as const])));
    expect(got).toEqual(want);
    const [s] = await getSnapshots(db, [id]);
    expect(s).toMatchObject({ status: 'SUCCEEDED', customers: want.size, takenAt: NOW });
    expect(s.counts!.reduce((x, y) => x + y, 0)).toBe(want.size);
    expect(s.legend!.map((l) => [l.code, l.name])).toEqual([
      [1, 'A'],
      [2, 'B'],
      [3, 'C'],
    ]);
  });

  test('a snapshot is taken once: a delivery while another session holds it retries later, one after it skips', async () => {
    const id = await queueSnapshot({ db, segmentationId, trigger: 'API', now: NOW });
    // Another session holds the run (a first delivery still running, or a dying one that may roll back).
    const holder = await db.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM segmentation_snapshots WHERE id = $1 FOR UPDATE', [id]);
      await expect(runSnapshot({ db, snapshotId: id, now: NOW, limits: LIMITS })).rejects.toThrow(RunBusyError);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    const both = await Promise.allSettled([0, 1].map(() => runSnapshot({ db, snapshotId: id, now: NOW, limits: LIMITS })));
    const outcomes = both.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).name)).sort();
    expect(outcomes[1]).toBe('SUCCEEDED'); // one took it; the other skipped it or found it busy
    expect(['RunBusyError', 'SKIPPED']).toContain(outcomes[0]);
    expect(await runSnapshot({ db, snapshotId: id, now: NOW, limits: LIMITS })).toBe('SKIPPED');
    expect(await runSnapshot({ db, snapshotId: '987654321', now: NOW, limits: LIMITS })).toBe('SKIPPED');
    const { rows: n } = await db.pool.query(`SELECT count(*)::int AS n FROM segmentation_snapshot_blocks WHERE snapshot_id = $1`, [id]);
    expect(n[0].n).toBeGreaterThan(0);
    const { rows: dup } = await db.pool.query(
      `SELECT count(*)::int AS n, count(DISTINCT b.block * 512 + (e >> 6))::int AS d FROM segmentation_snapshot_blocks b, unnest(b.entries) e WHERE snapshot_id = $1`,
      [id],
    );
    expect(dup[0].n).toBe(dup[0].d);
  });

  test('a run that dies mid-way leaves no blocks and is taken again by the next delivery', async () => {
    const id = await queueSnapshot({ db, segmentationId, trigger: 'API', now: NOW });
    // A RUNNING row whose lock is gone is what a killed worker leaves behind.
    await db.pool.query(`UPDATE segmentation_snapshots SET status = 'RUNNING' WHERE id = $1`, [id]);
    expect(await runSnapshot({ db, snapshotId: id, now: NOW, limits: LIMITS })).toBe('SUCCEEDED');
    expect((await getSnapshots(db, [id]))[0].status).toBe('SUCCEEDED');
  });
});

describe('transition matrix', () => {
  test('counts movers, stayers, customers who entered and left, against a hand count', async () => {
    const before = rows.map((r) => ({ ...r }));
    const fromId = await snapshot();
    // Move people around, erase some (they leave), add some (they enter).
    const r = rng(99);
    rows = rows.map((row) => (r() < 0.3 ? { ...row, country: ['FR', 'DE', 'ES', null][Math.floor(r() * 4)], points: [0, 100, 500][Math.floor(r() * 3)] } : row));
    rows = rows.map((row) => (r() < 0.05 ? { ...row, erased: true } : row));
    rows.push({ id: '9000', country: 'FR', points: 1000, erased: false }, { id: '9001', country: null, points: null, erased: false });
    await writeRows();
    const toId = await snapshot();
    const [from, to] = await getSnapshots(db, [fromId, toId]).then((s) => [s.find((x) => x.id === fromId)!, s.find((x) => x.id === toId)!]);
    const m = await transitionMatrix({ db, from, to, otherLabel: 'Everyone else' });
    expect(m.states.map((s) => s.label)).toEqual(['A', 'B', 'C', 'Everyone else', 'Outside the base']);

    const stateIndex = (code: number | null) => (code === null ? 4 : code === 0 ? 3 : code - 1);
    const want = m.states.map(() => new Array(m.states.length).fill(0));
    const ids = new Set([...before.map((x) => x.id), ...rows.map((x) => x.id)]);
    const at = (list: Row[], id: string) => {
      const row = list.find((x) => x.id === id);
      return row ? expectedCode(row) : null;
    };
    for (const id of ids) {
      const i = stateIndex(at(before, id));
      const j = stateIndex(at(rows, id));
      if (i === 4 && j === 4) continue;
      want[i][j]++;
    }
    expect(m.counts).toEqual(want);
    expect(want[4].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2); // entered
    expect(want.reduce((a, row) => a + row[4], 0)).toBeGreaterThan(0); // left
  });

  test('segments are matched by id when the segmentation changed between snapshots', async () => {
    const fromId = await snapshot();
    const ids = (await getSnapshots(db, [fromId]))[0].legend!.map((l) => l.segmentId);
    // Drop A, put C before B: codes change meaning, states do not.
    await updateSegmentation({ db, id: segmentationId, segmentIds: [ids[2], ids[1]], now: NOW });
    const toId = await snapshot();
    const snaps = await getSnapshots(db, [fromId, toId]);
    const m = await transitionMatrix({ db, from: snaps.find((s) => s.id === fromId)!, to: snaps.find((s) => s.id === toId)!, otherLabel: 'Rest' });
    expect(m.states.map((s) => s.label)).toEqual(['C', 'B', 'A', 'Rest', 'Outside the base']);
    // Nobody is in A afterwards; A's former members (French) are all in C now.
    expect(m.counts.map((row) => row[2])).toEqual([0, 0, 0, 0, 0]);
    const aRow = m.counts[2];
    expect(aRow[0]).toBe(aRow.reduce((x, y) => x + y, 0));
    await updateSegmentation({ db, id: segmentationId, segmentIds: ids, now: NOW });
  });
});
