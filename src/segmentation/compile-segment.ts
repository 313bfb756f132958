import { badInput } from '../errors.js';
import { operatorsOf, type FieldDef, type SqlContext } from './fields/field.js';
import type { FieldRegistry } from './fields/registry.js';
import { OPERATORS, VALUELESS, type Condition, type ConditionParams, type Operator, type Period, type SegmentNode, type Value } from './rules.js';
import { parseInstant, parseLocalDate } from '../ingestion/field-checks.js';

/** What a referenced segment (`{ segment: id }`) compiles to. */
export type SegmentReference = { kind: 'RULES'; root: SegmentNode } | { kind: 'LIST' } | null;

export interface CompileOptions {
  registry: FieldRegistry;
  now: Date;
  /** Looks up a saved segment by id (null when unknown). */
  resolveSegment: (id: string) => SegmentReference;
  /** Deepest nesting of groups accepted. */
  maxDepth: number;
  /** Most conditions accepted in one tree (segment references count their own). */
  maxConditions?: number;
  /** The id of the segment being compiled, so that a reference back to it is a cycle. */
  selfId?: string | null;
}

/** A segment as one parameterised SQL query: `SELECT ... ${from} WHERE ${where}`. */
export interface CompiledSegment {
  /** `FROM customers c` and the joins the conditions need. */
  from: string;
  /** The condition on `c` (erased customers excluded). */
  where: string;
  params: unknown[];
  /** Index in `params` of the keyset floor of member lists (null when there are none): see keysetParams. */
  keysetIndex: number | null;
  /** Sensitive fields the definition uses (gender, birth date, flagged attributes). */
  sensitiveFields: string[];
}

/** The parameters of a compiled segment for a keyset page after customer `after`. */
export function keysetParams(compiled: Pick<CompiledSegment, 'params' | 'keysetIndex'>, after: string | null): unknown[] {
  if (compiled.keysetIndex === null || after === null) return compiled.params;
  const params = [...compiled.params];
  params[compiled.keysetIndex] = after;
  return params;
}

const NODE_KEYS = ['and', 'or', 'not', 'condition', 'segment'] as const;
const VALUE_KEYS = ['string', 'number', 'boolean', 'date', 'datetime', 'list', 'range', 'period'] as const;
const MAX_LIST = 1000;
const MAX_PERIOD_DAYS = 36_500;
const CHANNELS = ['EMAIL', 'SMS'] as const;
/** "Ignored the last N": beyond 50 a sunset rule has long since applied, and each N is an index read per customer. */
const MAX_LAST_RECEIVED = 50;

/**
 * Compiles a definition into one query. Field names come only from the registry and operators from
 * a fixed list; every user value is a bound parameter; `now` too. Conditions are two-valued: a
 * customer with no value never matches a comparison, `NEQ` included, so that `NOT` means "does not
 * match". Bad input is a BAD_USER_INPUT naming the path of the node.
 */
export function compileSegment(root: unknown, options: CompileOptions, path = 'definition'): CompiledSegment {
  const { from, conditions, params, keysetIndex, sensitiveFields } = compileSegmentList([{ root, path }], options);
  return { from, where: `c.erased_at IS NULL AND ${conditions[0]}`, params, keysetIndex, sensitiveFields };
}

/** Several definitions over the same base, sharing joins and parameters: one query tests them all. */
export interface CompiledSegmentList {
  /** `FROM customers c` and the joins every condition needs. */
  from: string;
  /** One condition on `c` per definition, in order (erased customers are not excluded: the caller's WHERE does). */
  conditions: string[];
  /** The SQL value of each field asked for in `valueFields`, in order. */
  values: string[];
  params: unknown[];
  /** Index in `params` of the keyset floor of member lists (null when there are none): see keysetParams. */
  keysetIndex: number | null;
  sensitiveFields: string[];
  /**
   * The filtered joins in `from` (see below): each one's exact clause, table, alias, the condition
   * that selects its rows, and the columns the conditions read (plain `alias.column` only). A caller
   * may put in place of the clause anything that gives the same columns for every customer: NULLs
   * where the join brings no row.
   */
  filteredJoins: FilteredJoin[];
}

/** A LEFT JOIN that brings only the rows some comparison can tell apart from a missing row. */
export interface FilteredJoin {
  alias: string;
  table: string;
  /** The join condition, e.g. `m.customer_id = c.id`. */
  on: string;
  /** The clause as it stands in `from`. */
  clause: string;
  /** The rows it brings, a condition on `${alias}` (reads `params`). */
  where: string;
  columns: string[];
}

/**
 * Compiles definitions for one query that tells, per customer, which of them match (a segmentation's
 * `CASE WHEN s1 THEN 1 WHEN s2 THEN 2 ... END`). Each is checked and compiled as compileSegment would.
 */
export function compileSegmentList(
  roots: readonly { root: unknown; path: string }[],
  options: CompileOptions,
  valueFields: readonly { field: unknown; path: string; types: readonly FieldDef['type'][] }[] = [],
): CompiledSegmentList {
  const params: unknown[] = [];
  const joins = new Map<string, string>();
  /** Filterable joins, and the atoms (comparisons) that read them; null once a use cannot be reasoned about. */
  const filterable = new Map<string, { table: string; on: string; atoms: Set<string> | null; columns: Set<string> }>();
  /** Aliases joined while one field's SQL is built. */
  let joinedNow: Set<string> | null = null;
  const aggregates: string[] = [];
  const sensitive = new Set<string>();
  let conditionCount = 0;
  const maxConditions = options.maxConditions ?? 200;
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  // Bound only when a condition uses them: an unused parameter has no type PostgreSQL can infer.
  let nowParam: string | undefined;
  let todayParam: string | undefined;
  const ctx: SqlContext = {
    param,
    get now() {
      return (nowParam ??= param(options.now));
    },
    nowDate: options.now,
    get today() {
      return (todayParam ??= param(options.now.toISOString().slice(0, 10)));
    },
    join(alias, sql, filter) {
      if (!joins.has(alias)) {
        joins.set(alias, sql);
        if (filter) filterable.set(alias, { ...filter, atoms: new Set(), columns: new Set() });
      }
      joinedNow?.add(alias);
      return alias;
    },
  };

  const visiting = new Set<string>(options.selfId ? [options.selfId] : []);

  // Member lists are read from this customer id up: a keyset page sets it to its `after` (PostgreSQL
  // does not carry `c.id > after` across the join, and each page would rescan the list from its
  // start). 0 otherwise: every id is above it.
  let keysetIndex: number | null = null;
  const keysetFloor = () => {
    if (keysetIndex === null) {
      param('0');
      keysetIndex = params.length - 1;
    }
    return `$${keysetIndex + 1}::bigint`;
  };

  /**
   * `negated`: under an odd number of NOTs. Only there does a condition need `coalesce(..., false)`:
   * in a positive position a NULL excludes the customer exactly as false does (Kleene logic is
   * monotone there), and leaving it bare lets the planner turn LEFT JOINs into inner joins.
   */
  const node = (n: unknown, at: string, depth: number, negated: boolean): string => {
    if (depth > options.maxDepth) throw badInput(at, 'TOO_DEEP', `groups are nested deeper than ${options.maxDepth} levels`);
    if (typeof n !== 'object' || n === null || Array.isArray(n)) throw badInput(at, 'INVALID_NODE', 'a node must be an object with one of and, or, not, condition, segment');
    const keys = Object.keys(n).filter((k) => (n as Record<string, unknown>)[k] !== undefined && (n as Record<string, unknown>)[k] !== null);
    if (keys.length !== 1 || !(NODE_KEYS as readonly string[]).includes(keys[0]))
      throw badInput(at, 'INVALID_NODE', 'a node has exactly one of and, or, not, condition, segment');
    const key = keys[0] as (typeof NODE_KEYS)[number];
    const v = (n as Record<string, unknown>)[key];
    switch (key) {
      case 'and':
      case 'or': {
        if (!Array.isArray(v) || v.length === 0) throw badInput(`${at}.${key}`, 'EMPTY_GROUP', `${key} needs at least one node`);
        const parts = v.map((child, i) => node(child, `${at}.${key}[${i}]`, depth + 1, negated));
        return parts.length === 1 ? parts[0] : `(${parts.join(key === 'and' ? ' AND ' : ' OR ')})`;
      }
      case 'not':
        return `(NOT ${node(v, `${at}.not`, depth + 1, !negated)})`;
      case 'condition':
        if (++conditionCount > maxConditions) throw badInput(`${at}.condition`, 'TOO_MANY_CONDITIONS', `at most ${maxConditions} conditions in a segment`);
        return condition(v, `${at}.condition`, negated);
      case 'segment': {
        if (typeof v !== 'string' || !/^\d{1,18}$/.test(v)) throw badInput(`${at}.segment`, 'INVALID_ID', 'segment must be a segment id');
        if (visiting.has(v)) throw badInput(`${at}.segment`, 'CYCLE', `segment ${v} refers back to itself`);
        const ref = options.resolveSegment(v);
        if (!ref) throw badInput(`${at}.segment`, 'UNKNOWN_SEGMENT', `no segment ${v}`);
        if (ref.kind === 'LIST')
          return `(c.id IN (SELECT sm.customer_id FROM segment_members sm WHERE sm.segment_id = ${ctx.param(v)} AND sm.customer_id > ${keysetFloor()}))`;
        visiting.add(v);
        const inner = node(ref.root, `${at}.segment(${v})`, depth + 1, negated);
        visiting.delete(v);
        return inner;
      }
    }
  };

  const condition = (raw: unknown, at: string, negated: boolean): string => {
    if (typeof raw !== 'object' || raw === null) throw badInput(at, 'INVALID_CONDITION', 'a condition is { field, operator, value, params }');
    const c = raw as Condition;
    const field = typeof c.field === 'string' ? options.registry.get(c.field) : undefined;
    if (!field) throw badInput(`${at}.field`, 'UNKNOWN_FIELD', `unknown field "${String(c.field)}": see segmentFields`);
    if (!(OPERATORS as readonly string[]).includes(c.operator) || !operatorsOf(field).includes(c.operator))
      throw badInput(`${at}.operator`, 'OPERATOR_NOT_ALLOWED', `${String(c.operator)} does not apply to ${field.key} (${operatorsOf(field).join(', ')})`);
    checkParams(field, c.params, `${at}.params`);
    if (field.sensitive) sensitive.add(field.key);
    if (field.aggregate) return aggregateCondition(field, c, `${at}.value`, negated);
    const { value: x, aliases } = withJoins(() => field.sql(ctx, c));
    const test = compare(field, c.operator, x, c.value, `${at}.value`);
    noteAtom(aliases, x, test);
    return negated ? `coalesce(${test}, false)` : `(${test})`;
  };

  /** Runs `build` (a field's SQL) and returns the aliases it joined. */
  const withJoins = <T>(build: () => T): { value: T; aliases: Set<string> } => {
    const outer = joinedNow;
    joinedNow = new Set();
    try {
      const value = build();
      return { value, aliases: joinedNow };
    } finally {
      joinedNow = outer;
    }
  };

  /**
   * Records a comparison on a filterable join's column. A field that reads such a join through
   * anything but one plain column of it makes the join unfilterable.
   */
  const noteAtom = (aliases: Set<string>, x: string, test: string | null) => {
    for (const alias of aliases) {
      const f = filterable.get(alias);
      if (!f || !f.atoms) continue;
      const column = new RegExp(`^${alias}\\.([a-z_][a-z0-9_]*)$`).exec(x);
      if (test !== null && aliases.size === 1 && column) {
        f.atoms.add(test);
        f.columns.add(column[1]);
      } else f.atoms = null;
    }
  };

  /**
   * Aggregates (counts, sums) are 0 for customers without rows. When 0 cannot satisfy the comparison
   * (at least 3 events, spent more than 100), the condition is a semi-join on the few customers with
   * rows (the planner starts from the aggregate); otherwise (fewer than 3, exactly 0) the aggregate
   * is LEFT JOINed and missing counts read as 0.
   */
  const aggregateCondition = (field: FieldDef, c: Condition, at: string, negated: boolean): string => {
    const sub = field.sql(ctx, c);
    if (!zeroSatisfies(c.operator, c.value)) return `(c.id IN (SELECT s.customer_id FROM (${sub}) s WHERE ${compare(field, c.operator, 's.v', c.value, at)}))`;
    const alias = `a${aggregates.length + 1}`;
    aggregates.push(`LEFT JOIN (${sub}) ${alias} ON ${alias}.customer_id = c.id`);
    const test = compare(field, c.operator, `coalesce(${alias}.v, 0)`, c.value, at);
    return negated ? `coalesce(${test}, false)` : `(${test})`;
  };

  const compare = (field: FieldDef, op: Operator, x: string, value: Value | undefined, at: string): string => {
    if (VALUELESS.has(op)) {
      if (value != null) throw badInput(at, 'UNEXPECTED_VALUE', `${op} takes no value`);
      const set = field.type === 'LIST' ? (field.listRepr === 'jsonb' ? `jsonb_array_length(${x}) > 0` : `cardinality(${x}) > 0`) : `${x} IS NOT NULL`;
      return op === 'IS_SET' ? set : `NOT coalesce(${set}, false)`;
    }
    const kind = valueKind(value, at);
    const want = expectedKind(field, op);
    if (kind !== want) throw badInput(at, 'INVALID_VALUE_TYPE', `${field.key} ${op} takes a ${want} value, got ${kind}`);
    const v = value as Record<string, unknown>;
    const typed = (raw: unknown, sub = at) => typedParam(field, raw, sub);
    const custom = field.aggregate ? undefined : field.compare?.(ctx, op, value as Value);
    if (custom) return custom;
    switch (op) {
      case 'EQ':
        return `${x} = ${typed(Object.values(v)[0])}`;
      case 'NEQ':
        return `${x} <> ${typed(Object.values(v)[0])}`;
      case 'LT':
        return `${x} < ${typed(Object.values(v)[0])}`;
      case 'LTE':
        return `${x} <= ${typed(Object.values(v)[0])}`;
      case 'GT':
        return `${x} > ${typed(Object.values(v)[0])}`;
      case 'GTE':
        return `${x} >= ${typed(Object.values(v)[0])}`;
      case 'BETWEEN': {
        const r = v.range as { from: unknown; to: unknown };
        const from = typed(r.from, `${at}.range.from`);
        const to = typed(r.to, `${at}.range.to`);
        return `${x} BETWEEN ${from} AND ${to}`;
      }
      case 'IN':
      case 'NOT_IN': {
        const list = checkList(field, v.list, `${at}.list`);
        if (field.type === 'LIST')
          return field.listRepr === 'jsonb' ? `${x} ?| ${ctx.param(list)}::text[]` : `${x} && ${ctx.param(list)}::text[]`;
        const any = `${x} = ANY (${ctx.param(field.type === 'NUMBER' ? list.map(Number) : list)}::${field.type === 'NUMBER' ? 'numeric' : 'text'}[])`;
        return op === 'IN' ? any : `NOT (${any})`;
      }
      case 'CONTAINS': {
        const s = checkString(v.string, `${at}.string`);
        if (field.type === 'LIST') return field.listRepr === 'jsonb' ? `${x} ? ${ctx.param(s)}` : `${ctx.param(s)} = ANY (${x})`;
        return `strpos(lower(${x}), lower(${ctx.param(s)})) > 0`;
      }
      case 'STARTS_WITH':
        return `starts_with(lower(${x}), lower(${ctx.param(checkString(v.string, `${at}.string`))}))`;
      case 'WITHIN_LAST':
      case 'MORE_THAN_AGO': {
        const p = checkPeriod(v.period, `${at}.period`);
        const bound = ctx.param(new Date(options.now.getTime() - periodMsOf(p)));
        return op === 'WITHIN_LAST' ? `(${x} > ${bound}::timestamptz AND ${x} <= ${ctx.now}::timestamptz)` : `${x} <= ${bound}::timestamptz`;
      }
      default:
        throw badInput(at, 'OPERATOR_NOT_ALLOWED', `${op} is not supported`);
    }
  };

  /** A comparison value as a bound, typed parameter. */
  const typedParam = (field: FieldDef, raw: unknown, at: string): string => {
    switch (field.type) {
      case 'NUMBER':
        if (typeof raw !== 'number' || !Number.isFinite(raw)) throw badInput(at, 'INVALID_VALUE_TYPE', 'a number is expected');
        return `${ctx.param(raw)}::numeric`;
      case 'BOOLEAN':
        if (typeof raw !== 'boolean') throw badInput(at, 'INVALID_VALUE_TYPE', 'true or false is expected');
        return `${ctx.param(raw)}::boolean`;
      case 'DATE': {
        const d = typeof raw === 'string' ? parseLocalDate(raw) : undefined;
        if (!d) throw badInput(at, 'INVALID_DATE', 'a date written YYYY-MM-DD is expected');
        return `${ctx.param(d)}::date`;
      }
      case 'DATETIME': {
        const d = typeof raw === 'string' ? parseInstant(raw) : undefined;
        if (!d) throw badInput(at, 'INVALID_DATETIME', 'an ISO 8601 date-time with an offset is expected');
        return `${ctx.param(d)}::timestamptz`;
      }
      default: {
        const s = checkString(raw, at);
        if (field.values && !field.values.includes(s)) throw badInput(at, 'NOT_ALLOWED', `${field.key} takes one of ${field.values.join(', ')}`);
        return `${ctx.param(s)}::text`;
      }
    }
  };

  const checkList = (field: FieldDef, raw: unknown, at: string): string[] => {
    if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_LIST) throw badInput(at, 'INVALID_LIST', `a list of 1 to ${MAX_LIST} values is expected`);
    return raw.map((item, i) => {
      if (field.type === 'NUMBER') {
        const n = typeof item === 'string' ? Number(item) : NaN;
        if (!Number.isFinite(n)) throw badInput(`${at}[${i}]`, 'INVALID_VALUE_TYPE', 'numbers are expected');
        return item as string;
      }
      const s = checkString(item, `${at}[${i}]`);
      if (field.values && field.type !== 'LIST' && !field.values.includes(s)) throw badInput(`${at}[${i}]`, 'NOT_ALLOWED', `${field.key} takes one of ${field.values.join(', ')}`);
      return s;
    });
  };

  const conditions = roots.map(({ root, path }) => {
    conditionCount = 0;
    return node(root, path, 1, false);
  });
  // Per-customer values (clustering features): plain fields only, aggregates need a condition's filters.
  const values = valueFields.map(({ field: key, path, types }) => {
    const field = typeof key === 'string' ? options.registry.get(key) : undefined;
    if (!field) throw badInput(path, 'UNKNOWN_FIELD', `unknown field "${String(key)}": see segmentFields`);
    if (field.aggregate || !types.includes(field.type)) throw badInput(path, 'INVALID_FIELD_TYPE', `${field.key} is not a per-customer ${types.join(' or ')} field`);
    if (field.sensitive) sensitive.add(field.key);
    const { value: x, aliases } = withJoins(() => field.sql(ctx, { field: field.key, operator: 'IS_SET' }));
    noteAtom(aliases, x, null);
    return x;
  });
  // A filterable join brings only the rows on which some comparison differs from its value on a
  // missing row (all columns NULL). Every other row behaves exactly as a missing one: each condition
  // reads the join only through these comparisons, and is two-valued (a NULL comparison excludes as
  // false does in a positive position, and is coalesced to false under NOT). So the hash PostgreSQL
  // builds holds the rows that matter (at-risk and lost customers, not the whole metrics table), and
  // audiences can read those rows from a map by id instead (mapFilteredJoins, campaigns/id-maps.ts).
  const filteredJoins: FilteredJoin[] = [];
  for (const [alias, f] of filterable) {
    if (!f.atoms || f.atoms.size === 0) continue;
    const differs = [...f.atoms].map(
      (atom) => `coalesce(${atom}, false) <> (SELECT coalesce(${atom}, false) FROM (SELECT (NULL::${f.table}).*) ${alias})`,
    );
    const where = differs.join(' OR ');
    const clause = `LEFT JOIN (SELECT * FROM ${f.table} ${alias} WHERE ${where}) ${alias} ON ${f.on}`;
    joins.set(alias, clause);
    filteredJoins.push({ alias, table: f.table, on: f.on, clause, where, columns: [...f.columns].sort() });
  }
  const from = ['FROM customers c', ...joins.values(), ...aggregates].join('\n');
  return { from, conditions, values, params, keysetIndex, sensitiveFields: [...sensitive].sort(), filteredJoins };
}

/** Whether an aggregate of 0 passes the comparison (a customer with no rows). */
function zeroSatisfies(op: Operator, value: Value | undefined): boolean {
  const v = value as Record<string, unknown> | undefined;
  const n = typeof v?.number === 'number' ? v.number : NaN;
  switch (op) {
    case 'EQ':
      return n === 0;
    case 'NEQ':
      return n !== 0;
    case 'LT':
      return 0 < n;
    case 'LTE':
      return 0 <= n;
    case 'GT':
      return 0 > n;
    case 'GTE':
      return 0 >= n;
    case 'BETWEEN': {
      const r = v?.range as { from?: unknown; to?: unknown } | undefined;
      return Number(r?.from) <= 0 && 0 <= Number(r?.to);
    }
    default:
      return true;
  }
}

function checkString(raw: unknown, at: string): string {
  if (typeof raw !== 'string' || raw.length > 500) throw badInput(at, 'INVALID_VALUE_TYPE', 'a string of at most 500 characters is expected');
  return raw;
}

function checkPeriod(raw: unknown, at: string): Period {
  const p = raw as Period;
  const days = p && typeof p.amount === 'number' ? periodMsOf(p) / 86_400_000 : NaN;
  if (!p || !Number.isInteger(p.amount) || p.amount <= 0 || !['HOURS', 'DAYS', 'WEEKS'].includes(p.unit) || !(days <= MAX_PERIOD_DAYS))
    throw badInput(at, 'INVALID_PERIOD', `a period is { amount: a positive whole number, unit: HOURS, DAYS or WEEKS }, at most ${MAX_PERIOD_DAYS} days`);
  return p;
}

function periodMsOf(p: Period): number {
  return p.amount * ({ HOURS: 3_600_000, DAYS: 86_400_000, WEEKS: 7 * 86_400_000 } as const)[p.unit];
}

function checkParams(field: FieldDef, params: ConditionParams | undefined, at: string): void {
  const given = Object.entries(params ?? {}).filter(([, v]) => v !== undefined && v !== null);
  for (const [k] of given) if (!field.params?.includes(k as never)) throw badInput(`${at}.${k}`, 'UNEXPECTED_PARAM', `${field.key} takes no ${k}`);
  for (const r of field.requiredParams ?? []) if (!given.some(([k]) => k === r)) throw badInput(`${at}.${r}`, 'REQUIRED', `${field.key} needs ${r}`);
  if (params?.within && params?.between) throw badInput(`${at}.between`, 'CONFLICT', 'give within or between, not both');
  if (params?.within) checkPeriod(params.within, `${at}.within`);
  if (params?.between) {
    const from = parseInstant(params.between.from ?? '');
    const to = parseInstant(params.between.to ?? '');
    if (!from) throw badInput(`${at}.between.from`, 'INVALID_DATETIME', 'an ISO 8601 date-time with an offset is expected');
    if (!to || to <= from) throw badInput(`${at}.between.to`, 'INVALID_DATETIME', 'a date-time after from is expected');
  }
  if (params?.eventName !== undefined && (typeof params.eventName !== 'string' || !/^[a-z][a-z0-9_.:-]{0,99}$/.test(params.eventName)))
    throw badInput(`${at}.eventName`, 'INVALID_EVENT_NAME', 'an event name is snake_case');
  if (params?.category !== undefined) checkString(params.category, `${at}.category`);
  // A well-formed id of a campaign that does not exist (or was deleted with its ledger) is accepted
  // and matches no message: saved segments keep compiling after a campaign is deleted.
  if (params?.campaignId !== undefined && (typeof params.campaignId !== 'string' || !/^[1-9]\d{0,17}$/.test(params.campaignId)))
    throw badInput(`${at}.campaignId`, 'INVALID_ID', 'campaignId must be a campaign id');
  if (params?.channel !== undefined && !(CHANNELS as readonly unknown[]).includes(params.channel))
    throw badInput(`${at}.channel`, 'NOT_ALLOWED', `channel is one of ${CHANNELS.join(', ')}`);
  if (params?.lastReceived !== undefined && (!Number.isInteger(params.lastReceived) || params.lastReceived < 1 || params.lastReceived > MAX_LAST_RECEIVED))
    throw badInput(`${at}.lastReceived`, 'OUT_OF_RANGE', `lastReceived is a whole number from 1 to ${MAX_LAST_RECEIVED}`);
  (params?.properties ?? []).forEach((p, i) => {
    checkString(p?.key, `${at}.properties[${i}].key`);
    checkString(p?.value, `${at}.properties[${i}].value`);
  });
}

type ValueKind = 'string' | 'number' | 'boolean' | 'date' | 'datetime' | 'list' | 'range' | 'period' | 'none';

function valueKind(v: Value | undefined, at: string): ValueKind {
  if (v == null) return 'none';
  if (typeof v !== 'object') throw badInput(at, 'INVALID_VALUE', 'a value is an object with exactly one of string, number, boolean, date, datetime, list, range, period');
  const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined && (v as Record<string, unknown>)[k] !== null);
  if (keys.length !== 1 || !(VALUE_KEYS as readonly string[]).includes(keys[0]))
    throw badInput(at, 'INVALID_VALUE', 'a value has exactly one of string, number, boolean, date, datetime, list, range, period');
  return keys[0] as ValueKind;
}

/** The value kind an operator takes on a field of a given type. */
export function expectedKind(field: FieldDef, op: Operator): ValueKind {
  if (op === 'IN' || op === 'NOT_IN') return 'list';
  if (op === 'BETWEEN') return 'range';
  if (op === 'WITHIN_LAST' || op === 'MORE_THAN_AGO') return 'period';
  if (op === 'CONTAINS' || op === 'STARTS_WITH') return 'string';
  switch (field.type) {
    case 'NUMBER':
      return 'number';
    case 'BOOLEAN':
      return 'boolean';
    case 'DATE':
      return 'date';
    case 'DATETIME':
      return 'datetime';
    default:
      return 'string';
  }
}
