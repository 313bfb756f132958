import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import validator from 'validator';

const { isEmail, isISO31661Alpha2 } = validator;

/**
 * Checks for single values, shared by the GraphQL mutations and the file importer so that both
 * accept exactly the same data. Each returns the normalised value, or `undefined` when invalid.
 */

/** Lower-cased, trimmed email when valid (RFC 5321 length limits included). */
export function normaliseEmail(value: string): string | undefined {
  const email = value.trim().toLowerCase();
  if (email.length > 254 || !isEmail(email, { allow_utf8_local_part: true, require_tld: true })) return undefined;
  return email;
}

/**
 * E.164 form of a phone number. A number without `+` is read as national to `country`
 * (the customer's own country when known); without a country it cannot be interpreted.
 */
export function normalisePhone(value: string, country: string | null | undefined): string | undefined {
  const trimmed = value.trim();
  if (trimmed.length === 0 || trimmed.length > 40) return undefined;
  const defaultCountry = country && isISO31661Alpha2(country) ? (country as CountryCode) : undefined;
  if (!trimmed.startsWith('+') && !trimmed.startsWith('00') && !defaultCountry) return undefined;
  const parsed = parsePhoneNumberFromString(trimmed, defaultCountry);
  return parsed && parsed.isValid() ? parsed.number : undefined;
}

const timeZones = new Map<string, boolean>();
/** True for an IANA time zone name the runtime knows (`Europe/Paris`, `UTC`, ...). */
export function isTimeZone(value: string): boolean {
  let known = timeZones.get(value);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: value });
      known = value.length <= 64;
    } catch {
      known = false;
    }
    if (timeZones.size < 10_000) timeZones.set(value, known);
  }
  return known;
}

const locales = new Map<string, string | null>();
/**
 * Canonical BCP 47 tag (`fr-fr` becomes `fr-FR`). Answers are cached: a base holds a few dozen
 * distinct locales, and Intl.getCanonicalLocales costs ~13 µs a call (10% of a customer import).
 */
export function normaliseLocale(value: string): string | undefined {
  let tag = locales.get(value);
  if (tag === undefined) {
    try {
      const [canonical] = Intl.getCanonicalLocales(value.trim());
      tag = canonical && canonical.length <= 35 ? canonical : null;
    } catch {
      tag = null;
    }
    if (locales.size < 10_000) locales.set(value, tag);
  }
  return tag ?? undefined;
}

/** ISO 3166-1 alpha-2 code, upper-cased. */
export function normaliseCountry(value: string): string | undefined {
  const code = value.trim().toUpperCase();
  return isISO31661Alpha2(code) ? code : undefined;
}

const currencies = new Set(Intl.supportedValuesOf('currency'));
/** ISO 4217 currency code, upper-cased. */
export function normaliseCurrency(value: string): string | undefined {
  const code = value.trim().toUpperCase();
  return currencies.has(code) ? code : undefined;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** A real calendar date written `YYYY-MM-DD` (no 30 February). */
export function parseLocalDate(value: string): string | undefined {
  const m = DATE_RE.exec(value.trim());
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1000) return undefined; // PostgreSQL has no year 0, and such dates are always typos
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
  return m[0];
}

const DATETIME_RE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$/i;
const MIN_INSTANT = Date.UTC(1900, 0, 1);
const MAX_INSTANT = Date.UTC(2200, 0, 1);

/**
 * An instant written in ISO 8601 with an explicit offset (`2026-03-01T10:00:00Z`, `...+01:00`),
 * between 1900 and 2200. A local time without offset is refused: its meaning would depend on the
 * server's time zone.
 */
export function parseInstant(value: string | Date): Date | undefined {
  let date: Date;
  if (value instanceof Date) date = value;
  else {
    const trimmed = value.trim();
    if (!DATETIME_RE.test(trimmed)) return undefined;
    date = new Date(trimmed.replace(' ', 'T'));
  }
  const t = date.getTime();
  return Number.isNaN(t) || t < MIN_INSTANT || t >= MAX_INSTANT ? undefined : date;
}

/** Control characters (NUL included) and lone UTF-16 surrogates: PostgreSQL text and jsonb refuse both. */
const UNSTORABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * False when `value` holds what PostgreSQL cannot store (NUL, a lone surrogate) or a control
 * character: such a value must reject its row, not fail the whole batch in the database.
 */
export function isStorableText(value: string): boolean {
  return !UNSTORABLE.test(value);
}

/** True when every string in a JSON value (object keys included) is storable text. */
export function isStorableJson(value: unknown): boolean {
  if (typeof value === 'string') return isStorableText(value);
  if (Array.isArray(value)) return value.every(isStorableJson);
  if (value !== null && typeof value === 'object') return Object.entries(value).every(([k, v]) => isStorableText(k) && isStorableJson(v));
  return true;
}

/** Trimmed text of at most `max` characters, without control characters; empty becomes null. */
export function cleanText(value: string, max: number): string | null | undefined {
  const text = value.trim();
  if (text.length > max || !isStorableText(text)) return undefined;
  return text.length === 0 ? null : text;
}
