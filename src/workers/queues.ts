import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AnalyzableTable } from '../db/statistics.js';

export const MAINTENANCE_QUEUE = 'maintenance';
export const METRICS_QUEUE = 'metrics';
export const SEGMENTATION_QUEUE = 'segmentation';
export const CAMPAIGNS_QUEUE = 'campaigns';

/** Job names of the maintenance queue and their payloads (ids and names only, never entities). */
export interface MaintenanceJobs {
  analyze: { table: AnalyzableTable };
  /** Store the buckets a campaign draws (src/campaigns/draws.ts). */
  'campaign-draws': { campaignId: string };
}

/** Jobs of the metrics queue: a recorded run (by id), or a scheduled refresh that records its own run. */
export interface MetricsJobs {
  refresh: { runId?: string; kind?: 'FULL' | 'INCREMENTAL' };
}

/** Jobs of the segmentation queue: a recorded snapshot or clustering run (by id), or the scheduled snapshot of every scheduled segmentation. */
export interface SegmentationJobs {
  snapshot: { snapshotId: string };
  'scheduled-snapshots': Record<string, never>;
  clustering: { runId: string };
}

/** Jobs of the campaigns queue: the scheduler tick, and the planning of one recorded run (by id). */
export interface CampaignsJobs {
  tick: Record<string, never>;
  'plan-run': { runId: string };
}

/** Producers for every queue, created once per process. */
export interface Queues {
  maintenance: Queue;
  metrics: Queue;
  segmentation: Queue;
  campaigns: Queue;
  close(): Promise<void>;
}

export function createQueues(redis: Redis, prefix: string): Queues {
  const maintenance = new Queue(MAINTENANCE_QUEUE, {
    connection: redis,
    prefix,
    // Finished jobs are removed at once: a job id is only a de-duplication key while its job exists,
    // and a kept `analyze-<table>` would swallow every later request for that table.
    defaultJobOptions: { removeOnComplete: true, removeOnFail: 100, attempts: 3, backoff: { type: 'exponential', delay: 5000 } },
  });
  const metrics = new Queue(METRICS_QUEUE, {
    connection: redis,
    prefix,
    defaultJobOptions: { removeOnComplete: true, removeOnFail: 100, attempts: 3, backoff: { type: 'exponential', delay: 30_000 } },
  });
  const segmentation = new Queue(SEGMENTATION_QUEUE, {
    connection: redis,
    prefix,
    defaultJobOptions: { removeOnComplete: true, removeOnFail: 100, attempts: 3, backoff: { type: 'exponential', delay: 30_000 } },
  });
  // Planning retries soon: a run waits for it, and a failed attempt rolled back whole.
  const campaigns = new Queue(CAMPAIGNS_QUEUE, {
    connection: redis,
    prefix,
    defaultJobOptions: { removeOnComplete: true, removeOnFail: 100, attempts: 5, backoff: { type: 'exponential', delay: 5000 } },
  });
  return {
    maintenance,
    metrics,
    segmentation,
    campaigns,
    async close() {
      await Promise.all([maintenance.close(), metrics.close(), segmentation.close(), campaigns.close()]);
    },
  };
}

/** Delay before statistics are refreshed after a bulk write: later writes in that window share one ANALYZE. */
const ANALYZE_DEBOUNCE_MS = 30_000;

/**
 * Asks a worker to refresh the planner statistics of `table` soon. The job id is per table, so while
 * one is waiting, further requests are absorbed by it (BullMQ ignores an add with a live job's id).
 */
export async function scheduleAnalyze(queues: Queues, table: AnalyzableTable): Promise<void> {
  const data: MaintenanceJobs['analyze'] = { table };
  await queues.maintenance.add('analyze', data, { jobId: `analyze-${table}`, delay: ANALYZE_DEBOUNCE_MS });
}

/**
 * Asks a worker to store a campaign's draws (src/campaigns/draws.ts). The job id is per campaign, so
 * requests made while one waits are absorbed by it; a fill only appends what is missing, so a late
 * duplicate costs one query.
 */
export async function scheduleDrawFill(queues: Queues, campaignId: string): Promise<void> {
  const data: MaintenanceJobs['campaign-draws'] = { campaignId };
  await queues.maintenance.add('campaign-draws', data, { jobId: `campaign-draws-${campaignId}` });
}

/** Asks a worker to run a recorded metrics refresh. */
export async function scheduleMetricsRun(queues: Queues, runId: string): Promise<void> {
  const data: MetricsJobs['refresh'] = { runId };
  await queues.metrics.add('refresh', data, { jobId: `metrics-run-${runId}` });
}

/**
 * Installs the refresh schedules (idempotent: BullMQ job schedulers are upserted by id): the full
 * refresh on a cron pattern, the incremental one every `incrementalSeconds` (none when 0).
 */
export async function installMetricsSchedules(queues: Queues, options: { fullRefreshCron: string; incrementalSeconds: number }): Promise<void> {
  await queues.metrics.upsertJobScheduler('metrics-full', { pattern: options.fullRefreshCron }, { name: 'refresh', data: { kind: 'FULL' } });
  if (options.incrementalSeconds > 0)
    await queues.metrics.upsertJobScheduler('metrics-incremental', { every: options.incrementalSeconds * 1000 }, { name: 'refresh', data: { kind: 'INCREMENTAL' } });
  else await queues.metrics.removeJobScheduler('metrics-incremental');
}

/** Asks a worker to take a recorded segmentation snapshot. */
export async function scheduleSnapshot(queues: Queues, snapshotId: string): Promise<void> {
  const data: SegmentationJobs['snapshot'] = { snapshotId };
  await queues.segmentation.add('snapshot', data, { jobId: `snapshot-${snapshotId}` });
}

/** Asks a worker to run a recorded clustering. */
export async function scheduleClustering(queues: Queues, runId: string): Promise<void> {
  const data: SegmentationJobs['clustering'] = { runId };
  await queues.segmentation.add('clustering', data, { jobId: `clustering-${runId}` });
}

/** Installs the scheduled snapshot of every `scheduled` segmentation (idempotent upsert). */
export async function installSnapshotSchedule(queues: Queues, options: { cron: string }): Promise<void> {
  const data: SegmentationJobs['scheduled-snapshots'] = {};
  await queues.segmentation.upsertJobScheduler('scheduled-snapshots', { pattern: options.cron }, { name: 'scheduled-snapshots', data });
}

/** Asks a worker to plan a recorded campaign run (the job id stops a second copy while one waits). */
export async function scheduleRunPlanning(queues: Queues, runId: string): Promise<void> {
  const data: CampaignsJobs['plan-run'] = { runId };
  await queues.campaigns.add('plan-run', data, { jobId: `campaign-run-${runId}` });
}

/** Installs the campaign scheduler tick (idempotent upsert): fires due campaigns every `seconds`. */
export async function installCampaignTick(queues: Queues, options: { tickSeconds: number }): Promise<void> {
  const data: CampaignsJobs['tick'] = {};
  await queues.campaigns.upsertJobScheduler('campaign-tick', { every: options.tickSeconds * 1000 }, { name: 'tick', data });
}
