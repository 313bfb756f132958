import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Clustering: runs of k-means over chosen per-customer features, each producing a CLUSTERING
 * segmentation of COMPUTED segments (members in segment_members). A computed segment keeps its
 * centroid, in the features' own units and in standard deviations from the sample mean.
 */
export class Clustering1764200000000 implements MigrationInterface {
  name = 'Clustering1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE segments ADD COLUMN centroid jsonb`);
    await q.query(`
      CREATE TABLE clustering_runs (
        id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name            text NOT NULL,
        status          text NOT NULL CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED')),
        features        jsonb NOT NULL,
        k_min           smallint NOT NULL,
        k_max           smallint NOT NULL,
        seed            integer NOT NULL,
        sample_size     integer NOT NULL,
        requested_at    timestamptz NOT NULL,
        started_at      timestamptz,
        finished_at     timestamptz,
        eligible        integer,
        sampled         integer,
        chosen_k        smallint,
        candidates      jsonb,
        segmentation_id bigint REFERENCES segmentations (id) ON DELETE SET NULL,
        assigned        integer,
        unassigned      integer,
        timings         jsonb,
        error           text,
        CONSTRAINT clustering_runs_k_check CHECK (2 <= k_min AND k_min <= k_max)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS clustering_runs`);
    await q.query(`ALTER TABLE segments DROP COLUMN IF EXISTS centroid`);
  }
}
