import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../src/db/database.js';
import { bindNamed, loadSqlQueries } from '../src/db/sql.js';
import { refreshAllMetrics } from '../src/segmentation/customer-metrics.js';
import type { SegmentNode } from '../src/segmentation/rules.js';
import { compileDefinition, countCompiled, createSegment } from '../src/segmentation/segments.js';
import { generateBase } from '../src/seed/generate-base.js';
import { closeDatabase, median, openBenchDatabase, report } from './support.js';

const DB = 'cible_bench_1m';
const NOW = new Date('2026-11-01T00:00:00Z');
const ROUNDS = 5;
const LIMITS = { maxDepth: 8 };
const TARGET = { ms: 300, ratio: 1.3 };
const BASELINES = loadSqlQueries(`file://${process.cwd()}/bench/segments.bench.ts`, 'baselines/segments.sql', [
  'country',
  'rfm_group',
  'top_clv_declining',
  'events_in_window',
  'category_spend',
  'reachable_sms',
  'nested',
  'segment_of_segment',
  'attribute',
  'lifecycle_age',
] as const);

const cond = (field: string, operator: string, value?: unknown, params?: unknown): SegmentNode =>
  ({ condition: { field, operator, ...(value ? { value } : {}), ...(params ? { params } : {}) } }) as SegmentNode;

/** Ten representative questions; each has a hand-written twin in bench/baselines/segments.sql. */
function definitions(atRiskSegmentId: string): Record<keyof typeof BASELINES, SegmentNode> {
  return {
    country: cond('customer.country', 'EQ', { string: 'FR' }),
    rfm_group: cond('metrics.rfm_group', 'EQ', { string: 'CHAMPIONS' }),
    top_clv_declining: { and: [cond('metrics.clv_predicted', 'GTE', { number: 403.7 }), cond('metrics.trend_ratio', 'LT', { number: 1 })] },
    events_in_window: cond('events.count', 'GTE', { number: 3 }, { eventName: 'song_favourited', within: { amount: 14, unit: 'DAYS' } }),
    category_spend: cond('transactions.total_spent', 'GTE', { number: 100 }, { category: 'books', within: { amount: 90, unit: 'DAYS' } }),
    reachable_sms: cond('reachable.sms', 'EQ', { boolean: true }),
    nested: {
      and: [
        { or: [cond('customer.country', 'IN', { list: ['FR', 'BE'] }), cond('metrics.lifecycle_stage', 'EQ', { string: 'LOYAL' })] },
        { not: { or: [cond('metrics.recency_days', 'GT', { number: 180 }), cond('customer.signup_channel', 'EQ', { string: 'STORE' })] } },
        cond('attributes.pets_at_home', 'EQ', { boolean: true }),
      ],
    },
    segment_of_segment: { and: [cond('customer.country', 'EQ', { string: 'FR' }), { segment: atRiskSegmentId }] },
    attribute: cond('attributes.pets_at_home', 'EQ', { boolean: true }),
    lifecycle_age: { and: [cond('metrics.lifecycle_stage', 'IN', { list: ['AT_RISK', 'LAPSED'] }), cond('customer.age', 'BETWEEN', { range: { from: 25, to: 34 } })] },
  };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/**
 * Counts of ten representative segments on the 1M customers / 10M transactions / 5M events seed,
 * each against its hand-written SQL in the same run (alternating, medians of 5 after a warm-up).
 */
export async function benchSegments(options: { customers: number; transactions: number }): Promise<void> {
  const db: Db = await openBenchDatabase(DB);
  const { rows } = await db.pool.query<{ c: number; m: number }>(`SELECT (SELECT count(*) FROM customers)::int AS c, (SELECT count(*) FROM customer_metrics)::int AS m`);
  if (rows[0].c !== options.customers) await generateBase({ db, customers: options.customers, transactions: options.transactions, seed: 1, now: NOW, reset: true });
  if (rows[0].m !== options.customers) await refreshAllMetrics({ db, now: NOW });
  await db.pool.query(`DELETE FROM segments WHERE name = 'bench: at risk or lapsed'`);
  const saved = await createSegment({
    db,
    name: 'bench: at risk or lapsed',
    definition: cond('metrics.lifecycle_stage', 'IN', { list: ['AT_RISK', 'LAPSED'] }),
    now: NOW,
    limits: LIMITS,
  });
  const defs = definitions(saved.segment.id);
  for (const [name, root] of Object.entries(defs) as [keyof typeof BASELINES, SegmentNode][]) {
    const baseline = bindNamed(BASELINES[name], { now: NOW });
    const ours: number[] = [];
    const theirs: number[] = [];
    let count = 0;
    let expected = 0;
    // Compilation (catalogue and saved segments read, tree compiled) is part of what we time.
    const run = async () => {
      const compiled = await compileDefinition({ db, root, now: NOW, limits: LIMITS });
      count = (await countCompiled(db, compiled)).count;
    };
    await run();
    await db.pool.query(baseline);
    for (let i = 0; i < ROUNDS; i++) {
      ours.push(await timed(run));
      theirs.push(await timed(async () => (expected = Number((await db.pool.query<{ count: string }>(baseline)).rows[0].count))));
    }
    const o = median(ours);
    const t = median(theirs);
    // A miss carries the plans of both sides (bench/out/, not committed), for the closing note.
    let explain: string | undefined;
    if (o > TARGET.ms || o / t > TARGET.ratio) {
      const compiled = await compileDefinition({ db, root, now: NOW, limits: LIMITS });
      const plan = async (sql: string, params: unknown[] = []) =>
        (await db.pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params)).rows.map((r) => r['QUERY PLAN']).join('\n');
      explain = path.join('bench', 'out', `segments.${name}.explain.txt`);
      await mkdir(path.dirname(explain), { recursive: true });
      await writeFile(
        explain,
        `-- Cible (compiled)\n${await plan(`SELECT count(*) AS n ${compiled.from} WHERE ${compiled.where}`, compiled.params)}\n\n-- Hand-written\n${await plan(baseline.text, baseline.values)}\n`,
      );
    }
    report({ bench: `segments.count.${name}`, count, handWrittenCount: expected, ms: Math.round(o), handWrittenMs: Math.round(t), ratio: Number((o / t).toFixed(2)), target: TARGET, explain });
  }
  await db.pool.query(`DELETE FROM segments WHERE id = $1`, [saved.segment.id]);
  await closeDatabase(db);
}
