-- Segmentations (ordered, mutually exclusive segments), their snapshots and transition matrices.
-- Evaluating a segmentation is compiled per definition (segmentations.ts): these are the reads and
-- writes around it.
--
-- Snapshot encoding: one row per block of 512 customer ids, `entries` holding for each customer of
-- the base (id mod 512) * 64 + code, code 0 = everyone else, 1..63 = the segment at that position of
-- the snapshot's legend. About 2 bytes a customer; 1M customers = ~2,000 rows of ~1 KB.

-- name: columns
id, name, description, kind, built_in AS "builtIn", other_label AS "otherLabel", scheduled,
created_at AS "createdAt", updated_at AS "updatedAt"

-- name: by_ids
SELECT {{columns}} FROM segmentations WHERE id = ANY (:ids::bigint[])

-- name: page
-- Keyset page in id order (segmentations_pkey).
SELECT {{columns}} FROM segmentations WHERE id > :after::bigint ORDER BY id LIMIT :limit

-- name: scheduled
SELECT id FROM segmentations WHERE scheduled ORDER BY id

-- name: members_of
-- The segments of some segmentations, in position order.
SELECT ss.segmentation_id AS "segmentationId", ss.position, ss.segment_id AS "segmentId"
FROM segmentation_segments ss
WHERE ss.segmentation_id = ANY (:ids::bigint[])
ORDER BY ss.segmentation_id, ss.position

-- name: insert
INSERT INTO segmentations (name, description, kind, other_label, scheduled, created_at, updated_at)
VALUES (:name, :description, :kind, :other_label, :scheduled, :now, :now)
RETURNING {{columns}}

-- name: update
UPDATE segmentations SET name = :name, description = :description, other_label = :other_label,
       scheduled = :scheduled, updated_at = :now
WHERE id = :id
RETURNING {{columns}}

-- name: clear_segments
DELETE FROM segmentation_segments WHERE segmentation_id = :id

-- name: set_segments
-- The ordered segment list (positions 1..n in array order), after clear_segments.
INSERT INTO segmentation_segments (segmentation_id, position, segment_id)
SELECT :id, s.ord, s.segment_id FROM unnest(:segment_ids::bigint[]) WITH ORDINALITY AS s (segment_id, ord)

-- name: existing_segments
SELECT id FROM segments WHERE id = ANY (:ids::bigint[])

-- name: delete
DELETE FROM segmentations WHERE id = :id

-- name: delete_computed
-- After a CLUSTERING segmentation is deleted: its COMPUTED segments (:ids), but for those another
-- segmentation lists or another segment's rules use (they stay, as ordinary segments).
DELETE FROM segments s
WHERE s.id = ANY (:ids::bigint[]) AND s.kind = 'COMPUTED'
  AND NOT EXISTS (SELECT 1 FROM segmentation_segments ss WHERE ss.segment_id = s.id)
  AND NOT EXISTS (SELECT 1 FROM segments r WHERE r.kind = 'DYNAMIC' AND jsonb_path_exists(r.definition, '$.** ? (@.segment == $id)', jsonb_build_object('id', s.id::text)))

-- name: snapshot_queue
INSERT INTO segmentation_snapshots (segmentation_id, trigger, status, requested_at)
VALUES (:segmentation_id, :trigger, 'QUEUED', :now)
RETURNING id

-- name: snapshot_mark_running
-- Visible progress; the run itself happens under the row lock taken by snapshot_lock.
-- SKIP LOCKED: never waits for a session holding the row (snapshot_lock then tells it is busy).
UPDATE segmentation_snapshots SET status = 'RUNNING'
WHERE id = (SELECT id FROM segmentation_snapshots WHERE id = :id AND status IN ('QUEUED', 'FAILED') FOR UPDATE SKIP LOCKED)

-- name: snapshot_lock
-- The run's claim on its snapshot. SKIP LOCKED: a redelivered job finds the row locked while another
-- session holds it (status NULL, present: it retries later, since that session may yet roll back);
-- after a crash the lock is gone and the run starts over. Not present: the snapshot was deleted.
SELECT l.segmentation_id AS "segmentationId", l.status, EXISTS (SELECT 1 FROM segmentation_snapshots WHERE id = :id) AS present
FROM (SELECT 1) one
LEFT JOIN LATERAL (SELECT segmentation_id, status FROM segmentation_snapshots WHERE id = :id FOR UPDATE SKIP LOCKED) l ON true

-- name: snapshot_counts
-- Customers per code, from the blocks just written (a pass over ~2 bytes a customer).
SELECT (e & 63)::int AS code, count(*)::int AS n
FROM segmentation_snapshot_blocks b, unnest(b.entries) AS e
WHERE b.snapshot_id = :id
GROUP BY 1

-- name: snapshot_finish
UPDATE segmentation_snapshots
SET status = 'SUCCEEDED', taken_at = :taken_at, legend = :legend, counts = :counts, customers = :customers, duration_ms = :duration_ms, error = NULL
WHERE id = :id

-- name: snapshot_fail
-- Never over a success (a commit whose acknowledgement was lost looks like a failure to the worker).
UPDATE segmentation_snapshots SET status = 'FAILED', duration_ms = :duration_ms, error = :error WHERE id = :id AND status <> 'SUCCEEDED'

-- name: snapshot_columns
id, segmentation_id AS "segmentationId", trigger, status, requested_at AS "requestedAt", taken_at AS "takenAt",
legend, counts, customers, duration_ms AS "durationMs", error

-- name: snapshots_by_ids
SELECT {{snapshot_columns}} FROM segmentation_snapshots WHERE id = ANY (:ids::bigint[])

-- name: snapshot_page
-- Newest first (segmentation_snapshots_requested_idx); keyset on (requested_at, id).
SELECT {{snapshot_columns}} FROM segmentation_snapshots
WHERE segmentation_id = :segmentation_id AND (:before_id::bigint IS NULL OR id < :before_id::bigint)
ORDER BY id DESC LIMIT :limit

-- name: snapshot_at
-- The latest successful snapshot taken at or before :at (segmentation_snapshots_taken_idx).
SELECT {{snapshot_columns}} FROM segmentation_snapshots
WHERE segmentation_id = :segmentation_id AND status = 'SUCCEEDED' AND taken_at <= :at
ORDER BY taken_at DESC LIMIT 1

-- name: transitions
-- Customers per (code in :from_id, code in :to_id); a NULL code = not in the base at that time
-- (entered or left). Blocks are matched first, then the customers of each pair of blocks (two
-- 512-row hash joins per block: twice as fast as one join of 1M decoded rows with 1M).
SELECT p.from_code AS "fromCode", p.to_code AS "toCode", count(*)::int AS n
FROM (SELECT block, entries FROM segmentation_snapshot_blocks WHERE snapshot_id = :from_id) a
FULL JOIN (SELECT block, entries FROM segmentation_snapshot_blocks WHERE snapshot_id = :to_id) z USING (block)
CROSS JOIN LATERAL (
  SELECT x.code AS from_code, y.code AS to_code
  FROM (SELECT e >> 6 AS off, (e & 63)::int AS code FROM unnest(a.entries) AS e) x
  FULL JOIN (SELECT e >> 6 AS off, (e & 63)::int AS code FROM unnest(z.entries) AS e) y ON y.off = x.off
) p
GROUP BY 1, 2

-- name: prune
-- Snapshots past the retention, blocks with them (ON DELETE CASCADE).
DELETE FROM segmentation_snapshots WHERE requested_at < :before
