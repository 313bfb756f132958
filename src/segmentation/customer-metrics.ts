import type pg from 'pg';
import type { Db } from '../db/database.js';
import { bindNamed, loadSqlQueries } from '../db/sql.js';
import { withTransaction } from '../db/transaction.js';
import { DEFAULT_LIFECYCLE, type LifecycleThresholds } from './rfm.js';

const Q = loadSqlQueries(import.meta.url, 'sql/metrics.sql', [
  'aggregate_all',
  'aggregate_scope',
  'agg_derived',
  'cut_points',
  'scored_columns',
  'scores_lateral',
  'create_next',
  'fill_next',
  'index_next',
  'swap',
  'store_cut_points',
  'load_cut_points',
  'take_dirty',
  'upsert_scope',
] as const);

const compose = (sql: string) =>
  sql.replace('{{scored_columns}}', Q.scored_columns).replace('{{scores_lateral}}', Q.scores_lateral).replace('{{agg_derived}}', Q.agg_derived);
const FILL_NEXT = compose(Q.fill_next);
const UPSERT_SCOPE = compose(Q.upsert_scope);
const AGGREGATE_ALL = compose(Q.aggregate_all);
const AGGREGATE_SCOPE = compose(Q.aggregate_scope);

/** Arbitrary constant naming the metrics refresh among advisory locks: one refresh at a time. */
const REFRESH_LOCK = 7_248_110_002;

/**
 * Memory for the refresh's hash aggregate (1M customers ≈ 160 MB per worker): with the default 4 MB
 * it spills to disk and takes several times longer.
 */
const REFRESH_WORK_MEM = '256MB';

export type RefreshKind = 'FULL' | 'INCREMENTAL';

/** Quintile cut-points of buyers: `[p20, p40, p60, p80]` per scored metric. */
export interface CutPoints {
  recencyDays: number[];
  purchaseCount: number[];
  totalSpent: number[];
  /** Of predicted CLV: the value tiers. */
  clvPredicted: number[];
  buyers: number;
}

export interface RefreshOutcome {
  kind: RefreshKind;
  /** Customers whose metrics were (re)computed. */
  customers: number;
  cutPoints: CutPoints | null;
}

/** The lifecycle thresholds as instants: computed once instead of per customer. */
function thresholdParams(t: LifecycleThresholds, now: Date) {
  const since = (days: number) => new Date(now.getTime() - days * 86_400_000);
  return {
    new_since: since(t.newDays),
    active_since: since(t.activeDays),
    at_risk_since: since(t.atRiskDays),
    lapsed_since: since(t.lapsedDays),
    loyal_min: t.loyalMinPurchases,
  };
}

function cutParams(c: CutPoints) {
  return { r_cuts: c.recencyDays, f_cuts: c.purchaseCount, m_cuts: c.totalSpent, v_cuts: c.clvPredicted, buyers: c.buyers };
}

/** With no buyer at all, every customer is a prospect and cut-points are never compared. */
const NO_BUYERS: CutPoints = { recencyDays: [0, 0, 0, 0], purchaseCount: [0, 0, 0, 0], totalSpent: [0, 0, 0, 0], clvPredicted: [0, 0, 0, 0], buyers: 0 };

async function prepare(client: pg.ClientBase): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [REFRESH_LOCK]);
  await client.query(`SET LOCAL work_mem = '${REFRESH_WORK_MEM}'`);
  // The planner's cost of a full refresh triggers LLVM inlining and optimisation, which took 1 s of
  // the fill at 1M customers and saved nothing: the statements are simple expressions over big scans.
  await client.query('SET LOCAL jit = off');
}

/**
 * Recomputes every customer's metrics as of `now`, set-wise, and swaps the new table in. Marks of
 * changed customers made before the refresh started are cleared (the refresh saw their data).
 */
export async function refreshAllMetrics(options: { db: Db; now: Date; thresholds?: LifecycleThresholds }): Promise<RefreshOutcome> {
  const { db, now } = options;
  const thresholds = options.thresholds ?? DEFAULT_LIFECYCLE;
  return withTransaction(db, async (client) => {
    await prepare(client);
    const started = (await client.query<{ at: Date }>('SELECT clock_timestamp() AS at')).rows[0].at;
    await client.query(bindNamed(AGGREGATE_ALL, { now }));
    type Cuts = string[] | null;
    const c = (await client.query<{ recency_days: Cuts; purchase_count: Cuts; total_spent: Cuts; clv_predicted: Cuts; buyers: number }>(Q.cut_points)).rows[0];
    const cuts: CutPoints =
      c.buyers > 0
        ? {
            recencyDays: c.recency_days!.map(Number),
            purchaseCount: c.purchase_count!.map(Number),
            totalSpent: c.total_spent!.map(Number),
            clvPredicted: c.clv_predicted!.map(Number),
            buyers: c.buyers,
          }
        : NO_BUYERS;
    await client.query('DROP TABLE IF EXISTS customer_metrics_next');
    await client.query(Q.create_next);
    const filled = await client.query(bindNamed(FILL_NEXT, { now, ...cutParams(cuts), ...thresholdParams(thresholds, now) }));
    await client.query(Q.index_next);
    await client.query(Q.swap);
    await client.query(bindNamed(Q.store_cut_points, { now, ...cutParams(cuts) }));
    await client.query('DELETE FROM customer_metrics_dirty WHERE marked_at < $1', [started]);
    return { kind: 'FULL', customers: filled.rowCount ?? 0, cutPoints: cuts.buyers > 0 ? cuts : null };
  });
}

/** The cut-points of the last full refresh, or null when there has been none (or it predates one of them). */
export async function loadCutPoints(client: pg.ClientBase | pg.Pool): Promise<CutPoints | null> {
  const { rows } = await client.query<{ metric: string; cut_points: number[]; buyers: number }>(Q.load_cut_points);
  const by = new Map(rows.map((r) => [r.metric, r]));
  const r = by.get('recency_days');
  const f = by.get('purchase_count');
  const m = by.get('total_spent');
  const v = by.get('clv_predicted');
  return r && f && m && v ? { recencyDays: r.cut_points, purchaseCount: f.cut_points, totalSpent: m.cut_points, clvPredicted: v.cut_points, buyers: r.buyers } : null;
}

/**
 * Recomputes the metrics of customers marked as changed since the last refresh, scored against the
 * stored cut-points (they move only with a full refresh). Falls back to a full refresh when none has
 * run yet.
 */
export async function refreshChangedMetrics(options: { db: Db; now: Date; thresholds?: LifecycleThresholds }): Promise<RefreshOutcome> {
  const { db, now } = options;
  const thresholds = options.thresholds ?? DEFAULT_LIFECYCLE;
  const cuts = await loadCutPoints(db.pool);
  if (!cuts) return refreshAllMetrics(options);
  return withTransaction(db, async (client) => {
    await prepare(client);
    const taken = await client.query(Q.take_dirty);
    if (!taken.rowCount) return { kind: 'INCREMENTAL', customers: 0, cutPoints: cuts };
    await client.query(bindNamed(AGGREGATE_SCOPE, { now }));
    const upserted = await client.query(bindNamed(UPSERT_SCOPE, { now, ...cutParams(cuts), ...thresholdParams(thresholds, now) }));
    return { kind: 'INCREMENTAL', customers: upserted.rowCount ?? 0, cutPoints: cuts };
  });
}

const METRICS_BY_CUSTOMER = loadSqlQueries(import.meta.url, 'sql/metrics.sql', ['metrics_by_customer'] as const).metrics_by_customer;

/** Metrics rows of the given customers (customers never refreshed yet have none). */
export async function loadCustomerMetrics<T extends { customerId: string }>(db: Db, customerIds: readonly string[]): Promise<T[]> {
  const { rows } = await db.pool.query<T>(bindNamed(METRICS_BY_CUSTOMER, { ids: customerIds }, { prepare: true }));
  return rows;
}
