-- Set-based upsert of staged transactions and events, one statement each. Facts are keyed by their
-- own external_id; a re-sent identical fact changes nothing (the DO UPDATE is guarded by IS DISTINCT
-- FROM), a corrected one (say, refunded later) is updated in place. The customer is resolved by
-- external id in the same statement (a LATERAL ... LIMIT 1 index probe per row: a plain join let the
-- planner hash the whole customers table for every chunk); rows whose customer is unknown or erased
-- are refused.
-- Inserts are ordered by external_id so concurrent batches take their index locks in the same order.
--
-- $1: now (created_at/updated_at); $2: true when importing a file in chunks: then a row created at
-- this import's `now` was written by an earlier chunk, and is rewritten and reported as a repeat.
-- Returns one row: inserted, updated, repeated (ords of repeats), refused ({ord, code} objects).

-- name: upsert_transactions
WITH resolved AS (
  SELECT s.*, c.id AS customer_id, c.erased_at
  FROM stage_transactions s
  LEFT JOIN LATERAL (SELECT id, erased_at FROM customers c WHERE c.external_id = s.customer_external_id LIMIT 1) c ON true
), written AS (
  INSERT INTO transactions AS t (
    external_id, customer_id, amount, currency, occurred_at, category, product, channel, store,
    points_earned, points_redeemed, is_refunded, created_at, updated_at
  )
  SELECT r.external_id, r.customer_id, r.amount, r.currency, r.occurred_at, r.category, r.product, r.channel,
         r.store, r.points_earned, r.points_redeemed, r.is_refunded, $1, $1
  FROM resolved r
  WHERE r.customer_id IS NOT NULL AND r.erased_at IS NULL
  ORDER BY r.external_id
  ON CONFLICT (external_id) DO UPDATE SET
    customer_id = EXCLUDED.customer_id, amount = EXCLUDED.amount, currency = EXCLUDED.currency,
    occurred_at = EXCLUDED.occurred_at, category = EXCLUDED.category, product = EXCLUDED.product,
    channel = EXCLUDED.channel, store = EXCLUDED.store, points_earned = EXCLUDED.points_earned,
    points_redeemed = EXCLUDED.points_redeemed, is_refunded = EXCLUDED.is_refunded, updated_at = EXCLUDED.updated_at
  WHERE (t.customer_id, t.amount, t.currency, t.occurred_at, t.category, t.product, t.channel, t.store,
         t.points_earned, t.points_redeemed, t.is_refunded)
        IS DISTINCT FROM
        (EXCLUDED.customer_id, EXCLUDED.amount, EXCLUDED.currency, EXCLUDED.occurred_at, EXCLUDED.category,
         EXCLUDED.product, EXCLUDED.channel, EXCLUDED.store, EXCLUDED.points_earned, EXCLUDED.points_redeemed,
         EXCLUDED.is_refunded)
     OR ($2 AND t.created_at = $1)
  RETURNING t.external_id, t.customer_id, (t.xmax = 0) AS inserted, $2 AND t.xmax <> 0 AND t.created_at = $1 AS repeated
), marked AS (
  -- Customers whose purchases changed: the next incremental metrics refresh recomputes them.
  INSERT INTO customer_metrics_dirty (customer_id) SELECT DISTINCT customer_id FROM written ON CONFLICT DO NOTHING
)
SELECT
  (SELECT count(*) FILTER (WHERE inserted) FROM written)::int AS inserted,
  (SELECT count(*) FILTER (WHERE NOT inserted AND NOT repeated) FROM written)::int AS updated,
  (SELECT coalesce(array_agg(r.ord), '{}') FROM written w JOIN resolved r USING (external_id) WHERE w.repeated) AS repeated,
  (SELECT coalesce(json_agg(json_build_object('ord', r.ord, 'code', CASE WHEN r.customer_id IS NULL THEN 'UNKNOWN_CUSTOMER' ELSE 'ERASED' END)), '[]')
     FROM resolved r WHERE r.customer_id IS NULL OR r.erased_at IS NOT NULL) AS refused

-- name: upsert_events
WITH resolved AS (
  SELECT s.*, c.id AS customer_id, c.erased_at
  FROM stage_events s
  LEFT JOIN LATERAL (SELECT id, erased_at FROM customers c WHERE c.external_id = s.customer_external_id LIMIT 1) c ON true
), written AS (
  INSERT INTO customer_events AS e (external_id, customer_id, name, properties, occurred_at, created_at)
  SELECT r.external_id, r.customer_id, r.name, r.properties, r.occurred_at, $1
  FROM resolved r
  WHERE r.customer_id IS NOT NULL AND r.erased_at IS NULL
  ORDER BY r.external_id
  ON CONFLICT (external_id) DO UPDATE SET
    customer_id = EXCLUDED.customer_id, name = EXCLUDED.name, properties = EXCLUDED.properties,
    occurred_at = EXCLUDED.occurred_at
  WHERE (e.customer_id, e.name, e.properties, e.occurred_at)
        IS DISTINCT FROM (EXCLUDED.customer_id, EXCLUDED.name, EXCLUDED.properties, EXCLUDED.occurred_at)
     OR ($2 AND e.created_at = $1)
  RETURNING e.external_id, (e.xmax = 0) AS inserted, $2 AND e.xmax <> 0 AND e.created_at = $1 AS repeated
)
SELECT
  (SELECT count(*) FILTER (WHERE inserted) FROM written)::int AS inserted,
  (SELECT count(*) FILTER (WHERE NOT inserted AND NOT repeated) FROM written)::int AS updated,
  (SELECT coalesce(array_agg(r.ord), '{}') FROM written w JOIN resolved r USING (external_id) WHERE w.repeated) AS repeated,
  (SELECT coalesce(json_agg(json_build_object('ord', r.ord, 'code', CASE WHEN r.customer_id IS NULL THEN 'UNKNOWN_CUSTOMER' ELSE 'ERASED' END)), '[]')
     FROM resolved r WHERE r.customer_id IS NULL OR r.erased_at IS NOT NULL) AS refused
