import { UnrecoverableError, type Job } from 'bullmq';
import { ANALYZABLE_TABLES, analyzeTables } from '../db/statistics.js';
import { MAINTENANCE_QUEUE, type MaintenanceJobs } from './queues.js';
import type { QueueDefinition } from './runtime.js';

/** Housekeeping jobs: refreshing planner statistics after bulk writes. */
export const maintenanceQueue: QueueDefinition = {
  name: MAINTENANCE_QUEUE,
  concurrency: 1,
  processor: ({ db, logger }) => async (job: Job) => {
    if (job.name !== 'analyze') throw new UnrecoverableError(`unknown maintenance job "${job.name}"`);
    const { table } = job.data as MaintenanceJobs['analyze'];
    if (!ANALYZABLE_TABLES.includes(table)) throw new UnrecoverableError(`not an analyzable table: ${String(table)}`);
    const started = Date.now();
    await analyzeTables({ db, tables: [table] });
    logger.info({ table, ms: Date.now() - started }, 'planner statistics refreshed');
  },
};
