import { DateTime } from 'luxon';

/**
 * Local wall-clock times in a customer's time zone, resolved to instants the way the contact rules
 * need: a local time that does not exist (the spring-forward gap) moves forward to the first valid
 * instant, i.e. the transition itself; an ambiguous one (the fall-back overlap) is its first
 * occurrence. Weeks are ISO weeks (Monday first).
 */

/** A zone Luxon knows, else the error names it (callers validate zones on input). */
function zoned(instant: Date, zone: string): DateTime {
  const dt = DateTime.fromJSDate(instant, { zone });
  if (!dt.isValid) throw new Error(`unknown time zone "${zone}"`);
  return dt;
}

/** Whether `zone` is an IANA zone this runtime knows. */
export function isValidTimeZone(zone: string): boolean {
  return DateTime.now().setZone(zone).isValid;
}

/**
 * The instant of local wall time `date` + `minutes` (minutes after midnight, 0..1440) in `zone`.
 * The offsets in force a day before and a day after are tried: a wall time they both give is
 * unambiguous, two give the fall-back overlap (the earlier is kept), none a spring-forward gap,
 * where the first instant whose wall time is at or after it is found by bisection.
 */
export function localInstant(date: { year: number; month: number; day: number }, minutes: number, zone: string): Date {
  const key = `${date.year}-${date.month}-${date.day}|${minutes}|${zone}`;
  let ms = instants.get(key);
  if (ms === undefined) {
    ms = resolveLocalInstant(date, minutes, zone).getTime();
    if (instants.size >= MEMO_SIZE) instants.clear();
    instants.set(key, ms);
  }
  return new Date(ms);
}

/*
 * Deciding a run calls this with the same few local dates for every customer of a zone (today's and
 * this week's midnights, the end of quiet hours): memoised, a decision costs a few microseconds instead
 * of ~100 (each resolution is about ten Luxon conversions). Pure, so the memo never goes stale.
 */
const MEMO_SIZE = 50_000;
const instants = new Map<string, number>();

function resolveLocalInstant(date: { year: number; month: number; day: number }, minutes: number, zone: string): Date {
  const target = DateTime.fromObject({ year: date.year, month: date.month, day: date.day }, { zone: 'UTC' }).plus({ minutes });
  const probe = DateTime.fromMillis(target.toMillis(), { zone });
  if (!probe.isValid) throw new Error(`unknown time zone "${zone}"`);
  const wallKey = (d: DateTime) => d.year * 1e8 + d.month * 1e6 + d.day * 1e4 + d.hour * 100 + d.minute;
  const want = wallKey(target);
  const offsets = new Set([-1, 0, 1].map((days) => probe.plus({ days }).offset));
  const found = [...offsets]
    .map((offset) => target.toMillis() - offset * 60_000)
    .filter((ms) => wallKey(DateTime.fromMillis(ms, { zone })) === want && DateTime.fromMillis(ms, { zone }).second === 0);
  if (found.length) return new Date(Math.min(...found));
  // A gap: the wall time never shows. The first instant whose wall time is at or after it.
  let lo = target.toMillis() - 16 * 3_600_000;
  let hi = target.toMillis() + 16 * 3_600_000;
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2 / 1000) * 1000;
    if (wallKey(DateTime.fromMillis(mid, { zone })) >= want) hi = mid;
    else lo = mid;
  }
  return new Date(hi);
}

/** The local calendar date of an instant. */
export function localDate(instant: Date, zone: string): LocalDate {
  const key = `${instant.getTime()}|${zone}`;
  let l = localDates.get(key);
  if (!l) {
    const d = zoned(instant, zone);
    l = Object.freeze({ year: d.year, month: d.month, day: d.day, weekday: d.weekday, minutes: d.hour * 60 + d.minute + d.second / 60 + d.millisecond / 60_000 });
    if (localDates.size >= MEMO_SIZE) localDates.clear();
    localDates.set(key, l);
  }
  return l;
}

type LocalDate = Readonly<{ year: number; month: number; day: number; weekday: number; minutes: number }>;
/** Deciding a run asks every customer of a zone for the same instants (now, window ends): memoised. */
const localDates = new Map<string, LocalDate>();

/** The local date `days` after the local date of `instant`. */
export function addLocalDays(date: { year: number; month: number; day: number }, days: number): { year: number; month: number; day: number } {
  // Calendar arithmetic on a UTC date (no zone, no DST): Date.UTC normalises day overflow.
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** [start, end) of the local calendar day or ISO week (Monday) holding `instant`. */
export function calendarWindow(instant: Date, unit: 'DAY' | 'WEEK', zone: string): { start: Date; end: Date } {
  const key = `${instant.getTime()}|${unit}|${zone}`;
  let w = windows.get(key);
  if (!w) {
    const l = localDate(instant, zone);
    const first = unit === 'DAY' ? l : addLocalDays(l, 1 - l.weekday);
    const next = addLocalDays(first, unit === 'DAY' ? 1 : 7);
    w = { start: localInstant(first, 0, zone).getTime(), end: localInstant(next, 0, zone).getTime() };
    if (windows.size >= MEMO_SIZE) windows.clear();
    windows.set(key, w);
  }
  return { start: new Date(w.start), end: new Date(w.end) };
}

const windows = new Map<string, { start: number; end: number }>();

/** "HH:MM" (24 h) as minutes after midnight, or undefined when it is not such a time. */
export function parseClockTime(text: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

/** Minutes after midnight as "HH:MM". */
export function formatClockTime(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
