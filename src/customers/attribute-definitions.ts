import type pg from 'pg';
import type { Db } from '../db/database.js';
import { loadSqlQueries } from '../db/sql.js';
import { withTransaction } from '../db/transaction.js';
import { badInput, conflict, notFound } from '../errors.js';
import type { AttributeDefinition } from '../schema/attribute-definition.entity.js';
import { AttributeType } from '../schema/enums.js';

const Q = loadSqlQueries(import.meta.url, 'sql/attribute-definitions.sql', [
  'definition_columns',
  'list_definitions',
  'lock_definition',
  'attribute_in_use',
  'upsert_definition',
  'delete_definition',
] as const);

const withColumns = (sql: string) => sql.replace('{{columns}}', Q.definition_columns);
const LIST = withColumns(Q.list_definitions);
const UPSERT = withColumns(Q.upsert_definition);

const KEY_RE = /^[a-z][a-z0-9_]{0,62}$/;

/** The whole attribute catalogue, in key order. */
export async function listAttributeDefinitions(db: Db): Promise<AttributeDefinition[]> {
  const { rows } = await db.pool.query<AttributeDefinition>(LIST);
  return rows;
}

/**
 * Locks the catalogue row of `key` (none for a new key) until the transaction ends and returns its
 * current type, so that the "in use" check that follows cannot be overtaken by another edit of the key.
 */
async function lockDefinition(client: pg.ClientBase, key: string): Promise<AttributeType | null> {
  const { rows } = await client.query<{ type: AttributeType }>(Q.lock_definition, [key]);
  return rows[0]?.type ?? null;
}

/** True when at least one customer carries the attribute (a scan: catalogue edits are rare). */
async function isInUse(client: pg.ClientBase, key: string): Promise<boolean> {
  const { rows } = await client.query(Q.attribute_in_use, [key]);
  return rows.length > 0;
}

/**
 * Creates or updates a catalogue entry. The type of an attribute some customers already carry cannot
 * change (their values would no longer match): that is a CONFLICT. Narrowing `allowedValues` leaves
 * stored values as they are; later writes must use the new list.
 */
export async function defineAttribute(options: {
  db: Db;
  key: string;
  type: AttributeType;
  allowedValues?: string[] | null;
  description?: string | null;
  isSensitive?: boolean | null;
  now: Date;
}): Promise<AttributeDefinition> {
  const { db, key, type, now } = options;
  if (!KEY_RE.test(key)) throw badInput('input.key', 'INVALID_KEY', 'key must be snake_case: a lower-case letter then up to 62 of a-z, 0-9, _');
  const allowed = options.allowedValues ?? null;
  if (allowed) {
    if (type !== AttributeType.STRING && type !== AttributeType.LIST)
      throw badInput('input.allowedValues', 'NOT_APPLICABLE', 'allowedValues applies to STRING and LIST attributes only');
    if (allowed.length === 0 || allowed.length > 1000) throw badInput('input.allowedValues', 'OUT_OF_RANGE', 'give 1 to 1000 allowed values, or null for an open list');
    const bad = allowed.findIndex((v) => v.trim() === '' || v.length > 200);
    if (bad >= 0) throw badInput(`input.allowedValues[${bad}]`, 'INVALID_TEXT', 'allowed values are non-empty strings of at most 200 characters');
    if (new Set(allowed).size !== allowed.length) throw badInput('input.allowedValues', 'DUPLICATE_VALUE', 'allowed values must be distinct');
  }
  const description = options.description ?? '';
  if (description.length > 1000) throw badInput('input.description', 'TOO_LONG', 'description is limited to 1000 characters');

  return withTransaction(db, async (client) => {
    const current = await lockDefinition(client, key);
    if (current !== null && current !== type && (await isInUse(client, key)))
      throw conflict('input.type', 'ATTRIBUTE_IN_USE', `customers already carry "${key}" as ${current}; its type cannot change`);
    const { rows } = await client.query<AttributeDefinition>(UPSERT, [key, type, allowed, description, options.isSensitive ?? false, now]);
    return rows[0];
  });
}

/**
 * Removes a catalogue entry no customer carries; one still in use is a CONFLICT, an unknown key
 * NOT_FOUND. The row is locked, checked and deleted in one transaction.
 */
export async function deleteAttributeDefinition(options: { db: Db; key: string }): Promise<void> {
  const { db, key } = options;
  await withTransaction(db, async (client) => {
    const current = await lockDefinition(client, key);
    if (await isInUse(client, key)) throw conflict('key', 'ATTRIBUTE_IN_USE', `customers still carry "${key}"; remove it from them first`);
    if (current === null) throw notFound('key', `no attribute "${key}" in the catalogue`);
    await client.query(Q.delete_definition, [key]);
  });
}
