import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Campaigns, contact-frequency policies, per-customer contact preferences, the address blocklist and
 * the message ledger (runs, messages, responses).
 *
 * Ledger keys are chosen for tens of millions of rows and for monthly partitioning later, where
 * PostgreSQL wants the partition column in every unique key:
 * - `messages` will be partitioned by `run_at` (the run's scheduled instant, copied on every row).
 *   Its unique keys carry it: (id, run_at) and (run_id, customer_id, run_at); the latter is still
 *   "one message per run and customer" because `run_at` is a function of `run_id`.
 * - `responses` will be partitioned by `message_run_at`, the month of the message they answer: a
 *   provider redelivering an event maps it to the same message, so (provider_event_id,
 *   message_run_at) still stops duplicates. Responses carry customer, campaign and channel so that
 *   segment rules on them read one index, without a join to messages.
 * - The contact history index is partial: only messages that count toward contact rules (reserved,
 *   deferred, sent, delivered, unknown) are in it, not the suppressed and held-out majority.
 */
export class Campaigns1764400000000 implements MigrationInterface {
  name = 'Campaigns1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE contact_policies (
        id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name          text NOT NULL,
        description   text NOT NULL DEFAULT '',
        kind          text NOT NULL CHECK (kind IN ('ROLLING_CAP', 'CALENDAR_CAP', 'MIN_GAP', 'QUIET_HOURS', 'WEEKDAYS')),
        max_messages  integer CHECK (max_messages >= 0),
        window_hours  integer CHECK (window_hours BETWEEN 1 AND 8784),
        calendar_unit text CHECK (calendar_unit IN ('DAY', 'WEEK')),
        gap_minutes   integer CHECK (gap_minutes BETWEEN 1 AND 527040),
        quiet_start   smallint CHECK (quiet_start BETWEEN 0 AND 1439),
        quiet_end     smallint CHECK (quiet_end BETWEEN 0 AND 1439),
        weekdays      smallint[] CHECK (weekdays <@ ARRAY[1, 2, 3, 4, 5, 6, 7]::smallint[]),
        channel       text CHECK (channel IN ('EMAIL', 'SMS')),
        category      text CHECK (category IN ('MARKETING', 'TRANSACTIONAL')),
        tag           text,
        segment_id    bigint REFERENCES segments (id) ON DELETE RESTRICT,
        action        text NOT NULL CHECK (action IN ('DEFER', 'DROP', 'FALLBACK')),
        counts_exempt boolean NOT NULL DEFAULT false,
        is_enabled    boolean NOT NULL DEFAULT true,
        created_at    timestamptz NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT contact_policies_shape_check CHECK (CASE kind
          WHEN 'ROLLING_CAP'  THEN max_messages IS NOT NULL AND window_hours IS NOT NULL
          WHEN 'CALENDAR_CAP' THEN max_messages IS NOT NULL AND calendar_unit IS NOT NULL
          WHEN 'MIN_GAP'      THEN gap_minutes IS NOT NULL
          WHEN 'QUIET_HOURS'  THEN quiet_start IS NOT NULL AND quiet_end IS NOT NULL AND quiet_start <> quiet_end
          WHEN 'WEEKDAYS'     THEN weekdays IS NOT NULL
        END)
      )`);
    await q.query(`CREATE INDEX contact_policies_segment_idx ON contact_policies (segment_id) WHERE segment_id IS NOT NULL`);
    // The protective defaults (documented in the README): editable and removable like any policy.
    await q.query(`
      INSERT INTO contact_policies (name, description, kind, max_messages, calendar_unit, quiet_start, quiet_end, category, action)
      VALUES
        ('Marketing: 1 a day', 'At most one marketing message a local calendar day, across channels.', 'CALENDAR_CAP', 1, 'DAY', NULL, NULL, 'MARKETING', 'DEFER'),
        ('Marketing: 3 a week', 'At most three marketing messages an ISO week (Monday to Sunday, local), across channels.', 'CALENDAR_CAP', 3, 'WEEK', NULL, NULL, 'MARKETING', 'DEFER'),
        ('Marketing quiet hours', 'No marketing message from 21:00 to 08:00 in the customer''s time zone.', 'QUIET_HOURS', NULL, NULL, 1260, 480, 'MARKETING', 'DEFER')`);

    await q.query(`
      CREATE TABLE customer_contact_preferences (
        customer_id            bigint PRIMARY KEY REFERENCES customers (id) ON DELETE CASCADE,
        cap_max                integer CHECK (cap_max >= 0),
        cap_unit               text CHECK (cap_unit IN ('DAY', 'WEEK')),
        marketing_paused_until timestamptz,
        updated_at             timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT customer_contact_preferences_cap_check CHECK ((cap_max IS NULL) = (cap_unit IS NULL))
      )`);

    // Blocklisting is by normalised address (lower-cased email, E.164 phone, as customers store them),
    // so it holds for every customer sharing the address.
    await q.query(`
      CREATE TABLE blocked_addresses (
        channel    text NOT NULL CHECK (channel IN ('EMAIL', 'SMS')),
        address    text NOT NULL,
        reason     text NOT NULL CHECK (reason IN ('HARD_BOUNCE', 'COMPLAINT', 'STOP', 'MANUAL')),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (channel, address)
      )`);

    await q.query(`
      CREATE TABLE campaigns (
        id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name                   text NOT NULL,
        description            text NOT NULL DEFAULT '',
        status                 text NOT NULL DEFAULT 'DRAFT' CHECK (status IN ('DRAFT', 'SCHEDULED', 'RUNNING', 'PAUSED', 'COMPLETED', 'CANCELLED', 'FAILED')),
        channel                text NOT NULL CHECK (channel IN ('EMAIL', 'SMS', 'PREFERRED')),
        category               text NOT NULL CHECK (category IN ('MARKETING', 'TRANSACTIONAL')),
        tags                   text[] NOT NULL DEFAULT '{}',
        max_recipients         integer CHECK (max_recipients > 0),
        priority               integer NOT NULL DEFAULT 0,
        holdout_basis_points   integer NOT NULL DEFAULT 0 CHECK (holdout_basis_points BETWEEN 0 AND 9999),
        expiry_minutes         integer NOT NULL DEFAULT 1440 CHECK (expiry_minutes BETWEEN 1 AND 43200),
        email_from_name        text,
        email_from_address     text,
        email_reply_to         text,
        schedule_kind          text CHECK (schedule_kind IN ('NOW', 'AT', 'RECURRING', 'LOCAL_TIME')),
        scheduled_at           timestamptz,
        cron                   text,
        cron_time_zone         text,
        local_date             date,
        local_minutes          smallint CHECK (local_minutes BETWEEN 0 AND 1439),
        lateness_limit_minutes integer CHECK (lateness_limit_minutes >= 0),
        next_run_at            timestamptz,
        acknowledged_warnings  boolean NOT NULL DEFAULT false,
        owner                  text NOT NULL,
        created_at             timestamptz NOT NULL DEFAULT now(),
        updated_at             timestamptz NOT NULL DEFAULT now(),
        launched_at            timestamptz,
        finished_at            timestamptz
      )`);
    await q.query(`CREATE INDEX campaigns_due_idx ON campaigns (next_run_at) WHERE status = 'SCHEDULED'`);

    await q.query(`
      CREATE TABLE campaign_segments (
        campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
        segment_id  bigint NOT NULL REFERENCES segments (id) ON DELETE RESTRICT,
        is_excluded boolean NOT NULL,
        PRIMARY KEY (campaign_id, segment_id)
      )`);
    await q.query(`CREATE INDEX campaign_segments_segment_idx ON campaign_segments (segment_id)`);

    await q.query(`
      CREATE TABLE campaign_variants (
        campaign_id   bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
        key           text NOT NULL CHECK (key ~ '^[A-Z][A-Z0-9_]{0,15}$'),
        position      smallint NOT NULL,
        weight        integer NOT NULL CHECK (weight BETWEEN 1 AND 10000),
        email_subject text,
        email_html    text,
        email_text    text,
        sms_body      text,
        PRIMARY KEY (campaign_id, key),
        CONSTRAINT campaign_variants_position_key UNIQUE (campaign_id, position)
      )`);

    await q.query(`
      CREATE TABLE campaign_runs (
        id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        campaign_id   bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
        status        text NOT NULL CHECK (status IN ('PENDING', 'RUNNING', 'COMPLETED', 'SKIPPED_LATE', 'CANCELLED', 'FAILED')),
        scheduled_for timestamptz NOT NULL,
        started_at    timestamptz,
        finished_at   timestamptz,
        late_by_ms    bigint,
        expires_at    timestamptz,
        planned       integer,
        error         text,
        created_at    timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT campaign_runs_occurrence_key UNIQUE (campaign_id, scheduled_for)
      )`);
    await q.query(`CREATE INDEX campaign_runs_pending_idx ON campaign_runs (scheduled_for) WHERE status IN ('PENDING', 'RUNNING')`);

    await q.query(`
      CREATE TABLE messages (
        id                  bigint GENERATED ALWAYS AS IDENTITY,
        run_id              bigint NOT NULL REFERENCES campaign_runs (id) ON DELETE CASCADE,
        run_at              timestamptz NOT NULL,
        campaign_id         bigint NOT NULL,
        customer_id         bigint NOT NULL,
        channel             text CHECK (channel IN ('EMAIL', 'SMS')),
        address             text,
        variant             text,
        outcome             text NOT NULL CHECK (outcome IN ('RESERVED', 'SENT', 'DELIVERED', 'FAILED', 'UNKNOWN', 'DEFERRED', 'SUPPRESSED', 'HELD_OUT', 'EXPIRED', 'CANCELLED')),
        reason              text,
        rule_id             text,
        contact_at          timestamptz,
        reserved_at         timestamptz,
        sent_at             timestamptz,
        expires_at          timestamptz,
        provider_message_id text,
        updated_at          timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (id, run_at),
        CONSTRAINT messages_run_customer_key UNIQUE (run_id, customer_id, run_at),
        CONSTRAINT messages_reason_check CHECK ((outcome IN ('SUPPRESSED', 'EXPIRED', 'FAILED', 'CANCELLED')) <= (reason IS NOT NULL))
      )`);
    // Ledger pages of a campaign, all outcomes or one (keyset on id).
    await q.query(`CREATE INDEX messages_campaign_idx ON messages (campaign_id, id)`);
    await q.query(`CREATE INDEX messages_campaign_outcome_idx ON messages (campaign_id, outcome, id)`);
    await q.query(`
      CREATE INDEX messages_contact_history_idx ON messages (customer_id, contact_at)
        WHERE outcome IN ('RESERVED', 'DEFERRED', 'SENT', 'DELIVERED', 'UNKNOWN')`);

    await q.query(`
      CREATE TABLE responses (
        id                bigint GENERATED ALWAYS AS IDENTITY,
        message_id        bigint NOT NULL,
        message_run_at    timestamptz NOT NULL,
        campaign_id       bigint NOT NULL,
        customer_id       bigint NOT NULL,
        channel           text NOT NULL CHECK (channel IN ('EMAIL', 'SMS')),
        type              text NOT NULL CHECK (type IN ('DELIVERED', 'OPENED', 'CLICKED', 'CONVERTED', 'BOUNCED', 'COMPLAINED', 'UNSUBSCRIBED', 'REPLIED')),
        is_machine        boolean NOT NULL DEFAULT false,
        provider_event_id text,
        occurred_at       timestamptz NOT NULL,
        recorded_at       timestamptz NOT NULL DEFAULT now(),
        details           jsonb,
        PRIMARY KEY (id, message_run_at),
        CONSTRAINT responses_provider_event_key UNIQUE (provider_event_id, message_run_at),
        FOREIGN KEY (message_id, message_run_at) REFERENCES messages (id, run_at) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX responses_message_idx ON responses (message_id)`);
    await q.query(`CREATE INDEX responses_type_time_idx ON responses (type, occurred_at) INCLUDE (customer_id, campaign_id, channel, is_machine)`);
    await q.query(`CREATE INDEX responses_customer_idx ON responses (customer_id, occurred_at)`);
    // Segment rule responses.ignored_last (src/segmentation/fields/response.fields.ts): a customer's
    // last N received messages by sent_at, index-only and stopped after N entries (the contact
    // history index is in contact_at order and needs a heap fetch per message: 5× slower at 1M
    // customers / 20M messages); then, per message, whether a human opened or clicked it.
    await q.query(`
      CREATE INDEX messages_received_idx ON messages (customer_id, sent_at DESC, id DESC) INCLUDE (run_at, campaign_id, channel)
        WHERE outcome IN ('SENT', 'DELIVERED')`);
    await q.query(`
      CREATE INDEX responses_engaged_idx ON responses (message_id, message_run_at) INCLUDE (occurred_at)
        WHERE type IN ('OPENED', 'CLICKED') AND NOT is_machine`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['responses', 'messages', 'campaign_runs', 'campaign_variants', 'campaign_segments', 'campaigns', 'blocked_addresses', 'customer_contact_preferences', 'contact_policies']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
