-- API keys (api_keys: one row per key ever issued, a handful to a few hundred). Only the SHA-256 of a
-- key is stored (key_hash, unique: api_keys_key_hash_key); the secret itself never reaches the database.
--
-- Parameters are positional ($n); each statement lists its own.

-- name: insert_key
-- $1 name, $2 role, $3 key hash (bytea), $4 key prefix (the first characters, to recognise it in a
-- list). Returns the new id (uuid from the column default).
INSERT INTO api_keys (name, role, key_hash, key_prefix) VALUES ($1, $2, $3, $4) RETURNING id

-- name: revoke_key
-- $1 id, $2 now. Row count 0 when no live key has this id (unknown, or already revoked: the first
-- revocation time is kept).
UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL

-- name: verify_key
-- $1 key hash. One probe of api_keys_key_hash_key; the principal of a live key, or no row. Looking up
-- and stamping last_used_at in one statement saves a round trip on a cache miss; the verifier's cache
-- is what keeps this write to at most once per cache period per key.
UPDATE api_keys SET last_used_at = now()
WHERE key_hash = $1 AND revoked_at IS NULL
RETURNING id AS "keyId", name, role

-- name: list_keys
-- No parameters. Every key, revoked ones included, newest first; never the hash. Columns are aliased
-- to the GraphQL field names so rows go to the client as-is. A sort of the whole (small) table.
SELECT id, name, role, key_prefix AS "keyPrefix", created_at AS "createdAt", last_used_at AS "lastUsedAt",
       revoked_at AS "revokedAt"
FROM api_keys
ORDER BY created_at DESC
