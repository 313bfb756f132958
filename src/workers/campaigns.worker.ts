import { UnrecoverableError, type Job } from 'bullmq';
import { failRun, fireDueCampaigns, planRun, type RunSettings } from '../campaigns/campaign-runs.js';
import { maintainCampaignDraws } from '../campaigns/draws.js';
import type { Config } from '../config.js';
import { DomainError } from '../errors.js';
import { CAMPAIGNS_QUEUE, scheduleDrawFill, scheduleRunPlanning, type CampaignsJobs } from './queues.js';
import type { QueueDefinition } from './runtime.js';

/** The run settings of the configuration. */
export function runSettings(config: Config): RunSettings {
  return {
    defaultTimeZone: config.campaigns.defaultTimeZone,
    fallbackOrder: config.campaigns.fallbackOrder,
    limits: { maxDepth: config.segments.maxDepth },
    latenessLimitMs: config.campaigns.latenessLimitMinutes * 60_000,
  };
}

/** Errors that a retry cannot fix: domain errors, and PostgreSQL's bad data or SQL (not a lost connection or a deadlock). */
function isPermanent(err: unknown): boolean {
  // A domain error (a target segment whose definition no longer compiles, a campaign gone) gives the
  // same answer on every retry.
  if (err instanceof DomainError) return true;
  const code = (err as { code?: string }).code;
  return typeof code === 'string' && /^(22|23|42)/.test(code);
}

/**
 * Campaign scheduling: the tick fires due campaigns (recording runs, or SKIPPED_LATE ones) and hands
 * each pending run to a `plan-run` job; planning resolves the audience into the ledger. Planning
 * runs one at a time per process (and one at a time overall, under an advisory lock).
 */
export const campaignsQueue: QueueDefinition = {
  name: CAMPAIGNS_QUEUE,
  concurrency: 1,
  processor: ({ db, logger, config, producers }) => async (job: Job) => {
    const settings = runSettings(config);
    switch (job.name) {
      case 'tick': {
        const runIds = await fireDueCampaigns({ db, now: new Date(), settings });
        for (const runId of runIds) await scheduleRunPlanning(producers, runId);
        if (runIds.length) logger.info({ runIds }, 'campaign runs to plan');
        // Stored draws: dropped once a campaign has ended, topped up as the base grows.
        const draws = await maintainCampaignDraws(db);
        for (const id of draws.toFill) await scheduleDrawFill(producers, id);
        if (draws.dropped.length) logger.info({ campaignIds: draws.dropped }, 'draws of ended campaigns dropped');
        return;
      }
      case 'plan-run': {
        const { runId } = job.data as CampaignsJobs['plan-run'];
        try {
          const outcome = await planRun({ db, runId, now: new Date(), settings });
          logger.info({ runId, outcome }, 'campaign run planned');
        } catch (err) {
          const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
          if (isPermanent(err) || lastAttempt) {
            await failRun({ db, runId, error: (err as Error).message, now: new Date() });
            throw new UnrecoverableError((err as Error).message);
          }
          throw err;
        }
        return;
      }
      default:
        throw new UnrecoverableError(`unknown campaigns job "${job.name}"`);
    }
  },
};
