-- Same-run baselines of the snapshot benchmark: the straightforward design, one row per customer
-- and snapshot, keyed for lookups, and the matrix as a join of two snapshots' rows. Both sides
-- evaluate the same compiled segmentation ({{code}} / {{from}}), so the figures compare storage and
-- the transition query, not segment evaluation.

-- name: create
CREATE UNLOGGED TABLE IF NOT EXISTS bench_snapshot_rows (
  snapshot_id integer NOT NULL,
  customer_id bigint NOT NULL,
  code        smallint NOT NULL,
  PRIMARY KEY (snapshot_id, customer_id)
)

-- name: clear
TRUNCATE bench_snapshot_rows

-- name: take
INSERT INTO bench_snapshot_rows (snapshot_id, customer_id, code)
SELECT {{snapshot}}, c.id, {{code}} {{from}} WHERE c.erased_at IS NULL

-- name: transitions
SELECT a.code AS from_code, z.code AS to_code, count(*)::int AS n
FROM (SELECT customer_id, code FROM bench_snapshot_rows WHERE snapshot_id = 1) a
FULL JOIN (SELECT customer_id, code FROM bench_snapshot_rows WHERE snapshot_id = 2) z ON z.customer_id = a.customer_id
GROUP BY 1, 2

-- name: size
SELECT pg_total_relation_size('bench_snapshot_rows')::bigint AS bytes
