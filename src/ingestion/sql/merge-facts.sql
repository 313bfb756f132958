-- Set-based upsert of staged transactions and events. Facts are keyed by their own external_id; a
-- re-sent identical fact changes nothing (the DO UPDATE is guarded by IS DISTINCT FROM), a corrected
-- one (say, refunded later) is updated in place. Rows whose customer is unknown or erased are refused
-- first and removed from the stage. Inserts are ordered by external_id so concurrent batches take
-- their unique-index locks in the same order.

-- name: reject_transactions
-- $1: none. Returns the refused rows with the reason.
DELETE FROM stage_transactions s
WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.external_id = s.customer_external_id AND c.erased_at IS NULL)
RETURNING s.ord,
          CASE WHEN EXISTS (SELECT 1 FROM customers c WHERE c.external_id = s.customer_external_id)
               THEN 'ERASED' ELSE 'UNKNOWN_CUSTOMER' END AS code

-- name: upsert_transactions
-- $1: now (created_at/updated_at). Returns the counts of inserted and changed rows.
WITH written AS (
INSERT INTO transactions AS t (
  external_id, customer_id, amount, currency, occurred_at, category, product, channel, store,
  points_earned, points_redeemed, is_refunded, created_at, updated_at
)
SELECT s.external_id, c.id, s.amount, s.currency, s.occurred_at, s.category, s.product, s.channel, s.store,
       s.points_earned, s.points_redeemed, s.is_refunded, $1, $1
FROM stage_transactions s
JOIN customers c ON c.external_id = s.customer_external_id
ORDER BY s.external_id
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
RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated FROM written

-- name: reject_events
-- $1: none. Returns the refused rows with the reason.
DELETE FROM stage_events s
WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.external_id = s.customer_external_id AND c.erased_at IS NULL)
RETURNING s.ord,
          CASE WHEN EXISTS (SELECT 1 FROM customers c WHERE c.external_id = s.customer_external_id)
               THEN 'ERASED' ELSE 'UNKNOWN_CUSTOMER' END AS code

-- name: upsert_events
-- $1: now (created_at). Returns the counts of inserted and changed rows.
WITH written AS (
INSERT INTO customer_events AS e (external_id, customer_id, name, properties, occurred_at, created_at)
SELECT s.external_id, c.id, s.name, s.properties, s.occurred_at, $1
FROM stage_events s
JOIN customers c ON c.external_id = s.customer_external_id
ORDER BY s.external_id
ON CONFLICT (external_id) DO UPDATE SET
  customer_id = EXCLUDED.customer_id, name = EXCLUDED.name, properties = EXCLUDED.properties,
  occurred_at = EXCLUDED.occurred_at
WHERE (e.customer_id, e.name, e.properties, e.occurred_at)
      IS DISTINCT FROM (EXCLUDED.customer_id, EXCLUDED.name, EXCLUDED.properties, EXCLUDED.occurred_at)
RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated FROM written
