-- Same-run baseline of the metrics benchmark: the refresh as a competent engineer writes it first, in
-- one statement: aggregate, rank every buyer with NTILE(5) per metric (three window sorts of all
-- buyers; NTILE also splits tied values across scores), and upsert every customer's row in place.
-- Same outputs as the real refresh (scores, RFM group, CLV, lifecycle), same work_mem.
-- :now is bound like the real refresh's.
INSERT INTO naive_customer_metrics
SELECT c.id,
       coalesce(a.purchase_count, 0), coalesce(a.refunded_count, 0), coalesce(a.total_spent, 0),
       round(a.total_spent / nullif(a.purchase_count, 0), 2), a.first_purchase_at, a.last_purchase_at, a.recency_days,
       coalesce(a.spend_last_90d, 0), coalesce(a.spend_prev_90d, 0), round(a.spend_last_90d / nullif(a.spend_prev_90d, 0), 3),
       a.r, a.f, a.m,
       CASE
         WHEN a.r IS NULL THEN NULL
         WHEN a.r >= 4 AND round((a.f + a.m) / 2.0) >= 4 THEN 'CHAMPIONS'
         WHEN a.r <= 1 AND round((a.f + a.m) / 2.0) >= 4 THEN 'CANNOT_LOSE_THEM'
         WHEN a.r <= 2 AND round((a.f + a.m) / 2.0) >= 3 THEN 'AT_RISK'
         WHEN a.r >= 3 AND round((a.f + a.m) / 2.0) >= 3 THEN 'LOYAL'
         WHEN a.r = 5 AND round((a.f + a.m) / 2.0) = 1 THEN 'NEW'
         WHEN a.r >= 4 AND round((a.f + a.m) / 2.0) = 2 THEN 'POTENTIAL_LOYALISTS'
         WHEN a.r = 4 AND round((a.f + a.m) / 2.0) = 1 THEN 'PROMISING'
         WHEN a.r = 3 AND round((a.f + a.m) / 2.0) = 2 THEN 'NEED_ATTENTION'
         WHEN a.r = 3 AND round((a.f + a.m) / 2.0) = 1 THEN 'ABOUT_TO_SLEEP'
         WHEN a.r = 2 THEN 'HIBERNATING'
         ELSE 'LOST'
       END,
       coalesce(a.total_spent, 0),
       CASE WHEN a.purchase_count > 0 THEN round(((a.total_spent::float8 / a.purchase_count)
         * (a.purchase_count * 365.0 / greatest(extract(epoch FROM (:now::timestamptz - a.first_purchase_at)) / 86400, 30))
         * exp(-a.recency_days / greatest(365.0 / (a.purchase_count * 365.0 / greatest(extract(epoch FROM (:now::timestamptz - a.first_purchase_at)) / 86400, 30)), 30)))::numeric, 2) END,
       CASE
         WHEN coalesce(a.purchase_count, 0) = 0 THEN 'PROSPECT'
         WHEN a.first_purchase_at >= :now::timestamptz - interval '30 days' THEN 'NEW'
         WHEN a.last_purchase_at >= :now::timestamptz - interval '90 days' AND a.purchase_count >= 4 THEN 'LOYAL'
         WHEN a.last_purchase_at >= :now::timestamptz - interval '90 days' THEN 'ACTIVE'
         WHEN a.last_purchase_at >= :now::timestamptz - interval '180 days' THEN 'AT_RISK'
         WHEN a.last_purchase_at >= :now::timestamptz - interval '365 days' THEN 'LAPSED'
         ELSE 'LOST'
       END,
       0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL, :now::timestamptz
FROM customers c
LEFT JOIN (
  SELECT g.*,
         CASE WHEN g.purchase_count > 0 THEN ntile(5) OVER (PARTITION BY g.purchase_count > 0 ORDER BY g.recency_days DESC) END AS r,
         CASE WHEN g.purchase_count > 0 THEN ntile(5) OVER (PARTITION BY g.purchase_count > 0 ORDER BY g.purchase_count) END AS f,
         CASE WHEN g.purchase_count > 0 THEN ntile(5) OVER (PARTITION BY g.purchase_count > 0 ORDER BY g.total_spent) END AS m
  FROM (
    SELECT t.customer_id,
           count(*) FILTER (WHERE NOT t.is_refunded)::int AS purchase_count,
           count(*) FILTER (WHERE t.is_refunded)::int AS refunded_count,
           coalesce(sum(t.amount) FILTER (WHERE NOT t.is_refunded), 0) AS total_spent,
           min(t.occurred_at) FILTER (WHERE NOT t.is_refunded) AS first_purchase_at,
           max(t.occurred_at) FILTER (WHERE NOT t.is_refunded) AS last_purchase_at,
           floor(extract(epoch FROM (:now::timestamptz - max(t.occurred_at) FILTER (WHERE NOT t.is_refunded))) / 86400)::int AS recency_days,
           coalesce(sum(t.amount) FILTER (WHERE NOT t.is_refunded AND t.occurred_at > :now::timestamptz - interval '90 days'), 0) AS spend_last_90d,
           coalesce(sum(t.amount) FILTER (WHERE NOT t.is_refunded AND t.occurred_at > :now::timestamptz - interval '180 days'
                                             AND t.occurred_at <= :now::timestamptz - interval '90 days'), 0) AS spend_prev_90d
    FROM transactions t
    WHERE t.occurred_at <= :now::timestamptz
    GROUP BY t.customer_id
  ) g
) a ON a.customer_id = c.id
WHERE c.erased_at IS NULL
ON CONFLICT (customer_id) DO UPDATE SET
  purchase_count = EXCLUDED.purchase_count, refunded_count = EXCLUDED.refunded_count, total_spent = EXCLUDED.total_spent,
  average_order_value = EXCLUDED.average_order_value, first_purchase_at = EXCLUDED.first_purchase_at,
  last_purchase_at = EXCLUDED.last_purchase_at, recency_days = EXCLUDED.recency_days,
  spend_last_90d = EXCLUDED.spend_last_90d, spend_prev_90d = EXCLUDED.spend_prev_90d, trend_ratio = EXCLUDED.trend_ratio,
  r_score = EXCLUDED.r_score, f_score = EXCLUDED.f_score, m_score = EXCLUDED.m_score, rfm_group = EXCLUDED.rfm_group,
  clv_historic = EXCLUDED.clv_historic, clv_predicted = EXCLUDED.clv_predicted, lifecycle_stage = EXCLUDED.lifecycle_stage,
  computed_at = EXCLUDED.computed_at
