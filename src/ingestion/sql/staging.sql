-- Session-local staging tables for bulk writes. Rows are COPYed in, merged set-wise into the real
-- tables, and vanish at commit (ON COMMIT DELETE ROWS), so a pooled connection can reuse them.
-- Parameters: none. Run once per connection (CREATE ... IF NOT EXISTS).

CREATE TEMP TABLE IF NOT EXISTS stage_customers (
  ord                integer NOT NULL,
  external_id        text NOT NULL,
  present            integer NOT NULL,
  email              text,
  phone              text,
  first_name         text,
  last_name          text,
  birth_date         date,
  gender             text,
  locale             text,
  time_zone          text,
  street_address     text,
  city               text,
  region             text,
  country            text,
  postal_code        text,
  household_size     smallint,
  income_band        text,
  occupation         text,
  signup_channel     text,
  signed_up_at       timestamptz,
  acquisition_source text,
  referral_source    text,
  devices            text[],
  platforms          text[],
  loyalty_tier       text,
  loyalty_points     integer,
  preferred_channel  text,
  attributes_set     jsonb,
  attributes_unset   text[],
  customer_id        bigint,
  is_new             boolean NOT NULL DEFAULT false,
  is_erased          boolean NOT NULL DEFAULT false
) ON COMMIT DELETE ROWS;

CREATE TEMP TABLE IF NOT EXISTS stage_consents (
  ord         integer NOT NULL,
  customer_id bigint,
  channel     text NOT NULL,
  status      text NOT NULL,
  source      text,
  changed_at  timestamptz NOT NULL
) ON COMMIT DELETE ROWS;

CREATE TEMP TABLE IF NOT EXISTS stage_transactions (
  ord                  integer NOT NULL,
  external_id          text NOT NULL,
  customer_external_id text NOT NULL,
  amount               numeric(14, 2) NOT NULL,
  currency             text NOT NULL,
  occurred_at          timestamptz NOT NULL,
  category             text,
  product              text,
  channel              text,
  store                text,
  points_earned        integer NOT NULL,
  points_redeemed      integer NOT NULL,
  is_refunded          boolean NOT NULL
) ON COMMIT DELETE ROWS;

CREATE TEMP TABLE IF NOT EXISTS stage_events (
  ord                  integer NOT NULL,
  external_id          text NOT NULL,
  customer_external_id text NOT NULL,
  name                 text NOT NULL,
  properties           jsonb NOT NULL,
  occurred_at          timestamptz NOT NULL
) ON COMMIT DELETE ROWS;
