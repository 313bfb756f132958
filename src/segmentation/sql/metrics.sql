-- The customer metrics refresh: aggregates of purchases, quintile scores, RFM groups, CLV and
-- lifecycle stages, set-wise (never row by row). The rules are those of src/segmentation/rfm.ts;
-- tests compare both on random data.
--
-- Full refresh: aggregate every customer's purchases in one pass over transactions (a parallel hash
-- aggregate), compute the quintile cut-points of buyers (three percentile_disc, a sort of 1M small
-- values each, instead of ranking every row with NTILE), write a new table in one INSERT ... SELECT,
-- index it, and swap it in (readers wait only for the DROP + RENAME).
-- Incremental refresh: the same for the customers listed in metrics_scope, scored against the stored
-- cut-points, upserted in place.
-- Parameters are named (:now, :r_cuts, ...) and numbered by bindNamed.

-- name: aggregate_all
-- Purchases of every customer up to :now (see agg_columns), one parallel hash aggregate.
CREATE TEMP TABLE metrics_agg ON COMMIT DROP AS
{{agg_derived}}
FROM transactions t
WHERE t.occurred_at <= :now::timestamptz
GROUP BY t.customer_id
) g) d

-- name: aggregate_scope
-- The same for the customers of metrics_scope only (transactions_customer_time_idx per customer).
CREATE TEMP TABLE metrics_agg ON COMMIT DROP AS
{{agg_derived}}
FROM metrics_scope s
JOIN transactions t ON t.customer_id = s.customer_id
WHERE t.occurred_at <= :now::timestamptz
GROUP BY t.customer_id
) g) d

-- name: agg_derived
-- A customer's purchases and the values derived from them once per buyer (in float8: numeric
-- arithmetic made the scoring 20x slower, and date_part() gives float8 where extract() computes a
-- numeric). Refunded purchases are counted
-- apart and excluded from spend and frequency. Windows: last 90 days = (now - 90 d, now], the 90
-- days before = (now - 180 d, now - 90 d]. Predicted CLV is rfm.ts predictedClv: aov * yearly rate *
-- exp(-recency / expected gap), rate = purchases * 365 / tenure. The query continues with the FROM
-- of the caller and closes the two derived tables.
SELECT d.*,
       CASE WHEN d.purchase_count > 0 THEN
         round((
           (d.total_spent::float8 / d.purchase_count)
           * (d.purchase_count * 365.0::float8 / d.tenure_days)
           * exp(-d.recency_days / greatest(d.tenure_days / d.purchase_count, 30.0::float8))
         )::numeric, 2)
       END AS clv_predicted
FROM (
SELECT g.*,
       floor(date_part('epoch', :now::timestamptz - g.last_purchase_at) / 86400)::int AS recency_days,
       greatest(date_part('epoch', :now::timestamptz - g.first_purchase_at) / 86400, 30) AS tenure_days
FROM (
SELECT t.customer_id,
       count(*) FILTER (WHERE NOT t.is_refunded)::int AS purchase_count,
       count(*) FILTER (WHERE t.is_refunded)::int AS refunded_count,
       coalesce(sum(t.amount) FILTER (WHERE NOT t.is_refunded), 0) AS total_spent,
       min(t.occurred_at) FILTER (WHERE NOT t.is_refunded) AS first_purchase_at,
       max(t.occurred_at) FILTER (WHERE NOT t.is_refunded) AS last_purchase_at,
       coalesce(sum(t.amount) FILTER (WHERE NOT t.is_refunded AND t.occurred_at > :now::timestamptz - interval '90 days'), 0) AS spend_last_90d,
       coalesce(sum(t.amount) FILTER (WHERE NOT t.is_refunded AND t.occurred_at > :now::timestamptz - interval '180 days'
                                         AND t.occurred_at <= :now::timestamptz - interval '90 days'), 0) AS spend_prev_90d

-- name: cut_points
-- Quintile cut-points (20/40/60/80th percentiles) over buyers. percentile_disc returns values that
-- exist, so a tied value is never split across two scores.
SELECT percentile_disc(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY recency_days) AS recency_days,
       percentile_disc(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY purchase_count) AS purchase_count,
       percentile_disc(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY total_spent) AS total_spent,
       percentile_disc(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY clv_predicted) AS clv_predicted,
       count(*)::int AS buyers
FROM metrics_agg
WHERE purchase_count > 0

-- name: scored_columns
-- One customer's metrics row from customers c, metrics_agg a (NULL for prospects) and the scores x.
-- Column order is customer_metrics'. Lifecycle bounds (:new_since, ...) are instants computed once
-- from now and the thresholds.
c.id,
coalesce(a.purchase_count, 0),
coalesce(a.refunded_count, 0),
coalesce(a.total_spent, 0),
round(a.total_spent / nullif(a.purchase_count, 0), 2),
a.first_purchase_at,
a.last_purchase_at,
CASE WHEN a.purchase_count > 0 THEN a.recency_days END,
coalesce(a.spend_last_90d, 0),
coalesce(a.spend_prev_90d, 0),
round(a.spend_last_90d / nullif(a.spend_prev_90d, 0), 3),
x.r,
x.f,
x.m,
CASE
  WHEN x.r IS NULL THEN NULL
  WHEN x.r >= 4 AND x.fm >= 4 THEN 'CHAMPIONS'
  WHEN x.r <= 1 AND x.fm >= 4 THEN 'CANNOT_LOSE_THEM'
  WHEN x.r <= 2 AND x.fm >= 3 THEN 'AT_RISK'
  WHEN x.r >= 3 AND x.fm >= 3 THEN 'LOYAL'
  WHEN x.r = 5 AND x.fm = 1 THEN 'NEW'
  WHEN x.r >= 4 AND x.fm = 2 THEN 'POTENTIAL_LOYALISTS'
  WHEN x.r = 4 AND x.fm = 1 THEN 'PROMISING'
  WHEN x.r = 3 AND x.fm = 2 THEN 'NEED_ATTENTION'
  WHEN x.r = 3 AND x.fm = 1 THEN 'ABOUT_TO_SLEEP'
  WHEN x.r = 2 THEN 'HIBERNATING'
  ELSE 'LOST'
END,
coalesce(a.total_spent, 0),
a.clv_predicted,
CASE
  WHEN coalesce(a.purchase_count, 0) = 0 THEN 'PROSPECT'
  WHEN a.first_purchase_at >= :new_since THEN 'NEW'
  WHEN a.last_purchase_at >= :active_since AND a.purchase_count >= :loyal_min THEN 'LOYAL'
  WHEN a.last_purchase_at >= :active_since THEN 'ACTIVE'
  WHEN a.last_purchase_at >= :at_risk_since THEN 'AT_RISK'
  WHEN a.last_purchase_at >= :lapsed_since THEN 'LAPSED'
  ELSE 'LOST'
END,
0, 0, 0, 0, 0, 0, 0, 0, NULL::timestamptz, NULL::timestamptz,
:now::timestamptz,
x.v

-- name: scores_lateral
-- R = 5 - (cut-points below recency), F/M/V = 1 + (cut-points below the value), FM = round((F + M) / 2);
-- NULL for prospects. V is the value tier (predicted CLV). Cut-points arrive as int[] (recency,
-- frequency) and numeric[] (spend, CLV).
CROSS JOIN LATERAL (
  SELECT CASE WHEN a.purchase_count > 0 THEN
           5 - ((a.recency_days > (:r_cuts::int[])[1])::int + (a.recency_days > (:r_cuts::int[])[2])::int
              + (a.recency_days > (:r_cuts::int[])[3])::int + (a.recency_days > (:r_cuts::int[])[4])::int) END AS r,
         CASE WHEN a.purchase_count > 0 THEN
           1 + (a.purchase_count > (:f_cuts::int[])[1])::int + (a.purchase_count > (:f_cuts::int[])[2])::int
             + (a.purchase_count > (:f_cuts::int[])[3])::int + (a.purchase_count > (:f_cuts::int[])[4])::int END AS f,
         CASE WHEN a.purchase_count > 0 THEN
           1 + (a.total_spent > (:m_cuts::numeric[])[1])::int + (a.total_spent > (:m_cuts::numeric[])[2])::int
             + (a.total_spent > (:m_cuts::numeric[])[3])::int + (a.total_spent > (:m_cuts::numeric[])[4])::int END AS m,
         CASE WHEN a.purchase_count > 0 THEN
           1 + (a.clv_predicted > (:v_cuts::numeric[])[1])::int + (a.clv_predicted > (:v_cuts::numeric[])[2])::int
             + (a.clv_predicted > (:v_cuts::numeric[])[3])::int + (a.clv_predicted > (:v_cuts::numeric[])[4])::int END AS v
) s
CROSS JOIN LATERAL (SELECT s.r, s.f, s.m, s.v, round((s.f + s.m) / 2.0)::int AS fm) x

-- name: create_next
-- The table a full refresh fills; indexes come after the load (one sorted build each).
CREATE TABLE customer_metrics_next (LIKE customer_metrics INCLUDING DEFAULTS INCLUDING CONSTRAINTS)

-- name: fill_next
INSERT INTO customer_metrics_next
SELECT {{scored_columns}}
FROM customers c
LEFT JOIN metrics_agg a ON a.customer_id = c.id
{{scores_lateral}}
WHERE c.erased_at IS NULL

-- name: index_next
-- Only the primary key: segment conditions on a metric (rfm_group = ..., 10-20% of customers) read
-- customer_metrics whole anyway, and two more indexes cost 1.2 s of every refresh at 1M customers.
ALTER TABLE customer_metrics_next ADD CONSTRAINT customer_metrics_next_pkey PRIMARY KEY (customer_id);
ANALYZE customer_metrics_next

-- name: swap
-- Readers of customer_metrics wait only for these statements (ACCESS EXCLUSIVE on the old table).
DROP TABLE customer_metrics;
ALTER TABLE customer_metrics_next RENAME TO customer_metrics;
ALTER INDEX customer_metrics_next_pkey RENAME TO customer_metrics_pkey

-- name: store_cut_points
INSERT INTO metric_cut_points (metric, cut_points, buyers, computed_at)
VALUES ('recency_days', :r_cuts, :buyers, :now), ('purchase_count', :f_cuts, :buyers, :now), ('total_spent', :m_cuts, :buyers, :now),
       ('clv_predicted', :v_cuts, :buyers, :now)
ON CONFLICT (metric) DO UPDATE SET cut_points = EXCLUDED.cut_points, buyers = EXCLUDED.buyers, computed_at = EXCLUDED.computed_at

-- name: load_cut_points
SELECT metric, cut_points::float8[] AS cut_points, buyers FROM metric_cut_points

-- name: take_dirty
-- Incremental refresh scope: the customers marked dirty so far (their marks are removed; a mark made
-- during the refresh by a concurrent write survives because it is re-inserted after this delete).
CREATE TEMP TABLE metrics_scope ON COMMIT DROP AS
WITH taken AS (DELETE FROM customer_metrics_dirty RETURNING customer_id)
SELECT DISTINCT customer_id FROM taken

-- name: upsert_scope
INSERT INTO customer_metrics
SELECT {{scored_columns}}
FROM metrics_scope sc
JOIN customers c ON c.id = sc.customer_id AND c.erased_at IS NULL
LEFT JOIN metrics_agg a ON a.customer_id = c.id
{{scores_lateral}}
ON CONFLICT (customer_id) DO UPDATE SET
  purchase_count = EXCLUDED.purchase_count, refunded_count = EXCLUDED.refunded_count, total_spent = EXCLUDED.total_spent,
  average_order_value = EXCLUDED.average_order_value, first_purchase_at = EXCLUDED.first_purchase_at,
  last_purchase_at = EXCLUDED.last_purchase_at, recency_days = EXCLUDED.recency_days,
  spend_last_90d = EXCLUDED.spend_last_90d, spend_prev_90d = EXCLUDED.spend_prev_90d, trend_ratio = EXCLUDED.trend_ratio,
  r_score = EXCLUDED.r_score, f_score = EXCLUDED.f_score, m_score = EXCLUDED.m_score, rfm_group = EXCLUDED.rfm_group,
  clv_historic = EXCLUDED.clv_historic, clv_predicted = EXCLUDED.clv_predicted, lifecycle_stage = EXCLUDED.lifecycle_stage,
  computed_at = EXCLUDED.computed_at, value_tier = EXCLUDED.value_tier

-- name: run_queue
-- A refresh asked for (through the API or the schedule); its job carries only this id.
INSERT INTO metrics_refreshes (kind, status, requested_at) VALUES (:kind, 'QUEUED', :now) RETURNING id

-- name: run_claim
-- A session-level advisory lock per run, held by the connection that runs it: released when the
-- run ends or its session dies (a killed worker), whatever state the row was left in. The two-key
-- form (class 724811, the run id) is a lock space apart from the refresh's one-key lock.
SELECT pg_try_advisory_lock(724811, (:id::bigint % 2147483647)::int) AS claimed

-- name: run_release
SELECT pg_advisory_unlock(724811, (:id::bigint % 2147483647)::int)

-- name: run_start
-- Under the claim, a RUNNING row is a run whose worker died: it starts over. SUCCEEDED is final.
UPDATE metrics_refreshes SET status = 'RUNNING', started_at = :now WHERE id = :id AND status IN ('QUEUED', 'FAILED', 'RUNNING') RETURNING kind

-- name: run_finish
-- Bookkeeping time (when it ended) is the database's clock; the metrics are as of the run's `now`.
UPDATE metrics_refreshes
SET status = :status, finished_at = clock_timestamp(), customers = :customers, duration_ms = :duration_ms, error = :error
WHERE id = :id AND status <> 'SUCCEEDED'

-- name: run_list
-- metrics_refreshes_requested_at_idx.
SELECT id, kind, status, requested_at AS "requestedAt", started_at AS "startedAt", finished_at AS "finishedAt",
       customers, duration_ms AS "durationMs", error
FROM metrics_refreshes ORDER BY requested_at DESC, id DESC LIMIT :limit

-- name: metrics_by_customer
-- customer_metrics_pkey.
SELECT customer_id AS "customerId", purchase_count AS "purchaseCount", refunded_count AS "refundedCount",
       total_spent AS "totalSpent", average_order_value AS "averageOrderValue", first_purchase_at AS "firstPurchaseAt",
       last_purchase_at AS "lastPurchaseAt", recency_days AS "recencyDays", spend_last_90d AS "spendLast90d",
       spend_prev_90d AS "spendPrev90d", trend_ratio AS "trendRatio", r_score AS "rScore", f_score AS "fScore",
       m_score AS "mScore", rfm_group AS "rfmGroup", clv_historic AS "clvHistoric", clv_predicted AS "clvPredicted",
       value_tier AS "valueTier", lifecycle_stage AS "lifecycleStage", messages_received_30d AS "messagesReceived30d",
       messages_received_90d AS "messagesReceived90d", messages_opened_30d AS "messagesOpened30d",
       messages_opened_90d AS "messagesOpened90d", messages_clicked_30d AS "messagesClicked30d",
       messages_clicked_90d AS "messagesClicked90d", messages_converted_30d AS "messagesConverted30d",
       messages_converted_90d AS "messagesConverted90d", last_opened_at AS "lastOpenedAt",
       last_clicked_at AS "lastClickedAt", computed_at AS "computedAt"
FROM customer_metrics WHERE customer_id = ANY (:ids::bigint[])
