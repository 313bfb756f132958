import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A built-in segmentation: its segments are DYNAMIC segments on one metric, first match wins. */
interface BuiltIn {
  name: string;
  kind: 'LIFECYCLE' | 'RFM_GROUP' | 'VALUE_TIER';
  description: string;
  otherLabel: string;
  segments: { name: string; description: string; field: string; value: { string: string } | { number: number } }[];
}

const lifecycle = (stage: string, label: string, description: string) => ({
  name: `Lifecycle · ${label}`,
  description,
  field: 'metrics.lifecycle_stage',
  value: { string: stage },
});
const rfm = (group: string, label: string, description: string) => ({ name: `RFM · ${label}`, description, field: 'metrics.rfm_group', value: { string: group } });
const tier = (n: number, label: string) => ({
  name: `Value · ${label}`,
  description: `Value tier ${n}: predicted 12-month CLV in the ${label} of buyers (quintile cut-points of the last full metrics refresh).`,
  field: 'metrics.value_tier',
  value: { number: n },
});

const BUILT_INS: BuiltIn[] = [
  {
    name: 'Lifecycle stages',
    kind: 'LIFECYCLE',
    description: 'Where each customer stands in their relationship, from the lifecycle stage of the customer metrics.',
    otherLabel: 'Not scored yet',
    segments: [
      lifecycle('PROSPECT', 'Prospects', 'Never bought.'),
      lifecycle('NEW', 'New', 'First purchase within LIFECYCLE_NEW_DAYS.'),
      lifecycle('ACTIVE', 'Active', 'Bought within LIFECYCLE_ACTIVE_DAYS.'),
      lifecycle('LOYAL', 'Loyal', 'Bought within LIFECYCLE_ACTIVE_DAYS, at least LIFECYCLE_LOYAL_MIN_PURCHASES purchases.'),
      lifecycle('AT_RISK', 'At risk', 'Last purchase within LIFECYCLE_AT_RISK_DAYS.'),
      lifecycle('LAPSED', 'Lapsed', 'Last purchase within LIFECYCLE_LAPSED_DAYS.'),
      lifecycle('LOST', 'Lost', 'No purchase for longer than LIFECYCLE_LAPSED_DAYS.'),
    ],
  },
  {
    name: 'RFM groups',
    kind: 'RFM_GROUP',
    description: 'The eleven named RFM groups (mapping table in the README).',
    otherLabel: 'No purchase',
    segments: [
      rfm('CHAMPIONS', 'Champions', 'Bought recently, buy often and spend the most.'),
      rfm('LOYAL', 'Loyal', 'Buy regularly and spend well.'),
      rfm('POTENTIAL_LOYALISTS', 'Potential loyalists', 'Recent customers with average frequency and spend.'),
      rfm('NEW', 'New', 'Bought most recently, once or little.'),
      rfm('PROMISING', 'Promising', 'Recent shoppers who have not spent much yet.'),
      rfm('NEED_ATTENTION', 'Need attention', 'Average recency, frequency and spend.'),
      rfm('ABOUT_TO_SLEEP', 'About to sleep', 'Below-average recency and frequency.'),
      rfm('AT_RISK', 'At risk', 'Spent well and often, but long ago.'),
      rfm('CANNOT_LOSE_THEM', 'Cannot lose them', 'Among the best customers, gone quiet for the longest.'),
      rfm('HIBERNATING', 'Hibernating', 'Last purchase long ago, little spend.'),
      rfm('LOST', 'Lost', 'Lowest recency, frequency and spend.'),
    ],
  },
  {
    name: 'Value tiers',
    kind: 'VALUE_TIER',
    description: 'Buyers by quintile of predicted 12-month CLV; tied values share a tier, so tiers are near, not exactly, 20% each.',
    otherLabel: 'No purchase',
    segments: [tier(5, 'top 20%'), tier(4, '60–80%'), tier(3, '40–60%'), tier(2, '20–40%'), tier(1, 'bottom 20%')],
  },
];

/**
 * Segmentations (ordered sets of mutually exclusive segments: first match wins, the rest is "everyone
 * else"), their snapshots, the value tier metric, and the built-in lifecycle, RFM and value
 * segmentations.
 *
 * Snapshots are compact: a customer's segment is one smallint, (id mod 512) * 64 + code, in an array
 * per block of 512 customer ids (about 2 bytes a customer instead of a 40-byte row). Code 0 is
 * "everyone else", 1..63 the segments in the order recorded in the snapshot's legend; a customer who
 * is not in the array was not in the base.
 */
export class Segmentations1764100000000 implements MigrationInterface {
  name = 'Segmentations1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE customer_metrics ADD COLUMN value_tier smallint CHECK (value_tier BETWEEN 1 AND 5)`);
    await q.query(`ALTER TABLE segments ADD COLUMN built_in boolean NOT NULL DEFAULT false`);

    await q.query(`
      CREATE TABLE segmentations (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name        text NOT NULL,
        description text NOT NULL DEFAULT '',
        kind        text NOT NULL CHECK (kind IN ('CUSTOM', 'LIFECYCLE', 'RFM_GROUP', 'VALUE_TIER', 'CLUSTERING')),
        built_in    boolean NOT NULL DEFAULT false,
        other_label text NOT NULL DEFAULT 'Everyone else',
        scheduled   boolean NOT NULL DEFAULT false,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT segmentations_name_key UNIQUE (name)
      )`);
    // A segment may belong to several segmentations; while it does, it cannot be deleted.
    await q.query(`
      CREATE TABLE segmentation_segments (
        segmentation_id bigint NOT NULL REFERENCES segmentations (id) ON DELETE CASCADE,
        position        smallint NOT NULL CHECK (position BETWEEN 1 AND 63),
        segment_id      bigint NOT NULL REFERENCES segments (id),
        PRIMARY KEY (segmentation_id, position),
        CONSTRAINT segmentation_segments_segment_key UNIQUE (segmentation_id, segment_id)
      )`);
    await q.query(`CREATE INDEX segmentation_segments_segment_idx ON segmentation_segments (segment_id)`);

    await q.query(`
      CREATE TABLE segmentation_snapshots (
        id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        segmentation_id bigint NOT NULL REFERENCES segmentations (id) ON DELETE CASCADE,
        trigger         text NOT NULL CHECK (trigger IN ('API', 'SCHEDULE')),
        status          text NOT NULL CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED')),
        requested_at    timestamptz NOT NULL,
        taken_at        timestamptz,
        legend          jsonb,
        counts          integer[],
        customers       integer,
        duration_ms     integer,
        error           text
      )`);
    // "The latest snapshot at or before t" and listings, newest first.
    await q.query(`CREATE INDEX segmentation_snapshots_taken_idx ON segmentation_snapshots (segmentation_id, taken_at DESC) WHERE status = 'SUCCEEDED'`);
    await q.query(`CREATE INDEX segmentation_snapshots_requested_idx ON segmentation_snapshots (segmentation_id, requested_at DESC)`);
    await q.query(`
      CREATE TABLE segmentation_snapshot_blocks (
        snapshot_id bigint NOT NULL REFERENCES segmentation_snapshots (id) ON DELETE CASCADE,
        block       bigint NOT NULL,
        entries     smallint[] NOT NULL,
        PRIMARY KEY (snapshot_id, block)
      )`);

    for (const b of BUILT_INS) {
      const [{ id }] = await q.query(
        `INSERT INTO segmentations (name, description, kind, built_in, other_label, scheduled) VALUES ($1, $2, $3, true, $4, true) RETURNING id`,
        [b.name, b.description, b.kind, b.otherLabel],
      );
      for (const [i, s] of b.segments.entries()) {
        const definition = { version: 1, root: { condition: { field: s.field, operator: 'EQ', value: s.value } } };
        const [seg] = await q.query(`INSERT INTO segments (name, description, kind, definition, built_in) VALUES ($1, $2, 'DYNAMIC', $3, true) RETURNING id`, [
          s.name,
          s.description,
          definition,
        ]);
        await q.query(`INSERT INTO segmentation_segments (segmentation_id, position, segment_id) VALUES ($1, $2, $3)`, [id, i + 1, seg.id]);
      }
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS segmentation_snapshot_blocks`);
    await q.query(`DROP TABLE IF EXISTS segmentation_snapshots`);
    await q.query(`DROP TABLE IF EXISTS segmentation_segments`);
    await q.query(`DROP TABLE IF EXISTS segmentations`);
    await q.query(`DELETE FROM segments WHERE built_in`);
    await q.query(`ALTER TABLE segments DROP COLUMN IF EXISTS built_in`);
    await q.query(`ALTER TABLE customer_metrics DROP COLUMN IF EXISTS value_tier`);
  }
}
