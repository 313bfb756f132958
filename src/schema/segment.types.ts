import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Customer } from './customer.entity.js';
import { Channel } from './enums.js';
import { PageInfo } from './page.type.js';

export enum SegmentOperator {
  EQ = 'EQ',
  NEQ = 'NEQ',
  IN = 'IN',
  NOT_IN = 'NOT_IN',
  LT = 'LT',
  LTE = 'LTE',
  GT = 'GT',
  GTE = 'GTE',
  BETWEEN = 'BETWEEN',
  CONTAINS = 'CONTAINS',
  STARTS_WITH = 'STARTS_WITH',
  IS_SET = 'IS_SET',
  IS_NOT_SET = 'IS_NOT_SET',
  WITHIN_LAST = 'WITHIN_LAST',
  MORE_THAN_AGO = 'MORE_THAN_AGO',
}
export enum PeriodUnit {
  HOURS = 'HOURS',
  DAYS = 'DAYS',
  WEEKS = 'WEEKS',
}
export enum SegmentKind {
  DYNAMIC = 'DYNAMIC',
  STATIC = 'STATIC',
  COMPUTED = 'COMPUTED',
}
export enum SegmentFieldType {
  STRING = 'STRING',
  ENUM = 'ENUM',
  NUMBER = 'NUMBER',
  BOOLEAN = 'BOOLEAN',
  DATE = 'DATE',
  DATETIME = 'DATETIME',
  LIST = 'LIST',
}

registerEnumType(SegmentOperator, {
  name: 'SegmentOperator',
  description: 'Comparison of a condition. Which ones a field accepts: segmentFields. A customer with no value never matches a comparison (NEQ included); use IS_NOT_SET.',
  valuesConfig: {
    WITHIN_LAST: { description: 'now − period < value ≤ now.' },
    MORE_THAN_AGO: { description: 'value ≤ now − period.' },
    BETWEEN: { description: 'from ≤ value ≤ to.' },
    CONTAINS: { description: 'Text: contains, case-insensitive. List: has the element.' },
    IN: { description: 'One of the listed values (for a list field: shares an element with them).' },
  },
});
registerEnumType(PeriodUnit, { name: 'PeriodUnit', description: 'Fixed-length units (no calendar months).' });
registerEnumType(SegmentKind, {
  name: 'SegmentKind',
  description: 'DYNAMIC: rules evaluated when used. STATIC: an uploaded list. COMPUTED: produced by clustering.',
});
registerEnumType(SegmentFieldType, { name: 'SegmentFieldType' });

@InputType({ description: 'A period: "the last 30 days".' })
export class PeriodInput {
  @Field(() => Int) amount: number;
  @Field(() => PeriodUnit) unit: PeriodUnit;
}

@InputType({ description: 'Inclusive range of numbers.' })
export class NumberRangeInput {
  @Field(() => Float) from: number;
  @Field(() => Float) to: number;
}

@InputType({ description: 'Range of dates (YYYY-MM-DD) or date-times (ISO 8601 with offset). For `between` filters: [from, to).' })
export class DateRangeInput {
  @Field() from: string;
  @Field() to: string;
}

@InputType({ description: 'The value of a condition: exactly one of these (@oneOf), as the operator and field type require.' })
export class ValueInput {
  @Field(() => String, { nullable: true }) string?: string | null;
  @Field(() => Float, { nullable: true }) number?: number | null;
  @Field(() => Boolean, { nullable: true }) boolean?: boolean | null;
  @Field(() => String, { nullable: true, description: 'YYYY-MM-DD.' }) date?: string | null;
  @Field(() => String, { nullable: true, description: 'ISO 8601 with offset.' }) datetime?: string | null;
  @Field(() => [String], { nullable: true, description: 'For IN / NOT_IN.' }) list?: string[] | null;
  @Field(() => NumberRangeInput, { nullable: true, description: 'For BETWEEN on numbers.' }) range?: NumberRangeInput | null;
  @Field(() => DateRangeInput, { nullable: true, description: 'For BETWEEN on dates and date-times.' }) dateRange?: DateRangeInput | null;
  @Field(() => PeriodInput, { nullable: true, description: 'For WITHIN_LAST / MORE_THAN_AGO.' }) period?: PeriodInput | null;
}

@InputType({ description: 'An event property equality.' })
export class PropertyFilterInput {
  @Field() key: string;
  @Field() value: string;
}

@InputType({ description: 'Filters of aggregate fields (transactions.*, events.count, responses.*): which rows count. Which ones a field takes: segmentFields.' })
export class ConditionParamsInput {
  @Field(() => String, { nullable: true }) category?: string | null;
  @Field(() => String, { nullable: true, description: 'Required by events.count.' }) eventName?: string | null;
  @Field(() => PeriodInput, { nullable: true, description: 'Rows in (now − period, now].' }) within?: PeriodInput | null;
  @Field(() => DateRangeInput, { nullable: true, description: 'Rows in [from, to) (date-times).' }) between?: DateRangeInput | null;
  @Field(() => [PropertyFilterInput], { nullable: true }) properties?: PropertyFilterInput[] | null;
  @Field(() => ID, { nullable: true, description: 'responses.*: only this campaign (an unknown campaign matches no message).' }) campaignId?: string | null;
  @Field(() => Channel, { nullable: true, description: 'responses.*: only messages sent on this channel.' }) channel?: Channel | null;
  @Field(() => Int, { nullable: true, description: 'Required by responses.ignored_last: how many of the most recent received messages (1–50).' })
  lastReceived?: number | null;
}

@InputType({ description: 'A condition on one field (see segmentFields).' })
export class ConditionInput {
  @Field({ description: 'A field key from segmentFields, e.g. metrics.rfm_group or attributes.pets_at_home.' }) field: string;
  @Field(() => SegmentOperator) operator: SegmentOperator;
  @Field(() => ValueInput, { nullable: true, description: 'Absent for IS_SET / IS_NOT_SET.' }) value?: ValueInput | null;
  @Field(() => ConditionParamsInput, { nullable: true }) params?: ConditionParamsInput | null;
}

@InputType({ description: 'A node of a segment definition: exactly one of and, or, not, condition, segment (@oneOf).' })
export class SegmentNodeInput {
  @Field(() => [SegmentNodeInput], { nullable: true }) and?: SegmentNodeInput[] | null;
  @Field(() => [SegmentNodeInput], { nullable: true }) or?: SegmentNodeInput[] | null;
  @Field(() => SegmentNodeInput, { nullable: true }) not?: SegmentNodeInput | null;
  @Field(() => ConditionInput, { nullable: true }) condition?: ConditionInput | null;
  @Field(() => ID, { nullable: true, description: 'Membership of another saved segment.' }) segment?: string | null;
}

@InputType({ description: 'Customers of a static segment, by internal and/or external ids.' })
export class SegmentMembersInput {
  @Field(() => [ID], { nullable: true }) ids?: string[] | null;
  @Field(() => [String], { nullable: true }) externalIds?: string[] | null;
}

@InputType({ description: 'A new segment: a definition (dynamic) or members (static).' })
export class CreateSegmentInput {
  @Field() name: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => SegmentNodeInput, { nullable: true }) definition?: SegmentNodeInput | null;
  @Field(() => SegmentMembersInput, { nullable: true }) members?: SegmentMembersInput | null;
}

@InputType({ description: 'Changes to a segment; omitted fields stay as they are.' })
export class UpdateSegmentInput {
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => SegmentNodeInput, { nullable: true }) definition?: SegmentNodeInput | null;
  @Field(() => SegmentMembersInput, { nullable: true }) members?: SegmentMembersInput | null;
}

@ObjectType({ simpleResolvers: true, description: 'A field segment rules may use, with what a rule editor needs to offer it.' })
export class SegmentField {
  @Field() key: string;
  @Field({ description: 'customer, attribute, metrics, transactions, events, consent or responses.' }) family: string;
  @Field(() => SegmentFieldType) type: SegmentFieldType;
  @Field(() => [SegmentOperator]) operators: SegmentOperator[];
  @Field(() => [String], { nullable: true, description: 'Closed list of values, when there is one.' }) values: string[] | null;
  @Field() description: string;
  @Field({ description: 'Gender, birth date, sensitive attributes: segments using them are flagged.' }) sensitive: boolean;
  @Field({ description: 'A count or sum: 0 when nothing matches, never "not set".' }) aggregate: boolean;
  @Field(() => [String], { description: 'Filters it accepts (category, eventName, within, between, properties, campaignId, channel, lastReceived).' }) params: string[];
  @Field(() => [String]) requiredParams: string[];
}

@ObjectType({ simpleResolvers: true, description: 'One feature of a cluster centre.' })
export class CentroidCoordinate {
  @Field({ description: 'The feature (a segmentFields key).' }) field: string;
  @Field(() => Float, { description: 'In the feature\'s own units (for LOG1P features, the back-transformed centre: near a geometric mean).' }) value: number;
  @Field(() => Float, { description: 'Standard deviations from the sample mean, after the transform: what the clustering compared.' }) zScore: number;
}

@ObjectType({ simpleResolvers: true, description: 'A saved segment.' })
export class Segment {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field() description: string;
  @Field(() => SegmentKind) kind: SegmentKind;
  @Field(() => GraphQLJSONObject, { nullable: true, description: 'The rule tree as stored ({ version, root }), for DYNAMIC segments.' })
  definition: Record<string, unknown> | null;
  @Field(() => [String], { description: 'Sensitive fields the rules use (empty when none).' }) usesSensitiveFields: string[];
  @Field({ description: 'Part of a built-in segmentation (lifecycle, RFM groups, value tiers): read-only.' }) builtIn: boolean;
  @Field(() => Date, { nullable: true, description: 'When `size` was last computed.' }) lastEvaluatedAt: Date | null;
  @Field(() => Int, { nullable: true }) evaluationMs: number | null;
  @Field(() => [CentroidCoordinate], { nullable: true, description: 'COMPUTED segments: the centre of the cluster, per feature.' })
  centroid: CentroidCoordinate[] | null;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
}

@ObjectType({ simpleResolvers: true, description: 'A page of segments in id order.' })
export class SegmentConnection {
  @Field(() => [Segment]) nodes: Segment[];
  @Field(() => PageInfo) pageInfo: PageInfo;
}

@ObjectType({ simpleResolvers: true, description: 'What a definition selects right now, before saving or sending.' })
export class SegmentPreview {
  @Field(() => Int) count: number;
  @Field(() => Float, { description: 'count / customers in the base (erased excluded).' }) share: number;
  @Field(() => [Customer], { description: 'A few members, in id order.' }) sample: Customer[];
  @Field(() => Int) evaluationMs: number;
  @Field({ description: 'True below SEGMENT_NARROW_THRESHOLD: a campaign at it needs an explicit acknowledgement.' }) narrow: boolean;
  @Field(() => String, { nullable: true }) warning: string | null;
  @Field(() => [String]) sensitiveFields: string[];
}

@ObjectType({ simpleResolvers: true, description: 'A saved segment and, for a static one, how many listed customers were stored.' })
export class SegmentPayload {
  @Field(() => Segment) segment: Segment;
  @Field(() => Int, { nullable: true, description: 'Static segments: how many of the listed customers were found and stored.' }) storedMembers: number | null;
}
