import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { maintenanceQueue } from '../../src/workers/maintenance.worker.js';
import { createQueues, type Queues } from '../../src/workers/queues.js';
import { startWorkers, type RunningWorkers } from '../../src/workers/runtime.js';
import { createTestDb, type TestDb } from '../support/databases.js';

let db: TestDb;
let redis: Redis;
let queues: Queues;
let workers: RunningWorkers;

beforeAll(async () => {
  db = await createTestDb();
  const config = loadConfig({ ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: db.url, QUEUE_PREFIX: `test-${randomBytes(4).toString('hex')}` });
  redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  queues = createQueues(redis, config.queuePrefix);
  workers = startWorkers({ config, db, logger: createLogger(config), redis, queues: [maintenanceQueue] });
});
afterAll(async () => {
  await workers?.close();
  await queues?.maintenance.obliterate({ force: true }).catch(() => undefined);
  await queues?.close();
  redis?.disconnect();
  await db?.drop();
});

async function lastAnalyze(table: string): Promise<Date | null> {
  const { rows } = await db.pool.query(`SELECT last_analyze FROM pg_stat_user_tables WHERE relname = $1`, [table]);
  return rows[0]?.last_analyze ?? null;
}

test('an analyze job refreshes the planner statistics of its table, and repeated requests share one job', async () => {
  const before = await lastAnalyze('transactions');
  // Same id three times while the first waits: one job.
  for (let i = 0; i < 3; i++) await queues.maintenance.add('analyze', { table: 'transactions' }, { jobId: 'analyze-transactions', delay: 200 });
  expect(await queues.maintenance.getJobCountByTypes('delayed', 'waiting', 'active', 'completed')).toBe(1);
  const until = Date.now() + 15_000;
  let after = await lastAnalyze('transactions');
  while ((!after || (before && after <= before)) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    after = await lastAnalyze('transactions');
  }
  expect(after).not.toBeNull();
  if (before) expect(after!.getTime()).toBeGreaterThan(before.getTime());
});

test('a job naming a table outside the list fails for good, without retries', async () => {
  const job = await queues.maintenance.add('analyze', { table: 'api_keys; DROP TABLE customers' }, { attempts: 3 });
  const until = Date.now() + 15_000;
  while (!(await job.isFailed()) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  const failed = await queues.maintenance.getJob(job.id!);
  expect(failed?.failedReason).toMatch(/not an analyzable table/);
  expect(failed?.attemptsMade).toBe(1);
  const { rows } = await db.pool.query(`SELECT to_regclass('public.customers') IS NOT NULL AS present`);
  expect(rows[0].present).toBe(true);
});

test('once a refresh has run, the next request for the same table runs again (finished jobs do not block their id)', async () => {
  const ran = async () => {
    const before = await lastAnalyze('customer_events');
    await queues.maintenance.add('analyze', { table: 'customer_events' }, { jobId: 'analyze-customer_events', delay: 50 });
    const until = Date.now() + 15_000;
    let after = await lastAnalyze('customer_events');
    while ((!after || (before && after <= before)) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      after = await lastAnalyze('customer_events');
    }
    return after !== null && (!before || after > before);
  };
  expect(await ran()).toBe(true);
  await new Promise((r) => setTimeout(r, 20)); // last_analyze has microsecond precision; keep the runs apart
  expect(await ran()).toBe(true);
});
