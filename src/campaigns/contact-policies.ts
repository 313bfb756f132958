import type pg from 'pg';
import type { Db } from '../db/database.js';
import { bindNamed, loadSqlQueries } from '../db/sql.js';
import { badInput, notFound } from '../errors.js';
import { cleanText } from '../ingestion/field-checks.js';
import type { Channel, ContactRule, MessageCategory, RuleAction, RuleLimit } from './contact-policy.js';
import { formatClockTime, parseClockTime } from './local-time.js';

/*
 * Stored contact policies (the rules of contact-policy.ts, editable by marketers) and customers' own
 * contact preferences. The stored rule id is the policy id; customer overrides have their own ids.
 */

const Q = loadSqlQueries(import.meta.url, 'sql/contact-policies.sql', ['columns', 'all', 'by_ids', 'insert', 'update', 'delete', 'upsert_preferences'] as const);
const withColumns = (sql: string) => sql.replace('{{columns}}', Q.columns);

export type PolicyKind = RuleLimit['kind'];

export interface ContactPolicyRow {
  id: string;
  name: string;
  description: string;
  kind: PolicyKind;
  maxMessages: number | null;
  windowHours: number | null;
  calendarUnit: 'DAY' | 'WEEK' | null;
  gapMinutes: number | null;
  quietStart: number | null;
  quietEnd: number | null;
  weekdays: number[] | null;
  channel: Channel | null;
  category: MessageCategory | null;
  tag: string | null;
  segmentId: string | null;
  action: RuleAction;
  countsExempt: boolean;
  isEnabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** What a policy says, as the API gives it (times of day as HH:MM). */
export interface ContactPolicyFields {
  name: string;
  description?: string | null;
  kind: PolicyKind;
  maxMessages?: number | null;
  windowHours?: number | null;
  calendarUnit?: 'DAY' | 'WEEK' | null;
  gapMinutes?: number | null;
  quietStart?: string | null;
  quietEnd?: string | null;
  weekdays?: number[] | null;
  channel?: Channel | null;
  category?: MessageCategory | null;
  tag?: string | null;
  segmentId?: string | null;
  action: RuleAction;
  countsExempt?: boolean | null;
  isEnabled?: boolean | null;
}

/** A stored policy as a rule of the pure engine. */
export function toContactRule(p: ContactPolicyRow): ContactRule {
  const limit: RuleLimit =
    p.kind === 'ROLLING_CAP' ? { kind: p.kind, max: p.maxMessages!, hours: p.windowHours! }
    : p.kind === 'CALENDAR_CAP' ? { kind: p.kind, max: p.maxMessages!, unit: p.calendarUnit! }
    : p.kind === 'MIN_GAP' ? { kind: p.kind, minutes: p.gapMinutes! }
    : p.kind === 'QUIET_HOURS' ? { kind: p.kind, start: p.quietStart!, end: p.quietEnd! }
    : { kind: p.kind, days: p.weekdays! };
  return { id: p.id, limit, channel: p.channel, category: p.category, tag: p.tag, segmentId: p.segmentId, action: p.action, countsExempt: p.countsExempt };
}

export async function listContactPolicies(db: Db | pg.ClientBase): Promise<ContactPolicyRow[]> {
  const client = 'pool' in db ? db.pool : db;
  const { rows } = await client.query<ContactPolicyRow>(withColumns(Q.all));
  return rows;
}

export async function getContactPolicies(db: Db, ids: readonly string[]): Promise<ContactPolicyRow[]> {
  const { rows } = await db.pool.query<ContactPolicyRow>(bindNamed(withColumns(Q.by_ids), { ids }));
  return rows;
}

/** The enabled policies as rules, in check order. */
export async function loadContactRules(db: Db | pg.ClientBase): Promise<ContactRule[]> {
  return (await listContactPolicies(db)).filter((p) => p.isEnabled).map(toContactRule);
}


/** Checks a policy's fields; returns the row values. Every problem names its input path. */
function checkPolicy(f: ContactPolicyFields, path: string) {
  const name = cleanText(f.name ?? '', 200);
  if (!name) throw badInput(`${path}.name`, 'INVALID_NAME', 'a policy name is 1 to 200 characters');
  const description = f.description ? (cleanText(f.description, 2000) ?? '') : '';
  const need = (value: unknown, field: string, what: string) => {
    if (value == null) throw badInput(`${path}.${field}`, 'REQUIRED', `${f.kind} needs ${what}`);
  };
  const only = (allowed: string[]) => {
    for (const k of ['maxMessages', 'windowHours', 'calendarUnit', 'gapMinutes', 'quietStart', 'quietEnd', 'weekdays'] as const)
      if (f[k] != null && !allowed.includes(k)) throw badInput(`${path}.${k}`, 'NOT_APPLICABLE', `${k} does not apply to ${f.kind}`);
  };
  const intIn = (v: number | null | undefined, field: string, lo: number, hi: number) => {
    if (v != null && (!Number.isInteger(v) || v < lo || v > hi)) throw badInput(`${path}.${field}`, 'OUT_OF_RANGE', `${field} is an integer from ${lo} to ${hi}`);
  };
  switch (f.kind) {
    case 'ROLLING_CAP':
      need(f.maxMessages, 'maxMessages', 'maxMessages');
      need(f.windowHours, 'windowHours', 'windowHours');
      only(['maxMessages', 'windowHours']);
      break;
    case 'CALENDAR_CAP':
      need(f.maxMessages, 'maxMessages', 'maxMessages');
      need(f.calendarUnit, 'calendarUnit', 'calendarUnit (DAY or WEEK)');
      only(['maxMessages', 'calendarUnit']);
      break;
    case 'MIN_GAP':
      need(f.gapMinutes, 'gapMinutes', 'gapMinutes');
      only(['gapMinutes']);
      break;
    case 'QUIET_HOURS':
      need(f.quietStart, 'quietStart', 'quietStart (HH:MM)');
      need(f.quietEnd, 'quietEnd', 'quietEnd (HH:MM)');
      only(['quietStart', 'quietEnd']);
      for (const k of ['quietStart', 'quietEnd'] as const)
        if (parseClockTime(f[k]!) === undefined) throw badInput(`${path}.${k}`, 'INVALID_TIME', `${k} is HH:MM (24 h)`);
      if (f.quietStart === f.quietEnd) throw badInput(`${path}.quietEnd`, 'EMPTY_RANGE', 'quiet hours start and end at the same time');
      break;
    case 'WEEKDAYS':
      need(f.weekdays, 'weekdays', 'weekdays (1 = Monday … 7 = Sunday)');
      only(['weekdays']);
      f.weekdays!.forEach((d, i) => intIn(d, `weekdays[${i}]`, 1, 7));
      if (!f.weekdays!.length) throw badInput(`${path}.weekdays`, 'EMPTY_LIST', 'at least one allowed weekday');
      break;
  }
  intIn(f.maxMessages, 'maxMessages', 0, 10_000);
  intIn(f.windowHours, 'windowHours', 1, 8784);
  intIn(f.gapMinutes, 'gapMinutes', 1, 527_040);
  const tag = f.tag == null ? null : cleanText(f.tag, 100);
  if (tag === undefined || tag === '') throw badInput(`${path}.tag`, 'INVALID_TAG', 'a tag is 1 to 100 characters');
  if (f.segmentId != null && !/^\d{1,18}$/.test(f.segmentId)) throw badInput(`${path}.segmentId`, 'INVALID_ID', 'segmentId must be a segment id');
  return {
    name,
    description,
    kind: f.kind,
    max_messages: f.maxMessages ?? null,
    window_hours: f.windowHours ?? null,
    calendar_unit: f.calendarUnit ?? null,
    gap_minutes: f.gapMinutes ?? null,
    quiet_start: f.quietStart != null ? parseClockTime(f.quietStart)! : null,
    quiet_end: f.quietEnd != null ? parseClockTime(f.quietEnd)! : null,
    weekdays: f.weekdays ? [...new Set(f.weekdays)].sort() : null,
    channel: f.channel ?? null,
    category: f.category ?? null,
    tag,
    segment_id: f.segmentId ?? null,
    action: f.action,
    counts_exempt: f.countsExempt ?? false,
    is_enabled: f.isEnabled ?? true,
  };
}

/** A foreign-key violation on segment_id: the segment does not exist. */
function missingSegment(err: unknown, path: string): never {
  if ((err as { code?: string }).code === '23503') throw notFound(`${path}.segmentId`, 'no such segment');
  throw err;
}

export async function createContactPolicy(options: { db: Db; input: ContactPolicyFields; now: Date }): Promise<ContactPolicyRow> {
  const values = checkPolicy(options.input, 'input');
  const { rows } = await options.db.pool.query<ContactPolicyRow>(bindNamed(withColumns(Q.insert), { ...values, now: options.now })).catch((e) => missingSegment(e, 'input'));
  return rows[0];
}

/** Replaces a policy's fields: omitted ones take the stored value, then the whole is checked again. */
export async function updateContactPolicy(options: { db: Db; id: string; input: Partial<ContactPolicyFields>; now: Date }): Promise<ContactPolicyRow> {
  const [current] = await getContactPolicies(options.db, [options.id]);
  if (!current) throw notFound('id', 'no such contact policy');
  const hhmm = (m: number | null) => (m == null ? null : formatClockTime(m));
  const kindChanged = options.input.kind != null && options.input.kind !== current.kind;
  // A new kind drops the old kind's parameters unless given again.
  const stored: ContactPolicyFields = {
    ...current,
    ...(kindChanged ? { maxMessages: null, windowHours: null, calendarUnit: null, gapMinutes: null, weekdays: null, quietStart: null, quietEnd: null } : { quietStart: hhmm(current.quietStart), quietEnd: hhmm(current.quietEnd) }),
  };
  const merged = { ...stored, ...Object.fromEntries(Object.entries(options.input).filter(([, v]) => v !== undefined)) } as ContactPolicyFields;
  const values = checkPolicy(merged, 'input');
  const { rows } = await options.db.pool
    .query<ContactPolicyRow>(bindNamed(withColumns(Q.update), { ...values, id: options.id, now: options.now }))
    .catch((e) => missingSegment(e, 'input'));
  return rows[0];
}

export async function deleteContactPolicy(options: { db: Db; id: string }): Promise<void> {
  const { rowCount } = await options.db.pool.query(bindNamed(Q.delete, { id: options.id }));
  if (!rowCount) throw notFound('id', 'no such contact policy');
}

export interface ContactPreferencesRow {
  customerId: string;
  capMax: number | null;
  capUnit: 'DAY' | 'WEEK' | null;
  marketingPausedUntil: Date | null;
  updatedAt: Date;
}

/**
 * Sets a customer's own limits (the whole record: null clears). A cap of 0 stops marketing
 * altogether without touching consent; a pause holds marketing until an instant.
 */
export async function setContactPreferences(options: {
  db: Db;
  customerId: string;
  cap?: { max: number; unit: 'DAY' | 'WEEK' } | null;
  marketingPausedUntil?: Date | null;
  now: Date;
}): Promise<ContactPreferencesRow> {
  const { cap } = options;
  if (cap && (!Number.isInteger(cap.max) || cap.max < 0 || cap.max > 1000)) throw badInput('cap.max', 'OUT_OF_RANGE', 'cap.max is an integer from 0 to 1000');
  const { rows } = await options.db.pool.query<ContactPreferencesRow>(
    bindNamed(Q.upsert_preferences, { customer_id: options.customerId, cap_max: cap?.max ?? null, cap_unit: cap?.unit ?? null, paused_until: options.marketingPausedUntil ?? null, now: options.now }),
  );
  return rows[0];
}
