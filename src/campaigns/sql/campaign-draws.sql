-- Stored hold-out and variant buckets of campaigns (draws.ts; table in migration 1764700000000).
-- A chunk holds the buckets of 65,536 consecutive ids, in order, as a smallint array, for one salt.
-- Chunks of a (campaign, salt) are 0 … n−1: `fill_chunk` appends chunk n only, under the campaign's
-- draws lock, and `drop` removes a campaign's rows together under the same lock.

-- name: lock
-- Serialises the writers of one campaign's draws (fills, drop). Transaction-scoped.
-- :campaign_id
SELECT pg_advisory_xact_lock(hashtextextended('cible.campaign_draws:' || :campaign_id::text, 0))

-- name: needs
-- What a campaign draws now and what is stored of each salt. A campaign that has ended (or is gone)
-- needs none. Hold-out buckets serve the control group and the maxRecipients cut; variant buckets
-- only matter with two variants or more. `*Gap`: the stored chunks do not run 0 … n−1 (written by
-- hand, or a bug): they are thrown away and stored again.
-- :campaign_id
SELECT c.status IN ('DRAFT', 'SCHEDULED', 'RUNNING', 'PAUSED') AS "isLive",
       (c.holdout_basis_points > 0 OR c.max_recipients IS NOT NULL) AS "needsHoldout",
       (SELECT count(*) FROM campaign_variants v WHERE v.campaign_id = c.id) > 1 AS "needsVariant",
       h.n AS "holdoutChunks", h.n > 0 AND h.last <> h.n - 1 AS "holdoutGap",
       v.n AS "variantChunks", v.n > 0 AND v.last <> v.n - 1 AS "variantGap"
FROM campaigns c,
     LATERAL (SELECT count(*)::int AS n, max(chunk) AS last FROM campaign_draws d WHERE d.campaign_id = c.id AND d.salt = 'holdout') h,
     LATERAL (SELECT count(*)::int AS n, max(chunk) AS last FROM campaign_draws d WHERE d.campaign_id = c.id AND d.salt = 'variant') v
WHERE c.id = :campaign_id

-- name: drop_salt
-- :campaign_id, :salt
DELETE FROM campaign_draws WHERE campaign_id = :campaign_id AND salt = :salt

-- name: fill_chunk
-- The buckets of one chunk: SHA-256 of "<campaign>:<id>:<salt>" for each of its 65,536 ids, folded as
-- cible_bucket() folds it (the first 8 bytes as an unsigned integer mod 10,000, byte by byte so that
-- it stays in int4), written inline over a fenced digest (OFFSET 0 keeps the digest computed once
-- per id; the PL/pgSQL function would add ~1 µs an id). ~0.1–0.2 s a chunk here.
-- :campaign_id, :salt, :chunk
INSERT INTO campaign_draws (campaign_id, salt, chunk, buckets)
SELECT :campaign_id::bigint, :salt::text, :chunk::int,
       array_agg(((((((((get_byte(g.d, 0) * 256 + get_byte(g.d, 1)) % 10000 * 256 + get_byte(g.d, 2)) % 10000 * 256
                    + get_byte(g.d, 3)) % 10000 * 256 + get_byte(g.d, 4)) % 10000 * 256 + get_byte(g.d, 5)) % 10000 * 256
                    + get_byte(g.d, 6)) % 10000 * 256 + get_byte(g.d, 7)) % 10000)::smallint ORDER BY g.id)
FROM (
  SELECT id, sha256(convert_to(:campaign_id::bigint::text || ':' || id::text || ':' || :salt::text, 'UTF8')) AS d
  FROM generate_series(:chunk::int::bigint * 65536, :chunk::int::bigint * 65536 + 65535) AS id
  OFFSET 0
) g
ON CONFLICT DO NOTHING

-- name: last_chunk
-- The last chunk worth storing: chunks from 0 as long as each holds a customer id (erased or not),
-- so that a gap in the ids (a sequence moved far ahead) never makes a fill store chunks for nobody;
-- customers beyond it are drawn live. One primary-key probe per chunk (16 for 1M customers).
WITH RECURSIVE chunks (k) AS (
  SELECT 0 WHERE EXISTS (SELECT 1 FROM customers WHERE id BETWEEN 0 AND 65535)
  UNION ALL
  SELECT k + 1 FROM chunks
  WHERE EXISTS (SELECT 1 FROM customers c WHERE c.id BETWEEN (k + 1)::bigint * 65536 AND (k + 1)::bigint * 65536 + 65535)
)
SELECT COALESCE(max(k), -1) AS "lastChunk" FROM chunks

-- name: positions
-- Where a bucket falls in each stored chunk (array_positions scans 65,536 smallints in C: ~1 ms a
-- chunk), and whether the chunks run 0 … n−1.
-- :campaign_id, :salt, :bucket
SELECT chunk, array_positions(buckets, :bucket::smallint) AS positions,
       max(chunk) OVER () = count(*) OVER () - 1 AS contiguous
FROM campaign_draws
WHERE campaign_id = :campaign_id AND salt = :salt
ORDER BY chunk

-- name: drop
-- :campaign_id
DELETE FROM campaign_draws WHERE campaign_id = :campaign_id

-- name: stale
-- Campaigns whose draws should go: ended (COMPLETED, CANCELLED, FAILED).
SELECT DISTINCT d.campaign_id AS id
FROM campaign_draws d JOIN campaigns c ON c.id = d.campaign_id
WHERE c.status IN ('COMPLETED', 'CANCELLED', 'FAILED')

-- name: wanting
-- Live campaigns missing chunks of a salt they draw, up to :max_chunk (the last chunk a fill would
-- store: see last_chunk): a handful of campaigns, each with a count over its own
-- primary-key range.
-- :max_chunk
SELECT c.id
FROM campaigns c
WHERE c.status IN ('DRAFT', 'SCHEDULED', 'RUNNING', 'PAUSED')
  AND (((c.holdout_basis_points > 0 OR c.max_recipients IS NOT NULL)
        AND (SELECT count(*) FROM campaign_draws d WHERE d.campaign_id = c.id AND d.salt = 'holdout') <= :max_chunk::int)
    OR ((SELECT count(*) FROM campaign_variants v WHERE v.campaign_id = c.id) > 1
        AND (SELECT count(*) FROM campaign_draws d WHERE d.campaign_id = c.id AND d.salt = 'variant') <= :max_chunk::int))
ORDER BY c.id
