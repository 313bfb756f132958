import type { Db } from '../db/database.js';
import { withTransaction } from '../db/transaction.js';
import { badInput, conflict, notFound } from '../errors.js';
import type { AttributeDefinition } from '../schema/attribute-definition.entity.js';
import { AttributeType } from '../schema/enums.js';

const KEY_RE = /^[a-z][a-z0-9_]{0,62}$/;
const COLUMNS = `key, type, allowed_values AS "allowedValues", description, is_sensitive AS "isSensitive",
                 created_at AS "createdAt", updated_at AS "updatedAt"`;

export async function listAttributeDefinitions(db: Db): Promise<AttributeDefinition[]> {
  const { rows } = await db.pool.query<AttributeDefinition>(`SELECT ${COLUMNS} FROM attribute_definitions ORDER BY key`);
  return rows;
}

/** True when at least one customer carries the attribute (a scan: catalogue edits are rare). */
async function isInUse(db: Db, key: string): Promise<boolean> {
  const { rows } = await db.pool.query(`SELECT 1 FROM customers WHERE attributes ? $1 LIMIT 1`, [key]);
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
    const existing = await client.query<{ type: AttributeType }>(`SELECT type FROM attribute_definitions WHERE key = $1 FOR UPDATE`, [key]);
    if (existing.rows[0] && existing.rows[0].type !== type && (await isInUse(db, key)))
      throw conflict('input.type', 'ATTRIBUTE_IN_USE', `customers already carry "${key}" as ${existing.rows[0].type}; its type cannot change`);
    const { rows } = await client.query<AttributeDefinition>(
      `INSERT INTO attribute_definitions (key, type, allowed_values, description, is_sensitive, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6)
       ON CONFLICT (key) DO UPDATE SET type = EXCLUDED.type, allowed_values = EXCLUDED.allowed_values,
         description = EXCLUDED.description, is_sensitive = EXCLUDED.is_sensitive, updated_at = EXCLUDED.updated_at
       RETURNING ${COLUMNS}`,
      [key, type, allowed, description, options.isSensitive ?? false, now],
    );
    return rows[0];
  });
}

/** Removes a catalogue entry no customer carries; one still in use is a CONFLICT. */
export async function deleteAttributeDefinition(options: { db: Db; key: string }): Promise<void> {
  const { db, key } = options;
  if (await isInUse(db, key)) throw conflict('key', 'ATTRIBUTE_IN_USE', `customers still carry "${key}"; remove it from them first`);
  const { rowCount } = await db.pool.query(`DELETE FROM attribute_definitions WHERE key = $1`, [key]);
  if (!rowCount) throw notFound('key', `no attribute "${key}" in the catalogue`);
}
