-- Same-run baselines of the segment benchmark: each question written by hand, as a competent
-- engineer would for that one question. :now is the benchmark's fixed instant.

-- name: country
SELECT count(*) FROM customers c WHERE c.erased_at IS NULL AND c.country = 'FR'

-- name: rfm_group
SELECT count(*) FROM customers c JOIN customer_metrics m ON m.customer_id = c.id
WHERE c.erased_at IS NULL AND m.rfm_group = 'CHAMPIONS'

-- name: top_clv_declining
SELECT count(*) FROM customers c JOIN customer_metrics m ON m.customer_id = c.id
WHERE c.erased_at IS NULL AND m.clv_predicted >= 403.70 AND m.trend_ratio < 1

-- name: events_in_window
SELECT count(*) FROM customers c
WHERE c.erased_at IS NULL AND c.id IN (
  SELECT e.customer_id FROM customer_events e
  WHERE e.name = 'song_favourited' AND e.occurred_at > :now::timestamptz - interval '14 days' AND e.occurred_at <= :now::timestamptz
  GROUP BY e.customer_id HAVING count(*) >= 3)

-- name: category_spend
SELECT count(*) FROM customers c
WHERE c.erased_at IS NULL AND c.id IN (
  SELECT t.customer_id FROM transactions t
  WHERE NOT t.is_refunded AND t.category = 'books' AND t.occurred_at > :now::timestamptz - interval '90 days' AND t.occurred_at <= :now::timestamptz
  GROUP BY t.customer_id HAVING sum(t.amount) >= 100)

-- name: reachable_sms
SELECT count(*) FROM customers c JOIN customer_consents s ON s.customer_id = c.id AND s.channel = 'SMS'
WHERE c.erased_at IS NULL AND s.status = 'SUBSCRIBED' AND c.phone IS NOT NULL

-- name: nested
SELECT count(*) FROM customers c LEFT JOIN customer_metrics m ON m.customer_id = c.id
WHERE c.erased_at IS NULL
  AND (c.country IN ('FR', 'BE') OR m.lifecycle_stage = 'LOYAL')
  -- Cible's rules are two-valued (a missing value never matches): written out by hand, that is coalesce.
  AND NOT (coalesce(m.recency_days > 180, false) OR coalesce(c.signup_channel = 'STORE', false))
  AND (c.attributes @> '{"pets_at_home": true}')

-- name: segment_of_segment
SELECT count(*) FROM customers c LEFT JOIN customer_metrics m ON m.customer_id = c.id
WHERE c.erased_at IS NULL AND c.country = 'FR' AND m.lifecycle_stage IN ('AT_RISK', 'LAPSED')

-- name: attribute
SELECT count(*) FROM customers c WHERE c.erased_at IS NULL AND c.attributes @> '{"pets_at_home": true}'

-- name: lifecycle_age
SELECT count(*) FROM customers c JOIN customer_metrics m ON m.customer_id = c.id
WHERE c.erased_at IS NULL AND m.lifecycle_stage IN ('AT_RISK', 'LAPSED')
  AND date_part('year', age(:now::date, c.birth_date)) BETWEEN 25 AND 34
