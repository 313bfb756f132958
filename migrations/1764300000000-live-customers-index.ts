import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ids of customers in the base (not erased), as a small partial index. Nearly every segment,
 * snapshot and profile joins its conditions to "customers c WHERE c.erased_at IS NULL"; for those on
 * metrics, consents or aggregates that side becomes an index-only scan of ~22 MB at 1M customers
 * instead of a pass over the customers heap (~430 MB): 220 → 50 ms of a 550 ms RFM-group count.
 */
export class LiveCustomersIndex1764300000000 implements MigrationInterface {
  name = 'LiveCustomersIndex1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX customers_live_idx ON customers (id) WHERE erased_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS customers_live_idx`);
  }
}
