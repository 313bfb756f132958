import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from './page.type.js';
import { Segment } from './segment.types.js';

export enum SegmentationKind {
  CUSTOM = 'CUSTOM',
  LIFECYCLE = 'LIFECYCLE',
  RFM_GROUP = 'RFM_GROUP',
  VALUE_TIER = 'VALUE_TIER',
  CLUSTERING = 'CLUSTERING',
}
export enum SnapshotStatus {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}
export enum SnapshotTrigger {
  API = 'API',
  SCHEDULE = 'SCHEDULE',
}
export enum TransitionStateKind {
  SEGMENT = 'SEGMENT',
  EVERYONE_ELSE = 'EVERYONE_ELSE',
  OUTSIDE_BASE = 'OUTSIDE_BASE',
}

registerEnumType(SegmentationKind, {
  name: 'SegmentationKind',
  description: 'CUSTOM: made from saved segments. LIFECYCLE, RFM_GROUP, VALUE_TIER: built in. CLUSTERING: computed by runClustering.',
});
registerEnumType(SnapshotStatus, { name: 'SnapshotStatus' });
registerEnumType(SnapshotTrigger, { name: 'SnapshotTrigger', description: 'API: snapshotSegmentation. SCHEDULE: the SNAPSHOT_CRON run.' });
registerEnumType(TransitionStateKind, {
  name: 'TransitionStateKind',
  description: 'SEGMENT: one of the segments. EVERYONE_ELSE: in the base, in none of them. OUTSIDE_BASE: not a customer at that time (entered or left the base).',
});

@ObjectType({ simpleResolvers: true, description: 'Customers in one segment of a segmentation (or in none of them: segment null).' })
export class SegmentShare {
  @Field(() => Segment, { nullable: true, description: 'Null for "everyone else", or when the segment has been deleted since a snapshot.' })
  segment: Segment | null;
  @Field({ description: 'The segment name (as it was at snapshot time) or the segmentation\'s otherLabel.' }) label: string;
  @Field(() => Int, { nullable: true, description: 'Position in the segmentation (1 = tested first); null for everyone else.' }) position: number | null;
  @Field(() => Int) count: number;
  @Field(() => Float, { description: 'count / customers in the base.' }) share: number;
  @Field(() => Float, { nullable: true, description: 'What its customers spent (refunds excluded); live distributions only.' }) revenue: number | null;
  @Field(() => Float, { nullable: true, description: 'revenue / the base revenue; live distributions only.' }) revenueShare: number | null;
  @Field(() => Float, { nullable: true, description: 'Mean predicted 12-month CLV of its buyers; live distributions only.' }) meanClv: number | null;
}

@ObjectType({ simpleResolvers: true, description: 'How the base splits across a segmentation right now.' })
export class SegmentationDistribution {
  @Field(() => Int, { description: 'Customers in the base (erased excluded).' }) total: number;
  @Field(() => [SegmentShare], { description: 'One entry per segment in order, then everyone else.' }) segments: SegmentShare[];
  @Field() evaluatedAt: Date;
  @Field(() => Int) evaluationMs: number;
}

@ObjectType({ simpleResolvers: true, description: 'Who was in which segment of a segmentation at one time, kept for transition matrices.' })
export class SegmentationSnapshot {
  @Field(() => ID) id: string;
  @Field(() => ID) segmentationId: string;
  @Field(() => SnapshotTrigger) trigger: SnapshotTrigger;
  @Field(() => SnapshotStatus) status: SnapshotStatus;
  @Field() requestedAt: Date;
  @Field(() => Date, { nullable: true, description: 'The instant the snapshot describes (metrics as of their last refresh).' }) takenAt: Date | null;
  @Field(() => Int, { nullable: true, description: 'Customers in the base at that time.' }) customers: number | null;
  @Field(() => Int, { nullable: true }) durationMs: number | null;
  @Field(() => String, { nullable: true }) error: string | null;
  @Field(() => [SegmentShare], { nullable: true, description: 'Customers per segment then everyone else; null until SUCCEEDED.' }) distribution: SegmentShare[] | null;
}

@ObjectType({ simpleResolvers: true, description: 'A page of snapshots, newest first.' })
export class SegmentationSnapshotConnection {
  @Field(() => [SegmentationSnapshot]) nodes: SegmentationSnapshot[];
  @Field(() => PageInfo) pageInfo: PageInfo;
}

@ObjectType({ simpleResolvers: true, description: 'An ordered set of mutually exclusive segments: a customer belongs to the first that matches, else to everyone else.' })
export class Segmentation {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field() description: string;
  @Field(() => SegmentationKind) kind: SegmentationKind;
  @Field({ description: 'Built in (lifecycle, RFM groups, value tiers): read-only but for `scheduled`.' }) builtIn: boolean;
  @Field({ description: 'Label of the customers no segment matches.' }) otherLabel: string;
  @Field({ description: 'Included in the scheduled snapshot (SNAPSHOT_CRON).' }) scheduled: boolean;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
}

@ObjectType({ simpleResolvers: true, description: 'A page of segmentations in id order.' })
export class SegmentationConnection {
  @Field(() => [Segmentation]) nodes: Segmentation[];
  @Field(() => PageInfo) pageInfo: PageInfo;
}

@ObjectType({ simpleResolvers: true, description: 'A row or column of a transition matrix.' })
export class TransitionState {
  @Field({ description: 'Stable key: segment:<id>, OTHER or OUTSIDE.' }) key: string;
  @Field(() => TransitionStateKind) kind: TransitionStateKind;
  @Field(() => Segment, { nullable: true, description: 'The segment (null when not a segment, or deleted since).' }) segment: Segment | null;
  @Field() label: string;
}

@ObjectType({ simpleResolvers: true, description: 'Customers of one state at `from` and another at `to`.' })
export class TransitionCell {
  @Field(() => TransitionState) to: TransitionState;
  @Field(() => Int) count: number;
  @Field(() => Float, { nullable: true, description: 'count / the row total; null when the row is empty.' }) rowShare: number | null;
}

@ObjectType({ simpleResolvers: true, description: 'Where the customers of one state at `from` are at `to`.' })
export class TransitionRow {
  @Field(() => TransitionState) from: TransitionState;
  @Field(() => Int, { description: 'Customers in this state at `from` (for OUTSIDE_BASE: those who entered the base).' }) total: number;
  @Field(() => [TransitionCell], { description: 'One per state, in `states` order.' }) cells: TransitionCell[];
}

@ObjectType({
  simpleResolvers: true,
  description:
    'Movements between two snapshots of a segmentation (the "matrice de passage"): counts and row percentages from each state to each other, customers who entered the base (row OUTSIDE_BASE) and left it (column OUTSIDE_BASE).',
})
export class TransitionMatrix {
  @Field(() => SegmentationSnapshot, { description: 'The latest snapshot at or before the requested `from`.' }) from: SegmentationSnapshot;
  @Field(() => SegmentationSnapshot, { description: 'The latest snapshot at or before the requested `to`.' }) to: SegmentationSnapshot;
  @Field(() => [TransitionState], { description: 'Row and column order.' }) states: TransitionState[];
  @Field(() => [TransitionRow]) rows: TransitionRow[];
  @Field(() => Int, { description: 'Customers in the base at both times who stayed in the same state.' }) stayed: number;
  @Field(() => Int, { description: 'Customers in the base at both times who changed state.' }) moved: number;
}

@InputType({ description: 'A new segmentation over saved segments.' })
export class CreateSegmentationInput {
  @Field() name: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => [ID], { description: 'Saved segments, first = tested first (at most 63).' }) segmentIds: string[];
  @Field(() => String, { nullable: true, description: 'Label of the customers no segment matches (default "Everyone else").' }) otherLabel?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'Include in the scheduled snapshot (default false).' }) scheduled?: boolean | null;
}

@InputType({ description: 'Changes to a segmentation; omitted fields stay as they are.' })
export class UpdateSegmentationInput {
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => [ID], { nullable: true }) segmentIds?: string[] | null;
  @Field(() => String, { nullable: true }) otherLabel?: string | null;
  @Field(() => Boolean, { nullable: true }) scheduled?: boolean | null;
}
