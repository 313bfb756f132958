import type pg from 'pg';
import type { Db } from '../db/database.js';
import { withTransaction } from '../db/transaction.js';
import { decideOutcome, decisionInput, findCut, HISTOGRAM_SQL, resolveMembers, toMember, type AudienceMember } from './audience.js';
import { AUDIENCE_COLUMNS, AUDIENCE_WORK_MEM, compileAudience, individualSql, MEMBER_COLUMNS, overSql, type AudienceSettings } from './audience-query.js';
import { nextStatus, type CampaignStatus } from './campaign-state.js';
import { getCampaigns, loadCampaignDetail, type CampaignRow } from './campaigns.js';
import { loadContactRules } from './contact-policies.js';
import type { Channel } from './contact-policy.js';
import { dueOccurrences, localSendAt, scheduleFromColumns } from './schedule.js';

/*
 * Runs: every firing of a campaign. The scheduler tick (fireDueCampaigns) turns due campaigns into
 * PENDING runs, or SKIPPED_LATE ones when the service missed them by more than the lateness limit;
 * planRun then resolves the run's audience into the ledger: one `messages` row per customer of the
 * target segments, RESERVED (to send at `contact_at`), DEFERRED, HELD_OUT, SUPPRESSED or EXPIRED,
 * each not-sent row with its reason. Sending RESERVED rows is the dispatcher's job; a run is
 * COMPLETED when none is left to send.
 */

export type RunStatus = 'PENDING' | 'RUNNING' | 'COMPLETED' | 'SKIPPED_LATE' | 'CANCELLED' | 'FAILED';

export interface CampaignRunRow {
  id: string;
  campaignId: string;
  status: RunStatus;
  scheduledFor: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  lateByMs: number | null;
  expiresAt: Date | null;
  planned: number | null;
  error: string | null;
  createdAt: Date;
}

const RUN_COLUMNS = `id, campaign_id AS "campaignId", status, scheduled_for AS "scheduledFor", started_at AS "startedAt",
  finished_at AS "finishedAt", late_by_ms::float8 AS "lateByMs", expires_at AS "expiresAt", planned, error, created_at AS "createdAt"`;

export interface RunSettings extends AudienceSettings {
  /** Default lateness limit (a campaign may set its own). */
  latenessLimitMs: number;
}

const latenessOf = (c: CampaignRow, settings: RunSettings) => (c.latenessLimitMinutes !== null ? c.latenessLimitMinutes * 60_000 : settings.latenessLimitMs);

export async function getRuns(db: Db, ids: readonly string[]): Promise<CampaignRunRow[]> {
  const { rows } = await db.pool.query<CampaignRunRow>(`SELECT ${RUN_COLUMNS} FROM campaign_runs WHERE id = ANY ($1::bigint[])`, [ids]);
  return rows;
}

/** A campaign's runs, newest first (keyset on id). */
export async function listRuns(db: Db, campaignId: string, before: string | null, limit: number): Promise<CampaignRunRow[]> {
  const { rows } = await db.pool.query<CampaignRunRow>(
    `SELECT ${RUN_COLUMNS} FROM campaign_runs WHERE campaign_id = $1 AND id < $2::bigint ORDER BY id DESC LIMIT $3`,
    [campaignId, before ?? '9223372036854775807', limit],
  );
  return rows;
}

/** Campaigns due at `now`, claimed per tick (SKIP LOCKED: several schedulers never fire one twice). */
const DUE_BATCH = 50;

/**
 * The scheduler tick: fires due campaigns (a PENDING run each, or SKIPPED_LATE runs for occurrences
 * missed beyond the lateness limit) and returns the PENDING runs to plan, including older ones whose
 * planning job was lost.
 */
export async function fireDueCampaigns(options: { db: Db; now: Date; settings: RunSettings }): Promise<string[]> {
  const { db, now, settings } = options;
  await withTransaction(db, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `SELECT id FROM campaigns WHERE status = 'SCHEDULED' AND next_run_at <= $1 ORDER BY next_run_at LIMIT ${DUE_BATCH} FOR UPDATE SKIP LOCKED`,
      [now],
    );
    if (!rows.length) return;
    for (const c of await getCampaigns(client, rows.map((r) => r.id))) await fireOne(client, c, now, settings);
  });
  const { rows } = await db.pool.query<{ id: string }>(
    `SELECT r.id FROM campaign_runs r JOIN campaigns c ON c.id = r.campaign_id
     WHERE r.status = 'PENDING' AND c.status IN ('RUNNING', 'SCHEDULED') AND r.scheduled_for <= $1 ORDER BY r.id`,
    [now],
  );
  return rows.map((r) => r.id);
}

async function fireOne(client: pg.ClientBase, c: CampaignRow, now: Date, settings: RunSettings): Promise<void> {
  const schedule = scheduleFromColumns(c);
  if (!schedule || !c.nextRunAt) return;
  const latenessMs = latenessOf(c, settings);
  // A local-time run starts with the earliest zone; lateness then applies to each customer's instant,
  // so the run as a whole is late only when the last zone's instant is.
  const lastInstant = schedule.kind === 'LOCAL_TIME' ? localSendAt(schedule, 'Etc/GMT+12') : c.nextRunAt;
  const due =
    schedule.kind === 'LOCAL_TIME'
      ? now.getTime() - lastInstant.getTime() > latenessMs
        ? { fire: null, skipped: [c.nextRunAt], next: null }
        : { fire: c.nextRunAt, skipped: [], next: null }
      : dueOccurrences({ schedule, nextRunAt: c.nextRunAt, now, latenessLimitMs: latenessMs });
  for (const t of due.skipped)
    await client.query(
      `INSERT INTO campaign_runs (campaign_id, status, scheduled_for, late_by_ms, finished_at, created_at)
       VALUES ($1, 'SKIPPED_LATE', $2, $3, $4, $4) ON CONFLICT (campaign_id, scheduled_for) DO NOTHING`,
      [c.id, t, now.getTime() - t.getTime(), now],
    );
  if (due.fire)
    await client.query(
      `INSERT INTO campaign_runs (campaign_id, status, scheduled_for, late_by_ms, created_at)
       VALUES ($1, 'PENDING', $2, $3, $4) ON CONFLICT (campaign_id, scheduled_for) DO NOTHING`,
      [c.id, due.fire, Math.max(0, now.getTime() - due.fire.getTime()), now],
    );
  const isRecurring = schedule.kind === 'RECURRING';
  // A recurring campaign stays SCHEDULED between and during runs (each run has its own state).
  const status: CampaignStatus = isRecurring ? 'SCHEDULED' : due.fire ? 'RUNNING' : nextStatus(c.status, 'RUN_SKIPPED', { isRecurring, hasOpenRun: false })!;
  await client.query(`UPDATE campaigns SET status = $2, next_run_at = $3, updated_at = $4 WHERE id = $1`, [c.id, status, due.next, now]);
}

/** One planner at a time: the contact history a run reads must include the runs planned before it. */
const PLAN_LOCK = 724_812;
/** Ledger rows of customers resolved one by one, written this many per INSERT. */
const INSERT_BATCH = 5_000;

export type PlanOutcome = 'PLANNED' | 'COMPLETED' | 'SKIPPED' | 'PAUSED';

/**
 * Resolves a PENDING run's audience into the ledger, in one transaction: a crash leaves the run
 * PENDING with no message, and the unique (run, customer) key stops a second planning from writing
 * twice. Returns SKIPPED when the run is not PENDING (already planned, cancelled) and PAUSED when its
 * campaign is paused (resuming plans it).
 */
export async function planRun(options: { db: Db; runId: string; now: Date; settings: RunSettings }): Promise<PlanOutcome> {
  const { db, runId, now, settings } = options;
  return withTransaction(db, async (client) => {
    await client.query(`SELECT pg_advisory_xact_lock($1)`, [PLAN_LOCK]);
    const { rows } = await client.query<CampaignRunRow>(`SELECT ${RUN_COLUMNS} FROM campaign_runs WHERE id = $1 FOR UPDATE`, [runId]);
    const run = rows[0];
    if (!run || run.status !== 'PENDING') return 'SKIPPED';
    const detail = await loadCampaignDetail(client, run.campaignId);
    const { campaign } = detail;
    if (campaign.status === 'PAUSED') return 'PAUSED';
    if (campaign.status !== 'RUNNING' && campaign.status !== 'SCHEDULED') return 'SKIPPED';
    const rules = await loadContactRules(client);
    const latenessMs = latenessOf(campaign, settings);
    await client.query(`SET LOCAL jit = off`);
    await client.query(`SET LOCAL work_mem = '${AUDIENCE_WORK_MEM}'`);
    const q = await compileAudience({ db: client, detail, rules, now, settings, latenessMs });
    await client.query(`CREATE TEMP TABLE run_audience ON COMMIT DROP AS ${q.sql} SELECT ${AUDIENCE_COLUMNS} FROM audience`, q.params);
    await client.query(`ANALYZE run_audience`);
    const runExpiry = new Date(now.getTime() + campaign.expiryMinutes * 60_000);
    const ctx = { detail, rules, policySegments: q.policySegments, now, latenessMs, runExpiry };
    const shared = (await client.query<AudienceMember & { hb: number }>(`SELECT ${MEMBER_COLUMNS} FROM run_audience WHERE is_shared`)).rows.map(toMember);
    const histogram = campaign.maxRecipients === null ? [] : (await client.query<{ hb: number; n: string }>(HISTOGRAM_SQL('run_audience'))).rows;
    const cut = findCut(new Map(histogram.map((r) => [r.hb, Number(r.n)])), shared, campaign.maxRecipients);
    const common = [run.id, run.scheduledFor, campaign.id, now, q.variantKeys];

    // Steps 1–2, hold-out and the cap for everyone not resolved one by one, straight from the table.
    await client.query(
      `INSERT INTO messages (run_id, run_at, campaign_id, customer_id, channel, address, variant, outcome, reason, expires_at, updated_at)
       SELECT $1, $2, $3, a.id, COALESCE(a.chosen, a.intended), CASE WHEN a.reason IS NULL THEN a.address END,
              CASE WHEN a.reason IS NULL THEN ($5::text[])[a.variant_idx + 1] END,
              CASE WHEN a.reason IS NULL AND a.held_out THEN 'HELD_OUT' ELSE 'SUPPRESSED' END,
              CASE WHEN a.reason IS NOT NULL THEN a.reason WHEN a.held_out THEN 'HELD_OUT' ELSE 'OVER_MAX_RECIPIENTS' END, $6, $4
       FROM run_audience a
       WHERE a.reason IS NOT NULL OR (NOT (${individualSql(cut, 'a')}) AND (a.held_out OR ${overSql(cut, 'a')}))`,
      [...common, runExpiry],
    );

    // Step 6 for the groups: one decision per distinct input.
    const toDecide = `a.reason IS NULL AND NOT a.held_out AND NOT ${overSql(cut, 'a')} AND NOT (${individualSql(cut, 'a')})`;
    const groups = await client.query<{ chosen: Channel; fallback: Channel | null; tz: string; seg_bits: number; hist: number | null }>(
      `SELECT DISTINCT chosen, fallback, tz, seg_bits, hist FROM run_audience a WHERE ${toDecide}`,
    );
    const list = groups.rows.map((g) => ({ g, d: decideOutcome(ctx, decisionInput(q.inputs, { ...g, segBits: g.seg_bits })) }));
    await client.query(
      `INSERT INTO messages (run_id, run_at, campaign_id, customer_id, channel, address, variant, outcome, reason, rule_id,
                             contact_at, reserved_at, expires_at, updated_at)
       SELECT $1, $2, $3, a.id, d.channel, CASE WHEN d.channel = a.fallback THEN a.fallback_address ELSE a.address END,
              ($5::text[])[a.variant_idx + 1], d.outcome, d.reason, d.rule_id, d.contact_at,
              CASE WHEN d.outcome IN ('RESERVED', 'DEFERRED') THEN $4::timestamptz END, d.expires_at, $4
       FROM run_audience a
       JOIN unnest($6::text[], $7::text[], $8::text[], $9::int[], $10::int[], $11::text[], $12::text[], $13::text[], $14::text[], $15::timestamptz[], $16::timestamptz[])
            AS d (g_chosen, g_fallback, g_tz, g_bits, g_hist, outcome, channel, reason, rule_id, contact_at, expires_at)
         ON d.g_chosen = a.chosen AND d.g_fallback IS NOT DISTINCT FROM a.fallback AND d.g_tz = a.tz AND d.g_bits = a.seg_bits
            AND d.g_hist IS NOT DISTINCT FROM a.hist
       WHERE ${toDecide}`,
      [
        ...common,
        list.map((x) => x.g.chosen),
        list.map((x) => x.g.fallback),
        list.map((x) => x.g.tz),
        list.map((x) => x.g.seg_bits),
        list.map((x) => x.g.hist),
        list.map((x) => x.d.outcome),
        list.map((x) => x.d.channel),
        list.map((x) => x.d.reason),
        list.map((x) => x.d.ruleId),
        list.map((x) => x.d.contactAt),
        list.map((x) => x.d.expiresAt),
      ],
    );

    // Steps 3–6 for the customers resolved one by one (shared addresses, the cut).
    const members = (await client.query<AudienceMember & { hb: number }>(`SELECT ${MEMBER_COLUMNS} FROM run_audience WHERE ${individualSql(cut)} ORDER BY id`)).rows.map(toMember);
    const outcomes = resolveMembers({ ...ctx, inputs: q.inputs, cut }, members);
    for (let i = 0; i < members.length; i += INSERT_BATCH) {
      const batch = members.slice(i, i + INSERT_BATCH).map((m) => ({ m, o: outcomes.get(m.id)! }));
      await client.query(
        `INSERT INTO messages (run_id, run_at, campaign_id, customer_id, channel, address, variant, outcome, reason, rule_id,
                               contact_at, reserved_at, expires_at, updated_at)
         SELECT $1, $2, $3, d.customer_id, d.channel, d.address, ($5::text[])[d.variant_idx + 1], d.outcome, d.reason, d.rule_id, d.contact_at,
                CASE WHEN d.outcome IN ('RESERVED', 'DEFERRED') THEN $4::timestamptz END, d.expires_at, $4
         FROM unnest($6::bigint[], $7::text[], $8::text[], $9::int[], $10::text[], $11::text[], $12::text[], $13::timestamptz[], $14::timestamptz[])
              AS d (customer_id, channel, address, variant_idx, outcome, reason, rule_id, contact_at, expires_at)`,
        [
          ...common,
          batch.map((x) => x.m.id),
          batch.map((x) => x.o.channel),
          batch.map((x) => x.o.address ?? null),
          batch.map((x) => x.m.variantIdx),
          batch.map((x) => x.o.outcome),
          batch.map((x) => x.o.reason),
          batch.map((x) => x.o.ruleId),
          batch.map((x) => x.o.contactAt),
          batch.map((x) => x.o.expiresAt),
        ],
      );
    }

    const planned = (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM run_audience`)).rows[0].n;
    await client.query(`UPDATE campaign_runs SET status = 'RUNNING', started_at = $2, expires_at = $3, planned = $4 WHERE id = $1`, [run.id, now, runExpiry, planned]);
    return (await completeRunIfDone(client, run.id, now)) ? 'COMPLETED' : 'PLANNED';
  });
}

/**
 * Completes a RUNNING run when no message is left to send (none RESERVED or DEFERRED), and moves its
 * campaign on (a one-shot campaign is COMPLETED; a recurring one stays SCHEDULED). Returns whether
 * it completed. The dispatcher calls it after each batch.
 */
export async function completeRunIfDone(client: pg.ClientBase, runId: string, now: Date): Promise<boolean> {
  const { rows } = await client.query<{ campaign_id: string }>(
    `UPDATE campaign_runs r SET status = 'COMPLETED', finished_at = $2
     WHERE r.id = $1 AND r.status = 'RUNNING'
       AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.run_id = r.id AND m.outcome IN ('RESERVED', 'DEFERRED'))
     RETURNING r.campaign_id`,
    [runId, now],
  );
  if (!rows.length) return false;
  const [campaign] = await getCampaigns(client, [rows[0].campaign_id]);
  const isRecurring = campaign.scheduleKind === 'RECURRING';
  const open = (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM campaign_runs WHERE campaign_id = $1 AND status IN ('PENDING', 'RUNNING')`, [campaign.id])).rows[0].n;
  const to = open ? null : nextStatus(campaign.status, 'RUN_FINISHED', { isRecurring, hasOpenRun: false });
  if (to && to !== campaign.status)
    await client.query(`UPDATE campaigns SET status = $2, finished_at = CASE WHEN $2 = 'COMPLETED' THEN $3::timestamptz END, updated_at = $3 WHERE id = $1`, [campaign.id, to, now]);
  return true;
}

/** Marks a run FAILED for good (a permanent planning error); a one-shot campaign fails with it. */
export async function failRun(options: { db: Db; runId: string; error: string; now: Date }): Promise<void> {
  await withTransaction(options.db, async (client) => {
    const { rows } = await client.query<{ campaign_id: string }>(
      `UPDATE campaign_runs SET status = 'FAILED', error = $2, finished_at = $3 WHERE id = $1 AND status IN ('PENDING', 'RUNNING') RETURNING campaign_id`,
      [options.runId, options.error.slice(0, 2000), options.now],
    );
    if (!rows.length) return;
    const [campaign] = await getCampaigns(client, [rows[0].campaign_id]);
    if (campaign.scheduleKind === 'RECURRING') return;
    const to = nextStatus(campaign.status, 'RUN_FAILED', { isRecurring: false, hasOpenRun: false });
    if (to) await client.query(`UPDATE campaigns SET status = $2, finished_at = $3, updated_at = $3 WHERE id = $1`, [campaign.id, to, options.now]);
  });
}
