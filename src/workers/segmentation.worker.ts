import { UnrecoverableError, type Job } from 'bullmq';
import { isPermanentClusteringError, runClustering } from '../segmentation/clustering.js';
import { pruneSnapshots, queueSnapshot, runSnapshot, scheduledSegmentations } from '../segmentation/segmentations.js';
import { SEGMENTATION_QUEUE, type SegmentationJobs } from './queues.js';
import type { QueueDefinition } from './runtime.js';

/**
 * Segmentation snapshots: those asked for through the API (the job carries the snapshot id) and the
 * scheduled run, which records and takes one snapshot per scheduled segmentation in turn, then
 * deletes the snapshots past SNAPSHOT_RETENTION_DAYS; and clustering runs (k-means, then every
 * customer assigned in PostgreSQL). One job at a time per worker: each is a full pass over the base.
 */
export const segmentationQueue: QueueDefinition = {
  name: SEGMENTATION_QUEUE,
  concurrency: 1,
  processor: ({ db, logger, config }) => async (job: Job) => {
    const limits = { maxDepth: config.segments.maxDepth };
    switch (job.name) {
      case 'snapshot': {
        const { snapshotId } = job.data as SegmentationJobs['snapshot'];
        const status = await runSnapshot({ db, snapshotId, now: new Date(), limits });
        logger.info({ snapshotId, status }, 'segmentation snapshot');
        return;
      }
      case 'scheduled-snapshots': {
        // One snapshot row per segmentation and run: a retried job resumes with the ones not yet taken.
        const taken = ((job.data as { taken?: Record<string, string> }).taken ??= {});
        for (const segmentationId of await scheduledSegmentations(db)) {
          const snapshotId = (taken[segmentationId] ??= await queueSnapshot({ db, segmentationId, trigger: 'SCHEDULE', now: new Date() }));
          await job.updateData({ ...job.data, taken });
          const status = await runSnapshot({ db, snapshotId, now: new Date(), limits });
          logger.info({ segmentationId, snapshotId, status }, 'scheduled segmentation snapshot');
        }
        if (config.snapshots.retentionDays > 0) {
          const pruned = await pruneSnapshots(db, new Date(Date.now() - config.snapshots.retentionDays * 86_400_000));
          if (pruned) logger.info({ pruned }, 'old segmentation snapshots deleted');
        }
        return;
      }
      case 'clustering': {
        const { runId } = job.data as SegmentationJobs['clustering'];
        try {
          const status = await runClustering({ db, runId, now: new Date(), limits });
          logger.info({ runId, status }, 'clustering run');
        } catch (err) {
          // Retrying a run that cannot succeed would repeat its sample pass for nothing.
          if (isPermanentClusteringError(err)) throw new UnrecoverableError((err as Error).message);
          throw err;
        }
        return;
      }
      default:
        throw new UnrecoverableError(`unknown segmentation job "${job.name}"`);
    }
  },
};
