import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { createCampaign } from '../../src/campaigns/campaigns.js';
import { cancelCampaign, launchCampaign, scheduleCampaign } from '../../src/campaigns/campaign-commands.js';
import { createSegment } from '../../src/segmentation/segments.js';
import { campaignsQueue } from '../../src/workers/campaigns.worker.js';
import { installCampaignTick, scheduleRunPlanning } from '../../src/workers/queues.js';
import { startTestApp, type TestApp } from '../support/app.js';

/*
 * The campaigns queue with its real worker, real PostgreSQL and Redis, and the scheduler tick every
 * second: a launch through the API is planned into the ledger, a scheduled campaign fires through the
 * tick, a permanent planning failure fails the run at once, and a planner killed mid-transaction leaves
 * nothing behind and is planned exactly once by the retry.
 */

const LIMITS = { maxDepth: 8 };

let app: TestApp;
let serial = 0;

beforeAll(async () => {
  app = await startTestApp({ CAMPAIGN_TICK_SECONDS: '1' }, { workers: [campaignsQueue] });
  await installCampaignTick(app.services.queues, app.config.campaigns);
});
afterEach(async () => {
  const { rows } = await app.db.pool.query<{ id: string }>(`SELECT id FROM campaigns WHERE status IN ('SCHEDULED', 'RUNNING', 'PAUSED')`);
  for (const c of rows) await cancelCampaign({ db: app.db, id: c.id, now: new Date() });
});
afterAll(async () => {
  await app?.services.queues.campaigns.removeJobScheduler('campaign-tick').catch(() => undefined);
  await app?.close();
});

/** Polls `check` every 100 ms until it holds (or `ms` pass); returns its last answer. */
async function until(check: () => Promise<boolean>, ms = 20_000): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Customers of `city` (with an email address unless `withoutEmail`); returns their ids. */
async function addCustomers(city: string, count: number, options: { withoutEmail?: boolean } = {}): Promise<string[]> {
  const n = Array.from({ length: count }, () => ++serial);
  const { rows } = await app.db.pool.query<{ id: string }>(
    `INSERT INTO customers (external_id, email, city) SELECT 'worker-' || n, CASE WHEN $3 THEN NULL ELSE 'worker-' || n || '@example.com' END, $2
     FROM unnest($1::int[]) AS n RETURNING id`,
    [n, city, options.withoutEmail ?? false],
  );
  return rows.map((r) => r.id);
}

/** A transactional email campaign to the customers of `city`; returns its id and its segment's. */
async function newCampaign(city: string): Promise<{ id: string; segmentId: string }> {
  const now = new Date();
  const { segment } = await createSegment({ db: app.db, name: `city ${city}`, definition: { condition: { field: 'customer.city', operator: 'EQ', value: { string: city } } }, now, limits: LIMITS });
  const detail = await createCampaign({
    db: app.db,
    input: { name: `to ${city}`, channel: 'EMAIL', category: 'TRANSACTIONAL', targetSegmentIds: [segment.id], variants: [{ key: 'A', emailSubject: 'Your order', emailText: 'Hello' }] },
    owner: 'test',
    now,
  });
  return { id: detail.campaign.id, segmentId: segment.id };
}

async function runsOf(campaignId: string) {
  const { rows } = await app.db.pool.query<{ id: string; status: string; planned: number | null; error: string | null }>(
    `SELECT id, status, planned, error FROM campaign_runs WHERE campaign_id = $1 ORDER BY id`,
    [campaignId],
  );
  return rows;
}

async function campaignStatus(id: string): Promise<string> {
  return (await app.db.pool.query<{ status: string }>(`SELECT status FROM campaigns WHERE id = $1`, [id])).rows[0].status;
}

/** The ledger of a run: outcome by customer. */
async function ledger(runId: string): Promise<Map<string, string>> {
  const { rows } = await app.db.pool.query<{ customer_id: string; outcome: string }>(`SELECT customer_id, outcome FROM messages WHERE run_id = $1`, [runId]);
  return new Map(rows.map((r) => [r.customer_id, r.outcome]));
}

const launch = (id: string, now = new Date()) => launchCampaign({ db: app.db, id, acknowledgeWarnings: true, now, limits: LIMITS, narrowThreshold: 0 });

test('a campaign launched through the API is planned by the worker: one ledger row per customer', async () => {
  const customers = await addCustomers('Arles', 4);
  const { id } = await newCampaign('Arles');
  const res = await app.gql(`mutation ($id: ID!) { launchCampaign(id: $id, acknowledgeWarnings: true) { id status } }`, { id });
  expect(res.errors).toBeUndefined();
  expect(res.data?.launchCampaign).toEqual({ id, status: 'RUNNING' });
  expect(await until(async () => (await runsOf(id))[0]?.status === 'RUNNING')).toBe(true);
  expect(await runsOf(id)).toMatchObject([{ status: 'RUNNING', planned: 4 }]);
  const rows = await ledger((await runsOf(id))[0].id);
  expect([...rows.keys()].sort()).toEqual([...customers].sort());
  expect(new Set(rows.values())).toEqual(new Set(['RESERVED']));
});

test('a campaign scheduled a moment ahead fires through the tick and is planned', async () => {
  await addCustomers('Albi', 3);
  const { id } = await newCampaign('Albi');
  const now = new Date();
  await scheduleCampaign({ db: app.db, id, schedule: { at: new Date(now.getTime() + 1_000).toISOString() }, acknowledgeWarnings: true, now, limits: LIMITS, narrowThreshold: 0 });
  expect(await campaignStatus(id)).toBe('SCHEDULED');
  expect(await until(async () => (await runsOf(id))[0]?.status === 'RUNNING')).toBe(true);
  expect(await runsOf(id)).toMatchObject([{ status: 'RUNNING', planned: 3 }]);
  expect(await campaignStatus(id)).toBe('RUNNING');
  expect((await ledger((await runsOf(id))[0].id)).size).toBe(3);
});

test('a target segment whose definition no longer compiles fails the run for good at the first attempt (and a one-shot campaign with it)', async () => {
  await addCustomers('Agen', 2);
  const { id, segmentId } = await newCampaign('Agen');
  // As if the field it uses had gone from the catalogue: the API never saves such a definition.
  await app.db.pool.query(`UPDATE segments SET definition = jsonb_set(definition, '{root,condition,field}', '"customer.no_such_field"') WHERE id = $1`, [segmentId]);
  const { runId } = await launch(id);
  await scheduleRunPlanning(app.services.queues, runId!);
  expect(await until(async () => (await runsOf(id))[0]?.status === 'FAILED')).toBe(true);
  const [run] = await runsOf(id);
  expect(run.error).toMatch(/no_such_field/);
  expect(await campaignStatus(id)).toBe('FAILED');
  expect((await ledger(run.id)).size).toBe(0);
  const job = await app.services.queues.campaigns.getJob(`campaign-run-${runId}`);
  expect(job?.attemptsMade).toBe(1);
  expect(job?.failedReason).toMatch(/no_such_field/);
});

test('a planner killed mid-transaction leaves no partial ledger; the retried job plans the run exactly once', async () => {
  const blocked = await addCustomers('Dole', 5, { withoutEmail: true });
  const reached = await addCustomers('Dole', 20);
  const { id } = await newCampaign('Dole');
  const { rows: anyRun } = await app.db.pool.query<{ id: string }>(`SELECT id FROM campaign_runs ORDER BY id LIMIT 1`);
  expect(anyRun).toHaveLength(1);

  // Hold a ledger id the planner will reach half-way: an uncommitted row with that primary key (id,
  // run_at) makes its INSERT wait, after it has already written the 5 suppressed rows and part of the
  // 20 reserved ones in its transaction. The row hangs off an unrelated run.
  const now = new Date();
  const holder = await app.db.pool.connect();
  let plannerPid: number | null = null;
  try {
    await holder.query('BEGIN');
    const { rows: seq } = await holder.query<{ next: string }>(
      `SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END AS next FROM messages_id_seq`,
    );
    const heldId = BigInt(seq[0].next) + 5n + 10n;
    await holder.query(
      `INSERT INTO messages (id, run_id, run_at, campaign_id, customer_id, outcome, updated_at) OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, 0, 0, 'RESERVED', $3)`,
      [heldId.toString(), anyRun[0].id, now],
    );
    const holderPid = (await holder.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`)).rows[0].pid;

    const { runId } = await launch(id, now);
    await scheduleRunPlanning(app.services.queues, runId!);
    expect(
      await until(async () => {
        const { rows } = await app.db.pool.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))`, [holderPid]);
        plannerPid = rows[0]?.pid ?? null;
        return plannerPid !== null;
      }),
    ).toBe(true);
    const { rows: waiting } = await app.db.pool.query<{ query: string; backend_xid: string | null }>(`SELECT query, backend_xid FROM pg_stat_activity WHERE pid = $1`, [plannerPid]);
    expect(waiting[0].query).toMatch(/INSERT INTO messages/);
    expect(waiting[0].backend_xid).not.toBeNull();

    expect((await app.db.pool.query<{ ok: boolean }>(`SELECT pg_terminate_backend($1) AS ok`, [plannerPid])).rows[0].ok).toBe(true);
    await holder.query('ROLLBACK');
  } finally {
    await holder.query('ROLLBACK').catch(() => undefined);
    holder.release();
  }

  // Nothing of the killed attempt is left: the run waits for the retry (about 5 s of backoff).
  const [run] = await runsOf(id);
  expect(run.status).toBe('PENDING');
  expect((await ledger(run.id)).size).toBe(0);

  expect(await until(async () => (await runsOf(id))[0].status === 'RUNNING')).toBe(true);
  expect(await runsOf(id)).toMatchObject([{ status: 'RUNNING', planned: 25 }]);
  const { rows: counts } = await app.db.pool.query<{ rows: number; customers: number }>(
    `SELECT count(*)::int AS rows, count(DISTINCT customer_id)::int AS customers FROM messages WHERE run_id = $1`,
    [run.id],
  );
  expect(counts[0]).toEqual({ rows: 25, customers: 25 });
  const rows = await ledger(run.id);
  expect(blocked.map((c) => rows.get(c))).toEqual(blocked.map(() => 'SUPPRESSED'));
  expect(reached.map((c) => rows.get(c))).toEqual(reached.map(() => 'RESERVED'));
});

test('a recurring campaign whose run fails for good stays SCHEDULED for its next occurrence', async () => {
  await addCustomers('Auch', 2);
  const { id, segmentId } = await newCampaign('Auch');
  await app.db.pool.query(`UPDATE segments SET definition = jsonb_set(definition, '{root,condition,field}', '"customer.no_such_field"') WHERE id = $1`, [segmentId]);
  const now = new Date();
  await scheduleCampaign({ db: app.db, id, schedule: { cron: '0 3 * * *', timeZone: 'UTC' }, acknowledgeWarnings: true, now, limits: LIMITS, narrowThreshold: 0 });
  // Due now rather than at 03:00: the tick takes it from there.
  const dueAt = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  await app.db.pool.query(`UPDATE campaigns SET next_run_at = $2 WHERE id = $1`, [id, dueAt]);
  expect(await until(async () => (await runsOf(id))[0]?.status === 'FAILED')).toBe(true);
  expect(await runsOf(id)).toHaveLength(1);
  const { rows } = await app.db.pool.query<{ status: string; next_run_at: Date }>(`SELECT status, next_run_at FROM campaigns WHERE id = $1`, [id]);
  expect(rows[0].status).toBe('SCHEDULED');
  expect(rows[0].next_run_at.toISOString()).toMatch(/T03:00:00\.000Z$/);
  expect(rows[0].next_run_at.getTime()).toBeGreaterThan(dueAt.getTime());
});
