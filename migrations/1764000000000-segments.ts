import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Saved segments. DYNAMIC segments store their rule tree (`definition`, with a version) and are
 * evaluated when used; STATIC ones list their customers in segment_members (uploaded ids); COMPUTED
 * ones (clustering) will list theirs the same way. size / last_evaluated_at / evaluation_ms record
 * the last evaluation.
 */
export class Segments1764000000000 implements MigrationInterface {
  name = 'Segments1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE segments (
        id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name                  text NOT NULL,
        description           text NOT NULL DEFAULT '',
        kind                  text NOT NULL CHECK (kind IN ('DYNAMIC', 'STATIC', 'COMPUTED')),
        definition            jsonb,
        uses_sensitive_fields text[] NOT NULL DEFAULT '{}',
        size                  integer,
        last_evaluated_at     timestamptz,
        evaluation_ms         integer,
        created_at            timestamptz NOT NULL DEFAULT now(),
        updated_at            timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT segments_name_key UNIQUE (name),
        CONSTRAINT segments_definition_check CHECK ((kind = 'DYNAMIC') = (definition IS NOT NULL))
      )`);
    // Primary key order (segment, customer): members of one segment are one index range, read in
    // customer id order for keyset paging.
    await q.query(`
      CREATE TABLE segment_members (
        segment_id  bigint NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
        customer_id bigint NOT NULL,
        PRIMARY KEY (segment_id, customer_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS segment_members`);
    await q.query(`DROP TABLE IF EXISTS segments`);
  }
}
