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
-- SKIP LOCKED: never waits for a session holding the row (`lock` then tells it is busy).
UPDATE clustering_runs SET status = 'RUNNING', started_at = :now
WHERE id = (SELECT id FROM clustering_runs WHERE id = :id AND status IN ('QUEUED', 'FAILED') FOR UPDATE SKIP LOCKED)

-- name: lock
-- The run's claim on its row. SKIP LOCKED: a redelivered job finds the row locked while another
-- session holds it (then `exists` tells it apart from a deleted run: the job retries later, since
-- that session may yet roll back); after a crash the lock is gone, nothing was committed, and the
-- run starts over.
SELECT {{columns}} FROM clustering_runs WHERE id = :id FOR UPDATE SKIP LOCKED

-- name: exists
SELECT EXISTS (SELECT 1 FROM clustering_runs WHERE id = :id) AS present

-- name: segmentation_name_taken
SELECT EXISTS (SELECT 1 FROM segmentations WHERE name = :name) AS taken

-- name: insert_segment
INSERT INTO segments (name, description, kind, centroid, uses_sensitive_fields, created_at, updated_at)
VALUES (:name, :description, 'COMPUTED', :centroid, :sensitive, :now, :now)
RETURNING id

-- name: segment_sizes
-- Members per computed segment just written (0 for a cluster nobody is nearest to), recorded as their evaluation.
UPDATE segments s SET size = m.n, last_evaluated_at = :now, evaluation_ms = :ms
FROM (SELECT i.id, coalesce(c.n, 0) AS n
      FROM unnest(:ids::bigint[]) AS i (id)
      LEFT JOIN (SELECT segment_id, count(*)::int AS n FROM segment_members WHERE segment_id = ANY (:ids::bigint[]) GROUP BY segment_id) c ON c.segment_id = i.id) m
WHERE s.id = m.id
RETURNING s.id, m.n

-- name: finish
UPDATE clustering_runs
SET status = 'SUCCEEDED', finished_at = :now, sampled = :sampled, eligible = :eligible, chosen_k = :chosen_k,
    candidates = :candidates, segmentation_id = :segmentation_id, assigned = :assigned, unassigned = :unassigned,
    timings = :timings, error = NULL
WHERE id = :id

-- name: fail
-- Never over a success (a commit whose acknowledgement was lost looks like a failure to the worker).
UPDATE clustering_runs SET status = 'FAILED', finished_at = :now, error = :error WHERE id = :id AND status <> 'SUCCEEDED'

-- name: count_base
SELECT count(*)::int AS n FROM customers WHERE erased_at IS NULL
