import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** A saved segment (the GraphQL type is Segment in segment.types.ts: `size` is computed there). */
@Entity('segments')
export class SegmentEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' }) id: string;
  @Column({ type: 'text' }) name: string;
  @Column({ type: 'text', default: '' }) description: string;
  @Column({ type: 'text' }) kind: string;
  @Column({ type: 'jsonb', nullable: true }) definition: Record<string, unknown> | null;
  @Column({ name: 'built_in', type: 'boolean', default: false }) builtIn: boolean;
  @Column({ name: 'uses_sensitive_fields', type: 'text', array: true, default: () => "'{}'" }) usesSensitiveFields: string[];
  @Column({ type: 'integer', nullable: true }) size: number | null;
  @Column({ name: 'last_evaluated_at', type: 'timestamptz', nullable: true }) lastEvaluatedAt: Date | null;
  @Column({ name: 'evaluation_ms', type: 'integer', nullable: true }) evaluationMs: number | null;
  /** COMPUTED segments: the cluster centre, per feature (`{ field, value, zScore }`). */
  @Column({ type: 'jsonb', nullable: true }) centroid: { field: string; value: number; zScore: number }[] | null;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt: Date;
}

/** A customer of a STATIC or COMPUTED segment. */
@Entity('segment_members')
export class SegmentMember {
  @PrimaryColumn({ name: 'segment_id', type: 'bigint' }) segmentId: string;
  @PrimaryColumn({ name: 'customer_id', type: 'bigint' }) customerId: string;
}
