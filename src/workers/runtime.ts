import { Worker, type Processor } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../logger.js';
import { maintenanceQueue } from './maintenance.worker.js';
import { metricsQueue } from './metrics.worker.js';
import { segmentationQueue } from './segmentation.worker.js';
import { campaignsQueue } from './campaigns.worker.js';
import { createQueues, type Queues } from './queues.js';

/** What a queue's processor may use. Jobs carry ids; processors re-read state from the database. */
export interface WorkerDeps {
  config: Config;
  db: Db;
  logger: Logger;
  /** Producers, for processors that hand work on to other jobs. */
  producers: Queues;
}

/** One queue and how to process its jobs. Each lives in its own `*.worker.ts`. */
export interface QueueDefinition {
  name: string;
  concurrency?: number;
  processor: (deps: WorkerDeps) => Processor;
}

/** Every queue the worker process serves; delivery, metrics and snapshots register here. */
export function allQueues(): QueueDefinition[] {
  return [maintenanceQueue, metricsQueue, segmentationQueue, campaignsQueue];
}

export interface RunningWorkers {
  names: string[];
  /** Stops taking jobs and waits for the running ones to finish. */
  close(): Promise<void>;
}

/** Starts one BullMQ worker per queue definition, sharing a Redis connection. */
export function startWorkers(options: Omit<WorkerDeps, 'producers'> & { redis: Redis; queues?: QueueDefinition[] }): RunningWorkers {
  const { config, logger, redis } = options;
  const queues = options.queues ?? allQueues();
  const producers = createQueues(redis, config.queuePrefix);
  const deps: WorkerDeps = { config: options.config, db: options.db, logger, producers };
  const workers = queues.map((q) => {
    const worker = new Worker(q.name, q.processor(deps), {
      connection: redis,
      prefix: config.queuePrefix,
      concurrency: q.concurrency ?? config.workerConcurrency,
    });
    worker.on('failed', (job, err) => logger.warn({ queue: q.name, jobId: job?.id, err }, 'job failed'));
    worker.on('error', (err) => logger.error({ queue: q.name, err }, 'worker error'));
    return worker;
  });
  return {
    names: queues.map((q) => q.name),
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await producers.close();
    },
  };
}
