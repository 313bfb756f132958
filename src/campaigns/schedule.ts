import { CronExpressionParser } from 'cron-parser';
import { badInput } from '../errors.js';
import { parseInstant } from '../ingestion/field-checks.js';
import { isValidTimeZone, localInstant, parseClockTime } from './local-time.js';

/*
 * When a campaign fires. Pure functions of the schedule and `now`:
 * - AT: once, at an instant;
 * - RECURRING: a cron pattern (5 fields, minute precision) read in a time zone; each occurrence is a run
 *   that re-resolves the audience;
 * - LOCAL_TIME: once, on a local date and time "where each recipient lives": the run starts when that
 *   time arrives in the earliest time zone (UTC+14) and each message waits for its customer's own
 *   instant (a local time in a DST gap moves to the first valid instant).
 * A run found due later than the lateness limit (the service was down) is not sent hours late: it is
 * recorded as SKIPPED_LATE.
 */

export type ScheduleKind = 'NOW' | 'AT' | 'RECURRING' | 'LOCAL_TIME';

export type Schedule =
  | { kind: 'NOW' }
  | { kind: 'AT'; at: Date }
  | { kind: 'RECURRING'; cron: string; timeZone: string }
  | { kind: 'LOCAL_TIME'; date: string; minutes: number };

/** The earliest and latest UTC offsets in use (Kiritimati +14:00, Baker Island −12:00). */
const EARLIEST_ZONE = 'Etc/GMT-14';
const LATEST_ZONE = 'Etc/GMT+12';

/** What the API accepts: exactly one of the shapes, checked (paths name the argument). */
export interface ScheduleInput {
  at?: string | null;
  cron?: string | null;
  timeZone?: string | null;
  localDate?: string | null;
  localTime?: string | null;
}

/** Checks a schedule input against `now`; returns the schedule. */
export function parseSchedule(input: ScheduleInput, now: Date, path: string): Schedule {
  const given = [input.at != null, input.cron != null, input.localDate != null || input.localTime != null].filter(Boolean).length;
  if (given !== 1) throw badInput(path, 'ONE_OF', 'give exactly one of at, cron (with timeZone), or localDate with localTime');
  // A zone only qualifies a cron pattern: an instant carries its own offset and a local time is each
  // recipient's own, so a zone given with either would be silently ignored.
  if (input.timeZone != null && input.cron == null) throw badInput(`${path}.timeZone`, 'UNEXPECTED_TIME_ZONE', 'timeZone goes with cron only: at carries its offset, localTime is each recipient\'s');
  if (input.at != null) {
    const at = parseInstant(input.at);
    if (!at) throw badInput(`${path}.at`, 'INVALID_DATETIME', 'at is an ISO 8601 date-time with an offset');
    if (at <= now) throw badInput(`${path}.at`, 'IN_THE_PAST', 'at is in the past: use launchCampaign to send now');
    return { kind: 'AT', at };
  }
  if (input.cron != null) {
    const timeZone = input.timeZone ?? 'UTC';
    if (!isValidTimeZone(timeZone)) throw badInput(`${path}.timeZone`, 'INVALID_TIME_ZONE', `unknown time zone ${timeZone}`);
    const cron = input.cron.trim();
    if (cron.split(/\s+/).length !== 5) throw badInput(`${path}.cron`, 'INVALID_CRON', 'cron has 5 fields: minute hour day-of-month month day-of-week');
    try {
      CronExpressionParser.parse(cron, { tz: timeZone, currentDate: now, strict: false });
    } catch (err) {
      throw badInput(`${path}.cron`, 'INVALID_CRON', `cron pattern not understood: ${(err as Error).message}`);
    }
    return { kind: 'RECURRING', cron, timeZone };
  }
  const date = input.localDate ?? '';
  const time = input.localTime ?? '';
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  // Date.parse rolls impossible days over (2026-02-30 reads as 2 March), so the date must read back unchanged.
  const dayMs = Date.parse(`${date}T00:00:00Z`);
  if (!d || Number.isNaN(dayMs) || new Date(dayMs).toISOString().slice(0, 10) !== date) throw badInput(`${path}.localDate`, 'INVALID_DATE', 'localDate is YYYY-MM-DD');
  const minutes = parseClockTime(time);
  if (minutes === undefined) throw badInput(`${path}.localTime`, 'INVALID_TIME', 'localTime is HH:MM (24 h)');
  const schedule: Schedule = { kind: 'LOCAL_TIME', date, minutes };
  if (localSendAt(schedule, LATEST_ZONE) <= now) throw badInput(`${path}.localDate`, 'IN_THE_PAST', 'that local time has passed in every time zone');
  return schedule;
}

/** A LOCAL_TIME schedule's instant in one time zone. */
export function localSendAt(schedule: Extract<Schedule, { kind: 'LOCAL_TIME' }>, zone: string): Date {
  const [year, month, day] = schedule.date.split('-').map(Number);
  return localInstant({ year, month, day }, schedule.minutes, zone);
}

/** The next occurrence of a cron pattern strictly after `after`. */
export function nextOccurrence(cron: string, timeZone: string, after: Date): Date {
  return CronExpressionParser.parse(cron, { tz: timeZone, currentDate: after }).next().toDate();
}

/** When a newly scheduled campaign first fires. */
export function firstRunAt(schedule: Schedule, now: Date): Date {
  switch (schedule.kind) {
    case 'NOW':
      return now;
    case 'AT':
      return schedule.at;
    case 'RECURRING':
      return nextOccurrence(schedule.cron, schedule.timeZone, now);
    case 'LOCAL_TIME':
      return localSendAt(schedule, EARLIEST_ZONE);
  }
}

/**
 * The occurrences of a due campaign at `now`, from its `nextRunAt`: which one fires (the most recent
 * due occurrence, when within the lateness limit), which are skipped (older ones, or the latest one
 * when too late; at most `maxRecorded` are listed), and the next one after `now` (null for one-shot).
 */
export function dueOccurrences(options: {
  schedule: Schedule;
  nextRunAt: Date;
  now: Date;
  latenessLimitMs: number;
  maxRecorded?: number;
}): { fire: Date | null; skipped: Date[]; next: Date | null } {
  const { schedule, now, latenessLimitMs } = options;
  const max = options.maxRecorded ?? 100;
  let due: Date[] = [options.nextRunAt];
  let next: Date | null = null;
  if (schedule.kind === 'RECURRING') {
    // Only the latest `max` occurrences are listed, so after a long outage the walk starts in a window
    // before `now` that already holds that many (doubled from a minute until it does), not at
    // `nextRunAt`: a minutely pattern missed for a month is 45,000 steps of about 0.4 ms otherwise.
    for (let span = 60_000; ; span *= 2) {
      const fromStart = now.getTime() - span <= options.nextRunAt.getTime();
      due = fromStart ? [options.nextRunAt] : [];
      let t = fromStart ? nextOccurrence(schedule.cron, schedule.timeZone, options.nextRunAt) : nextOccurrence(schedule.cron, schedule.timeZone, new Date(now.getTime() - span));
      let seen = due.length;
      while (t <= now) {
        due.push(t);
        seen++;
        if (due.length > max) due.shift();
        t = nextOccurrence(schedule.cron, schedule.timeZone, t);
      }
      next = t;
      if (fromStart || seen >= max) break;
    }
  }
  const latest = due[due.length - 1];
  const isLate = now.getTime() - latest.getTime() > latenessLimitMs;
  return { fire: isLate ? null : latest, skipped: isLate ? due : due.slice(0, -1), next };
}

/** The stored columns of a schedule. */
export function scheduleColumns(s: Schedule): { kind: ScheduleKind; scheduledAt: Date | null; cron: string | null; cronTimeZone: string | null; localDate: string | null; localMinutes: number | null } {
  return {
    kind: s.kind,
    scheduledAt: s.kind === 'AT' ? s.at : null,
    cron: s.kind === 'RECURRING' ? s.cron : null,
    cronTimeZone: s.kind === 'RECURRING' ? s.timeZone : null,
    localDate: s.kind === 'LOCAL_TIME' ? s.date : null,
    localMinutes: s.kind === 'LOCAL_TIME' ? s.minutes : null,
  };
}

/** A schedule back from its stored columns (null when the campaign has none yet). */
export function scheduleFromColumns(c: { scheduleKind: string | null; scheduledAt: Date | null; cron: string | null; cronTimeZone: string | null; localDate: string | null; localMinutes: number | null }): Schedule | null {
  switch (c.scheduleKind) {
    case 'NOW':
      return { kind: 'NOW' };
    case 'AT':
      return { kind: 'AT', at: c.scheduledAt! };
    case 'RECURRING':
      return { kind: 'RECURRING', cron: c.cron!, timeZone: c.cronTimeZone! };
    case 'LOCAL_TIME':
      return { kind: 'LOCAL_TIME', date: c.localDate!, minutes: c.localMinutes! };
    default:
      return null;
  }
}
