import { GraphQLScalarType } from 'graphql';
import { GraphQLDateTimeISO } from 'graphql-scalars';

/** What `pgTimestampToIso` produces: UTC, millisecond precision, `Z`. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The `DateTimeISO` scalar of graphql-scalars (same name, same input parsing, same output), with a
 * fast path for output: a value already in canonical ISO form (`2026-01-01T10:00:00.000Z`, as the
 * API's read queries return timestamps) is sent as is instead of being parsed into a Date and printed
 * back. Measured on a page of 50 customers: timestamps were ~11% of the API's CPU.
 */
export const DateTimeISO = new GraphQLScalarType({
  ...GraphQLDateTimeISO.toConfig(),
  serialize(value: unknown) {
    if (typeof value === 'string' && ISO_UTC.test(value)) return value;
    return GraphQLDateTimeISO.serialize(value);
  },
});

/**
 * PostgreSQL `timestamptz` text (session time zone UTC, see database.ts) -> canonical ISO string,
 * without building a Date: `2026-01-01 10:00:00.12345+00` -> `2026-01-01T10:00:00.123Z`.
 * Anything unusual (another offset, BC dates, infinity) goes through Date.
 */
export function pgTimestampToIso(text: string): string {
  if (text.length >= 22 && text.endsWith('+00') && text[10] === ' ' && text[4] === '-') {
    const seconds = text.slice(11, 19);
    const fraction = text.length > 22 ? `${text.slice(20, -3)}00`.slice(0, 3) : '000';
    return `${text.slice(0, 10)}T${seconds}.${fraction}Z`;
  }
  const d = new Date(text.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
  return Number.isNaN(d.getTime()) ? text : d.toISOString();
}
