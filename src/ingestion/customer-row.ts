import type { CopyValue } from '../db/copy.js';
import { Channel, ConsentStatus, Gender, SignupChannel } from '../schema/enums.js';
import { checkAttributeValue, type AttributeCatalogue } from './attribute-catalogue.js';
import {
  cleanText,
  isStorableText,
  isTimeZone,
  normaliseCountry,
  normaliseEmail,
  normaliseLocale,
  normalisePhone,
  parseInstant,
  parseLocalDate,
} from './field-checks.js';

/** A field-level problem found in one row; the caller adds the row index and the path prefix. */
export interface FieldProblem {
  field: string;
  code: string;
  reason: string;
}

/** Checks one value; `row` is the whole input row (phones read its country), `now` the call's clock. */
type Check = (value: unknown, row: Record<string, unknown>, now: Date) => { value: CopyValue } | FieldProblem;

const problem = (field: string, code: string, reason: string): FieldProblem => ({ field, code, reason });
const isProblem = (r: { value: CopyValue } | FieldProblem): r is FieldProblem => 'code' in r;

function text(field: string, max: number): Check {
  return (v) => {
    if (typeof v !== 'string') return problem(field, 'INVALID_TYPE', `${field} must be a string`);
    const t = cleanText(v, max);
    return t === undefined ? problem(field, 'INVALID_TEXT', `${field} must be at most ${max} characters, without control characters`) : { value: t };
  };
}

function oneOf(field: string, values: readonly string[]): Check {
  return (v) => {
    if (typeof v !== 'string') return problem(field, 'INVALID_TYPE', `${field} must be a string`);
    const upper = v.trim().toUpperCase();
    return values.includes(upper) ? { value: upper } : problem(field, 'INVALID_VALUE', `${field} must be one of ${values.join(', ')}`);
  };
}

function integer(field: string, min: number, max: number): Check {
  return (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
      ? { value: v }
      : problem(field, 'OUT_OF_RANGE', `${field} must be a whole number from ${min} to ${max}`);
}

function stringList(field: string): Check {
  return (v) => {
    if (!Array.isArray(v) || v.length > 50 || v.some((i) => typeof i !== 'string' || i.trim() === '' || i.length > 100 || !isStorableText(i)))
      return problem(field, 'INVALID_LIST', `${field} must be a list of at most 50 non-empty strings of at most 100 characters`);
    return { value: [...new Set(v.map((i: string) => i.trim()))] };
  };
}

function withString(field: string, code: string, reason: string, fn: (s: string, row: Record<string, unknown>, now: Date) => CopyValue | undefined): Check {
  return (v, row, now) => {
    if (typeof v !== 'string') return problem(field, 'INVALID_TYPE', `${field} must be a string`);
    if (v.trim() === '') return { value: null };
    const out = fn(v, row, now);
    return out === undefined ? problem(field, code, reason) : { value: out };
  };
}

const MIN_BIRTH_DATE = '1900-01-01';

/**
 * The customer columns a write may set, in staging-table order. `bit` is the field's bit in the
 * `present` mask that tells the merge which fields the row carries (omitted = leave unchanged).
 * The same order is used by `sql/merge-customers.sql`; a test checks the two agree.
 */
export const CUSTOMER_FIELDS: ReadonlyArray<{ name: string; column: string; check: Check }> = [
  { name: 'email', column: 'email', check: withString('email', 'INVALID_EMAIL', 'email is not a valid address', (s) => normaliseEmail(s)) },
  {
    name: 'phone',
    column: 'phone',
    check: withString('phone', 'INVALID_PHONE', 'phone is not a valid number (write it +<country code><number>, or give the country)', (s, row) =>
      normalisePhone(s, typeof row.country === 'string' ? normaliseCountry(row.country) : undefined),
    ),
  },
  { name: 'firstName', column: 'first_name', check: text('firstName', 200) },
  { name: 'lastName', column: 'last_name', check: text('lastName', 200) },
  {
    name: 'birthDate',
    column: 'birth_date',
    check: withString('birthDate', 'INVALID_DATE', 'birthDate must be a past date written YYYY-MM-DD, after 1900', (s, _row, now) => {
      const d = parseLocalDate(s);
      return d && d >= MIN_BIRTH_DATE && d <= now.toISOString().slice(0, 10) ? d : undefined;
    }),
  },
  { name: 'gender', column: 'gender', check: oneOf('gender', Object.values(Gender)) },
  { name: 'locale', column: 'locale', check: withString('locale', 'INVALID_LOCALE', 'locale must be a BCP 47 tag such as fr-FR', normaliseLocale) },
  {
    name: 'timeZone',
    column: 'time_zone',
    check: withString('timeZone', 'INVALID_TIME_ZONE', 'timeZone must be an IANA time zone such as Europe/Paris', (s) => (isTimeZone(s.trim()) ? s.trim() : undefined)),
  },
  { name: 'streetAddress', column: 'street_address', check: text('streetAddress', 500) },
  { name: 'city', column: 'city', check: text('city', 200) },
  { name: 'region', column: 'region', check: text('region', 200) },
  { name: 'country', column: 'country', check: withString('country', 'INVALID_COUNTRY', 'country must be an ISO 3166-1 alpha-2 code such as FR', normaliseCountry) },
  { name: 'postalCode', column: 'postal_code', check: text('postalCode', 20) },
  { name: 'householdSize', column: 'household_size', check: integer('householdSize', 1, 50) },
  { name: 'incomeBand', column: 'income_band', check: text('incomeBand', 100) },
  { name: 'occupation', column: 'occupation', check: text('occupation', 200) },
  { name: 'signupChannel', column: 'signup_channel', check: oneOf('signupChannel', Object.values(SignupChannel)) },
  {
    name: 'signedUpAt',
    column: 'signed_up_at',
    check: withString('signedUpAt', 'INVALID_DATETIME', 'signedUpAt must be an ISO 8601 date-time with an offset', (s) => parseInstant(s)),
  },
  { name: 'acquisitionSource', column: 'acquisition_source', check: text('acquisitionSource', 200) },
  { name: 'referralSource', column: 'referral_source', check: text('referralSource', 200) },
  { name: 'devices', column: 'devices', check: stringList('devices') },
  { name: 'platforms', column: 'platforms', check: stringList('platforms') },
  { name: 'loyaltyTier', column: 'loyalty_tier', check: text('loyaltyTier', 100) },
  { name: 'loyaltyPoints', column: 'loyalty_points', check: integer('loyaltyPoints', 0, 2_147_483_647) },
  { name: 'preferredChannel', column: 'preferred_channel', check: oneOf('preferredChannel', Object.values(Channel)) },
];

/** Bit of `attributes` in the present mask: after the plain fields. */
export const ATTRIBUTES_BIT = CUSTOMER_FIELDS.length;

export interface ConsentPatch {
  channel: Channel;
  status: ConsentStatus;
  source: string | null;
  at: Date;
}

/** One validated customer row, ready for the staging table. */
export interface CustomerPatch {
  /** Position of the row in its batch (or line number of an imported file). */
  index: number;
  externalId: string;
  /** Bit i set = field i of CUSTOMER_FIELDS (or ATTRIBUTES_BIT) is given; unset = leave unchanged. */
  present: number;
  values: CopyValue[];
  attributesSet: Record<string, unknown> | null;
  attributesUnset: string[] | null;
  consents: ConsentPatch[];
}

/** Consent timestamps further in the future than this are refused: they would lock out every later change. */
export const CONSENT_CLOCK_SKEW_MS = 5 * 60_000;

const KNOWN_KEYS = new Set(['externalId', 'attributes', 'consents', ...CUSTOMER_FIELDS.map((f) => f.name)]);

/** Validates an external id: 1 to 200 characters, no control characters. */
export function checkExternalId(v: unknown, field: string): string | FieldProblem {
  if (typeof v !== 'string' || v.trim() === '') return problem(field, 'REQUIRED', `${field} is required`);
  const t = cleanText(v, 200);
  return t ? t : problem(field, 'INVALID_TEXT', `${field} must be at most 200 characters, without control characters`);
}

/**
 * Validates one customer row (GraphQL input, NDJSON object or mapped CSV record) and builds its patch.
 * Every problem of the row is reported; a row with any problem writes nothing.
 */
export function validateCustomerRow(
  input: Record<string, unknown>,
  index: number,
  catalogue: AttributeCatalogue,
  now: Date,
): { patch: CustomerPatch | null; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const externalId = checkExternalId(input.externalId, 'externalId');
  if (typeof externalId !== 'string') problems.push(externalId);

  for (const key of Object.keys(input)) {
    if (!KNOWN_KEYS.has(key)) problems.push(problem(key, 'UNKNOWN_FIELD', `${key} is not a customer field`));
  }

  let present = 0;
  const values: CopyValue[] = new Array(CUSTOMER_FIELDS.length).fill(null);
  for (let i = 0; i < CUSTOMER_FIELDS.length; i++) {
    const f = CUSTOMER_FIELDS[i];
    const v = input[f.name];
    if (v === undefined) continue;
    present |= 1 << i;
    if (v === null) continue;
    const r = f.check(v, input, now);
    if (isProblem(r)) problems.push(r);
    else values[i] = r.value;
  }

  let attributesSet: Record<string, unknown> | null = null;
  let attributesUnset: string[] | null = null;
  if (input.attributes !== undefined) {
    const attrs = input.attributes;
    if (attrs === null) {
      problems.push(problem('attributes', 'INVALID_TYPE', 'attributes cannot be null: set a key to null to remove it'));
    } else if (typeof attrs !== 'object' || Array.isArray(attrs)) {
      problems.push(problem('attributes', 'INVALID_TYPE', 'attributes must be an object'));
    } else {
      present |= 1 << ATTRIBUTES_BIT;
      attributesSet = {};
      attributesUnset = [];
      for (const [key, value] of Object.entries(attrs as Record<string, unknown>)) {
        if (key.length > 64 || !isStorableText(key)) {
          problems.push(problem('attributes', 'INVALID_KEY', 'attribute keys are at most 64 characters, without control characters'));
          continue;
        }
        if (value === null) {
          attributesUnset.push(key);
          continue;
        }
        const p = checkAttributeValue(catalogue.get(key), key, value);
        if (p) problems.push(problem(`attributes.${key}`, p.code, p.reason));
        else attributesSet[key] = value;
      }
    }
  }

  const consents: ConsentPatch[] = [];
  if (input.consents !== undefined && input.consents !== null) {
    if (!Array.isArray(input.consents)) {
      problems.push(problem('consents', 'INVALID_TYPE', 'consents must be a list'));
    } else {
      input.consents.forEach((c: unknown, i: number) => {
        const r = checkConsent(c, `consents[${i}]`, now);
        if ('code' in r) problems.push(r);
        else consents.push(r);
      });
    }
  }

  if (problems.length > 0 || typeof externalId !== 'string') return { patch: null, problems };
  return { patch: { index, externalId, present, values, attributesSet, attributesUnset, consents }, problems };
}

/** Validates one consent change `{ channel, status, source?, at? }` (`at` defaults to now). */
export function checkConsent(c: unknown, path: string, now: Date): ConsentPatch | FieldProblem {
  if (typeof c !== 'object' || c === null) return problem(path, 'INVALID_TYPE', `${path} must be an object`);
  const o = c as Record<string, unknown>;
  const channel = typeof o.channel === 'string' ? o.channel.trim().toUpperCase() : '';
  if (!(Object.values(Channel) as string[]).includes(channel))
    return problem(`${path}.channel`, 'INVALID_VALUE', `${path}.channel must be one of ${Object.values(Channel).join(', ')}`);
  const status = typeof o.status === 'string' ? o.status.trim().toUpperCase() : '';
  if (!(Object.values(ConsentStatus) as string[]).includes(status))
    return problem(`${path}.status`, 'INVALID_VALUE', `${path}.status must be one of ${Object.values(ConsentStatus).join(', ')}`);
  let source: string | null = null;
  if (o.source !== undefined && o.source !== null) {
    const s = typeof o.source === 'string' ? cleanText(o.source, 200) : undefined;
    if (s === undefined) return problem(`${path}.source`, 'INVALID_TEXT', `${path}.source must be a string of at most 200 characters`);
    source = s;
  }
  let at = now;
  if (o.at !== undefined && o.at !== null) {
    const parsed = typeof o.at === 'string' || o.at instanceof Date ? parseInstant(o.at) : undefined;
    if (!parsed) return problem(`${path}.at`, 'INVALID_DATETIME', `${path}.at must be an ISO 8601 date-time with an offset`);
    if (parsed.getTime() > now.getTime() + CONSENT_CLOCK_SKEW_MS)
      return problem(`${path}.at`, 'FUTURE_TIMESTAMP', `${path}.at is in the future; a future consent would override every later change`);
    at = parsed;
  }
  return { channel: channel as Channel, status: status as ConsentStatus, source, at };
}
