import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Channel } from './enums.js';

export enum ProfileMetric {
  MONETARY = 'total_spent',
  FREQUENCY = 'purchase_count',
  RECENCY_DAYS = 'recency_days',
  CLV_PREDICTED = 'clv_predicted',
  AVERAGE_ORDER_VALUE = 'average_order_value',
}
export enum ProfileDimension {
  LIFECYCLE_STAGE = 'lifecycle_stage',
  RFM_GROUP = 'rfm_group',
  VALUE_TIER = 'value_tier',
  COUNTRY = 'country',
  CITY = 'city',
  GENDER = 'gender',
  SIGNUP_CHANNEL = 'signup_channel',
  AGE_BAND = 'age_band',
}

registerEnumType(ProfileMetric, {
  name: 'ProfileMetric',
  description: 'A value metric of customer metrics. RECENCY_DAYS, CLV_PREDICTED and AVERAGE_ORDER_VALUE exist for buyers only.',
});
registerEnumType(ProfileDimension, {
  name: 'ProfileDimension',
  description: 'A dimension of segment distributions. GENDER and AGE_BAND rest on sensitive fields. AGE_BAND values: UNDER_18, 18_24, 25_34, 35_44, 45_54, 55_64, 65_PLUS.',
});

@ObjectType({ simpleResolvers: true, description: 'One metric in the segment against the whole base (customers without a value are left out).' })
export class MetricComparison {
  @Field(() => ProfileMetric) metric: ProfileMetric;
  @Field(() => Float, { nullable: true }) mean: number | null;
  @Field(() => Float, { nullable: true }) median: number | null;
  @Field(() => Float, { nullable: true }) baseMean: number | null;
  @Field(() => Float, { nullable: true }) baseMedian: number | null;
  @Field(() => Float, { nullable: true, description: 'mean / baseMean.' }) lift: number | null;
}

@ObjectType({ simpleResolvers: true, description: 'Customers of the segment with one value of a dimension, against the base.' })
export class DistributionBucket {
  @Field(() => String, { nullable: true, description: 'The value; null when unknown (not set, or no metrics yet).' }) value: string | null;
  @Field(() => Int) count: number;
  @Field(() => Float, { description: 'count / segment size.' }) share: number;
  @Field(() => Int) baseCount: number;
  @Field(() => Float, { description: 'baseCount / base size.' }) baseShare: number;
  @Field(() => Float, { nullable: true, description: 'share / baseShare: above 1 when over-represented in the segment.' }) lift: number | null;
}

@ObjectType({ simpleResolvers: true, description: 'How the segment splits over one dimension: the top values by segment count, and the rest.' })
export class Distribution {
  @Field(() => ProfileDimension) dimension: ProfileDimension;
  @Field(() => [DistributionBucket]) buckets: DistributionBucket[];
  @Field(() => Int, { description: 'Segment customers with a value beyond the top N.' }) restCount: number;
  @Field(() => Int) restBaseCount: number;
}

@ObjectType({ simpleResolvers: true, description: 'Customers reachable on a channel (subscribed, with an address).' })
export class ChannelReach {
  @Field(() => Channel) channel: Channel;
  @Field(() => Int) count: number;
  @Field(() => Float) share: number;
  @Field(() => Float) baseShare: number;
}

@ObjectType({ simpleResolvers: true, description: 'Engagement with messages (from customer metrics; zero until campaigns send).' })
export class EngagementRates {
  @Field(() => Int) received30d: number;
  @Field(() => Float, { nullable: true, description: 'Opened / received, last 30 days; null when nothing was received.' }) openRate30d: number | null;
  @Field(() => Float, { nullable: true, description: 'Clicked / received, last 30 days.' }) clickRate30d: number | null;
  @Field(() => Int) converted90d: number;
  @Field(() => Float, { nullable: true, description: 'Converted / received, last 90 days.' }) conversionRate90d: number | null;
}

@ObjectType({ simpleResolvers: true, description: 'What the segment is worth: for budgets per segment.' })
export class SegmentValue {
  @Field(() => Float, { description: 'Everything its customers spent (refunds excluded).' }) totalRevenue: number;
  @Field(() => Float, { description: 'totalRevenue / the base revenue.' }) revenueShare: number;
  @Field(() => Float, { description: 'Spent in the last 90 days.' }) revenueLast90d: number;
  @Field(() => Float, { nullable: true, description: 'Mean predicted 12-month CLV of its buyers.' }) meanClv: number | null;
  @Field(() => Float, { description: 'Sum of predicted 12-month CLV.' }) totalPredictedClv: number;
}

@ObjectType({ simpleResolvers: true, description: 'Who is in a segment, against the whole base: size, value metrics with lift, distributions, reachability, engagement, value.' })
export class SegmentProfile {
  @Field(() => Int) size: number;
  @Field(() => Int, { description: 'Customers in the base (erased excluded).' }) baseSize: number;
  @Field(() => Float) share: number;
  @Field(() => [MetricComparison]) metrics: MetricComparison[];
  @Field(() => SegmentValue) value: SegmentValue;
  @Field(() => [Distribution]) distributions: Distribution[];
  @Field(() => [ChannelReach]) reachability: ChannelReach[];
  @Field(() => EngagementRates) engagement: EngagementRates;
  @Field(() => EngagementRates) baseEngagement: EngagementRates;
  @Field(() => [String], { description: 'Sensitive fields the definition uses.' }) sensitiveFields: string[];
  @Field(() => Int) evaluationMs: number;
}
