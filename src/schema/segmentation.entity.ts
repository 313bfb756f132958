import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** A segmentation: ordered, mutually exclusive segments (GraphQL type Segmentation in segmentation.types.ts). */
@Entity('segmentations')
export class SegmentationEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' }) id: string;
  @Column({ type: 'text' }) name: string;
  @Column({ type: 'text', default: '' }) description: string;
  @Column({ type: 'text' }) kind: string;
  @Column({ name: 'built_in', type: 'boolean', default: false }) builtIn: boolean;
  @Column({ name: 'other_label', type: 'text', default: 'Everyone else' }) otherLabel: string;
  @Column({ type: 'boolean', default: false }) scheduled: boolean;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt: Date;
}

/** The segment at one position of a segmentation (1 = tested first). */
@Entity('segmentation_segments')
export class SegmentationSegment {
  @PrimaryColumn({ name: 'segmentation_id', type: 'bigint' }) segmentationId: string;
  @PrimaryColumn({ type: 'smallint' }) position: number;
  @Column({ name: 'segment_id', type: 'bigint' }) segmentId: string;
}

/** One snapshot of a segmentation: who was in which segment at `takenAt`. */
@Entity('segmentation_snapshots')
export class SegmentationSnapshotEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' }) id: string;
  @Column({ name: 'segmentation_id', type: 'bigint' }) segmentationId: string;
  @Column({ type: 'text' }) trigger: string;
  @Column({ type: 'text' }) status: string;
  @Column({ name: 'requested_at', type: 'timestamptz' }) requestedAt: Date;
  @Column({ name: 'taken_at', type: 'timestamptz', nullable: true }) takenAt: Date | null;
  /** `[{ code, segmentId, name }]`: what each code of the blocks meant when the snapshot was taken. */
  @Column({ type: 'jsonb', nullable: true }) legend: { code: number; segmentId: string; name: string }[] | null;
  /** Customers per code (index 0 = everyone else). */
  @Column({ type: 'integer', array: true, nullable: true }) counts: number[] | null;
  @Column({ type: 'integer', nullable: true }) customers: number | null;
  @Column({ name: 'duration_ms', type: 'integer', nullable: true }) durationMs: number | null;
  @Column({ type: 'text', nullable: true }) error: string | null;
}

/** 512 customer ids of a snapshot: entries are (id mod 512) * 64 + code. */
@Entity('segmentation_snapshot_blocks')
export class SegmentationSnapshotBlock {
  @PrimaryColumn({ name: 'snapshot_id', type: 'bigint' }) snapshotId: string;
  @PrimaryColumn({ type: 'bigint' }) block: string;
  @Column({ type: 'smallint', array: true }) entries: number[];
}

/** One k-means clustering run and what it produced (GraphQL type ClusteringRun in clustering.types.ts). */
@Entity('clustering_runs')
export class ClusteringRunEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' }) id: string;
  @Column({ type: 'text' }) name: string;
  @Column({ type: 'text' }) status: string;
  /** `[{ field, transform }]`, in input order. */
  @Column({ type: 'jsonb' }) features: { field: string; transform: string }[];
  @Column({ name: 'k_min', type: 'smallint' }) kMin: number;
  @Column({ name: 'k_max', type: 'smallint' }) kMax: number;
  @Column({ type: 'integer' }) seed: number;
  @Column({ name: 'sample_size', type: 'integer' }) sampleSize: number;
  @Column({ name: 'requested_at', type: 'timestamptz' }) requestedAt: Date;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt: Date | null;
  @Column({ type: 'integer', nullable: true }) eligible: number | null;
  @Column({ type: 'integer', nullable: true }) sampled: number | null;
  @Column({ name: 'chosen_k', type: 'smallint', nullable: true }) chosenK: number | null;
  /** `[{ k, silhouette, inertia, iterations }]`, one per k tried. */
  @Column({ type: 'jsonb', nullable: true }) candidates: { k: number; silhouette: number; inertia: number; iterations: number }[] | null;
  @Column({ name: 'segmentation_id', type: 'bigint', nullable: true }) segmentationId: string | null;
  @Column({ type: 'integer', nullable: true }) assigned: number | null;
  @Column({ type: 'integer', nullable: true }) unassigned: number | null;
  /** Milliseconds per phase: `{ sample, kmeans, assign }`. */
  @Column({ type: 'jsonb', nullable: true }) timings: Record<string, number> | null;
  @Column({ type: 'text', nullable: true }) error: string | null;
}
