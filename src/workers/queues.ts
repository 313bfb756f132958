import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AnalyzableTable } from '../db/statistics.js';

export const MAINTENANCE_QUEUE = 'maintenance';

/** Job names of the maintenance queue and their payloads (ids and names only, never entities). */
export interface MaintenanceJobs {
  analyze: { table: AnalyzableTable };
}

/** Producers for every queue, created once per process. */
export interface Queues {
  maintenance: Queue;
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
  return {
    maintenance,
    async close() {
      await maintenance.close();
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
