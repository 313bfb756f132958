-- Campaigns, their segments and variants: plain reads and writes. The audience itself is compiled
-- per campaign (audience.ts); runs are in campaign-runs.sql.

-- name: columns
id, name, description, status, channel, category, tags, max_recipients AS "maxRecipients", priority,
holdout_basis_points AS "holdoutBasisPoints", expiry_minutes AS "expiryMinutes", email_from_name AS "emailFromName",
email_from_address AS "emailFromAddress", email_reply_to AS "emailReplyTo", schedule_kind AS "scheduleKind",
scheduled_at AS "scheduledAt", cron, cron_time_zone AS "cronTimeZone", local_date AS "localDate", local_minutes AS "localMinutes",
lateness_limit_minutes AS "latenessLimitMinutes", next_run_at AS "nextRunAt", acknowledged_warnings AS "acknowledgedWarnings",
owner, created_at AS "createdAt", updated_at AS "updatedAt", launched_at AS "launchedAt", finished_at AS "finishedAt"

-- name: by_ids
SELECT {{columns}} FROM campaigns WHERE id = ANY (:ids::bigint[])

-- name: lock
SELECT {{columns}} FROM campaigns WHERE id = :id FOR UPDATE

-- name: page
-- Keyset page, newest first (campaigns_pkey backwards), optionally one status.
SELECT {{columns}} FROM campaigns
WHERE id < :before::bigint AND (:status::text IS NULL OR status = :status::text)
ORDER BY id DESC LIMIT :limit

-- name: insert
INSERT INTO campaigns (name, description, channel, category, tags, max_recipients, priority, holdout_basis_points, expiry_minutes,
                       email_from_name, email_from_address, email_reply_to, lateness_limit_minutes, owner, created_at, updated_at)
VALUES (:name, :description, :channel, :category, :tags::text[], :max_recipients, :priority, :holdout_basis_points, :expiry_minutes,
        :email_from_name, :email_from_address, :email_reply_to, :lateness_limit_minutes, :owner, :now, :now)
RETURNING {{columns}}

-- name: update
UPDATE campaigns
SET name = :name, description = :description, channel = :channel, category = :category, tags = :tags::text[],
    max_recipients = :max_recipients, priority = :priority, holdout_basis_points = :holdout_basis_points,
    expiry_minutes = :expiry_minutes, email_from_name = :email_from_name, email_from_address = :email_from_address,
    email_reply_to = :email_reply_to, lateness_limit_minutes = :lateness_limit_minutes, updated_at = :now
WHERE id = :id
RETURNING {{columns}}

-- name: set_state
-- A transition: status and the schedule columns it changes (null schedule_kind keeps the stored schedule).
UPDATE campaigns
SET status = :status,
    schedule_kind = COALESCE(:schedule_kind, schedule_kind),
    scheduled_at = CASE WHEN :schedule_kind::text IS NULL THEN scheduled_at ELSE :scheduled_at::timestamptz END,
    cron = CASE WHEN :schedule_kind::text IS NULL THEN cron ELSE :cron::text END,
    cron_time_zone = CASE WHEN :schedule_kind::text IS NULL THEN cron_time_zone ELSE :cron_time_zone::text END,
    local_date = CASE WHEN :schedule_kind::text IS NULL THEN local_date ELSE :local_date::date END,
    local_minutes = CASE WHEN :schedule_kind::text IS NULL THEN local_minutes ELSE :local_minutes::smallint END,
    next_run_at = :next_run_at,
    acknowledged_warnings = acknowledged_warnings OR :acknowledged::boolean,
    launched_at = COALESCE(launched_at, :launched_at::timestamptz),
    finished_at = :finished_at,
    updated_at = :now
WHERE id = :id
RETURNING {{columns}}

-- name: delete
DELETE FROM campaigns WHERE id = :id

-- name: segments
SELECT campaign_id AS "campaignId", segment_id AS "segmentId", is_excluded AS "isExcluded"
FROM campaign_segments WHERE campaign_id = ANY (:ids::bigint[]) ORDER BY campaign_id, is_excluded, segment_id

-- name: clear_segments
DELETE FROM campaign_segments WHERE campaign_id = :id

-- name: add_segments
INSERT INTO campaign_segments (campaign_id, segment_id, is_excluded)
SELECT :id, s, e FROM unnest(:segment_ids::bigint[], :excluded::boolean[]) AS t (s, e)

-- name: variants
SELECT campaign_id AS "campaignId", key, position, weight, email_subject AS "emailSubject", email_html AS "emailHtml",
       email_text AS "emailText", sms_body AS "smsBody"
FROM campaign_variants WHERE campaign_id = ANY (:ids::bigint[]) ORDER BY campaign_id, position

-- name: clear_variants
DELETE FROM campaign_variants WHERE campaign_id = :id

-- name: add_variants
INSERT INTO campaign_variants (campaign_id, key, position, weight, email_subject, email_html, email_text, sms_body)
SELECT :id, k, p, w, s, h, t, b
FROM unnest(:keys::text[], :positions::smallint[], :weights::int[], :subjects::text[], :htmls::text[], :texts::text[], :smss::text[])
     AS v (k, p, w, s, h, t, b)

-- name: has_started_run
-- Whether the campaign has fired (a run other than one skipped for lateness): content and targeting
-- are frozen from then on, even before the run's audience is resolved.
SELECT EXISTS (SELECT 1 FROM campaign_runs WHERE campaign_id = :id AND status <> 'SKIPPED_LATE') AS started

-- name: open_runs
SELECT count(*)::int AS n FROM campaign_runs WHERE campaign_id = :id AND status IN ('PENDING', 'RUNNING')
