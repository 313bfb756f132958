import { UnrecoverableError, type Job } from 'bullmq';
import { fillCampaignDraws } from '../campaigns/draws.js';
import { ANALYZABLE_TABLES, analyzeTables } from '../db/statistics.js';
import { MAINTENANCE_QUEUE, type MaintenanceJobs } from './queues.js';
import type { QueueDefinition } from './runtime.js';

/** Housekeeping jobs: refreshing planner statistics after bulk writes; storing campaigns' draws. */
export const maintenanceQueue: QueueDefinition = {
  name: MAINTENANCE_QUEUE,
  concurrency: 1,
  processor: ({ db, logger }) => async (job: Job) => {
    const started = Date.now();
    switch (job.name) {
      case 'analyze': {
        const { table } = job.data as MaintenanceJobs['analyze'];
        if (!ANALYZABLE_TABLES.includes(table)) throw new UnrecoverableError(`not an analyzable table: ${String(table)}`);
        await analyzeTables({ db, tables: [table] });
        logger.info({ table, ms: Date.now() - started }, 'planner statistics refreshed');
        return;
      }
      case 'campaign-draws': {
        const { campaignId } = job.data as MaintenanceJobs['campaign-draws'];
        if (!/^\d{1,18}$/.test(String(campaignId))) throw new UnrecoverableError(`not a campaign id: ${String(campaignId)}`);
        const result = await fillCampaignDraws({ db, campaignId });
        if (result.chunks) logger.info({ campaignId, ...result, ms: Date.now() - started }, 'campaign draws stored');
        return;
      }
      default:
        throw new UnrecoverableError(`unknown maintenance job "${job.name}"`);
    }
  },
};
