import type { Db } from '../src/db/database.js';
import type { SegmentNode } from '../src/segmentation/rules.js';
import type { CompiledSegment } from '../src/segmentation/compile-segment.js';
import { compileDefinition, compileSaved, createSegment, memberIds } from '../src/segmentation/segments.js';
import { generateBase } from '../src/seed/generate-base.js';
import { closeDatabase, median, openBenchDatabase, report } from './support.js';

const DB = 'cible_bench_1m';
const NOW = new Date('2026-11-01T00:00:00Z');
const LIMITS = { maxDepth: 8 };
const ROUNDS = 3;
/** Ids per keyset batch (what a sending worker asks for at a time). */
const BATCH = 10_000;

/** Every member, batch after batch (`c.id > last ORDER BY c.id LIMIT BATCH`), as the workers stream an audience. */
async function streamAll(db: Db, compiled: CompiledSegment): Promise<number> {
  let after: string | null = null;
  let n = 0;
  for (;;) {
    const ids = await memberIds(db, compiled, after, BATCH);
    n += ids.length;
    if (ids.length < BATCH) return n;
    after = ids[ids.length - 1];
  }
}

/** The baseline: the same ids in one query, all at once (no batching, no resumable cursor). */
async function oneQuery(db: Db, compiled: CompiledSegment): Promise<number> {
  const { rows } = await db.pool.query<{ id: string }>(`SELECT c.id ${compiled.from} WHERE ${compiled.where} ORDER BY c.id`, compiled.params);
  return rows.length;
}

/**
 * Streaming every member of a ~500k-member segment by keyset batches (target > 200k ids/s), a dynamic
 * one (rules on a customer column) and a static one (500k listed members), against one query that
 * returns all the ids at once, in the same run.
 */
export async function benchMembers(options: { customers: number; transactions: number }): Promise<void> {
  const db: Db = await openBenchDatabase(DB);
  const { rows } = await db.pool.query<{ c: number }>(`SELECT count(*)::int AS c FROM customers`);
  if (rows[0].c !== options.customers) await generateBase({ db, customers: options.customers, transactions: options.transactions, seed: 1, now: NOW, reset: true });

  const dynamic = await compileDefinition({
    db,
    root: { condition: { field: 'customer.country', operator: 'IN', value: { list: ['FR', 'DE', 'US'] } } } satisfies SegmentNode,
    now: NOW,
    limits: LIMITS,
  });
  await db.pool.query(`DELETE FROM segments WHERE name = 'bench: 500k listed'`);
  const ids = (await db.pool.query<{ id: string }>(`SELECT id FROM customers WHERE erased_at IS NULL AND id % 2 = 0 ORDER BY id LIMIT 500000`)).rows.map((r) => r.id);
  const listed = await createSegment({ db, name: 'bench: 500k listed', members: { ids }, now: NOW, limits: LIMITS });
  await db.pool.query('ANALYZE segment_members');
  const stat = await compileSaved(db, listed.segment, NOW, LIMITS);

  for (const [name, compiled] of [
    ['dynamic', dynamic],
    ['static', stat],
  ] as const) {
    const ours: number[] = [];
    const theirs: number[] = [];
    let members = 0;
    for (let i = 0; i < ROUNDS; i++) {
      let t = performance.now();
      members = await streamAll(db, compiled);
      ours.push(performance.now() - t);
      t = performance.now();
      const all = await oneQuery(db, compiled);
      theirs.push(performance.now() - t);
      if (all !== members) throw new Error(`${name}: streamed ${members} ids, one query ${all}`);
    }
    report({
      bench: `members.stream.${name}`,
      members,
      batch: BATCH,
      ms: Math.round(median(ours)),
      idsPerSecond: Math.round(members / (median(ours) / 1000)),
      oneQueryMs: Math.round(median(theirs)),
      ratio: Number((median(ours) / median(theirs)).toFixed(2)),
      target: { idsPerSecond: 200_000 },
    });
  }
  await db.pool.query(`DELETE FROM segments WHERE id = $1`, [listed.segment.id]);
  await closeDatabase(db);
}
