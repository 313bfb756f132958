import { readFile } from 'node:fs/promises';
import type { Db } from '../src/db/database.js';
import { bindNamed } from '../src/db/sql.js';
import { withTransaction } from '../src/db/transaction.js';
import { refreshAllMetrics } from '../src/segmentation/customer-metrics.js';
import { generateBase } from '../src/seed/generate-base.js';
import { closeDatabase, median, openBenchDatabase, report } from './support.js';

const DB = 'cible_bench_1m';
const NOW = new Date('2026-11-01T00:00:00Z');
const ROUNDS = 3;

async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function naiveRefresh(db: Db, sql: string): Promise<void> {
  await withTransaction(db, async (client) => {
    await client.query(`SET LOCAL work_mem = '256MB'`);
    await client.query(bindNamed(sql, { now: NOW }));
  });
}

/**
 * Full metrics refresh on the 1M customers / 10M transactions seed, against the naive single-query
 * NTILE refresh (bench/baselines/naive-metrics.sql) in the same run, alternating, after one warm-up
 * of each (the first fills the tables; the measured runs replace existing rows, as a nightly run does).
 */
export async function benchMetrics(options: { customers: number; transactions: number }): Promise<void> {
  const db = await openBenchDatabase(DB);
  const { rows } = await db.pool.query<{ c: number; t: number }>(`SELECT (SELECT count(*) FROM customers)::int AS c, (SELECT count(*) FROM transactions)::int AS t`);
  if (rows[0].c !== options.customers || rows[0].t !== options.transactions)
    await generateBase({ db, customers: options.customers, transactions: options.transactions, seed: 1, now: NOW, reset: true });
  const naive = await readFile('bench/baselines/naive-metrics.sql', 'utf8');
  await db.pool.query(`DROP TABLE IF EXISTS naive_customer_metrics`);
  await db.pool.query(`CREATE TABLE naive_customer_metrics (LIKE customer_metrics INCLUDING ALL)`);

  await refreshAllMetrics({ db, now: NOW });
  await naiveRefresh(db, naive);
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    ours.push(await seconds(() => refreshAllMetrics({ db, now: NOW })));
    theirs.push(await seconds(() => naiveRefresh(db, naive)));
  }
  const o = median(ours);
  const n = median(theirs);
  report({
    bench: 'metrics.full_refresh',
    customers: rows[0].c || options.customers,
    transactions: rows[0].t || options.transactions,
    rounds: ROUNDS,
    seconds: Number(o.toFixed(2)),
    naiveNtileSeconds: Number(n.toFixed(2)),
    speedup: Number((n / o).toFixed(2)),
    target: { seconds: 15, speedup: 3 },
  });
  await db.pool.query(`DROP TABLE IF EXISTS naive_customer_metrics`);
  await closeDatabase(db);
}
