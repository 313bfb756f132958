-- Contact-frequency policies and per-customer contact preferences: plain reads and writes. The
-- policies table holds tens of rows: every read takes them all, in id order (their check order).

-- name: columns
id, name, description, kind, max_messages AS "maxMessages", window_hours AS "windowHours", calendar_unit AS "calendarUnit",
gap_minutes AS "gapMinutes", quiet_start AS "quietStart", quiet_end AS "quietEnd", weekdays, channel, category, tag,
segment_id AS "segmentId", action, counts_exempt AS "countsExempt", is_enabled AS "isEnabled",
created_at AS "createdAt", updated_at AS "updatedAt"

-- name: all
SELECT {{columns}} FROM contact_policies ORDER BY id

-- name: by_ids
SELECT {{columns}} FROM contact_policies WHERE id = ANY (:ids::bigint[]) ORDER BY id

-- name: insert
INSERT INTO contact_policies (name, description, kind, max_messages, window_hours, calendar_unit, gap_minutes, quiet_start,
                              quiet_end, weekdays, channel, category, tag, segment_id, action, counts_exempt, is_enabled,
                              created_at, updated_at)
VALUES (:name, :description, :kind, :max_messages, :window_hours, :calendar_unit, :gap_minutes, :quiet_start,
        :quiet_end, :weekdays::smallint[], :channel, :category, :tag, :segment_id, :action, :counts_exempt, :is_enabled, :now, :now)
RETURNING {{columns}}

-- name: update
UPDATE contact_policies
SET name = :name, description = :description, kind = :kind, max_messages = :max_messages, window_hours = :window_hours,
    calendar_unit = :calendar_unit, gap_minutes = :gap_minutes, quiet_start = :quiet_start, quiet_end = :quiet_end,
    weekdays = :weekdays::smallint[], channel = :channel, category = :category, tag = :tag, segment_id = :segment_id,
    action = :action, counts_exempt = :counts_exempt, is_enabled = :is_enabled, updated_at = :now
WHERE id = :id
RETURNING {{columns}}

-- name: delete
DELETE FROM contact_policies WHERE id = :id RETURNING id

-- name: upsert_preferences
INSERT INTO customer_contact_preferences (customer_id, cap_max, cap_unit, marketing_paused_until, updated_at)
VALUES (:customer_id, :cap_max, :cap_unit, :paused_until, :now)
ON CONFLICT (customer_id) DO UPDATE
SET cap_max = EXCLUDED.cap_max, cap_unit = EXCLUDED.cap_unit,
    marketing_paused_until = EXCLUDED.marketing_paused_until, updated_at = EXCLUDED.updated_at
RETURNING customer_id AS "customerId", cap_max AS "capMax", cap_unit AS "capUnit",
          marketing_paused_until AS "marketingPausedUntil", updated_at AS "updatedAt"
