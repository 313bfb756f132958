import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stored hold-out and variant buckets of a campaign (src/campaigns/draws.ts). A bucket is a pure
 * function of (campaign id, customer id, salt), so a campaign's buckets are computed once, for every
 * integer id of a chunk whether a customer has it yet or not, and never go stale. Computing one in
 * PostgreSQL costs ~2.5 µs (SHA-256 and the fold); reading it back from a chunk costs two get_byte.
 * On 1M customers that is ~2.5 s of a forecast's CPU, spent once per campaign instead of per forecast
 * and per run.
 *
 * One row per (campaign, salt, chunk of 65,536 ids): `buckets` holds the bucket (0 … 9,999) of each
 * id of the chunk, in order, as a smallint array (128 KiB a row, so 4 MiB per million customers and
 * live campaign); a query reads one customer's with a single subscript, and an id outside the stored
 * chunks reads NULL. Chunks of a (campaign, salt) are always 0 … n−1: the only writer appends the next
 * ones, the only deleter removes a campaign's rows together. Stored EXTERNAL: draws do not compress,
 * so PostgreSQL is not asked to try.
 */
export class CampaignDraws1764700000000 implements MigrationInterface {
  name = 'CampaignDraws1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE campaign_draws (
        campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
        salt        text NOT NULL CHECK (salt IN ('holdout', 'variant')),
        chunk       integer NOT NULL CHECK (chunk >= 0),
        buckets     smallint[] NOT NULL CHECK (cardinality(buckets) = 65536 AND array_ndims(buckets) = 1 AND array_position(buckets, NULL) IS NULL),
        created_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (campaign_id, salt, chunk)
      )`);
    await q.query(`ALTER TABLE campaign_draws ALTER COLUMN buckets SET STORAGE EXTERNAL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS campaign_draws`);
  }
}
