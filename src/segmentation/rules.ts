/**
 * Segment definitions: a tree of and / or / not groups over conditions, stored as JSON with a
 * version, compiled to one SQL query (compile-segment.ts). The same shape is the GraphQL input.
 */

export const DEFINITION_VERSION = 1;

export type Operator =
  | 'EQ'
  | 'NEQ'
  | 'IN'
  | 'NOT_IN'
  | 'LT'
  | 'LTE'
  | 'GT'
  | 'GTE'
  | 'BETWEEN'
  | 'CONTAINS'
  | 'STARTS_WITH'
  | 'IS_SET'
  | 'IS_NOT_SET'
  | 'WITHIN_LAST'
  | 'MORE_THAN_AGO';

export const OPERATORS: readonly Operator[] = [
  'EQ',
  'NEQ',
  'IN',
  'NOT_IN',
  'LT',
  'LTE',
  'GT',
  'GTE',
  'BETWEEN',
  'CONTAINS',
  'STARTS_WITH',
  'IS_SET',
  'IS_NOT_SET',
  'WITHIN_LAST',
  'MORE_THAN_AGO',
];

export type PeriodUnit = 'HOURS' | 'DAYS' | 'WEEKS';
export interface Period {
  amount: number;
  unit: PeriodUnit;
}

/** Exactly one key is set (a GraphQL @oneOf input). */
export type Value =
  | { string: string }
  | { number: number }
  | { boolean: boolean }
  | { date: string }
  | { datetime: string }
  | { list: string[] }
  | { range: { from: number | string; to: number | string } }
  | { period: Period };

/** Filters of aggregate conditions (transactions, events, campaign responses): which rows count. */
export interface ConditionParams {
  category?: string;
  eventName?: string;
  within?: Period;
  between?: { from: string; to: string };
  properties?: { key: string; value: string }[];
  /** One campaign's messages and responses (a campaign id). */
  campaignId?: string;
  /** Messages sent, and responses to messages sent, on this channel. */
  channel?: 'EMAIL' | 'SMS';
  /** How many of the customer's most recent received messages (responses.ignored_last). */
  lastReceived?: number;
}

export interface Condition {
  field: string;
  operator: Operator;
  value?: Value;
  params?: ConditionParams;
}

/** Exactly one key is set (a GraphQL @oneOf input). */
export type SegmentNode = { and: SegmentNode[] } | { or: SegmentNode[] } | { not: SegmentNode } | { condition: Condition } | { segment: string };

export interface SegmentDefinition {
  version: number;
  root: SegmentNode;
}

/** Operators that take no value. */
export const VALUELESS: ReadonlySet<Operator> = new Set(['IS_SET', 'IS_NOT_SET']);

/** Milliseconds of a period (hours, days and weeks are fixed lengths: no calendar arithmetic). */
export function periodMs(p: Period): number {
  return p.amount * { HOURS: 3_600_000, DAYS: 86_400_000, WEEKS: 7 * 86_400_000 }[p.unit];
}
