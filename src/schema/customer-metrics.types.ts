import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum RfmGroupEnum {
  CHAMPIONS = 'CHAMPIONS',
  LOYAL = 'LOYAL',
  POTENTIAL_LOYALISTS = 'POTENTIAL_LOYALISTS',
  NEW = 'NEW',
  PROMISING = 'PROMISING',
  NEED_ATTENTION = 'NEED_ATTENTION',
  ABOUT_TO_SLEEP = 'ABOUT_TO_SLEEP',
  AT_RISK = 'AT_RISK',
  CANNOT_LOSE_THEM = 'CANNOT_LOSE_THEM',
  HIBERNATING = 'HIBERNATING',
  LOST = 'LOST',
}

export enum LifecycleStageEnum {
  PROSPECT = 'PROSPECT',
  NEW = 'NEW',
  ACTIVE = 'ACTIVE',
  LOYAL = 'LOYAL',
  AT_RISK = 'AT_RISK',
  LAPSED = 'LAPSED',
  LOST = 'LOST',
}

export enum MetricsRefreshKind {
  FULL = 'FULL',
  INCREMENTAL = 'INCREMENTAL',
}

export enum MetricsRefreshStatus {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}

registerEnumType(RfmGroupEnum, { name: 'RfmGroup', description: 'Named RFM group, from R and FM = round((F + M) / 2); the mapping table is in the README.' });
registerEnumType(LifecycleStageEnum, {
  name: 'LifecycleStage',
  description: 'Where the customer stands: never bought, first purchase recently, buying, buying often, slowing, gone quiet, gone.',
});
registerEnumType(MetricsRefreshKind, {
  name: 'MetricsRefreshKind',
  description: 'FULL recomputes everyone (and the quintile cut-points); INCREMENTAL only customers whose purchases changed since.',
});
registerEnumType(MetricsRefreshStatus, { name: 'MetricsRefreshStatus' });

/** Computed attributes of a customer, as of the last refresh that included them. Table and GraphQL type at once. */
@Entity('customer_metrics')
@ObjectType({ simpleResolvers: true, description: 'Computed customer attributes: RFM, CLV, lifecycle, trend, engagement. As of `computedAt`.' })
export class CustomerMetrics {
  @PrimaryColumn({ name: 'customer_id', type: 'bigint' })
  customerId: string;

  @Column({ name: 'purchase_count', type: 'integer', default: 0 })
  @Field(() => Int, { description: 'Purchases, refunds excluded (F).' }) purchaseCount: number;
  @Column({ name: 'refunded_count', type: 'integer', default: 0 })
  @Field(() => Int) refundedCount: number;
  @Column({ name: 'total_spent', type: 'numeric', precision: 14, scale: 2, default: 0 })
  @Field(() => Float, { description: 'Total spent, refunds excluded (M), in the amounts as recorded.' }) totalSpent: number;
  @Column({ name: 'average_order_value', type: 'numeric', precision: 14, scale: 2, nullable: true })
  @Field(() => Float, { nullable: true }) averageOrderValue: number | null;
  @Column({ name: 'first_purchase_at', type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true }) firstPurchaseAt: Date | null;
  @Column({ name: 'last_purchase_at', type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true }) lastPurchaseAt: Date | null;
  @Column({ name: 'recency_days', type: 'integer', nullable: true })
  @Field(() => Int, { nullable: true, description: 'Whole days since the last purchase (R); null for prospects.' }) recencyDays: number | null;
  @Column({ name: 'spend_last_90d', type: 'numeric', precision: 14, scale: 2, default: 0 })
  @Field(() => Float) spendLast90d: number;
  @Column({ name: 'spend_prev_90d', type: 'numeric', precision: 14, scale: 2, default: 0 })
  @Field(() => Float, { description: 'Spend in the 90 days before the last 90.' }) spendPrev90d: number;
  @Column({ name: 'trend_ratio', type: 'numeric', precision: 10, scale: 3, nullable: true })
  @Field(() => Float, { nullable: true, description: 'spendLast90d / spendPrev90d; below 1 when spending declines. Null without earlier spend.' })
  trendRatio: number | null;
  @Column({ name: 'r_score', type: 'smallint', nullable: true })
  @Field(() => Int, { nullable: true, description: 'Recency score 1–5 by quintile of buyers (5 = most recent).' }) rScore: number | null;
  @Column({ name: 'f_score', type: 'smallint', nullable: true })
  @Field(() => Int, { nullable: true, description: 'Frequency score 1–5 (5 = most frequent; tied values share a score).' }) fScore: number | null;
  @Column({ name: 'm_score', type: 'smallint', nullable: true })
  @Field(() => Int, { nullable: true, description: 'Monetary score 1–5 (5 = highest spend).' }) mScore: number | null;
  @Column({ name: 'rfm_group', type: 'text', nullable: true })
  @Field(() => RfmGroupEnum, { nullable: true }) rfmGroup: RfmGroupEnum | null;
  @Column({ name: 'clv_historic', type: 'numeric', precision: 14, scale: 2, default: 0 })
  @Field(() => Float, { description: 'Historic value: everything spent so far.' }) clvHistoric: number;
  @Column({ name: 'clv_predicted', type: 'numeric', precision: 14, scale: 2, nullable: true })
  @Field(() => Float, { nullable: true, description: 'Predicted value over the next 12 months (formula in the README).' }) clvPredicted: number | null;
  @Column({ name: 'value_tier', type: 'smallint', nullable: true })
  @Field(() => Int, { nullable: true, description: 'Value tier 1–5: quintile of predicted CLV among buyers (5 = top 20%); null for prospects.' })
  valueTier: number | null;
  @Column({ name: 'lifecycle_stage', type: 'text' })
  @Field(() => LifecycleStageEnum) lifecycleStage: LifecycleStageEnum;
  @Column({ name: 'messages_received_30d', type: 'integer', default: 0 })
  @Field(() => Int) messagesReceived30d: number;
  @Column({ name: 'messages_received_90d', type: 'integer', default: 0 })
  @Field(() => Int) messagesReceived90d: number;
  @Column({ name: 'messages_opened_30d', type: 'integer', default: 0 })
  @Field(() => Int) messagesOpened30d: number;
  @Column({ name: 'messages_opened_90d', type: 'integer', default: 0 })
  @Field(() => Int) messagesOpened90d: number;
  @Column({ name: 'messages_clicked_30d', type: 'integer', default: 0 })
  @Field(() => Int) messagesClicked30d: number;
  @Column({ name: 'messages_clicked_90d', type: 'integer', default: 0 })
  @Field(() => Int) messagesClicked90d: number;
  @Column({ name: 'messages_converted_30d', type: 'integer', default: 0 })
  @Field(() => Int) messagesConverted30d: number;
  @Column({ name: 'messages_converted_90d', type: 'integer', default: 0 })
  @Field(() => Int) messagesConverted90d: number;
  @Column({ name: 'last_opened_at', type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true }) lastOpenedAt: Date | null;
  @Column({ name: 'last_clicked_at', type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true }) lastClickedAt: Date | null;
  @Column({ name: 'computed_at', type: 'timestamptz' })
  @Field({ description: 'The instant these metrics are computed as of.' }) computedAt: Date;
}

@Entity('metrics_refreshes')
@ObjectType({ simpleResolvers: true, description: 'One metrics refresh: asked for, running or done.' })
export class MetricsRefresh {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  @Field(() => ID)
  id: string;
  @Column({ type: 'text' }) @Field(() => MetricsRefreshKind) kind: MetricsRefreshKind;
  @Column({ type: 'text' }) @Field(() => MetricsRefreshStatus) status: MetricsRefreshStatus;
  @Column({ name: 'requested_at', type: 'timestamptz' }) @Field() requestedAt: Date;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) @Field(() => Date, { nullable: true }) startedAt: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) @Field(() => Date, { nullable: true }) finishedAt: Date | null;
  @Column({ type: 'integer', nullable: true })
  @Field(() => Int, { nullable: true, description: 'Customers whose metrics were computed.' })
  customers: number | null;
  @Column({ name: 'duration_ms', type: 'integer', nullable: true }) @Field(() => Int, { nullable: true }) durationMs: number | null;
  @Column({ type: 'text', nullable: true }) @Field(() => String, { nullable: true }) error: string | null;
}

/** Customers whose purchases changed since the last refresh that included them (not exposed). */
@Entity('customer_metrics_dirty')
export class CustomerMetricsDirty {
  @PrimaryColumn({ name: 'customer_id', type: 'bigint' }) customerId: string;
  @Column({ name: 'marked_at', type: 'timestamptz', default: () => 'now()' }) markedAt: Date;
}

/** Stored quintile cut-points, one row per scored metric (exposed through MetricCutPoints). */
@Entity('metric_cut_points')
export class MetricCutPointsRow {
  @PrimaryColumn({ type: 'text' }) metric: string;
  @Column({ name: 'cut_points', type: 'numeric', array: true }) cutPoints: string[];
  @Column({ type: 'integer' }) buyers: number;
  @Column({ name: 'computed_at', type: 'timestamptz' }) computedAt: Date;
}

@ObjectType({ simpleResolvers: true, description: 'Quintile cut-points of the last full refresh (20th, 40th, 60th, 80th percentiles of buyers).' })
export class MetricCutPoints {
  @Field(() => [Int]) recencyDays: number[];
  @Field(() => [Int]) purchaseCount: number[];
  @Field(() => [Float]) totalSpent: number[];
  @Field(() => [Float], { description: 'Of predicted 12-month CLV: the value tiers.' }) clvPredicted: number[];
  @Field(() => Int, { description: 'Customers with at least one purchase.' }) buyers: number;
}
