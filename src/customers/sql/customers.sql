-- Read paths of the customer API. Columns are aliased to the GraphQL field names so rows go to the
-- client as-is. Optional filters are written `($n IS NULL OR ...)`: node-pg sends unnamed statements,
-- planned with the actual values (custom plans), so an absent filter folds away and the planner sees
-- only the predicates in use.

-- name: select_customers
-- $1 ids bigint[] | null, $2 external ids text[] | null, $3 cursor (id >) | null, $4 country | null,
-- $5 created from | null, $6 created before | null, $7 search term | null (exact external id),
-- $8 lower-case prefix pattern (email, last name), $9 phone prefix pattern | null,
-- $10 consent channel | null, $11 consent status, $12 include erased, $13 limit.
-- Plans: by ids -> customers_pkey / customers_external_id_key; pages -> customers_pkey in id order
-- (keyset, never OFFSET); search -> BitmapOr of customers_external_id_key, customers_email_idx,
-- customers_phone_idx, customers_last_name_idx and customers_first_name_idx (text_pattern_ops btrees serve LIKE 'prefix%').
SELECT c.id, c.external_id AS "externalId", c.email, c.phone, c.first_name AS "firstName",
       c.last_name AS "lastName", c.birth_date AS "birthDate", c.gender, c.locale, c.time_zone AS "timeZone",
       c.street_address AS "streetAddress", c.city, c.region, c.country, c.postal_code AS "postalCode",
       c.household_size AS "householdSize", c.income_band AS "incomeBand", c.occupation,
       c.signup_channel AS "signupChannel", c.signed_up_at AS "signedUpAt",
       c.acquisition_source AS "acquisitionSource", c.referral_source AS "referralSource", c.devices,
       c.platforms, c.loyalty_tier AS "loyaltyTier", c.loyalty_points AS "loyaltyPoints",
       c.preferred_channel AS "preferredChannel", c.attributes, c.created_at AS "createdAt",
       c.updated_at AS "updatedAt", c.erased_at AS "erasedAt"
FROM customers c
WHERE ($1::bigint[] IS NULL OR c.id = ANY ($1))
  AND ($2::text[] IS NULL OR c.external_id = ANY ($2))
  AND ($3::bigint IS NULL OR c.id > $3)
  AND ($4::text IS NULL OR c.country = $4)
  AND ($5::timestamptz IS NULL OR c.created_at >= $5)
  AND ($6::timestamptz IS NULL OR c.created_at < $6)
  AND ($7::text IS NULL OR c.external_id = $7 OR c.email LIKE $8 OR lower(c.last_name) LIKE $8
       OR lower(c.first_name) LIKE $8
       OR ($9::text IS NOT NULL AND c.phone LIKE $9))
  AND ($10::text IS NULL OR coalesce((SELECT cc.status FROM customer_consents cc
                                       WHERE cc.customer_id = c.id AND cc.channel = $10), 'NEVER_ASKED') = $11)
  AND ($12::boolean OR c.erased_at IS NULL)
ORDER BY c.id
LIMIT $13

-- name: count_customers
-- The filters of select_customers, without ids, cursor and limit.
-- $1 country, $2 created from, $3 created before, $4 search term, $5 prefix pattern,
-- $6 phone prefix pattern, $7 consent channel, $8 consent status, $9 include erased.
SELECT count(*)::bigint AS count
FROM customers c
WHERE ($1::text IS NULL OR c.country = $1)
  AND ($2::timestamptz IS NULL OR c.created_at >= $2)
  AND ($3::timestamptz IS NULL OR c.created_at < $3)
  AND ($4::text IS NULL OR c.external_id = $4 OR c.email LIKE $5 OR lower(c.last_name) LIKE $5
       OR lower(c.first_name) LIKE $5
       OR ($6::text IS NOT NULL AND c.phone LIKE $6))
  AND ($7::text IS NULL OR coalesce((SELECT cc.status FROM customer_consents cc
                                      WHERE cc.customer_id = c.id AND cc.channel = $7), 'NEVER_ASKED') = $8)
  AND ($9::boolean OR c.erased_at IS NULL)

-- name: consents_by_customer
-- $1 customer ids. One row per stored consent (channels never asked have none). customer_consents_pkey.
SELECT customer_id AS "customerId", channel, status, source, changed_at AS "changedAt", recorded_at AS "recordedAt"
FROM customer_consents
WHERE customer_id = ANY ($1::bigint[])

-- name: recent_transactions
-- $1 customer ids, $2 per-customer limit, $3 occurred before | null. Newest first.
-- One index range scan per customer on transactions_customer_time_idx (LATERAL ... LIMIT).
SELECT t.id, t.external_id AS "externalId", t.customer_id AS "customerId", t.amount, t.currency,
       t.occurred_at AS "occurredAt", t.category, t.product, t.channel, t.store,
       t.points_earned AS "pointsEarned", t.points_redeemed AS "pointsRedeemed",
       t.is_refunded AS "isRefunded", t.created_at AS "createdAt", t.updated_at AS "updatedAt"
FROM unnest($1::bigint[]) AS k (customer_id)
CROSS JOIN LATERAL (
  SELECT * FROM transactions t
  WHERE t.customer_id = k.customer_id AND ($3::timestamptz IS NULL OR t.occurred_at < $3)
  ORDER BY t.occurred_at DESC, t.id DESC
  LIMIT $2
) t

-- name: recent_events
-- $1 customer ids, $2 per-customer limit, $3 event name | null, $4 occurred before | null. Newest first.
-- With a name: customer_events_customer_name_time_idx range scan per customer; without: that index's
-- customer prefix, then a sort of the customer's events (a few hundred at most).
SELECT e.id, e.external_id AS "externalId", e.customer_id AS "customerId", e.name, e.properties,
       e.occurred_at AS "occurredAt", e.created_at AS "createdAt"
FROM unnest($1::bigint[]) AS k (customer_id)
CROSS JOIN LATERAL (
  SELECT * FROM customer_events e
  WHERE e.customer_id = k.customer_id
    AND ($3::text IS NULL OR e.name = $3)
    AND ($4::timestamptz IS NULL OR e.occurred_at < $4)
  ORDER BY e.occurred_at DESC, e.id DESC
  LIMIT $2
) e

-- name: consent_history
-- $1 customer ids, $2 channel | null, $3 per-customer limit. Newest change first.
-- consent_changes_dedupe_key (customer_id, channel, changed_at, status) serves the lookup.
SELECT h.customer_id AS "customerId", h.channel, h.status, h.source, h.changed_at AS "changedAt",
       h.recorded_at AS "recordedAt", h.is_applied AS "isApplied"
FROM unnest($1::bigint[]) AS k (customer_id)
CROSS JOIN LATERAL (
  SELECT * FROM consent_changes h
  WHERE h.customer_id = k.customer_id AND ($2::text IS NULL OR h.channel = $2)
  ORDER BY h.changed_at DESC, h.id DESC
  LIMIT $3
) h
