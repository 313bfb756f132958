import type { CopyValue } from '../db/copy.js';
import { checkExternalId, type FieldProblem } from './customer-row.js';
import { cleanText, isStorableJson, normaliseCurrency, parseInstant } from './field-checks.js';

/**
 * Transactions and events are facts: each write gives the whole record (an omitted optional field is
 * empty), keyed by its own `externalId` and attached to a customer by `customerExternalId`.
 */
export interface FactRow {
  index: number;
  externalId: string;
  customerExternalId: string;
  /** Values in the order of the kind's `columns`. */
  values: CopyValue[];
}

/** Facts dated further in the future than this are refused (clock skew allowance). */
const FUTURE_SKEW_MS = 24 * 3600_000;
const MAX_AMOUNT = 999_999_999_999.99;
const MAX_PROPERTIES_BYTES = 16_384;
const EVENT_NAME_RE = /^[a-z][a-z0-9_.:-]{0,99}$/;

const problem = (field: string, code: string, reason: string): FieldProblem => ({ field, code, reason });

function optionalText(input: Record<string, unknown>, field: string, max: number, problems: FieldProblem[]): string | null {
  const v = input[field];
  if (v === undefined || v === null) return null;
  const t = typeof v === 'string' ? cleanText(v, max) : undefined;
  if (t === undefined) problems.push(problem(field, 'INVALID_TEXT', `${field} must be a string of at most ${max} characters`));
  return t ?? null;
}

function requiredInstant(input: Record<string, unknown>, field: string, now: Date, problems: FieldProblem[]): Date | null {
  const v = input[field];
  if (v === undefined || v === null || v === '') {
    problems.push(problem(field, 'REQUIRED', `${field} is required`));
    return null;
  }
  const d = typeof v === 'string' || v instanceof Date ? parseInstant(v) : undefined;
  if (!d) problems.push(problem(field, 'INVALID_DATETIME', `${field} must be an ISO 8601 date-time with an offset`));
  else if (d.getTime() > now.getTime() + FUTURE_SKEW_MS) problems.push(problem(field, 'FUTURE_TIMESTAMP', `${field} is in the future`));
  return d ?? null;
}

function points(input: Record<string, unknown>, field: string, problems: FieldProblem[]): number {
  const v = input[field];
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 2_147_483_647) {
    problems.push(problem(field, 'OUT_OF_RANGE', `${field} must be a whole number of at least 0`));
    return 0;
  }
  return v;
}

function unknownKeys(input: Record<string, unknown>, known: ReadonlySet<string>, what: string, problems: FieldProblem[]): void {
  for (const key of Object.keys(input)) if (!known.has(key)) problems.push(problem(key, 'UNKNOWN_FIELD', `${key} is not a ${what} field`));
}

function ids(input: Record<string, unknown>, problems: FieldProblem[]): [string, string] | null {
  const id = checkExternalId(input.externalId, 'externalId');
  const customer = checkExternalId(input.customerExternalId, 'customerExternalId');
  if (typeof id !== 'string') problems.push(id);
  if (typeof customer !== 'string') problems.push(customer);
  return typeof id === 'string' && typeof customer === 'string' ? [id, customer] : null;
}

export const TRANSACTION_COLUMNS = [
  'amount',
  'currency',
  'occurred_at',
  'category',
  'product',
  'channel',
  'store',
  'points_earned',
  'points_redeemed',
  'is_refunded',
] as const;

const TRANSACTION_KEYS = new Set([
  'externalId',
  'customerExternalId',
  'amount',
  'currency',
  'occurredAt',
  'category',
  'product',
  'channel',
  'store',
  'pointsEarned',
  'pointsRedeemed',
  'refunded',
]);

/** Validates one transaction row. */
export function validateTransactionRow(input: Record<string, unknown>, index: number, now: Date): { row: FactRow | null; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  unknownKeys(input, TRANSACTION_KEYS, 'transaction', problems);
  const key = ids(input, problems);
  const amount = input.amount;
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0 || amount > MAX_AMOUNT)
    problems.push(problem('amount', 'INVALID_AMOUNT', 'amount must be a number of at least 0 (refunds are flagged with refunded)'));
  else if (Math.round(amount * 100) / 100 !== amount)
    problems.push(problem('amount', 'INVALID_AMOUNT', 'amount has more than two decimals'));
  const currency = typeof input.currency === 'string' ? normaliseCurrency(input.currency) : undefined;
  if (!currency) problems.push(problem('currency', 'INVALID_CURRENCY', 'currency must be an ISO 4217 code such as EUR'));
  const occurredAt = requiredInstant(input, 'occurredAt', now, problems);
  const category = optionalText(input, 'category', 200, problems);
  const product = optionalText(input, 'product', 200, problems);
  const channel = optionalText(input, 'channel', 50, problems);
  const store = optionalText(input, 'store', 100, problems);
  const earned = points(input, 'pointsEarned', problems);
  const redeemed = points(input, 'pointsRedeemed', problems);
  const refunded = input.refunded ?? false;
  if (typeof refunded !== 'boolean') problems.push(problem('refunded', 'INVALID_TYPE', 'refunded must be true or false'));
  if (problems.length > 0 || !key) return { row: null, problems };
  return {
    row: {
      index,
      externalId: key[0],
      customerExternalId: key[1],
      values: [amount as number, currency!, occurredAt!, category, product, channel, store, earned, redeemed, refunded as boolean],
    },
    problems,
  };
}

export const EVENT_COLUMNS = ['name', 'properties', 'occurred_at'] as const;
const EVENT_KEYS = new Set(['externalId', 'customerExternalId', 'name', 'properties', 'occurredAt']);

/** Validates one event row. */
export function validateEventRow(input: Record<string, unknown>, index: number, now: Date): { row: FactRow | null; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  unknownKeys(input, EVENT_KEYS, 'event', problems);
  const key = ids(input, problems);
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (!EVENT_NAME_RE.test(name))
    problems.push(problem('name', 'INVALID_EVENT_NAME', 'name must be snake_case: a lower-case letter, then up to 99 of a-z 0-9 _ . : -'));
  const props = input.properties ?? {};
  if (typeof props !== 'object' || props === null || Array.isArray(props))
    problems.push(problem('properties', 'INVALID_TYPE', 'properties must be an object'));
  else {
    const json = JSON.stringify(props);
    if (json.length > MAX_PROPERTIES_BYTES) problems.push(problem('properties', 'TOO_LONG', `properties must be at most ${MAX_PROPERTIES_BYTES} bytes of JSON`));
    // jsonb cannot store U+0000 or a lone surrogate ("unsupported Unicode escape sequence"): refuse
    // the row, not the batch.
    else if (!isStorableJson(props)) problems.push(problem('properties', 'INVALID_TEXT', 'properties cannot contain control characters or broken Unicode'));
  }
  const occurredAt = requiredInstant(input, 'occurredAt', now, problems);
  if (problems.length > 0 || !key) return { row: null, problems };
  return {
    row: { index, externalId: key[0], customerExternalId: key[1], values: [name, props as Record<string, unknown>, occurredAt!] },
    problems,
  };
}
