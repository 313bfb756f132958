import type { Db } from '../db/database.js';
import { loadSqlQueries } from '../db/sql.js';
import { AttributeType } from '../schema/enums.js';
import { isStorableText, parseLocalDate } from './field-checks.js';

/** What ingestion, segment rules and templates need to know about one free attribute. */
export interface AttributeSpec {
  key: string;
  type: AttributeType;
  allowedValues: readonly string[] | null;
  isSensitive: boolean;
}

export type AttributeCatalogue = ReadonlyMap<string, AttributeSpec>;

// Every statement on attribute_definitions is in one file, next to the module that edits the catalogue.
const Q = loadSqlQueries(import.meta.url, '../customers/sql/attribute-definitions.sql', ['attribute_catalogue'] as const);

/** Reads the whole catalogue (a few hundred rows at most). */
export async function loadAttributeCatalogue(db: Db): Promise<AttributeCatalogue> {
  const { rows } = await db.pool.query<AttributeSpec>(Q.attribute_catalogue);
  return new Map(rows.map((r) => [r.key, r]));
}

export interface ValueProblem {
  code: string;
  reason: string;
}

const MAX_STRING = 1000;
const MAX_LIST = 100;

/** Checks one attribute value against its definition; returns the problem, or null when valid. */
export function checkAttributeValue(spec: AttributeSpec | undefined, key: string, value: unknown): ValueProblem | null {
  if (!spec) return { code: 'UNKNOWN_ATTRIBUTE', reason: `attribute "${key}" is not in the attribute catalogue` };
  const allowed = spec.allowedValues;
  switch (spec.type) {
    case AttributeType.STRING:
      if (typeof value !== 'string') return { code: 'INVALID_TYPE', reason: `attribute "${key}" must be a string` };
      if (value.length > MAX_STRING) return { code: 'TOO_LONG', reason: `attribute "${key}" is longer than ${MAX_STRING} characters` };
      if (!isStorableText(value)) return { code: 'INVALID_TEXT', reason: `attribute "${key}" contains control characters` };
      if (allowed && !allowed.includes(value)) return notAllowed(key, value, allowed);
      return null;
    case AttributeType.NUMBER:
      return typeof value === 'number' && Number.isFinite(value)
        ? null
        : { code: 'INVALID_TYPE', reason: `attribute "${key}" must be a number` };
    case AttributeType.BOOLEAN:
      return typeof value === 'boolean' ? null : { code: 'INVALID_TYPE', reason: `attribute "${key}" must be true or false` };
    case AttributeType.DATE:
      return typeof value === 'string' && parseLocalDate(value) === value
        ? null
        : { code: 'INVALID_DATE', reason: `attribute "${key}" must be a date written YYYY-MM-DD` };
    case AttributeType.LIST: {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
        return { code: 'INVALID_TYPE', reason: `attribute "${key}" must be a list of strings` };
      if (value.length > MAX_LIST) return { code: 'TOO_LONG', reason: `attribute "${key}" has more than ${MAX_LIST} items` };
      if (value.some((v) => (v as string).length > MAX_STRING || !isStorableText(v as string)))
        return { code: 'INVALID_TEXT', reason: `items of attribute "${key}" must be at most ${MAX_STRING} characters, without control characters` };
      const bad = allowed ? value.find((v) => !allowed.includes(v as string)) : undefined;
      return bad !== undefined ? notAllowed(key, bad as string, allowed!) : null;
    }
  }
}

function notAllowed(key: string, value: string, allowed: readonly string[]): ValueProblem {
  const shown = allowed.length > 10 ? `${allowed.slice(0, 10).join(', ')}, ...` : allowed.join(', ');
  return { code: 'NOT_ALLOWED', reason: `"${value}" is not an allowed value of attribute "${key}" (${shown})` };
}
