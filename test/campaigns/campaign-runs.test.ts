import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { completeRunIfDone, fireDueCampaigns, planRun, type RunSettings } from '../../src/campaigns/campaign-runs.js';
import { createCampaign, getCampaigns, type CampaignRow } from '../../src/campaigns/campaigns.js';
import { cancelCampaign, pauseCampaign, resumeCampaign, scheduleCampaign } from '../../src/campaigns/campaign-commands.js';
import type { ScheduleInput } from '../../src/campaigns/schedule.js';
import { createSegment } from '../../src/segmentation/segments.js';
import { createTestDb, type TestDb } from '../support/databases.js';

/*
 * Campaign runs on real PostgreSQL, driven by synthetic instants: the scheduler tick (fireDueCampaigns)
 * at chosen `now`s, as if the service had been up (or down) then, and planning (planRun) of the runs
 * it hands out. Each test has its own customers (by city) and campaign; what a test leaves running is
 * cancelled after it, so that the next test's ticks only see their own campaign.
 */

const SETTINGS: RunSettings = { defaultTimeZone: 'Europe/Paris', fallbackOrder: ['EMAIL', 'SMS'], limits: { maxDepth: 8 }, latenessLimitMs: 3_600_000 };
const LIMITS = { maxDepth: 8 };
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const at = (iso: string) => new Date(iso);

let db: TestDb;
let serial = 0;

beforeAll(async () => {
  db = await createTestDb();
});
afterEach(async () => {
  const { rows } = await db.pool.query<{ id: string; updated_at: Date }>(`SELECT id, updated_at FROM campaigns WHERE status IN ('SCHEDULED', 'RUNNING', 'PAUSED')`);
  for (const c of rows) await cancelCampaign({ db, id: c.id, now: c.updated_at });
});
afterAll(async () => {
  await db?.drop();
});

interface CustomerSpec {
  timeZone?: string | null;
  /** Subscribed to marketing email (transactional campaigns need no consent). */
  subscribed?: boolean;
}

/** Customers of `city`, each with their own email address; returns their ids in order. */
async function addCustomers(city: string, specs: CustomerSpec[]): Promise<string[]> {
  const n = specs.map(() => ++serial);
  const { rows } = await db.pool.query<{ id: string }>(
    `INSERT INTO customers (external_id, email, city, time_zone)
     SELECT 'runs-' || n, 'runs-' || n || '@example.com', $2, tz FROM unnest($1::int[], $3::text[]) WITH ORDINALITY AS t (n, tz, i)
     ORDER BY i RETURNING id`,
    [n, city, specs.map((s) => s.timeZone ?? null)],
  );
  const subscribed = rows.filter((_, i) => specs[i].subscribed).map((r) => r.id);
  if (subscribed.length)
    await db.pool.query(
      `INSERT INTO customer_consents (customer_id, channel, status, changed_at) SELECT id, 'EMAIL', 'SUBSCRIBED', '2026-01-01T00:00:00Z' FROM unnest($1::bigint[]) AS id`,
      [subscribed],
    );
  return rows.map((r) => r.id);
}

/** An email campaign to the customers of `city` (a dynamic segment, evaluated at each run). */
async function newCampaign(city: string, options: { category?: 'MARKETING' | 'TRANSACTIONAL'; latenessLimitMinutes?: number } = {}): Promise<string> {
  const now = at('2026-01-01T00:00:00Z');
  const { segment } = await createSegment({ db, name: `city ${city}`, definition: { condition: { field: 'customer.city', operator: 'EQ', value: { string: city } } }, now, limits: LIMITS });
  const detail = await createCampaign({
    db,
    input: {
      name: `to ${city}`,
      channel: 'EMAIL',
      category: options.category ?? 'TRANSACTIONAL',
      targetSegmentIds: [segment.id],
      latenessLimitMinutes: options.latenessLimitMinutes ?? null,
      variants: [{ key: 'A', emailSubject: 'Your order', emailText: 'Hello' }],
    },
    owner: 'test',
    now,
  });
  return detail.campaign.id;
}

async function schedule(id: string, input: ScheduleInput, now: string): Promise<CampaignRow> {
  return (await scheduleCampaign({ db, id, schedule: input, acknowledgeWarnings: true, now: at(now), limits: LIMITS, narrowThreshold: 0 })).campaign;
}

const tick = (now: string) => fireDueCampaigns({ db, now: at(now), settings: SETTINGS });
const plan = (runId: string, now: string) => planRun({ db, runId, now: at(now), settings: SETTINGS });

async function campaign(id: string): Promise<CampaignRow> {
  return (await getCampaigns(db, [id]))[0];
}

interface Run {
  id: string;
  status: string;
  scheduledFor: string;
  lateByMs: number | null;
  planned: number | null;
  finished: boolean;
}

async function runsOf(campaignId: string): Promise<Run[]> {
  const { rows } = await db.pool.query<{ id: string; status: string; scheduled_for: Date; late_by_ms: number | null; planned: number | null; finished_at: Date | null }>(
    `SELECT id, status, scheduled_for, late_by_ms::float8 AS late_by_ms, planned, finished_at FROM campaign_runs WHERE campaign_id = $1 ORDER BY scheduled_for`,
    [campaignId],
  );
  return rows.map((r) => ({ id: r.id, status: r.status, scheduledFor: r.scheduled_for.toISOString(), lateByMs: r.late_by_ms, planned: r.planned, finished: r.finished_at !== null }));
}

interface Message {
  customerId: string;
  outcome: string;
  reason: string | null;
  contactAt: string | null;
}

/** A run's messages by customer id. */
async function messagesOf(runId: string): Promise<Map<string, Message>> {
  const { rows } = await db.pool.query<{ customer_id: string; outcome: string; reason: string | null; contact_at: Date | null }>(
    `SELECT customer_id, outcome, reason, contact_at FROM messages WHERE run_id = $1 ORDER BY customer_id`,
    [runId],
  );
  return new Map(rows.map((r) => [r.customer_id, { customerId: r.customer_id, outcome: r.outcome, reason: r.reason, contactAt: r.contact_at?.toISOString() ?? null }]));
}

/** What the dispatcher does after a batch: the reserved messages are sent, then the run may complete. */
async function sendAll(runId: string, now: string): Promise<boolean> {
  await db.pool.query(`UPDATE messages SET outcome = 'SENT', sent_at = $2, updated_at = $2 WHERE run_id = $1 AND outcome = 'RESERVED'`, [runId, at(now)]);
  const client = await db.pool.connect();
  try {
    return await completeRunIfDone(client, runId, at(now));
  } finally {
    client.release();
  }
}

describe('a recurring campaign (every day at 10:00 in Paris)', () => {
  const DAILY_10 = { cron: '0 10 * * *', timeZone: 'Europe/Paris' };

  test('one run per occurrence, planned once, each re-resolving the audience; the campaign stays SCHEDULED', async () => {
    const lyon = await addCustomers('Lyon', [{}, { timeZone: 'America/New_York' }, {}]);
    const id = await newCampaign('Lyon');
    expect(await schedule(id, DAILY_10, '2026-06-15T07:00:00Z')).toMatchObject({ status: 'SCHEDULED', nextRunAt: at('2026-06-15T08:00:00Z') });

    expect(await tick('2026-06-15T07:59:59.999Z')).toEqual([]);
    expect(await runsOf(id)).toEqual([]);

    // The occurrence: one PENDING run, however often the tick looks at that instant.
    const handedOut = await tick('2026-06-15T08:00:00Z');
    const handedAgain = await tick('2026-06-15T08:00:00Z');
    const [run1] = await runsOf(id);
    expect(await runsOf(id)).toEqual([{ id: run1.id, status: 'PENDING', scheduledFor: '2026-06-15T08:00:00.000Z', lateByMs: 0, planned: null, finished: false }]);
    expect(handedOut).toEqual([run1.id]);
    // A PENDING run is handed out again (its planning job may have been lost), never doubled.
    expect(handedAgain).toEqual([run1.id]);
    expect(await campaign(id)).toMatchObject({ status: 'SCHEDULED', nextRunAt: at('2026-06-16T08:00:00Z') });

    expect(await plan(run1.id, '2026-06-15T08:00:05Z')).toBe('PLANNED');
    expect(await plan(run1.id, '2026-06-15T08:00:06Z')).toBe('SKIPPED');
    expect((await runsOf(id))[0]).toMatchObject({ status: 'RUNNING', planned: 3 });
    const first = await messagesOf(run1.id);
    expect([...first.keys()]).toEqual(lyon);
    for (const m of first.values()) expect(m).toMatchObject({ outcome: 'RESERVED', reason: null, contactAt: '2026-06-15T08:00:05.000Z' });
    expect((await campaign(id)).status).toBe('SCHEDULED');
    expect(await tick('2026-06-15T08:00:10Z')).toEqual([]);

    // The dispatcher sends everything: the run completes, the campaign waits for the next occurrence.
    expect(await sendAll(run1.id, '2026-06-15T08:01:00Z')).toBe(true);
    expect((await runsOf(id))[0]).toMatchObject({ status: 'COMPLETED', finished: true });
    expect(await campaign(id)).toMatchObject({ status: 'SCHEDULED', nextRunAt: at('2026-06-16T08:00:00Z'), finishedAt: null });

    // A new customer between runs; two schedulers tick at once on the next occurrence.
    const [newcomer] = await addCustomers('Lyon', [{}]);
    const [a, b] = await Promise.all([tick('2026-06-16T08:00:30Z'), tick('2026-06-16T08:00:30Z')]);
    const runs = await runsOf(id);
    expect(runs.map((r) => [r.scheduledFor, r.status, r.lateByMs])).toEqual([
      ['2026-06-15T08:00:00.000Z', 'COMPLETED', 0],
      ['2026-06-16T08:00:00.000Z', 'PENDING', 30_000],
    ]);
    const run2 = runs[1];
    expect(new Set([...a, ...b])).toEqual(new Set([run2.id]));

    // Two planners at once: one plans, the other finds it done.
    expect((await Promise.all([plan(run2.id, '2026-06-16T08:00:31Z'), plan(run2.id, '2026-06-16T08:00:31Z')])).sort()).toEqual(['PLANNED', 'SKIPPED']);
    const second = await messagesOf(run2.id);
    expect([...second.keys()]).toEqual([...lyon, newcomer]);
    expect((await runsOf(id))[1]).toMatchObject({ status: 'RUNNING', planned: 4 });
    const { rows: doubles } = await db.pool.query(`SELECT run_id, customer_id FROM messages WHERE campaign_id = $1 GROUP BY 1, 2 HAVING count(*) > 1`, [id]);
    expect(doubles).toEqual([]);

    // A run still sending does not hold back the next occurrence.
    const third = await tick('2026-06-17T08:00:00Z');
    expect((await runsOf(id)).map((r) => r.status)).toEqual(['COMPLETED', 'RUNNING', 'PENDING']);
    expect(third).toEqual([(await runsOf(id))[2].id]);
    expect(await campaign(id)).toMatchObject({ status: 'SCHEDULED', nextRunAt: at('2026-06-18T08:00:00Z') });
  });

  test.each([
    ['within the default limit (30 min late): the latest fires', null, '2026-06-17T08:30:00Z', 'PENDING', 30 * MINUTE],
    ['beyond the default limit (90 min late): skipped too', null, '2026-06-17T09:30:00Z', 'SKIPPED_LATE', 90 * MINUTE],
    ["within the campaign's own limit of 120 min (90 min late): the latest fires", 120, '2026-06-17T09:30:00Z', 'PENDING', 90 * MINUTE],
    ["beyond the campaign's own limit of 10 min (30 min late): skipped", 10, '2026-06-17T08:30:00Z', 'SKIPPED_LATE', 30 * MINUTE],
  ])('down for three occurrences, the older two are SKIPPED_LATE; the latest, %s', async (_, limit, now, latest, lateBy) => {
    const city = `Nantes-${limit}-${now}`;
    await addCustomers(city, [{}, {}]);
    const id = await newCampaign(city, { latenessLimitMinutes: limit ?? undefined });
    await schedule(id, DAILY_10, '2026-06-15T07:00:00Z');

    const handedOut = await tick(now);
    const runs = await runsOf(id);
    expect(runs.map((r) => [r.scheduledFor, r.status, r.lateByMs, r.finished])).toEqual([
      ['2026-06-15T08:00:00.000Z', 'SKIPPED_LATE', 2 * DAY + lateBy, true],
      ['2026-06-16T08:00:00.000Z', 'SKIPPED_LATE', DAY + lateBy, true],
      ['2026-06-17T08:00:00.000Z', latest, lateBy, latest === 'SKIPPED_LATE'],
    ]);
    expect(handedOut).toEqual(latest === 'PENDING' ? [runs[2].id] : []);
    expect(await campaign(id)).toMatchObject({ status: 'SCHEDULED', nextRunAt: at('2026-06-18T08:00:00Z') });
    // The next tick at the same instant records nothing more.
    await tick(now);
    expect(await runsOf(id)).toHaveLength(3);
  });

  test('paused: a due occurrence does not fire; resumed within the limit, it fires late', async () => {
    await addCustomers('Brest', [{}]);
    const id = await newCampaign('Brest');
    await schedule(id, DAILY_10, '2026-06-15T07:00:00Z');
    await pauseCampaign({ db, id, now: at('2026-06-15T07:30:00Z') });
    expect(await tick('2026-06-15T08:00:00Z')).toEqual([]);
    expect(await tick('2026-06-15T08:10:00Z')).toEqual([]);
    expect(await runsOf(id)).toEqual([]);
    expect((await resumeCampaign({ db, id, now: at('2026-06-15T08:20:00Z') })).campaign).toMatchObject({ status: 'SCHEDULED', nextRunAt: at('2026-06-15T08:00:00Z') });
    const handedOut = await tick('2026-06-15T08:20:00Z');
    const runs = await runsOf(id);
    expect(runs.map((r) => [r.scheduledFor, r.status, r.lateByMs])).toEqual([['2026-06-15T08:00:00.000Z', 'PENDING', 20 * MINUTE]]);
    expect(handedOut).toEqual([runs[0].id]);
  });

  test('paused with a PENDING run: not planned until resumed; resumed, it stays SCHEDULED so the next occurrences still fire', async () => {
    await addCustomers('Metz', [{}, {}]);
    const id = await newCampaign('Metz');
    await schedule(id, DAILY_10, '2026-06-15T07:00:00Z');
    const [runId] = await tick('2026-06-15T08:00:00Z');
    await pauseCampaign({ db, id, now: at('2026-06-15T08:00:01Z') });
    expect(await tick('2026-06-15T08:00:02Z')).toEqual([]);
    expect(await plan(runId, '2026-06-15T08:00:03Z')).toBe('PAUSED');
    expect((await messagesOf(runId)).size).toBe(0);
    expect((await runsOf(id))[0].status).toBe('PENDING');

    expect((await resumeCampaign({ db, id, now: at('2026-06-15T08:05:00Z') })).campaign.status).toBe('SCHEDULED');
    expect(await tick('2026-06-15T08:05:01Z')).toEqual([runId]);
    expect(await plan(runId, '2026-06-15T08:05:02Z')).toBe('PLANNED');
    expect((await messagesOf(runId)).size).toBe(2);
    // The first run is still sending (RUNNING) when the next day comes: that occurrence fires all the same.
    await tick('2026-06-16T08:00:00Z');
    expect((await runsOf(id)).map((r) => [r.scheduledFor, r.status])).toEqual([
      ['2026-06-15T08:00:00.000Z', 'RUNNING'],
      ['2026-06-16T08:00:00.000Z', 'PENDING'],
    ]);
  });

  test('cancelled: open runs are CANCELLED, unsent messages CANCELLED with CAMPAIGN_CANCELLED, sent ones stay', async () => {
    // Marketing: 10:00 in Paris is fine; 01:00 in Los Angeles is in the default quiet hours (21:00–08:00), so DEFERRED.
    const [paris1, paris2, la] = await addCustomers('Rouen', [{ subscribed: true }, { subscribed: true }, { timeZone: 'America/Los_Angeles', subscribed: true }]);
    const id = await newCampaign('Rouen', { category: 'MARKETING' });
    await schedule(id, DAILY_10, '2026-06-15T07:00:00Z');
    const [run1] = await tick('2026-06-15T08:00:00Z');
    expect(await plan(run1, '2026-06-15T08:00:00Z')).toBe('PLANNED');
    const planned = await messagesOf(run1);
    expect([planned.get(paris1)?.outcome, planned.get(paris2)?.outcome, planned.get(la)?.outcome]).toEqual(['RESERVED', 'RESERVED', 'DEFERRED']);
    // 08:00 in Los Angeles, the end of its quiet hours.
    expect(planned.get(la)?.contactAt).toBe('2026-06-15T15:00:00.000Z');
    await db.pool.query(`UPDATE messages SET outcome = 'SENT', sent_at = $3 WHERE run_id = $1 AND customer_id = $2`, [run1, paris1, at('2026-06-15T08:00:05Z')]);
    const [run2] = await tick('2026-06-16T08:00:00Z');

    const { campaign: cancelled } = await cancelCampaign({ db, id, now: at('2026-06-16T08:00:10Z') });
    expect(cancelled).toMatchObject({ status: 'CANCELLED', nextRunAt: null, finishedAt: at('2026-06-16T08:00:10Z') });
    expect((await runsOf(id)).map((r) => [r.id, r.status, r.finished])).toEqual([
      [run1, 'CANCELLED', true],
      [run2, 'CANCELLED', true],
    ]);
    const after = await messagesOf(run1);
    expect([after.get(paris1), after.get(paris2), after.get(la)].map((m) => [m?.outcome, m?.reason])).toEqual([
      ['SENT', null],
      ['CANCELLED', 'CAMPAIGN_CANCELLED'],
      ['CANCELLED', 'CAMPAIGN_CANCELLED'],
    ]);
    // Nothing fires or plans afterwards.
    expect(await tick('2026-06-17T08:00:00Z')).toEqual([]);
    expect(await plan(run2, '2026-06-17T08:00:01Z')).toBe('SKIPPED');
    expect((await messagesOf(run2)).size).toBe(0);
    expect(await runsOf(id)).toHaveLength(2);
  });
});

describe('a one-shot campaign at an instant', () => {
  test('missed beyond the lateness limit: the run is SKIPPED_LATE and the campaign PAUSED; resumed, it fires at the next tick', async () => {
    await addCustomers('Lille', [{}, {}]);
    const id = await newCampaign('Lille');
    await schedule(id, { at: '2026-06-15T08:00:00Z' }, '2026-06-15T07:00:00Z');
    expect(await tick('2026-06-15T09:30:00Z')).toEqual([]);
    expect(await runsOf(id)).toMatchObject([{ scheduledFor: '2026-06-15T08:00:00.000Z', status: 'SKIPPED_LATE', lateByMs: 90 * MINUTE, finished: true }]);
    expect(await campaign(id)).toMatchObject({ status: 'PAUSED', nextRunAt: null });
    expect(await tick('2026-06-15T09:31:00Z')).toEqual([]);

    expect((await resumeCampaign({ db, id, now: at('2026-06-15T09:40:00Z') })).campaign).toMatchObject({ status: 'SCHEDULED', nextRunAt: at('2026-06-15T09:40:00Z') });
    const [runId] = await tick('2026-06-15T09:40:05Z');
    expect((await runsOf(id)).map((r) => [r.scheduledFor, r.status, r.lateByMs])).toEqual([
      ['2026-06-15T08:00:00.000Z', 'SKIPPED_LATE', 90 * MINUTE],
      ['2026-06-15T09:40:00.000Z', 'PENDING', 5_000],
    ]);
    expect(await campaign(id)).toMatchObject({ status: 'RUNNING', nextRunAt: null });
    expect(await plan(runId, '2026-06-15T09:40:06Z')).toBe('PLANNED');
    expect((await messagesOf(runId)).size).toBe(2);
    expect(await sendAll(runId, '2026-06-15T09:41:00Z')).toBe(true);
    expect(await campaign(id)).toMatchObject({ status: 'COMPLETED', finishedAt: at('2026-06-15T09:41:00Z') });
  });

  test('paused with its run PENDING: planning answers PAUSED and writes nothing; resumed, the run is planned', async () => {
    await addCustomers('Nice', [{}, {}, {}]);
    const id = await newCampaign('Nice');
    await schedule(id, { at: '2026-06-15T08:00:00Z' }, '2026-06-15T07:00:00Z');
    const [runId] = await tick('2026-06-15T08:00:00Z');
    expect(await campaign(id)).toMatchObject({ status: 'RUNNING', nextRunAt: null });
    await pauseCampaign({ db, id, now: at('2026-06-15T08:00:01Z') });
    expect(await tick('2026-06-15T08:00:02Z')).toEqual([]);
    expect(await plan(runId, '2026-06-15T08:00:03Z')).toBe('PAUSED');
    expect((await messagesOf(runId)).size).toBe(0);
    expect((await resumeCampaign({ db, id, now: at('2026-06-15T08:10:00Z') })).campaign.status).toBe('RUNNING');
    expect(await tick('2026-06-15T08:10:01Z')).toEqual([runId]);
    expect(await plan(runId, '2026-06-15T08:10:02Z')).toBe('PLANNED');
    expect((await messagesOf(runId)).size).toBe(3);
    expect(await runsOf(id)).toHaveLength(1);
  });
});

describe('a local-time campaign (2026-07-01 at 10:00 where each customer lives)', () => {
  const JULY_1_AT_10 = { localDate: '2026-07-01', localTime: '10:00' };

  test("the run starts when 10:00 arrives at UTC+14; each message waits for its customer's own 10:00", async () => {
    const [paris, newYork, kiritimati, noZone, pagoPago] = await addCustomers('Lens', [
      { timeZone: 'Europe/Paris' },
      { timeZone: 'America/New_York' },
      { timeZone: 'Pacific/Kiritimati' },
      { timeZone: null },
      { timeZone: 'Pacific/Pago_Pago' },
    ]);
    const id = await newCampaign('Lens');
    expect(await schedule(id, JULY_1_AT_10, '2026-06-30T12:00:00Z')).toMatchObject({ nextRunAt: at('2026-06-30T20:00:00Z') });
    expect(await tick('2026-06-30T19:59:00Z')).toEqual([]);
    const [runId] = await tick('2026-06-30T20:00:00Z');
    expect(await campaign(id)).toMatchObject({ status: 'RUNNING', nextRunAt: null });
    expect(await plan(runId, '2026-06-30T20:00:00Z')).toBe('PLANNED');
    const m = await messagesOf(runId);
    expect([paris, newYork, kiritimati, noZone, pagoPago].map((c) => [m.get(c)?.outcome, m.get(c)?.contactAt])).toEqual([
      ['RESERVED', '2026-07-01T08:00:00.000Z'],
      ['RESERVED', '2026-07-01T14:00:00.000Z'],
      ['RESERVED', '2026-06-30T20:00:00.000Z'],
      // No time zone: the default (Europe/Paris).
      ['RESERVED', '2026-07-01T08:00:00.000Z'],
      ['RESERVED', '2026-07-01T21:00:00.000Z'],
    ]);
  });

  test.each([
    ['the default limit (60 min)', null, 'EXPIRED'],
    ["the campaign's own limit of 120 min", 120, 'RESERVED'],
  ])('planned late (the service was down until 09:30 UTC), under %s: customers whose 10:00 is past by more are EXPIRED, SKIPPED_LATE', async (_, limit, parisOutcome) => {
    const city = `Caen-${limit}`;
    const [kiritimati, paris, london, newYork, pagoPago] = await addCustomers(city, [
      { timeZone: 'Pacific/Kiritimati' },
      { timeZone: 'Europe/Paris' },
      { timeZone: 'Europe/London' },
      { timeZone: 'America/New_York' },
      { timeZone: 'Pacific/Pago_Pago' },
    ]);
    const id = await newCampaign(city, { latenessLimitMinutes: limit ?? undefined });
    await schedule(id, JULY_1_AT_10, '2026-06-30T12:00:00Z');
    // Still 10:00 somewhere until 22:00 UTC: the run fires, 13.5 hours after it first could.
    const [runId] = await tick('2026-07-01T09:30:00Z');
    expect(await runsOf(id)).toMatchObject([{ status: 'PENDING', scheduledFor: '2026-06-30T20:00:00.000Z', lateByMs: 13.5 * HOUR }]);
    expect(await plan(runId, '2026-07-01T09:30:00Z')).toBe('PLANNED');
    const m = await messagesOf(runId);
    expect(m.get(kiritimati)).toMatchObject({ outcome: 'EXPIRED', reason: 'SKIPPED_LATE', contactAt: null });
    // Paris' 10:00 was 90 minutes ago.
    expect(m.get(paris)).toMatchObject(parisOutcome === 'EXPIRED' ? { outcome: 'EXPIRED', reason: 'SKIPPED_LATE', contactAt: null } : { outcome: 'RESERVED', contactAt: '2026-07-01T09:30:00.000Z' });
    // London's was 30 minutes ago: sent now.
    expect(m.get(london)).toMatchObject({ outcome: 'RESERVED', contactAt: '2026-07-01T09:30:00.000Z' });
    expect(m.get(newYork)).toMatchObject({ outcome: 'RESERVED', contactAt: '2026-07-01T14:00:00.000Z' });
    expect(m.get(pagoPago)).toMatchObject({ outcome: 'RESERVED', contactAt: '2026-07-01T21:00:00.000Z' });
  });

  test('missed in every time zone by more than the limit: the run is SKIPPED_LATE and the campaign PAUSED', async () => {
    await addCustomers('Pau', [{}]);
    const id = await newCampaign('Pau');
    await schedule(id, JULY_1_AT_10, '2026-06-30T12:00:00Z');
    // The last 10:00 (UTC−12) was 22:00 UTC; an hour later is still within the limit, a minute more is not.
    expect(await tick('2026-07-01T23:01:00Z')).toEqual([]);
    expect(await runsOf(id)).toMatchObject([{ status: 'SKIPPED_LATE', scheduledFor: '2026-06-30T20:00:00.000Z', lateByMs: 27 * HOUR + MINUTE }]);
    expect(await campaign(id)).toMatchObject({ status: 'PAUSED', nextRunAt: null });
  });
});
