-- Saved segments and their members. Segment evaluation itself is compiled per definition
-- (compile-segment.ts); these are the plain reads and writes around it.

-- name: columns
id, name, description, kind, definition, uses_sensitive_fields AS "usesSensitiveFields", built_in AS "builtIn", size,
last_evaluated_at AS "lastEvaluatedAt", evaluation_ms AS "evaluationMs", centroid, created_at AS "createdAt", updated_at AS "updatedAt"

-- name: references
-- Every segment's kind and rules, for resolving { segment: id } nodes (a few hundred rows at most).
SELECT id, kind, definition FROM segments

-- name: by_ids
SELECT {{columns}} FROM segments WHERE id = ANY (:ids::bigint[])

-- name: page
-- Keyset page in id order (segments_pkey), optionally only built-in or only user-made segments.
SELECT {{columns}} FROM segments
WHERE id > :after::bigint AND (:built_in::boolean IS NULL OR built_in = :built_in::boolean)
ORDER BY id LIMIT :limit

-- name: insert
INSERT INTO segments (name, description, kind, definition, uses_sensitive_fields, created_at, updated_at)
VALUES (:name, :description, :kind, :definition, :sensitive, :now, :now)
RETURNING {{columns}}

-- name: update
UPDATE segments SET name = :name, description = :description, definition = :definition,
       uses_sensitive_fields = :sensitive, updated_at = :now
WHERE id = :id
RETURNING {{columns}}

-- name: referenced_by
-- Segments whose rules use segment :id (so it cannot be deleted under them).
SELECT id, name FROM segments
WHERE kind = 'DYNAMIC' AND jsonb_path_exists(definition, '$.** ? (@.segment == $id)', jsonb_build_object('id', :id::text))

-- name: used_by_segmentations
-- Segmentations listing segment :id (segmentation_segments_segment_idx).
SELECT g.id, g.name FROM segmentation_segments ss JOIN segmentations g ON g.id = ss.segmentation_id
WHERE ss.segment_id = :id ORDER BY g.id

-- name: delete
DELETE FROM segments WHERE id = :id

-- name: clear_members
DELETE FROM segment_members WHERE segment_id = :segment_id

-- name: add_members
-- Static segments: the listed customers (by internal or external id), erased ones left out.
-- rowCount: how many were stored.
INSERT INTO segment_members (segment_id, customer_id)
SELECT :segment_id, c.id FROM customers c
WHERE (c.id = ANY (:ids::bigint[]) OR c.external_id = ANY (:external_ids::text[])) AND c.erased_at IS NULL
ON CONFLICT DO NOTHING

-- name: count_base
-- Customers in the base (erased excluded): the denominator of shares.
SELECT count(*)::bigint AS n FROM customers WHERE erased_at IS NULL

-- name: record_evaluation
UPDATE segments SET size = :size, last_evaluated_at = :now, evaluation_ms = :ms WHERE id = :id

-- name: used_by_campaigns
-- Campaigns and contact policies using segment :id (campaign_segments_segment_idx, contact_policies_segment_idx).
SELECT c.id, 'campaign "' || c.name || '"' AS name FROM campaign_segments cs JOIN campaigns c ON c.id = cs.campaign_id WHERE cs.segment_id = :id
UNION ALL
SELECT id, 'contact policy "' || name || '"' FROM contact_policies WHERE segment_id = :id
