import { describe, expect, test } from 'vitest';
import { dueOccurrences, firstRunAt, localSendAt, nextOccurrence, parseSchedule, type Schedule, type ScheduleInput } from '../../src/campaigns/schedule.js';
import { DomainError } from '../../src/errors.js';

/*
 * When campaigns fire, as pure functions of the schedule and a fixed NOW: what the API accepts (and
 * the path and reason of what it refuses), cron occurrences across DST changes, which occurrence of a
 * due campaign fires and which are skipped for lateness, and local-time schedules far from UTC.
 */

const NOW = new Date('2026-06-15T12:00:00.000Z');
const HOUR = 3_600_000;
const LIMIT = HOUR;
const at = (iso: string) => new Date(iso);
const iso = (d: Date | null) => d?.toISOString() ?? null;
const daily10Paris: Schedule = { kind: 'RECURRING', cron: '0 10 * * *', timeZone: 'Europe/Paris' };

/** The next `n` occurrences after `after`, as ISO strings. */
function occurrences(cron: string, timeZone: string, after: string, n: number): string[] {
  const out: string[] = [];
  let t = at(after);
  for (let i = 0; i < n; i++) {
    t = nextOccurrence(cron, timeZone, t);
    out.push(t.toISOString());
  }
  return out;
}

function refusal(input: ScheduleInput): { field: string | null; reason: string } {
  try {
    parseSchedule(input, NOW, 'schedule');
  } catch (err) {
    // Anything else than a DomainError would reach the client as an internal error.
    expect(err).toBeInstanceOf(DomainError);
    return { field: (err as DomainError).field, reason: (err as DomainError).reason };
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe('parseSchedule', () => {
  test.each<[string, ScheduleInput, Schedule]>([
    ['an instant with an offset', { at: '2026-07-01T10:00:00+02:00' }, { kind: 'AT', at: at('2026-07-01T08:00:00Z') }],
    ['a cron pattern in a time zone', { cron: '0 10 * * *', timeZone: 'Europe/Paris' }, daily10Paris],
    ['a cron pattern without a zone is read in UTC', { cron: '0 10 * * 1' }, { kind: 'RECURRING', cron: '0 10 * * 1', timeZone: 'UTC' }],
    ['surrounding spaces are trimmed', { cron: '  0 10 * * 1-5  ', timeZone: 'America/New_York' }, { kind: 'RECURRING', cron: '0 10 * * 1-5', timeZone: 'America/New_York' }],
    ['7 is Sunday too', { cron: '0 10 * * 7' }, { kind: 'RECURRING', cron: '0 10 * * 7', timeZone: 'UTC' }],
    ['a local date and time', { localDate: '2026-07-01', localTime: '10:00' }, { kind: 'LOCAL_TIME', date: '2026-07-01', minutes: 600 }],
    ['a leap day', { localDate: '2028-02-29', localTime: '23:59' }, { kind: 'LOCAL_TIME', date: '2028-02-29', minutes: 1439 }],
    // 10:00 on NOW's date is past in Paris but still ahead at UTC−12 (22:00Z).
    ['a local time passed here but not everywhere', { localDate: '2026-06-15', localTime: '10:00' }, { kind: 'LOCAL_TIME', date: '2026-06-15', minutes: 600 }],
  ])('accepts %s', (_, input, want) => {
    expect(parseSchedule(input, NOW, 'schedule')).toEqual(want);
  });

  test.each<[string, ScheduleInput, string, string]>([
    ['nothing', {}, 'schedule', 'ONE_OF'],
    ['a time zone alone', { timeZone: 'Europe/Paris' }, 'schedule', 'ONE_OF'],
    ['two shapes at once', { at: '2026-07-01T10:00:00Z', cron: '0 10 * * *' }, 'schedule', 'ONE_OF'],
    ['an instant and a local time', { at: '2026-07-01T10:00:00Z', localDate: '2026-07-01', localTime: '10:00' }, 'schedule', 'ONE_OF'],
    ['an instant without an offset', { at: '2026-07-01T10:00:00' }, 'schedule.at', 'INVALID_DATETIME'],
    ['an instant that is not a date', { at: 'tomorrow' }, 'schedule.at', 'INVALID_DATETIME'],
    ['an instant equal to now', { at: NOW.toISOString() }, 'schedule.at', 'IN_THE_PAST'],
    ['an instant in the past', { at: '2026-06-15T11:59:00Z' }, 'schedule.at', 'IN_THE_PAST'],
    ['an unknown time zone', { cron: '0 10 * * *', timeZone: 'Mars/Olympus' }, 'schedule.timeZone', 'INVALID_TIME_ZONE'],
    ['an offset instead of a zone', { cron: '0 10 * * *', timeZone: '+02:00' }, 'schedule.timeZone', 'INVALID_TIME_ZONE'],
    ['a time zone with an instant (its offset says the zone)', { at: '2026-07-01T10:00:00+02:00', timeZone: 'Europe/Paris' }, 'schedule.timeZone', 'UNEXPECTED_TIME_ZONE'],
    ['a time zone with a local time (each recipient has theirs)', { localDate: '2026-07-01', localTime: '10:00', timeZone: 'Europe/Paris' }, 'schedule.timeZone', 'UNEXPECTED_TIME_ZONE'],
    ['a macro', { cron: '@daily' }, 'schedule.cron', 'INVALID_CRON'],
    ['six fields (seconds)', { cron: '0 0 10 * * *' }, 'schedule.cron', 'INVALID_CRON'],
    ['four fields', { cron: '0 10 * *' }, 'schedule.cron', 'INVALID_CRON'],
    ['a minute out of range', { cron: '61 * * * *' }, 'schedule.cron', 'INVALID_CRON'],
    ['a weekday out of range', { cron: '0 10 * * 8' }, 'schedule.cron', 'INVALID_CRON'],
    ['a day that never comes (30 February)', { cron: '0 10 30 2 *' }, 'schedule.cron', 'INVALID_CRON'],
    ['a word', { cron: 'every day at ten' }, 'schedule.cron', 'INVALID_CRON'],
    ['a local time without a date', { localTime: '10:00' }, 'schedule.localDate', 'INVALID_DATE'],
    ['a local date without a time', { localDate: '2026-07-01' }, 'schedule.localTime', 'INVALID_TIME'],
    ['a date written another way', { localDate: '01/07/2026', localTime: '10:00' }, 'schedule.localDate', 'INVALID_DATE'],
    ['month 13', { localDate: '2026-13-01', localTime: '10:00' }, 'schedule.localDate', 'INVALID_DATE'],
    ['30 February', { localDate: '2026-02-30', localTime: '10:00' }, 'schedule.localDate', 'INVALID_DATE'],
    ['31 April', { localDate: '2026-04-31', localTime: '10:00' }, 'schedule.localDate', 'INVALID_DATE'],
    ['29 February of a common year', { localDate: '2027-02-29', localTime: '10:00' }, 'schedule.localDate', 'INVALID_DATE'],
    ['24:00', { localDate: '2026-07-01', localTime: '24:00' }, 'schedule.localTime', 'INVALID_TIME'],
    ['seconds', { localDate: '2026-07-01', localTime: '10:00:00' }, 'schedule.localTime', 'INVALID_TIME'],
    ['one-digit hours', { localDate: '2026-07-01', localTime: '9:30' }, 'schedule.localTime', 'INVALID_TIME'],
    // Midnight of NOW's date is 12:00Z at UTC−12: exactly now, so passed everywhere.
    ['a local time passed in every zone', { localDate: '2026-06-15', localTime: '00:00' }, 'schedule.localDate', 'IN_THE_PAST'],
    ['yesterday', { localDate: '2026-06-14', localTime: '23:59' }, 'schedule.localDate', 'IN_THE_PAST'],
  ])('refuses %s', (_, input, field, reason) => {
    expect(refusal(input)).toEqual({ field, reason });
  });
});

describe('nextOccurrence', () => {
  test.each<[string, string, string, string, number, string[]]>([
    // Paris springs forward on 2026-03-29 (02:00 CET → 03:00 CEST): 02:30 does not exist that day.
    // cron-parser moves it an hour on, to 03:30 CEST (01:30Z): the day still gets its run, an hour
    // later on the wall clock. (localSendAt moves a missing local time to 03:00, the transition itself.)
    ['02:30 on the spring-forward day in Paris runs at 03:30 CEST', '30 2 * * *', 'Europe/Paris', '2026-03-27T12:00:00Z', 4,
      ['2026-03-28T01:30:00.000Z', '2026-03-29T01:30:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z']],
    // Paris falls back on 2026-10-25 (03:00 CEST → 02:00 CET): 02:30 happens twice; it fires once, the first (CEST).
    ['02:30 on the fall-back day in Paris fires once', '30 2 * * *', 'Europe/Paris', '2026-10-23T12:00:00Z', 4,
      ['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z', '2026-10-27T01:30:00.000Z']],
    // Starting between the two 02:30s does not produce the second one.
    ['from inside the repeated hour, the second 02:30 is not an occurrence', '30 2 * * *', 'Europe/Paris', '2026-10-25T00:45:00Z', 1, ['2026-10-26T01:30:00.000Z']],
    ['10:00 daily in Paris keeps its wall time across the spring change', '0 10 * * *', 'Europe/Paris', '2026-03-28T00:00:00Z', 3,
      ['2026-03-28T09:00:00.000Z', '2026-03-29T08:00:00.000Z', '2026-03-30T08:00:00.000Z']],
    // Hourly through the fall-back night: every real hour once, 02:00 CEST and 02:00 CET both.
    ['hourly through the Paris fall-back night', '0 * * * *', 'Europe/Paris', '2026-10-24T23:10:00Z', 4,
      ['2026-10-25T00:00:00.000Z', '2026-10-25T01:00:00.000Z', '2026-10-25T02:00:00.000Z', '2026-10-25T03:00:00.000Z']],
    // New York springs forward on 2026-03-08: Tuesday 10:00 is 15:00Z before, 14:00Z after.
    ['Tuesdays 10:00 in New York across the spring change', '0 10 * * 2', 'America/New_York', '2026-03-01T00:00:00Z', 3,
      ['2026-03-03T15:00:00.000Z', '2026-03-10T14:00:00.000Z', '2026-03-17T14:00:00.000Z']],
    // ... and falls back on 2026-11-01.
    ['Tuesdays 10:00 in New York across the fall change', '0 10 * * 2', 'America/New_York', '2026-10-26T00:00:00Z', 3,
      ['2026-10-27T14:00:00.000Z', '2026-11-03T15:00:00.000Z', '2026-11-10T15:00:00.000Z']],
    ['strictly after: an occurrence at `after` itself is not returned', '0 10 * * *', 'Europe/Paris', '2026-06-15T08:00:00Z', 1, ['2026-06-16T08:00:00.000Z']],
    ['the last day of the month', '0 10 L * *', 'UTC', '2026-02-01T00:00:00Z', 2, ['2026-02-28T10:00:00.000Z', '2026-03-31T10:00:00.000Z']],
  ])('%s', (_, cron, zone, after, n, want) => {
    expect(occurrences(cron, zone, after, n)).toEqual(want);
  });
});

describe('dueOccurrences', () => {
  const recurring = (nextRunAt: string, now: string, extra: { latenessLimitMs?: number; maxRecorded?: number; schedule?: Schedule } = {}) =>
    dueOccurrences({ schedule: extra.schedule ?? daily10Paris, nextRunAt: at(nextRunAt), now: at(now), latenessLimitMs: extra.latenessLimitMs ?? LIMIT, maxRecorded: extra.maxRecorded });
  const shape = (o: ReturnType<typeof dueOccurrences>) => ({ fire: iso(o.fire), skipped: o.skipped.map(iso), next: iso(o.next) });

  test.each<[string, ReturnType<typeof shape>, ReturnType<typeof shape>]>([
    ['on time', shape(recurring('2026-06-15T08:00:00Z', '2026-06-15T08:00:00Z')), { fire: '2026-06-15T08:00:00.000Z', skipped: [], next: '2026-06-16T08:00:00.000Z' }],
    ['late within the limit: fires, nothing skipped', shape(recurring('2026-06-15T08:00:00Z', '2026-06-15T08:59:00Z')), { fire: '2026-06-15T08:00:00.000Z', skipped: [], next: '2026-06-16T08:00:00.000Z' }],
    ['late by exactly the limit still fires', shape(recurring('2026-06-15T08:00:00Z', '2026-06-15T09:00:00Z')), { fire: '2026-06-15T08:00:00.000Z', skipped: [], next: '2026-06-16T08:00:00.000Z' }],
    ['late beyond the limit: skipped', shape(recurring('2026-06-15T08:00:00Z', '2026-06-15T09:00:00.001Z')), { fire: null, skipped: ['2026-06-15T08:00:00.000Z'], next: '2026-06-16T08:00:00.000Z' }],
    [
      'three missed, the latest within the limit: it fires, the older two are skipped',
      shape(recurring('2026-06-15T08:00:00Z', '2026-06-17T08:30:00Z')),
      { fire: '2026-06-17T08:00:00.000Z', skipped: ['2026-06-15T08:00:00.000Z', '2026-06-16T08:00:00.000Z'], next: '2026-06-18T08:00:00.000Z' },
    ],
    [
      'three missed, all beyond the limit: all skipped',
      shape(recurring('2026-06-15T08:00:00Z', '2026-06-17T09:30:00Z')),
      { fire: null, skipped: ['2026-06-15T08:00:00.000Z', '2026-06-16T08:00:00.000Z', '2026-06-17T08:00:00.000Z'], next: '2026-06-18T08:00:00.000Z' },
    ],
    [
      'a longer limit lets the latest fire',
      shape(recurring('2026-06-15T08:00:00Z', '2026-06-17T09:30:00Z', { latenessLimitMs: 2 * HOUR })),
      { fire: '2026-06-17T08:00:00.000Z', skipped: ['2026-06-15T08:00:00.000Z', '2026-06-16T08:00:00.000Z'], next: '2026-06-18T08:00:00.000Z' },
    ],
    [
      'a zero limit: only exactly on time fires',
      shape(recurring('2026-06-15T08:00:00Z', '2026-06-15T08:00:00.001Z', { latenessLimitMs: 0 })),
      { fire: null, skipped: ['2026-06-15T08:00:00.000Z'], next: '2026-06-16T08:00:00.000Z' },
    ],
    [
      'sixteen missed days, at most five recorded: the most recent ones',
      shape(recurring('2026-06-01T08:00:00Z', '2026-06-17T09:30:00Z', { maxRecorded: 5 })),
      {
        fire: null,
        skipped: ['2026-06-13T08:00:00.000Z', '2026-06-14T08:00:00.000Z', '2026-06-15T08:00:00.000Z', '2026-06-16T08:00:00.000Z', '2026-06-17T08:00:00.000Z'],
        next: '2026-06-18T08:00:00.000Z',
      },
    ],
    [
      'capped and firing: the fired one counts toward the cap',
      shape(recurring('2026-06-01T08:00:00Z', '2026-06-17T08:10:00Z', { maxRecorded: 3 })),
      { fire: '2026-06-17T08:00:00.000Z', skipped: ['2026-06-15T08:00:00.000Z', '2026-06-16T08:00:00.000Z'], next: '2026-06-18T08:00:00.000Z' },
    ],
    [
      'the next occurrence is after now even when now is on an occurrence',
      shape(recurring('2026-06-16T08:00:00Z', '2026-06-16T08:00:00Z')),
      { fire: '2026-06-16T08:00:00.000Z', skipped: [], next: '2026-06-17T08:00:00.000Z' },
    ],
    [
      'missed across the Paris spring change: 10:00 is 09:00Z, then 08:00Z',
      shape(recurring('2026-03-28T09:00:00Z', '2026-03-29T08:05:00Z')),
      { fire: '2026-03-29T08:00:00.000Z', skipped: ['2026-03-28T09:00:00.000Z'], next: '2026-03-30T08:00:00.000Z' },
    ],
    [
      'one-shot AT, late within the limit: fires, no next',
      shape(dueOccurrences({ schedule: { kind: 'AT', at: at('2026-06-15T08:00:00Z') }, nextRunAt: at('2026-06-15T08:00:00Z'), now: at('2026-06-15T08:30:00Z'), latenessLimitMs: LIMIT })),
      { fire: '2026-06-15T08:00:00.000Z', skipped: [], next: null },
    ],
    [
      'one-shot AT, beyond the limit: skipped, no next',
      shape(dueOccurrences({ schedule: { kind: 'AT', at: at('2026-06-15T08:00:00Z') }, nextRunAt: at('2026-06-15T08:00:00Z'), now: at('2026-06-15T09:30:00Z'), latenessLimitMs: LIMIT })),
      { fire: null, skipped: ['2026-06-15T08:00:00.000Z'], next: null },
    ],
  ])('%s', (_, got, want) => {
    expect(got).toEqual(want);
  });

  test('a minutely pattern missed for a month: the latest minute fires, the 99 before it are recorded, the rest are not', () => {
    const o = recurring('2026-05-01T00:00:00Z', '2026-06-01T00:00:30Z', { schedule: { kind: 'RECURRING', cron: '* * * * *', timeZone: 'Europe/Paris' } });
    expect(iso(o.fire)).toBe('2026-06-01T00:00:00.000Z');
    expect(o.skipped).toHaveLength(99);
    expect(iso(o.skipped[0])).toBe('2026-05-31T22:21:00.000Z');
    expect(iso(o.skipped[98])).toBe('2026-05-31T23:59:00.000Z');
    expect(iso(o.next)).toBe('2026-06-01T00:01:00.000Z');
  });

  test('a pattern that fires only in some hours, missed for days: the recorded ones are still the most recent', () => {
    // 09:15 to 17:15 on weekdays in New York, down from Friday 2026-06-05 to Tuesday 2026-06-09 11:20 EDT.
    const schedule: Schedule = { kind: 'RECURRING', cron: '15 9-17 * * 1-5', timeZone: 'America/New_York' };
    const o = recurring('2026-06-05T13:15:00Z', '2026-06-09T15:20:00Z', { schedule, maxRecorded: 12 });
    expect(iso(o.fire)).toBe('2026-06-09T15:15:00.000Z');
    // The 12 most recent, the fired one included: all of Monday (09:15 to 17:15 EDT), Tuesday 09:15 and 10:15.
    expect(o.skipped.map(iso)).toEqual([
      ...[13, 14, 15, 16, 17, 18, 19, 20, 21].map((h) => `2026-06-08T${h}:15:00.000Z`),
      '2026-06-09T13:15:00.000Z',
      '2026-06-09T14:15:00.000Z',
    ]);
    expect(iso(o.next)).toBe('2026-06-09T16:15:00.000Z');
  });
});

describe('local-time schedules', () => {
  const july1At10: Extract<Schedule, { kind: 'LOCAL_TIME' }> = { kind: 'LOCAL_TIME', date: '2026-07-01', minutes: 600 };

  test('the first run is when the local time arrives at UTC+14', () => {
    expect(iso(firstRunAt(july1At10, NOW))).toBe('2026-06-30T20:00:00.000Z');
    expect(iso(localSendAt(july1At10, 'Pacific/Kiritimati'))).toBe('2026-06-30T20:00:00.000Z');
  });

  test.each<[string, Extract<Schedule, { kind: 'LOCAL_TIME' }>, string, string]>([
    ['Paris in summer (UTC+2)', july1At10, 'Europe/Paris', '2026-07-01T08:00:00.000Z'],
    ['Paris in winter (UTC+1)', { kind: 'LOCAL_TIME', date: '2026-01-15', minutes: 600 }, 'Europe/Paris', '2026-01-15T09:00:00.000Z'],
    ['Kiritimati (UTC+14): the day before in UTC', july1At10, 'Pacific/Kiritimati', '2026-06-30T20:00:00.000Z'],
    ['Pago Pago (UTC−11)', july1At10, 'Pacific/Pago_Pago', '2026-07-01T21:00:00.000Z'],
    ['New York in summer (UTC−4)', july1At10, 'America/New_York', '2026-07-01T14:00:00.000Z'],
    // 02:30 does not exist in Paris on 2026-03-29: the first valid instant, 03:00 CEST.
    ['a local time in the Paris DST gap', { kind: 'LOCAL_TIME', date: '2026-03-29', minutes: 150 }, 'Europe/Paris', '2026-03-29T01:00:00.000Z'],
    // 02:30 happens twice in Paris on 2026-10-25: the first (CEST).
    ['a local time in the Paris DST overlap', { kind: 'LOCAL_TIME', date: '2026-10-25', minutes: 150 }, 'Europe/Paris', '2026-10-25T00:30:00.000Z'],
  ])('%s', (_, schedule, zone, want) => {
    expect(iso(localSendAt(schedule, zone))).toBe(want);
  });

  test('other shapes: NOW fires now, AT at its instant, RECURRING at its next occurrence', () => {
    expect(firstRunAt({ kind: 'NOW' }, NOW)).toEqual(NOW);
    expect(iso(firstRunAt({ kind: 'AT', at: at('2026-07-01T08:00:00Z') }, NOW))).toBe('2026-07-01T08:00:00.000Z');
    expect(iso(firstRunAt(daily10Paris, NOW))).toBe('2026-06-16T08:00:00.000Z');
  });
});
