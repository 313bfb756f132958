import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Computed customer attributes (RFM, CLV, lifecycle, trend, engagement) and the bookkeeping of their
 * refreshes.
 *
 * - customer_metrics holds one row per customer, rebuilt set-wise by a full refresh (a new table
 *   filled in one INSERT ... SELECT, indexed, then swapped in under a short lock) and patched for
 *   changed customers in between (customer_metrics_dirty lists them; bulk writes add to it).
 * - metric_cut_points keeps the quintile cut-points of the last full refresh: scores are "which
 *   fifth of the buyers", so incremental refreshes score changed customers against them.
 * - No foreign key to customers: the table is rewritten whole, and customers are never deleted
 *   (erasure tombstones them).
 */
export class CustomerMetrics1763900000000 implements MigrationInterface {
  name = 'CustomerMetrics1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE customer_metrics (
        customer_id             bigint PRIMARY KEY,
        purchase_count          integer NOT NULL DEFAULT 0,
        refunded_count          integer NOT NULL DEFAULT 0,
        total_spent             numeric(14, 2) NOT NULL DEFAULT 0,
        average_order_value     numeric(14, 2),
        first_purchase_at       timestamptz,
        last_purchase_at        timestamptz,
        recency_days            integer,
        spend_last_90d          numeric(14, 2) NOT NULL DEFAULT 0,
        spend_prev_90d          numeric(14, 2) NOT NULL DEFAULT 0,
        trend_ratio             numeric(10, 3),
        r_score                 smallint CHECK (r_score BETWEEN 1 AND 5),
        f_score                 smallint CHECK (f_score BETWEEN 1 AND 5),
        m_score                 smallint CHECK (m_score BETWEEN 1 AND 5),
        rfm_group               text,
        clv_historic            numeric(14, 2) NOT NULL DEFAULT 0,
        clv_predicted           numeric(14, 2),
        lifecycle_stage         text NOT NULL,
        messages_received_30d   integer NOT NULL DEFAULT 0,
        messages_received_90d   integer NOT NULL DEFAULT 0,
        messages_opened_30d     integer NOT NULL DEFAULT 0,
        messages_opened_90d     integer NOT NULL DEFAULT 0,
        messages_clicked_30d    integer NOT NULL DEFAULT 0,
        messages_clicked_90d    integer NOT NULL DEFAULT 0,
        messages_converted_30d  integer NOT NULL DEFAULT 0,
        messages_converted_90d  integer NOT NULL DEFAULT 0,
        last_opened_at          timestamptz,
        last_clicked_at         timestamptz,
        computed_at             timestamptz NOT NULL
      )`);

    await q.query(`
      CREATE TABLE customer_metrics_dirty (
        customer_id bigint PRIMARY KEY,
        marked_at   timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE metric_cut_points (
        metric      text PRIMARY KEY CHECK (metric IN ('recency_days', 'purchase_count', 'total_spent', 'clv_predicted')),
        cut_points  numeric[] NOT NULL,
        buyers      integer NOT NULL,
        computed_at timestamptz NOT NULL
      )`);

    await q.query(`
      CREATE TABLE metrics_refreshes (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        kind         text NOT NULL CHECK (kind IN ('FULL', 'INCREMENTAL')),
        status       text NOT NULL CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED')),
        requested_at timestamptz NOT NULL,
        started_at   timestamptz,
        finished_at  timestamptz,
        customers    integer,
        duration_ms  integer,
        error        text
      )`);
    await q.query(`CREATE INDEX metrics_refreshes_requested_at_idx ON metrics_refreshes (requested_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['metrics_refreshes', 'metric_cut_points', 'customer_metrics_dirty', 'customer_metrics']) await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}
