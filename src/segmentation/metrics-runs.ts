import type { Db } from '../db/database.js';
import { bindNamed, loadSqlQueries } from '../db/sql.js';
import { withConnection } from '../db/transaction.js';
import { RunBusyError } from '../errors.js';
import { refreshAllMetrics, refreshChangedMetrics, type RefreshKind } from './customer-metrics.js';
import type { LifecycleThresholds } from './rfm.js';

const Q = loadSqlQueries(import.meta.url, 'sql/metrics.sql', ['run_queue', 'run_claim', 'run_release', 'run_start', 'run_finish', 'run_list'] as const);

export type RunStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

/** One refresh, as recorded in metrics_refreshes. */
export interface MetricsRun {
  id: string;
  kind: RefreshKind;
  status: RunStatus;
  requestedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  customers: number | null;
  durationMs: number | null;
  error: string | null;
}

/** Records a refresh request; the caller enqueues a job carrying the returned id. */
export async function queueMetricsRun(options: { db: Db; kind: RefreshKind; now: Date }): Promise<string> {
  const { rows } = await options.db.pool.query<{ id: string }>(bindNamed(Q.run_queue, { kind: options.kind, now: options.now }));
  return rows[0].id;
}

/**
 * Runs a recorded refresh and records its outcome. The run is claimed by an advisory lock on a
 * connection held meanwhile: a delivery that finds it claimed fails with RunBusyError (the queue
 * retries it later), one that finds it SUCCEEDED skips it, and a run left RUNNING by a worker that
 * died starts over. Errors are recorded, then rethrown for the queue to retry.
 */
export async function runMetricsRefresh(options: { db: Db; runId: string; now: Date; thresholds?: LifecycleThresholds }): Promise<MetricsRun['status'] | 'SKIPPED'> {
  const { db, runId, now } = options;
  const clock = () => performance.now();
  return withConnection(db, async (claim, markBroken) => {
    const { rows } = await claim.query<{ claimed: boolean }>(bindNamed(Q.run_claim, { id: runId }));
    if (!rows[0].claimed) throw new RunBusyError(`metrics refresh ${runId}`);
    try {
      const started = await db.pool.query<{ kind: RefreshKind }>(bindNamed(Q.run_start, { id: runId, now }));
      if (!started.rowCount) return 'SKIPPED';
      const t0 = clock();
      try {
        const refresh = started.rows[0].kind === 'FULL' ? refreshAllMetrics : refreshChangedMetrics;
        const outcome = await refresh({ db, now, thresholds: options.thresholds });
        await db.pool.query(
          bindNamed(Q.run_finish, { id: runId, status: 'SUCCEEDED', customers: outcome.customers, duration_ms: Math.round(clock() - t0), error: null }),
        );
        return 'SUCCEEDED';
      } catch (err) {
        await db.pool
          .query(bindNamed(Q.run_finish, { id: runId, status: 'FAILED', customers: null, duration_ms: Math.round(clock() - t0), error: String((err as Error).message ?? err).slice(0, 2000) }))
          .catch(() => undefined);
        throw err;
      }
    } finally {
      await claim.query(bindNamed(Q.run_release, { id: runId })).catch(markBroken);
    }
  });
}

/** The latest refreshes, newest first. */
export async function listMetricsRuns(options: { db: Db; limit: number }): Promise<MetricsRun[]> {
  const { rows } = await options.db.pool.query<MetricsRun>(bindNamed(Q.run_list, { limit: options.limit }));
  return rows;
}
