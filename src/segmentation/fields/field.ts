import { periodMs, type Condition, type ConditionParams, type Operator, type Value } from '../rules.js';

export type FieldType = 'STRING' | 'ENUM' | 'NUMBER' | 'BOOLEAN' | 'DATE' | 'DATETIME' | 'LIST';

/** The operators each type accepts (the rule editor's menu). */
export const OPERATORS_BY_TYPE: Readonly<Record<FieldType, readonly Operator[]>> = {
  STRING: ['EQ', 'NEQ', 'IN', 'NOT_IN', 'CONTAINS', 'STARTS_WITH', 'IS_SET', 'IS_NOT_SET'],
  ENUM: ['EQ', 'NEQ', 'IN', 'NOT_IN', 'IS_SET', 'IS_NOT_SET'],
  NUMBER: ['EQ', 'NEQ', 'LT', 'LTE', 'GT', 'GTE', 'BETWEEN', 'IS_SET', 'IS_NOT_SET'],
  BOOLEAN: ['EQ', 'IS_SET', 'IS_NOT_SET'],
  DATE: ['EQ', 'LT', 'LTE', 'GT', 'GTE', 'BETWEEN', 'IS_SET', 'IS_NOT_SET'],
  DATETIME: ['LT', 'LTE', 'GT', 'GTE', 'BETWEEN', 'WITHIN_LAST', 'MORE_THAN_AGO', 'IS_SET', 'IS_NOT_SET'],
  LIST: ['CONTAINS', 'IN', 'IS_SET', 'IS_NOT_SET'],
};

/** Aggregates (counts, sums) are never "not set": a customer without rows has 0. */
export const AGGREGATE_OPERATORS: readonly Operator[] = ['EQ', 'NEQ', 'LT', 'LTE', 'GT', 'GTE', 'BETWEEN'];

export type ParamName = 'category' | 'eventName' | 'within' | 'between' | 'properties' | 'campaignId' | 'channel' | 'lastReceived';

/** What a field's SQL may ask of the query being built. */
export interface SqlContext {
  /** Adds a bound parameter; returns its placeholder (`$3`). User values only ever go through this. */
  param(value: unknown): string;
  /** The instant the segment is evaluated at (a parameter placeholder), and its value. */
  readonly now: string;
  readonly nowDate: Date;
  /** Today's date in UTC (a parameter), for date-only fields. */
  readonly today: string;
  /**
   * Joins `sql` (which must define `alias`) once per query; returns the alias. `filterable` says the
   * join is `LEFT JOIN <table> <alias> ON <on>` with at most one row per customer: the compiler may
   * then join only the rows some condition can tell apart from a missing row (compile-segment.ts).
   */
  join(alias: string, sql: string, filterable?: { table: string; on: string }): string;
}

/** One field a segment rule may test. Adding a family of fields is adding one file of these. */
export interface FieldDef {
  key: string;
  family: 'customer' | 'attribute' | 'metrics' | 'transactions' | 'events' | 'consent' | 'responses';
  type: FieldType;
  description: string;
  /** Closed set of values (ENUM, or a STRING attribute with allowed values). */
  values?: readonly string[];
  /** Flagged wherever a segment uses it (gender, birth date, sensitive attributes). */
  sensitive: boolean;
  /** Aggregate fields (0 when nothing matches, never "not set"). */
  aggregate?: boolean;
  /** Filters an aggregate condition accepts, and those it requires. */
  params?: readonly ParamName[];
  requiredParams?: readonly ParamName[];
  /** Operators accepted; defaults to OPERATORS_BY_TYPE[type]. */
  operators?: readonly Operator[];
  /** How a LIST is stored: a text[] column (default) or a JSON array (attributes). */
  listRepr?: 'array' | 'jsonb';
  /**
   * The SQL expression of the field's value for customer `c`; for an aggregate, a subquery
   * `SELECT customer_id, <aggregate> AS v ... GROUP BY customer_id` (the compiler joins it).
   */
  sql(ctx: SqlContext, condition: Condition): string;
  /**
   * An index-friendly form of a comparison (same truth value, NULL when the field is NULL), or
   * undefined for the generic `sql(...) <op> value`. Called once the value has been checked.
   */
  compare?(ctx: SqlContext, op: Operator, value: Value): string | undefined;
}

export function operatorsOf(f: FieldDef): readonly Operator[] {
  return f.operators ?? (f.aggregate ? AGGREGATE_OPERATORS : OPERATORS_BY_TYPE[f.type]);
}

/**
 * The time filter of an aggregate's rows: `within` = (now − period, now]; `between` = [from, to);
 * neither = everything up to now (rows after `now` never count, so a past `now` is a true as-of).
 */
export function windowFilter(ctx: SqlContext, column: string, p: ConditionParams | undefined): string {
  if (p?.within) {
    const bound = ctx.param(new Date(ctx.nowDate.getTime() - periodMs(p.within)));
    return ` AND ${column} > ${bound}::timestamptz AND ${column} <= ${ctx.now}::timestamptz`;
  }
  if (p?.between) return ` AND ${column} >= ${ctx.param(p.between.from)}::timestamptz AND ${column} < ${ctx.param(p.between.to)}::timestamptz`;
  return ` AND ${column} <= ${ctx.now}::timestamptz`;
}
