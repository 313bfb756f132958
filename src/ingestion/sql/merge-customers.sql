-- Set-based merge of staged customer rows (stage_customers, stage_consents) into customers.
-- Semantics: a field whose bit is not set in `present` is left unchanged, a set bit with NULL clears
-- the field, attributes merge by key (attributes_unset lists keys to remove). A row whose merged
-- values equal the stored ones is not touched at all, so `updated_at` moves only on real change and
-- re-sending a batch is a no-op. Bits follow CUSTOMER_FIELDS in customer-row.ts (a test checks it).
--
-- Customers are looked up by external id once (resolve), then addressed by id. Every lookup into
-- customers is a LATERAL subquery with LIMIT 1: one index probe per staged row, whatever the size
-- of the base. A plain join let the planner hash the whole customers table for each chunk (a seq
-- scan: 120 ms per 20,000-row chunk at 200k customers, growing with the base; stats are stale right
-- after bulk loads, and autovacuum may be off).

-- name: resolve
-- Fills stage_customers.customer_id for customers that already exist (customers_external_id_key).
-- Returns the count (rowCount).
WITH found AS (
  SELECT s.ord, c.id, c.erased_at
  FROM stage_customers s
  CROSS JOIN LATERAL (SELECT id, erased_at FROM customers c WHERE c.external_id = s.external_id LIMIT 1) c
)
UPDATE stage_customers s
SET customer_id = f.id, is_erased = f.erased_at IS NOT NULL
FROM found f
WHERE s.ord = f.ord

-- name: reject_erased
-- Rows aimed at an erased (tombstoned) customer are refused and removed from the stage.
DELETE FROM stage_customers s
WHERE s.is_erased
RETURNING s.ord

-- name: insert_new
-- New customers, ordered by external_id so that concurrent batches take their unique-index locks in
-- the same order. ON CONFLICT DO NOTHING: a customer inserted meanwhile by a concurrent batch stays
-- unresolved here and is picked up by resolve_again. The new ids are written back to the stage.
-- $1: now (created_at, updated_at). rowCount: customers inserted.
WITH inserted AS (
  INSERT INTO customers (
    external_id,
    email,
  phone,
  first_name,
  last_name,
  birth_date,
  gender,
  locale,
  time_zone,
  street_address,
  city,
  region,
  country,
  postal_code,
  household_size,
  income_band,
  occupation,
  signup_channel,
  signed_up_at,
  acquisition_source,
  referral_source,
  devices,
  platforms,
  loyalty_tier,
  loyalty_points,
  preferred_channel,
    attributes, created_at, updated_at, email_consent, sms_consent
  )
  SELECT
    s.external_id,
    s.email, s.phone, s.first_name, s.last_name, s.birth_date, s.gender, s.locale, s.time_zone, s.street_address, s.city, s.region, s.country, s.postal_code, s.household_size, s.income_band, s.occupation, s.signup_channel, s.signed_up_at, s.acquisition_source, s.referral_source, s.devices, s.platforms, s.loyalty_tier, s.loyalty_points, s.preferred_channel,
    coalesce(s.attributes_set, '{}'::jsonb), $1, $1, sc.email_consent, sc.sms_consent
  FROM stage_customers s
  -- The consents the row brings, newest first as apply_consents takes them, written with the row: the
  -- consent trigger then finds the customer's consent columns right and does not rewrite the row
  -- (migration 1764600000000). Only a head start: the trigger keeps the columns exact either way.
  LEFT JOIN (
    SELECT ord, min(status) FILTER (WHERE channel = 'EMAIL') AS email_consent, min(status) FILTER (WHERE channel = 'SMS') AS sms_consent
    FROM (SELECT DISTINCT ON (ord, channel) ord, channel, status FROM stage_consents
          ORDER BY ord, channel, changed_at DESC, (status = 'UNSUBSCRIBED') DESC) n
    GROUP BY ord
  ) sc ON sc.ord = s.ord
  WHERE s.customer_id IS NULL
  ORDER BY s.external_id
  ON CONFLICT (external_id) DO NOTHING
  RETURNING id, external_id
), marked AS (
  -- New customers get their (prospect) metrics at the next incremental refresh.
  INSERT INTO customer_metrics_dirty (customer_id) SELECT id FROM inserted ON CONFLICT DO NOTHING
)
UPDATE stage_customers s
SET customer_id = i.id, is_new = true
FROM inserted i
WHERE s.external_id = i.external_id

-- name: resolve_again
-- Only after a concurrent batch inserted some of our new customers first (rare): resolve those.
WITH found AS (
  SELECT s.ord, c.id, c.erased_at
  FROM stage_customers s
  CROSS JOIN LATERAL (SELECT id, erased_at FROM customers c WHERE c.external_id = s.external_id LIMIT 1) c
  WHERE s.customer_id IS NULL
)
UPDATE stage_customers s
SET customer_id = f.id, is_erased = f.erased_at IS NOT NULL
FROM found f
WHERE s.ord = f.ord

-- name: update_existing
-- Existing customers, merged field by field. The CTE locks the target rows in id order (FOR UPDATE
-- returns their newest version, so two concurrent batches touching different fields of one customer
-- both land) and computes the merged row; the UPDATE only touches rows that actually change. Both
-- reach customers by primary key probes (LATERAL ... LIMIT 1, then c.id = m.id).
-- $1: now (updated_at); $2: true when importing a file in chunks, where a row whose created_at or
-- updated_at is this import's `now` was written by an earlier chunk: it is rewritten even if
-- identical and reported as a repeat of an earlier line. Returns the count of changed rows and the repeated ords.
WITH merged AS (
  SELECT
    c.id,
    s.ord,
    $2 AND (c.created_at = $1 OR c.updated_at = $1) AS repeated,
    CASE WHEN (s.present & 1) <> 0 THEN s.email ELSE c.email END AS email,
    CASE WHEN (s.present & 2) <> 0 THEN s.phone ELSE c.phone END AS phone,
    CASE WHEN (s.present & 4) <> 0 THEN s.first_name ELSE c.first_name END AS first_name,
    CASE WHEN (s.present & 8) <> 0 THEN s.last_name ELSE c.last_name END AS last_name,
    CASE WHEN (s.present & 16) <> 0 THEN s.birth_date ELSE c.birth_date END AS birth_date,
    CASE WHEN (s.present & 32) <> 0 THEN s.gender ELSE c.gender END AS gender,
    CASE WHEN (s.present & 64) <> 0 THEN s.locale ELSE c.locale END AS locale,
    CASE WHEN (s.present & 128) <> 0 THEN s.time_zone ELSE c.time_zone END AS time_zone,
    CASE WHEN (s.present & 256) <> 0 THEN s.street_address ELSE c.street_address END AS street_address,
    CASE WHEN (s.present & 512) <> 0 THEN s.city ELSE c.city END AS city,
    CASE WHEN (s.present & 1024) <> 0 THEN s.region ELSE c.region END AS region,
    CASE WHEN (s.present & 2048) <> 0 THEN s.country ELSE c.country END AS country,
    CASE WHEN (s.present & 4096) <> 0 THEN s.postal_code ELSE c.postal_code END AS postal_code,
    CASE WHEN (s.present & 8192) <> 0 THEN s.household_size ELSE c.household_size END AS household_size,
    CASE WHEN (s.present & 16384) <> 0 THEN s.income_band ELSE c.income_band END AS income_band,
    CASE WHEN (s.present & 32768) <> 0 THEN s.occupation ELSE c.occupation END AS occupation,
    CASE WHEN (s.present & 65536) <> 0 THEN s.signup_channel ELSE c.signup_channel END AS signup_channel,
    CASE WHEN (s.present & 131072) <> 0 THEN s.signed_up_at ELSE c.signed_up_at END AS signed_up_at,
    CASE WHEN (s.present & 262144) <> 0 THEN s.acquisition_source ELSE c.acquisition_source END AS acquisition_source,
    CASE WHEN (s.present & 524288) <> 0 THEN s.referral_source ELSE c.referral_source END AS referral_source,
    CASE WHEN (s.present & 1048576) <> 0 THEN s.devices ELSE c.devices END AS devices,
    CASE WHEN (s.present & 2097152) <> 0 THEN s.platforms ELSE c.platforms END AS platforms,
    CASE WHEN (s.present & 4194304) <> 0 THEN s.loyalty_tier ELSE c.loyalty_tier END AS loyalty_tier,
    CASE WHEN (s.present & 8388608) <> 0 THEN s.loyalty_points ELSE c.loyalty_points END AS loyalty_points,
    CASE WHEN (s.present & 16777216) <> 0 THEN s.preferred_channel ELSE c.preferred_channel END AS preferred_channel,
    CASE WHEN (s.present & 33554432) <> 0
         THEN (c.attributes || coalesce(s.attributes_set, '{}'::jsonb)) - coalesce(s.attributes_unset, '{}'::text[])
         ELSE c.attributes END AS attributes
  FROM (SELECT * FROM stage_customers WHERE NOT is_new AND NOT is_erased AND customer_id IS NOT NULL ORDER BY customer_id) s
  CROSS JOIN LATERAL (SELECT * FROM customers c WHERE c.id = s.customer_id LIMIT 1 FOR UPDATE) c
), updated AS (
  UPDATE customers c SET
    email = m.email,
    phone = m.phone,
    first_name = m.first_name,
    last_name = m.last_name,
    birth_date = m.birth_date,
    gender = m.gender,
    locale = m.locale,
    time_zone = m.time_zone,
    street_address = m.street_address,
    city = m.city,
    region = m.region,
    country = m.country,
    postal_code = m.postal_code,
    household_size = m.household_size,
    income_band = m.income_band,
    occupation = m.occupation,
    signup_channel = m.signup_channel,
    signed_up_at = m.signed_up_at,
    acquisition_source = m.acquisition_source,
    referral_source = m.referral_source,
    devices = m.devices,
    platforms = m.platforms,
    loyalty_tier = m.loyalty_tier,
    loyalty_points = m.loyalty_points,
    preferred_channel = m.preferred_channel,
    attributes = m.attributes,
    updated_at = $1
  FROM merged m
  WHERE c.id = m.id
    AND ((m.email, m.phone, m.first_name, m.last_name, m.birth_date, m.gender, m.locale, m.time_zone, m.street_address, m.city, m.region, m.country, m.postal_code, m.household_size, m.income_band, m.occupation, m.signup_channel, m.signed_up_at, m.acquisition_source, m.referral_source, m.devices, m.platforms, m.loyalty_tier, m.loyalty_points, m.preferred_channel, m.attributes)
         IS DISTINCT FROM
         (c.email, c.phone, c.first_name, c.last_name, c.birth_date, c.gender, c.locale, c.time_zone, c.street_address, c.city, c.region, c.country, c.postal_code, c.household_size, c.income_band, c.occupation, c.signup_channel, c.signed_up_at, c.acquisition_source, c.referral_source, c.devices, c.platforms, c.loyalty_tier, c.loyalty_points, c.preferred_channel, c.attributes)
         OR m.repeated)
  RETURNING m.ord, m.repeated
)
SELECT count(*) FILTER (WHERE NOT repeated)::int AS updated,
       coalesce(array_agg(ord) FILTER (WHERE repeated), '{}') AS repeated
FROM updated

-- name: link_consents
-- Gives each staged consent change the id of its customer (erased customers' rows stay unlinked).
UPDATE stage_consents sc
SET customer_id = s.customer_id
FROM stage_customers s
WHERE s.ord = sc.ord AND NOT s.is_erased

-- name: apply_consents
-- Consent changes (stage_consents rows with a customer_id). The newest change per (customer,
-- channel) becomes the current consent unless an even newer one is already stored, so a stale CRM
-- re-sync cannot undo an opt-out; at equal times an opt-out wins. Every change received is kept in
-- consent_changes (once: replays are deduplicated by its unique key), with is_applied telling
-- whether it changed the current consent.
-- $1: now (recorded_at). Returns the number of changes that became current.
WITH incoming AS (
  SELECT customer_id, channel, status, source, changed_at, ord
  FROM stage_consents
  WHERE customer_id IS NOT NULL
), newest AS (
  SELECT DISTINCT ON (customer_id, channel) *
  FROM incoming
  ORDER BY customer_id, channel, changed_at DESC, (status = 'UNSUBSCRIBED') DESC, ord DESC
), applied AS (
  INSERT INTO customer_consents AS cur (customer_id, channel, status, source, changed_at, recorded_at)
  SELECT customer_id, channel, status, source, changed_at, $1 FROM newest
  ORDER BY customer_id, channel
  ON CONFLICT (customer_id, channel) DO UPDATE
    SET status = EXCLUDED.status, source = EXCLUDED.source,
        changed_at = EXCLUDED.changed_at, recorded_at = EXCLUDED.recorded_at
    WHERE EXCLUDED.changed_at > cur.changed_at
       OR (EXCLUDED.changed_at = cur.changed_at AND EXCLUDED.status = 'UNSUBSCRIBED' AND cur.status <> 'UNSUBSCRIBED')
  RETURNING customer_id, channel, status, changed_at
), recorded AS (
  INSERT INTO consent_changes (customer_id, channel, status, source, changed_at, recorded_at, is_applied)
  SELECT i.customer_id, i.channel, i.status, i.source, i.changed_at, $1, a.customer_id IS NOT NULL
  FROM incoming i
  LEFT JOIN applied a
    ON a.customer_id = i.customer_id AND a.channel = i.channel AND a.changed_at = i.changed_at AND a.status = i.status
  ON CONFLICT ON CONSTRAINT consent_changes_dedupe_key DO NOTHING
  RETURNING is_applied
)
SELECT count(*) FILTER (WHERE is_applied)::int AS applied FROM recorded

-- name: lock_attribute_definitions
-- $1: attribute keys being written. Shares the catalogue rows with this transaction, so that
-- defineAttribute / deleteAttributeDefinition (FOR UPDATE) wait for it, and returns their types to
-- check against those the rows were validated with.
SELECT key, type FROM attribute_definitions WHERE key = ANY ($1::text[]) ORDER BY key FOR SHARE
