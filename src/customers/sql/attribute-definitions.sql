-- The attribute catalogue (attribute_definitions, keyed by attribute_definitions_pkey: a few hundred
-- rows at most) and its edits. Columns are aliased to the GraphQL field names so rows go to the
-- client as-is.
--
-- An edit that depends on whether customers carry the attribute (a type change, a delete) locks the
-- catalogue row first (lock_definition, FOR UPDATE) and runs attribute_in_use on the same connection
-- in the same transaction, so two edits of one key cannot both pass the check on a stale answer.
--
-- Parameters are positional ($n); each statement lists its own.

-- name: definition_columns
key, type, allowed_values AS "allowedValues", description, is_sensitive AS "isSensitive",
created_at AS "createdAt", updated_at AS "updatedAt"

-- name: list_definitions
-- No parameters. The whole catalogue in key order (the API's list).
SELECT {{columns}} FROM attribute_definitions ORDER BY key

-- name: attribute_catalogue
-- No parameters. What ingestion checks values against: the whole catalogue, only the columns it uses,
-- in no order (it becomes a map by key).
SELECT key, type, allowed_values AS "allowedValues", is_sensitive AS "isSensitive" FROM attribute_definitions

-- name: lock_definition
-- $1 key. The entry's current type, its row locked until the transaction ends; no row for a new key.
SELECT type FROM attribute_definitions WHERE key = $1 FOR UPDATE

-- name: attribute_in_use
-- $1 key. A row when at least one customer carries the attribute. A sequential scan of customers that
-- stops at the first match: customers_attributes_idx is jsonb_path_ops, which does not serve `?`, and
-- catalogue edits are rare enough not to pay for another index.
SELECT 1 FROM customers WHERE attributes ? $1 LIMIT 1

-- name: upsert_definition
-- $1 key, $2 type, $3 allowed values | null, $4 description, $5 is sensitive, $6 now (created_at on
-- insert, updated_at always). Returns the stored entry.
INSERT INTO attribute_definitions (key, type, allowed_values, description, is_sensitive, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $6)
ON CONFLICT (key) DO UPDATE SET type = EXCLUDED.type, allowed_values = EXCLUDED.allowed_values,
  description = EXCLUDED.description, is_sensitive = EXCLUDED.is_sensitive, updated_at = EXCLUDED.updated_at
RETURNING {{columns}}

-- name: delete_definition
-- $1 key. Run after lock_definition found the row, in the same transaction.
DELETE FROM attribute_definitions WHERE key = $1
