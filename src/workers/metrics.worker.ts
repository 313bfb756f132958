import { UnrecoverableError, type Job } from 'bullmq';
import { queueMetricsRun, runMetricsRefresh } from '../segmentation/metrics-runs.js';
import { METRICS_QUEUE, type MetricsJobs } from './queues.js';
import type { QueueDefinition } from './runtime.js';

/**
 * Customer metrics refreshes: runs requested through the API (the job carries the run id) and the
 * scheduled ones (the job carries a kind; the run is recorded here). One at a time per worker; the
 * refresh itself also takes an advisory lock, so several workers never refresh concurrently.
 */
export const metricsQueue: QueueDefinition = {
  name: METRICS_QUEUE,
  concurrency: 1,
  processor: ({ db, logger, config }) => async (job: Job) => {
    if (job.name !== 'refresh') throw new UnrecoverableError(`unknown metrics job "${job.name}"`);
    const data = job.data as MetricsJobs['refresh'];
    const now = new Date();
    let runId = data.runId;
    if (!runId) {
      if (!data.kind) throw new UnrecoverableError('a metrics job needs a runId or a kind');
      // A scheduled refresh records its run once: a retried or redelivered job resumes that run.
      runId = await queueMetricsRun({ db, kind: data.kind, now });
      await job.updateData({ ...data, runId });
    }
    const status = await runMetricsRefresh({ db, runId, now, thresholds: config.metrics.lifecycle });
    logger.info({ runId, status }, 'metrics refresh');
  },
};
