-- Segment characterisation (segmentProfile). The base is evaluated once into profile_base (a
-- member flag and the dimensions per customer, built in profile.ts from the compiled segment), then
-- summarised against the whole base in two passes over it.

-- name: age_band
-- Age band from the birth date, as of :today (a date); NULL when unknown.
CASE
  WHEN c.birth_date IS NULL THEN NULL
  WHEN c.birth_date > {{today}}::date - interval '18 years' THEN 'UNDER_18'
  WHEN c.birth_date > {{today}}::date - interval '25 years' THEN '18_24'
  WHEN c.birth_date > {{today}}::date - interval '35 years' THEN '25_34'
  WHEN c.birth_date > {{today}}::date - interval '45 years' THEN '35_44'
  WHEN c.birth_date > {{today}}::date - interval '55 years' THEN '45_54'
  WHEN c.birth_date > {{today}}::date - interval '65 years' THEN '55_64'
  ELSE '65_PLUS'
END

-- name: value
-- Means and medians of the value metrics (over customers with a value: recency, CLV and AOV exist
-- for buyers only), revenue and CLV of the segment and of the base, reachability, engagement sums.
SELECT count(*)::int AS base_size,
       avg(m.total_spent) FILTER (WHERE b.member)::float8 AS total_spent_mean, avg(m.total_spent)::float8 AS total_spent_base_mean,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY m.total_spent) FILTER (WHERE b.member) AS total_spent_median,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY m.total_spent) AS total_spent_base_median,
       avg(m.purchase_count) FILTER (WHERE b.member)::float8 AS purchase_count_mean, avg(m.purchase_count)::float8 AS purchase_count_base_mean,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY m.purchase_count) FILTER (WHERE b.member) AS purchase_count_median,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY m.purchase_count) AS purchase_count_base_median,
       avg(m.recency_days) FILTER (WHERE b.member)::float8 AS recency_days_mean, avg(m.recency_days)::float8 AS recency_days_base_mean,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY m.recency_days) FILTER (WHERE b.member) AS recency_days_median,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY m.recency_days) AS recency_days_base_median,
       avg(m.clv_predicted) FILTER (WHERE b.member)::float8 AS clv_predicted_mean, avg(m.clv_predicted)::float8 AS clv_predicted_base_mean,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY m.clv_predicted) FILTER (WHERE b.member) AS clv_predicted_median,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY m.clv_predicted) AS clv_predicted_base_median,
       avg(m.average_order_value) FILTER (WHERE b.member)::float8 AS average_order_value_mean, avg(m.average_order_value)::float8 AS average_order_value_base_mean,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY m.average_order_value) FILTER (WHERE b.member) AS average_order_value_median,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY m.average_order_value) AS average_order_value_base_median,
       count(*) FILTER (WHERE b.member)::int AS size,
       coalesce(sum(m.total_spent) FILTER (WHERE b.member), 0)::float8 AS revenue,
       coalesce(sum(m.total_spent), 0)::float8 AS base_revenue,
       coalesce(sum(m.spend_last_90d) FILTER (WHERE b.member), 0)::float8 AS revenue_90d,
       coalesce(sum(m.clv_predicted) FILTER (WHERE b.member), 0)::float8 AS predicted_clv,
       count(*) FILTER (WHERE b.member AND b.reach_email)::int AS reach_email,
       count(*) FILTER (WHERE b.reach_email)::int AS base_reach_email,
       count(*) FILTER (WHERE b.member AND b.reach_sms)::int AS reach_sms,
       count(*) FILTER (WHERE b.reach_sms)::int AS base_reach_sms,
       coalesce(sum(m.messages_received_30d) FILTER (WHERE b.member), 0)::int AS received_30d,
       coalesce(sum(m.messages_opened_30d) FILTER (WHERE b.member), 0)::int AS opened_30d,
       coalesce(sum(m.messages_clicked_30d) FILTER (WHERE b.member), 0)::int AS clicked_30d,
       coalesce(sum(m.messages_received_90d) FILTER (WHERE b.member), 0)::int AS received_90d,
       coalesce(sum(m.messages_converted_90d) FILTER (WHERE b.member), 0)::int AS converted_90d,
       coalesce(sum(m.messages_received_30d), 0)::int AS base_received_30d,
       coalesce(sum(m.messages_opened_30d), 0)::int AS base_opened_30d,
       coalesce(sum(m.messages_clicked_30d), 0)::int AS base_clicked_30d,
       coalesce(sum(m.messages_received_90d), 0)::int AS base_received_90d,
       coalesce(sum(m.messages_converted_90d), 0)::int AS base_converted_90d
FROM profile_base b
LEFT JOIN customer_metrics m ON m.customer_id = b.id

-- name: distributions
-- Customers per value of each dimension, in the segment and in the base (one pass, grouping sets),
-- the top :top_n values of each by segment count, and each dimension's totals for "the rest".
-- `g` names the dimension: the bit of the grouped column is 0 (GROUPING's argument order).
SELECT g, lifecycle_stage, rfm_group, value_tier, country, city, gender, signup_channel, age_band, n, base_n, rest_n, rest_base_n
FROM (
  SELECT *, row_number() OVER w AS rank,
         sum(n) OVER (PARTITION BY g) - sum(n) OVER w AS rest_n,
         sum(base_n) OVER (PARTITION BY g) - sum(base_n) OVER w AS rest_base_n
  FROM (
    SELECT GROUPING(m.lifecycle_stage, m.rfm_group, m.value_tier, b.country, b.city, b.gender, b.signup_channel, b.age_band) AS g,
           m.lifecycle_stage, m.rfm_group, m.value_tier::text AS value_tier, b.country, b.city, b.gender, b.signup_channel, b.age_band,
           count(*) FILTER (WHERE b.member)::int AS n, count(*)::int AS base_n
    FROM profile_base b
    LEFT JOIN customer_metrics m ON m.customer_id = b.id
    GROUP BY GROUPING SETS ((m.lifecycle_stage), (m.rfm_group), (m.value_tier), (b.country), (b.city), (b.gender), (b.signup_channel), (b.age_band))
  ) d
  WINDOW w AS (PARTITION BY g ORDER BY n DESC, base_n DESC, coalesce(lifecycle_stage, rfm_group, value_tier, country, city, gender, signup_channel, age_band) NULLS LAST
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
) r
WHERE rank <= :top_n
ORDER BY g DESC, rank
