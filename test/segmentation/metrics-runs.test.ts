import { afterAll, beforeAll, expect, test } from 'vitest';
import { RunBusyError } from '../../src/errors.js';
import { listMetricsRuns, queueMetricsRun, runMetricsRefresh } from '../../src/segmentation/metrics-runs.js';
import { createTestDb, type TestDb } from '../support/databases.js';

/*
 * Recorded refreshes: run once, a delivery while another session holds the run retries later, and a
 * run a dead worker left RUNNING starts over instead of staying RUNNING for ever.
 */

const NOW = new Date('2026-06-15T12:00:00.000Z');
let db: TestDb;

beforeAll(async () => {
  db = await createTestDb();
  await db.pool.query(`INSERT INTO customers (external_id) VALUES ('a'), ('b')`);
});
afterAll(async () => {
  await db?.drop();
});

const statusOf = async (id: string) => (await listMetricsRuns({ db, limit: 50 })).find((r) => r.id === id)!;

test('a run is done once; a delivery while it is claimed elsewhere is told to retry', async () => {
  const id = await queueMetricsRun({ db, kind: 'FULL', now: NOW });
  // Another session holds the claim (a first delivery still running).
  const other = await db.pool.connect();
  try {
    await other.query('SELECT pg_advisory_lock(724811, $1::int)', [id]);
    await expect(runMetricsRefresh({ db, runId: id, now: NOW })).rejects.toThrow(RunBusyError);
    expect((await statusOf(id)).status).toBe('QUEUED');
  } finally {
    await other.query('SELECT pg_advisory_unlock_all()');
    other.release();
  }
  expect(await runMetricsRefresh({ db, runId: id, now: NOW })).toBe('SUCCEEDED');
  expect(await runMetricsRefresh({ db, runId: id, now: NOW })).toBe('SKIPPED');
  expect(await statusOf(id)).toMatchObject({ status: 'SUCCEEDED', customers: 2 });
});

test('a run left RUNNING by a worker that died starts over with the next delivery', async () => {
  const id = await queueMetricsRun({ db, kind: 'FULL', now: NOW });
  // What a killed worker leaves: the row RUNNING, no session holding the claim.
  await db.pool.query(`UPDATE metrics_refreshes SET status = 'RUNNING', started_at = $2 WHERE id = $1`, [id, NOW]);
  expect(await runMetricsRefresh({ db, runId: id, now: NOW })).toBe('SUCCEEDED');
  expect((await statusOf(id)).status).toBe('SUCCEEDED');
});
