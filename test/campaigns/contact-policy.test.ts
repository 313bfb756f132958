import { describe, expect, test } from 'vitest';
import { DEFAULT_CONTACT_RULES, decide, type ContactRule, type HistoryEntry } from '../../src/campaigns/contact-policy.js';
import { calendarWindow, localInstant } from '../../src/campaigns/local-time.js';

/*
 * The contact rules as pure functions, table-driven: each rule kind, their combination (DROP over
 * FALLBACK over DEFER, expiry), priority under a cap, customer overrides, and local time across DST
 * changes and far from UTC.
 */

const at = (iso: string) => new Date(iso);
const rule = (id: string, limit: ContactRule['limit'], extra: Partial<ContactRule> = {}): ContactRule => ({
  id,
  limit,
  channel: null,
  category: 'MARKETING',
  tag: null,
  segmentId: null,
  action: 'DEFER',
  countsExempt: false,
  ...extra,
});
const sent = (iso: string, extra: Partial<HistoryEntry> = {}): HistoryEntry => ({
  at: at(iso),
  reservedAt: at(iso),
  channel: 'EMAIL',
  category: 'MARKETING',
  tags: [],
  priority: 0,
  ...extra,
});
const MKT = { category: 'MARKETING' as const, tags: [], priority: 0 };

describe('local time', () => {
  test.each([
    // Spring forward in Paris (2026-03-29 02:00 → 03:00): 02:30 does not exist, the first valid instant is 03:00 CEST.
    ['Europe/Paris', { year: 2026, month: 3, day: 29 }, 150, '2026-03-29T01:00:00.000Z'],
    // Fall back in Paris (2026-10-25 03:00 → 02:00): 02:30 happens twice, the first is CEST.
    ['Europe/Paris', { year: 2026, month: 10, day: 25 }, 150, '2026-10-25T00:30:00.000Z'],
    // New York spring forward (2026-03-08): 02:15 → 03:00 EDT.
    ['America/New_York', { year: 2026, month: 3, day: 8 }, 135, '2026-03-08T07:00:00.000Z'],
    // Far from UTC, no DST: Kiritimati (UTC+14) and Pago Pago (UTC−11).
    ['Pacific/Kiritimati', { year: 2026, month: 6, day: 1 }, 8 * 60, '2026-05-31T18:00:00.000Z'],
    ['Pacific/Pago_Pago', { year: 2026, month: 6, day: 1 }, 8 * 60, '2026-06-01T19:00:00.000Z'],
    // Lord Howe moves by 30 minutes (2026-10-04 02:00 → 02:30): 02:10 → 02:30 (+11).
    ['Australia/Lord_Howe', { year: 2026, month: 10, day: 4 }, 130, '2026-10-03T15:30:00.000Z'],
  ])('%s %o + %i min → %s', (zone, date, minutes, iso) => {
    expect(localInstant(date, minutes, zone).toISOString()).toBe(iso);
  });

  test('calendar weeks are ISO weeks in local time, 23 or 25 hours a day across DST', () => {
    const w = calendarWindow(at('2026-03-29T12:00:00Z'), 'WEEK', 'Europe/Paris');
    expect([w.start.toISOString(), w.end.toISOString()]).toEqual(['2026-03-22T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
    const d = calendarWindow(at('2026-10-25T12:00:00Z'), 'DAY', 'Europe/Paris');
    expect((d.end.getTime() - d.start.getTime()) / 3_600_000).toBe(25);
  });
});

describe('each rule kind', () => {
  const now = at('2026-06-10T10:00:00Z'); // Wednesday, 12:00 in Paris
  const expires = at('2026-06-20T00:00:00Z');
  test.each<[string, ContactRule, HistoryEntry[], string | null]>([
    // [case, rule, history, deferred until (null: sent now)]
    ['rolling cap, room left', rule('r', { kind: 'ROLLING_CAP', max: 2, hours: 24 }), [sent('2026-06-09T11:00:00Z')], null],
    ['rolling cap, full: wait for the oldest to leave (t − W, t]', rule('r', { kind: 'ROLLING_CAP', max: 2, hours: 24 }), [sent('2026-06-09T11:00:00Z'), sent('2026-06-10T09:00:00Z')], '2026-06-10T11:00:00.000Z'],
    ['rolling cap, an entry exactly W ago is out', rule('r', { kind: 'ROLLING_CAP', max: 1, hours: 24 }), [sent('2026-06-09T10:00:00Z')], null],
    ['calendar day cap: next local midnight', rule('d', { kind: 'CALENDAR_CAP', max: 1, unit: 'DAY' }), [sent('2026-06-09T23:30:00Z')], '2026-06-10T22:00:00.000Z'],
    ['calendar day cap: yesterday (local) does not count', rule('d', { kind: 'CALENDAR_CAP', max: 1, unit: 'DAY' }), [sent('2026-06-09T21:30:00Z')], null],
    ['calendar week cap: next Monday local', rule('w', { kind: 'CALENDAR_CAP', max: 1, unit: 'WEEK' }), [sent('2026-06-08T08:00:00Z')], '2026-06-14T22:00:00.000Z'],
    ['minimum gap', rule('g', { kind: 'MIN_GAP', minutes: 240 }), [sent('2026-06-10T08:00:00Z')], '2026-06-10T12:00:00.000Z'],
    ['quiet hours 11:00–14:00 local', rule('q', { kind: 'QUIET_HOURS', start: 11 * 60, end: 14 * 60 }), [], '2026-06-10T12:00:00.000Z'],
    ['allowed weekdays: Friday only', rule('wd', { kind: 'WEEKDAYS', days: [5] }), [], '2026-06-11T22:00:00.000Z'],
    ['other channel does not count', rule('r', { kind: 'ROLLING_CAP', max: 1, hours: 24 }, { channel: 'SMS' }), [sent('2026-06-10T09:00:00Z', { channel: 'SMS' })], null],
    ['transactional does not count unless countsExempt', rule('r', { kind: 'ROLLING_CAP', max: 1, hours: 24 }), [sent('2026-06-10T09:00:00Z', { category: 'TRANSACTIONAL' })], null],
    ['countsExempt', rule('r', { kind: 'ROLLING_CAP', max: 1, hours: 24 }, { countsExempt: true }), [sent('2026-06-10T09:00:00Z', { category: 'TRANSACTIONAL' })], '2026-06-11T09:00:00.000Z'],
    ['tag-scoped rule ignores other messages', rule('t', { kind: 'ROLLING_CAP', max: 1, hours: 24 }, { tag: 'promo' }), [sent('2026-06-10T09:00:00Z')], null],
  ])('%s', (_name, r, history, until) => {
    const d = decide(MKT, ['EMAIL'], now, expires, { history, rules: [r], timeZone: 'Europe/Paris' });
    if (until === null) expect(d).toEqual({ outcome: 'SEND', channel: 'EMAIL', at: now });
    else expect(d).toMatchObject({ outcome: 'DEFER', channel: 'EMAIL', until: at(until) });
  });

  test('transactional messages are exempt from marketing rules; segment rules only bind their members', () => {
    const r = rule('r', { kind: 'ROLLING_CAP', max: 1, hours: 24 }, { action: 'DROP' });
    const history = [sent('2026-06-10T09:00:00Z')];
    expect(decide({ category: 'TRANSACTIONAL', tags: [], priority: 0 }, ['EMAIL'], now, expires, { history, rules: [r], timeZone: 'UTC' }).outcome).toBe('SEND');
    const seg = { ...r, segmentId: '7' };
    expect(decide(MKT, ['EMAIL'], now, expires, { history, rules: [seg], timeZone: 'UTC' }).outcome).toBe('SEND');
    expect(decide(MKT, ['EMAIL'], now, expires, { history, rules: [seg], timeZone: 'UTC', segmentIds: new Set(['7']) }).outcome).toBe('DROP');
  });
});

describe('combination', () => {
  const now = at('2026-06-10T10:00:00Z');
  const expires = at('2026-06-11T10:00:00Z');
  const history = [sent('2026-06-10T09:00:00Z')];
  const emailCap = (action: ContactRule['action']) => rule(`email-${action}`, { kind: 'ROLLING_CAP', max: 1, hours: 24 }, { channel: 'EMAIL', action });

  test('DROP wins over FALLBACK and DEFER', () => {
    const d = decide(MKT, ['EMAIL', 'SMS'], now, expires, { history, rules: [emailCap('DEFER'), emailCap('FALLBACK'), emailCap('DROP')], timeZone: 'UTC' });
    expect(d).toEqual({ outcome: 'DROP', failures: [{ ruleId: 'email-DROP', action: 'DROP', reason: 'CAP_REACHED' }] });
  });
  test('FALLBACK to the next channel when every rule passes there, else DEFER', () => {
    expect(decide(MKT, ['EMAIL', 'SMS'], now, expires, { history, rules: [emailCap('FALLBACK')], timeZone: 'UTC' })).toEqual({ outcome: 'SEND', channel: 'SMS', at: now });
    const smsQuiet = rule('sms-quiet', { kind: 'QUIET_HOURS', start: 9 * 60, end: 11 * 60 }, { channel: 'SMS' });
    expect(decide(MKT, ['EMAIL', 'SMS'], now, expires, { history, rules: [emailCap('FALLBACK'), smsQuiet], timeZone: 'UTC' })).toMatchObject({
      outcome: 'DEFER',
      channel: 'EMAIL',
      until: at('2026-06-11T09:00:00Z'),
    });
  });
  test('DEFER to the earliest instant every rule passes, re-checked; EXPIRED past expiresAt', () => {
    // The cap frees at 09:00 tomorrow, but that is inside tomorrow's quiet hours (08:00–12:00 UTC): 12:00.
    const rules = [emailCap('DEFER'), rule('q', { kind: 'QUIET_HOURS', start: 8 * 60, end: 12 * 60 })];
    expect(decide(MKT, ['EMAIL'], at('2026-06-10T13:00:00Z'), at('2026-06-12T00:00:00Z'), { history, rules, timeZone: 'UTC' })).toMatchObject({
      outcome: 'DEFER',
      until: at('2026-06-11T12:00:00Z'),
    });
    expect(decide(MKT, ['EMAIL'], at('2026-06-10T13:00:00Z'), at('2026-06-11T11:00:00Z'), { history, rules, timeZone: 'UTC' }).outcome).toBe('EXPIRED');
  });
  test('defaults: 1 marketing message a day, 3 a week, quiet 21:00–08:00 local', () => {
    const tokyo = { rules: DEFAULT_CONTACT_RULES, timeZone: 'Asia/Tokyo' };
    // 23:00 in Tokyo: quiet until 08:00 local (23:00 UTC the day before).
    expect(decide(MKT, ['EMAIL'], at('2026-06-10T14:00:00Z'), at('2026-06-12T00:00:00Z'), { ...tokyo, history: [] })).toMatchObject({
      outcome: 'DEFER',
      until: at('2026-06-10T23:00:00Z'),
    });
    const week = [sent('2026-06-08T01:00:00Z'), sent('2026-06-09T01:00:00Z'), sent('2026-06-10T01:00:00Z')];
    // Thursday 10:00 Tokyo after three this week: next Monday 08:00 local, past a 24 h expiry.
    expect(decide(MKT, ['EMAIL'], at('2026-06-11T01:00:00Z'), at('2026-06-12T01:00:00Z'), { ...tokyo, history: week }).outcome).toBe('EXPIRED');
    expect(decide(MKT, ['EMAIL'], at('2026-06-11T01:00:00Z'), at('2026-06-20T00:00:00Z'), { ...tokyo, history: week })).toMatchObject({
      outcome: 'DEFER',
      until: at('2026-06-14T23:00:00Z'),
    });
  });
});

describe('priority and overrides', () => {
  const now = at('2026-06-10T10:00:00Z');
  const expires = at('2026-06-10T20:00:00Z');
  const daily = rule('daily', { kind: 'CALENDAR_CAP', max: 1, unit: 'DAY' }, { action: 'DROP' });
  test('a planned message of higher priority keeps the slot; lower priority or later reserved does not', () => {
    const planned = (priority: number, reservedAt: string) => sent('2026-06-10T15:00:00Z', { priority, reservedAt: at(reservedAt) });
    const ctx = (h: HistoryEntry) => ({ history: [h], rules: [daily], timeZone: 'UTC' });
    expect(decide({ ...MKT, priority: 1 }, ['EMAIL'], now, expires, ctx(planned(5, '2026-06-10T09:00:00Z'))).outcome).toBe('DROP');
    expect(decide({ ...MKT, priority: 5 }, ['EMAIL'], now, expires, ctx(planned(1, '2026-06-10T09:00:00Z'))).outcome).toBe('SEND');
    // Equal priority: first reserved wins.
    expect(decide({ ...MKT, priority: 3 }, ['EMAIL'], now, expires, ctx(planned(3, '2026-06-10T09:00:00Z'))).outcome).toBe('DROP');
    expect(decide({ ...MKT, priority: 3 }, ['EMAIL'], now, expires, ctx(planned(3, '2026-06-10T11:00:00Z'))).outcome).toBe('SEND');
  });
  test('a rolling cap counts planned messages whose window would hold this one', () => {
    const r = rule('r', { kind: 'ROLLING_CAP', max: 1, hours: 4 });
    const later = sent('2026-06-10T12:00:00Z', { priority: 9, reservedAt: at('2026-06-10T08:00:00Z') });
    expect(decide(MKT, ['EMAIL'], now, at('2026-06-11T00:00:00Z'), { history: [later], rules: [r], timeZone: 'UTC' })).toMatchObject({
      outcome: 'DEFER',
      until: at('2026-06-10T16:00:00Z'),
    });
  });
  test('customer overrides: their own cap and a marketing pause drop messages; transactional still goes', () => {
    const base = { history: [sent('2026-06-10T08:00:00Z')], rules: [], timeZone: 'UTC' };
    expect(decide(MKT, ['EMAIL'], now, expires, { ...base, overrides: { cap: { max: 1, unit: 'WEEK' } } })).toEqual({
      outcome: 'DROP',
      failures: [{ ruleId: 'customer:cap', action: 'DROP', reason: 'CUSTOMER_CAP' }],
    });
    expect(decide(MKT, ['EMAIL'], now, expires, { ...base, overrides: { marketingPausedUntil: at('2026-07-01T00:00:00Z') } })).toMatchObject({
      outcome: 'DROP',
      failures: [{ reason: 'CUSTOMER_PAUSED' }],
    });
    expect(decide({ ...MKT, category: 'TRANSACTIONAL' }, ['EMAIL'], now, expires, { ...base, overrides: { marketingPausedUntil: at('2026-07-01T00:00:00Z') } }).outcome).toBe('SEND');
  });
});
