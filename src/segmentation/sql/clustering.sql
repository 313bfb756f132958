-- Clustering runs (k-means over per-customer features). The sample, the assignment of every
-- customer and the feature expressions are built in clustering.ts from the field registry; these
-- are the reads and writes around them.

-- name: columns
id, name, status, features, k_min AS "kMin", k_max AS "kMax", seed, sample_size AS "sampleSize",
requested_at AS "requestedAt", started_at AS "startedAt", finished_at AS "finishedAt", eligible, sampled,
chosen_k AS "chosenK", candidates, segmentation_id AS "segmentationId", assigned, unassigned, timings, error

-- name: queue
INSERT INTO clustering_runs (name, status, features, k_min, k_max, seed, sample_size, requested_at)
VALUES (:name, 'QUEUED', :features, :k_min, :k_max, :seed, :sample_size, :now)
RETURNING {{columns}}

-- name: by_ids
SELECT {{columns}} FROM clustering_runs WHERE id = ANY (:ids::bigint[])

-- name: page
-- Newest first, keyset on the primary key.
SELECT {{columns}} FROM clustering_runs WHERE id < :before::bigint ORDER BY id DESC LIMIT :limit

-- name: mark_running
-- Visible progress; the run itself happens under the row lock taken by `lock`.
UPDATE clustering_runs SET status = 'RUNNING', started_at = :now WHERE id = :id AND status IN ('QUEUED', 'FAILED')

-- name: lock
-- The run's claim on its row. SKIP LOCKED: a redelivered job finds the row locked while the first
-- delivery runs (and skips); after a crash the lock is gone, nothing was committed, and the run starts over.
SELECT {{columns}} FROM clustering_runs WHERE id = :id FOR UPDATE SKIP LOCKED

-- name: segmentation_name_taken
SELECT EXISTS (SELECT 1 FROM segmentations WHERE name = :name) AS taken

-- name: insert_segment
INSERT INTO segments (name, description, kind, centroid, created_at, updated_at)
VALUES (:name, :description, 'COMPUTED', :centroid, :now, :now)
RETURNING id

-- name: segment_sizes
-- Members per computed segment just written, recorded as their evaluation.
UPDATE segments s SET size = m.n, last_evaluated_at = :now, evaluation_ms = :ms
FROM (SELECT segment_id, count(*)::int AS n FROM segment_members WHERE segment_id = ANY (:ids::bigint[]) GROUP BY segment_id) m
WHERE s.id = m.segment_id
RETURNING s.id, m.n

-- name: finish
UPDATE clustering_runs
SET status = 'SUCCEEDED', finished_at = :now, sampled = :sampled, eligible = :eligible, chosen_k = :chosen_k,
    candidates = :candidates, segmentation_id = :segmentation_id, assigned = :assigned, unassigned = :unassigned,
    timings = :timings, error = NULL
WHERE id = :id

-- name: fail
UPDATE clustering_runs SET status = 'FAILED', finished_at = :now, error = :error WHERE id = :id

-- name: count_base
SELECT count(*)::int AS n FROM customers WHERE erased_at IS NULL
