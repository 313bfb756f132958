import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The campaign bucket (src/campaigns/assignment.ts) as a function of the SHA-256 digest: the first 8
 * bytes as an unsigned integer, mod 10,000, folded byte by byte so that it never leaves int4.
 *
 * Why a PL/pgSQL function: the digest must be computed once per row and read eight times. As an
 * expression, PostgreSQL copies it into each read (eight hashes); fenced in a LATERAL subquery
 * (OFFSET 0), it is computed once but the subquery is parallel-restricted and rescanned per row, which
 * kept audience queries serial. A PL/pgSQL function is never inlined, so its argument (the digest) is
 * evaluated once, and it is parallel safe.
 */
/** r = (r * 256 + byte) % 10000 over the first 8 bytes: r stays below 2,560,000 (int4). */
const FOLD = Array.from({ length: 7 }, (_, i) => i + 1).reduce((r, i) => `((${r}) * 256 + get_byte(d, ${i})) % 10000`, 'get_byte(d, 0)');

export class CampaignBucketFunction1764500000000 implements MigrationInterface {
  name = 'CampaignBucketFunction1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION cible_bucket(d bytea) RETURNS integer
      LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
      BEGIN
        RETURN ${FOLD};
      END
      $$`);
    // Both draws of one customer, as a LATERAL function call: one row, computed once (a function scan is
    // not flattened into the query), and only for customers still eligible (`active`). `vi` is the
    // variant index of the bucket against the cumulative bounds, as variantOf in TypeScript.
    await q.query(`
      CREATE FUNCTION cible_draws(campaign_id bigint, customer_id bigint, active boolean, want_holdout boolean, bounds integer[],
                                  OUT hb integer, OUT vi integer)
      LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
      DECLARE
        b integer;
        n integer := coalesce(array_length(bounds, 1), 1);
      BEGIN
        IF NOT active THEN RETURN; END IF;
        IF want_holdout THEN
          hb := cible_bucket(sha256(convert_to(campaign_id::text || ':' || customer_id::text || ':holdout', 'UTF8')));
        ELSE
          hb := 0;
        END IF;
        vi := 0;
        IF n > 1 THEN
          b := cible_bucket(sha256(convert_to(campaign_id::text || ':' || customer_id::text || ':variant', 'UTF8')));
          WHILE vi < n - 1 AND b >= bounds[vi + 1] LOOP
            vi := vi + 1;
          END LOOP;
        END IF;
      END
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS cible_draws(bigint, bigint, boolean, boolean, integer[])`);
    await q.query(`DROP FUNCTION IF EXISTS cible_bucket(bytea)`);
  }
}
