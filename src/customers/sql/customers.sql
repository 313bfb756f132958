-- Read paths of the customer API. Columns are aliased to the GraphQL field names so rows go to the
-- client as-is. The hot statements are sent as named prepared statements: PostgreSQL then plans them
-- once per connection instead of once per request (planning cost more than execution here: 0.9 ms
-- against 0.1 ms for a page of 50).
--
-- The customer list is composed: `list_customers` / `count_customers` take the `cond_*` fragments
-- of the filters in use, AND-ed, with `:name` placeholders numbered by composeSql. Each combination
-- of filters is its own statement with its own plan: no `($1 IS NULL OR ...)` branches that a
-- cached generic plan could not fold away.

-- name: customer_columns
c.id, c.external_id AS "externalId", c.email, c.phone, c.first_name AS "firstName",
c.last_name AS "lastName", c.birth_date AS "birthDate", c.gender, c.locale, c.time_zone AS "timeZone",
c.street_address AS "streetAddress", c.city, c.region, c.country, c.postal_code AS "postalCode",
c.household_size AS "householdSize", c.income_band AS "incomeBand", c.occupation,
c.signup_channel AS "signupChannel", c.signed_up_at AS "signedUpAt",
c.acquisition_source AS "acquisitionSource", c.referral_source AS "referralSource", c.devices,
c.platforms, c.loyalty_tier AS "loyaltyTier", c.loyalty_points AS "loyaltyPoints",
c.preferred_channel AS "preferredChannel", c.attributes, c.created_at AS "createdAt",
c.updated_at AS "updatedAt", c.erased_at AS "erasedAt"

-- name: customers_by_ids
-- customers_pkey. Erased customers included: a direct lookup shows the tombstone.
SELECT {{columns}} FROM customers c WHERE c.id = ANY (:ids::bigint[])

-- name: customers_by_external_ids
-- customers_external_id_key.
SELECT {{columns}} FROM customers c WHERE c.external_id = ANY (:external_ids::text[])

-- name: list_customers
-- One keyset page in id order (never OFFSET): customers_pkey walked from the cursor, filtered; the
-- search fragment turns it into a BitmapOr of the btree indexes it names.
SELECT {{columns}} FROM customers c WHERE {{conditions}} ORDER BY c.id LIMIT :limit

-- name: count_customers
SELECT count(*)::bigint AS count FROM customers c WHERE {{conditions}}

-- name: prefetch_consents
-- Look-ahead for a customer page that asks for consents: the page's own query returns them as JSON,
-- one correlated probe of customer_consents_pkey per customer. Saves a round trip and the parsing of
-- one row per consent (JSON.parse is native); timestamps come out in canonical ISO form.
(SELECT coalesce(json_agg(json_build_object(
          'customerId', cc.customer_id::text, 'channel', cc.channel, 'status', cc.status, 'source', cc.source,
          'changedAt', to_char(cc.changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'recordedAt', to_char(cc.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))), '[]')
 FROM customer_consents cc WHERE cc.customer_id = c.id) AS "prefetchedConsents"

-- name: prefetch_transactions
-- Look-ahead for `transactions(first, before)` on a customer page: the newest :tx_first purchases
-- before :tx_before as JSON, one range scan of transactions_customer_time_idx per customer.
(SELECT coalesce(json_agg(json_build_object(
          'id', t.id::text, 'externalId', t.external_id, 'customerId', t.customer_id::text, 'amount', t.amount,
          'currency', t.currency, 'occurredAt', to_char(t.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'category', t.category, 'product', t.product, 'channel', t.channel, 'store', t.store,
          'pointsEarned', t.points_earned, 'pointsRedeemed', t.points_redeemed, 'isRefunded', t.is_refunded,
          'createdAt', to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'updatedAt', to_char(t.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
          ORDER BY t.occurred_at DESC, t.id DESC), '[]')
 FROM (SELECT * FROM transactions t
       WHERE t.customer_id = c.id AND t.occurred_at < :tx_before::timestamptz
       ORDER BY t.occurred_at DESC, t.id DESC
       LIMIT :tx_first) t) AS "prefetchedTransactions"

-- name: cond_after
c.id > :after::bigint

-- name: cond_country
c.country = :country

-- name: cond_created_from
c.created_at >= :created_from::timestamptz

-- name: cond_created_before
c.created_at < :created_before::timestamptz

-- name: cond_search
-- Exact external id (customers_external_id_key) or prefix of email, first or last name
-- (customers_email_idx, customers_first_name_idx, customers_last_name_idx: text_pattern_ops btrees).
(c.external_id = :term OR c.email LIKE :prefix OR lower(c.last_name) LIKE :prefix OR lower(c.first_name) LIKE :prefix)

-- name: cond_search_phone
-- cond_search, plus a phone prefix (customers_phone_idx) when the term looks like a number.
(c.external_id = :term OR c.email LIKE :prefix OR lower(c.last_name) LIKE :prefix OR lower(c.first_name) LIKE :prefix
 OR c.phone LIKE :phone)

-- name: cond_search_names
-- For roles that see contact fields masked: exact external id or prefix of first or last name only
-- (searching by email or phone prefix would reveal them one character at a time).
(c.external_id = :term OR lower(c.last_name) LIKE :prefix OR lower(c.first_name) LIKE :prefix)

-- name: cond_consent
-- A customer with no consent row on the channel counts as NEVER_ASKED.
coalesce((SELECT cc.status FROM customer_consents cc WHERE cc.customer_id = c.id AND cc.channel = :channel), 'NEVER_ASKED') = :status

-- name: cond_not_erased
c.erased_at IS NULL

-- name: consents_by_customer
-- $1 customer ids. One row per stored consent (channels never asked have none). customer_consents_pkey.
SELECT customer_id AS "customerId", channel, status, source, changed_at AS "changedAt", recorded_at AS "recordedAt"
FROM customer_consents
WHERE customer_id = ANY ($1::bigint[])

-- name: recent_transactions
-- $1 customer ids, $2 per-customer limit, $3 occurred before (use 'infinity' for none). Newest first.
-- One index range scan per customer on transactions_customer_time_idx (LATERAL ... LIMIT).
SELECT t.id, t.external_id AS "externalId", t.customer_id AS "customerId", t.amount, t.currency,
       t.occurred_at AS "occurredAt", t.category, t.product, t.channel, t.store,
       t.points_earned AS "pointsEarned", t.points_redeemed AS "pointsRedeemed",
       t.is_refunded AS "isRefunded", t.created_at AS "createdAt", t.updated_at AS "updatedAt"
FROM unnest($1::bigint[]) AS k (customer_id)
CROSS JOIN LATERAL (
  SELECT * FROM transactions t
  WHERE t.customer_id = k.customer_id AND t.occurred_at < $3::timestamptz
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
