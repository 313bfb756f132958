import type pg from 'pg';
import type { Db } from '../db/database.js';
import { bindNamed, loadSqlQueries } from '../db/sql.js';
import { withTransaction } from '../db/transaction.js';
import { badInput, notFound } from '../errors.js';
import { transition, type CampaignStatus } from './campaign-state.js';
import { checkReady, loadCampaignDetail, type CampaignRow, type LaunchOptions } from './campaigns.js';
import { firstRunAt, parseSchedule, scheduleColumns, type Schedule, type ScheduleInput } from './schedule.js';

/*
 * The commands that move a campaign through its state machine (campaign-state.ts): launch, schedule,
 * pause, resume, cancel. Each locks the campaign row, so two marketers pressing "launch" at once get
 * one run and one CONFLICT.
 */

const Q = loadSqlQueries(import.meta.url, 'sql/campaigns.sql', ['columns', 'lock', 'set_state', 'open_runs'] as const);
const withColumns = (sql: string) => sql.replace('{{columns}}', Q.columns);

export interface TransitionResult {
  campaign: CampaignRow;
  /** A run created by the command (launch, or a resume that fires now), to hand to the workers. */
  runId: string | null;
  /** Runs waiting to be planned again (a resume): the workers would otherwise wait for the next tick. */
  runIds?: string[];
}

const INSERT_RUN = `INSERT INTO campaign_runs (campaign_id, status, scheduled_for, created_at) VALUES ($1, 'PENDING', $2, $2)
  ON CONFLICT (campaign_id, scheduled_for) DO NOTHING RETURNING id`;

async function lockCampaign(client: pg.ClientBase, id: string): Promise<CampaignRow> {
  if (!/^\d{1,18}$/.test(id)) throw badInput('id', 'INVALID_ID', 'not a campaign id');
  const { rows } = await client.query<CampaignRow>(bindNamed(withColumns(Q.lock), { id }));
  if (!rows[0]) throw notFound('id', 'no such campaign');
  return rows[0];
}

type StateChange = { status: CampaignStatus; schedule?: Schedule | null; nextRunAt: Date | null; acknowledged?: boolean; launchedAt?: Date | null; finishedAt?: Date | null };

async function setState(client: pg.ClientBase, id: string, change: StateChange, now: Date): Promise<CampaignRow> {
  const cols = change.schedule ? scheduleColumns(change.schedule) : null;
  const { rows } = await client.query<CampaignRow>(
    bindNamed(withColumns(Q.set_state), {
      id,
      status: change.status,
      schedule_kind: cols?.kind ?? null,
      scheduled_at: cols?.scheduledAt ?? null,
      cron: cols?.cron ?? null,
      cron_time_zone: cols?.cronTimeZone ?? null,
      local_date: cols?.localDate ?? null,
      local_minutes: cols?.localMinutes ?? null,
      next_run_at: change.nextRunAt,
      acknowledged: change.acknowledged ?? false,
      launched_at: change.launchedAt ?? null,
      finished_at: change.finishedAt ?? null,
      now,
    }),
  );
  return rows[0];
}

/** Sends a DRAFT campaign now: RUNNING, with one run due now. */
export async function launchCampaign(options: LaunchOptions): Promise<TransitionResult> {
  const { db, id, now } = options;
  const detail = await loadCampaignDetail(db, id);
  transition(detail.campaign.status, 'launch', { isRecurring: false, hasOpenRun: false });
  await checkReady(options, detail);
  return withTransaction(db, async (client) => {
    const locked = await lockCampaign(client, id);
    const status = transition(locked.status, 'launch', { isRecurring: false, hasOpenRun: false });
    const campaign = await setState(client, id, { status, schedule: { kind: 'NOW' }, nextRunAt: null, acknowledged: options.acknowledgeWarnings, launchedAt: now }, now);
    const { rows } = await client.query<{ id: string }>(INSERT_RUN, [id, now]);
    return { campaign, runId: rows[0].id };
  });
}

/** Schedules a DRAFT campaign (at a time, recurring, or at a local time): SCHEDULED until it fires. */
export async function scheduleCampaign(options: LaunchOptions & { schedule: ScheduleInput }): Promise<TransitionResult> {
  const { db, id, now } = options;
  const schedule = parseSchedule(options.schedule, now, 'schedule');
  const detail = await loadCampaignDetail(db, id);
  transition(detail.campaign.status, 'schedule', { isRecurring: schedule.kind === 'RECURRING', hasOpenRun: false });
  await checkReady(options, detail);
  return withTransaction(db, async (client) => {
    const locked = await lockCampaign(client, id);
    const status = transition(locked.status, 'schedule', { isRecurring: schedule.kind === 'RECURRING', hasOpenRun: false });
    const campaign = await setState(client, id, { status, schedule, nextRunAt: firstRunAt(schedule, now), acknowledged: options.acknowledgeWarnings, launchedAt: now }, now);
    return { campaign, runId: null };
  });
}

/** Pauses a scheduled or running campaign: no run fires and nothing more is sent until resumed. */
export async function pauseCampaign(options: { db: Db; id: string; now: Date }): Promise<TransitionResult> {
  return withTransaction(options.db, async (client) => {
    const locked = await lockCampaign(client, options.id);
    const status = transition(locked.status, 'pause', { isRecurring: locked.scheduleKind === 'RECURRING', hasOpenRun: false });
    return { campaign: await setState(client, options.id, { status, nextRunAt: locked.nextRunAt }, options.now), runId: null };
  });
}

/**
 * Resumes a paused campaign: a one-shot one is RUNNING when its run is still open, else SCHEDULED
 * (a recurring one is SCHEDULED during its runs too). Occurrences missed
 * while paused fall under the lateness limit like any other. A one-shot campaign with nothing left to
 * fire (its run was skipped for lateness) fires now.
 */
export async function resumeCampaign(options: { db: Db; id: string; now: Date }): Promise<TransitionResult> {
  return withTransaction(options.db, async (client) => {
    const locked = await lockCampaign(client, options.id);
    const open = (await client.query<{ n: number }>(bindNamed(Q.open_runs, { id: options.id }))).rows[0].n > 0;
    const status = transition(locked.status, 'resume', { isRecurring: locked.scheduleKind === 'RECURRING', hasOpenRun: open });
    const nextRunAt = locked.nextRunAt ?? (open ? null : options.now);
    const pending = await client.query<{ id: string }>(`SELECT id FROM campaign_runs WHERE campaign_id = $1 AND status = 'PENDING' ORDER BY id`, [options.id]);
    return { campaign: await setState(client, options.id, { status, nextRunAt }, options.now), runId: null, runIds: pending.rows.map((r) => r.id) };
  });
}

/**
 * Cancels a campaign for good: pending runs are cancelled, and so are its messages not yet sent
 * (reason CAMPAIGN_CANCELLED); what was sent stays in the ledger.
 */
export async function cancelCampaign(options: { db: Db; id: string; now: Date }): Promise<TransitionResult> {
  const { now } = options;
  return withTransaction(options.db, async (client) => {
    const locked = await lockCampaign(client, options.id);
    const status = transition(locked.status, 'cancel', { isRecurring: locked.scheduleKind === 'RECURRING', hasOpenRun: false });
    await client.query(
      `UPDATE messages SET outcome = 'CANCELLED', reason = 'CAMPAIGN_CANCELLED', updated_at = $2
       WHERE run_id IN (SELECT id FROM campaign_runs WHERE campaign_id = $1 AND status IN ('PENDING', 'RUNNING'))
         AND outcome IN ('RESERVED', 'DEFERRED')`,
      [options.id, now],
    );
    await client.query(`UPDATE campaign_runs SET status = 'CANCELLED', finished_at = $2 WHERE campaign_id = $1 AND status IN ('PENDING', 'RUNNING')`, [options.id, now]);
    return { campaign: await setState(client, options.id, { status, nextRunAt: null, finishedAt: now }, now), runId: null };
  });
}
