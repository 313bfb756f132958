/**
 * The free attributes the seed writes: their catalogue entries, created before any customer, and the
 * check that an existing catalogue accepts every value the seed will write.
 */

import type { Db } from '../db/database.js';
import { conflict } from '../errors.js';
import { AttributeType } from '../schema/enums.js';
import { CLOTHING_SIZES, DIETS, GENRES, HEALTH_CONDITIONS, INTERESTS } from './reference-catalogue.js';

/** One free attribute of the seeded catalogue. */
export interface SeedAttributeDefinition {
  key: string;
  type: AttributeType;
  allowedValues: readonly string[] | null;
  description: string;
  isSensitive: boolean;
}

/** The free attributes the seed defines in `attribute_definitions` before writing customers. */
export const SEED_ATTRIBUTE_DEFINITIONS: readonly SeedAttributeDefinition[] = [
  { key: 'pets_at_home', type: AttributeType.BOOLEAN, allowedValues: null, description: 'Has pets at home (zero-party, preference centre).', isSensitive: false },
  { key: 'clothing_size', type: AttributeType.STRING, allowedValues: CLOTHING_SIZES, description: 'Usual clothing size.', isSensitive: false },
  { key: 'shoe_size', type: AttributeType.NUMBER, allowedValues: null, description: 'EU shoe size.', isSensitive: false },
  { key: 'interests', type: AttributeType.LIST, allowedValues: INTERESTS, description: 'Declared interests.', isSensitive: false },
  { key: 'favourite_genre', type: AttributeType.STRING, allowedValues: null, description: 'Favourite music genre (open list).', isSensitive: false },
  { key: 'diet', type: AttributeType.STRING, allowedValues: DIETS, description: 'Eating habits, for food campaigns.', isSensitive: false },
  { key: 'wedding_anniversary', type: AttributeType.DATE, allowedValues: null, description: 'Wedding anniversary, for greetings.', isSensitive: false },
  { key: 'health_condition', type: AttributeType.STRING, allowedValues: HEALTH_CONDITIONS, description: 'Declared health condition (health data: GDPR art. 9).', isSensitive: true },
];

/** The values the seed writes for its STRING and LIST attributes, open lists included. */
const WRITTEN_VALUES: Record<string, readonly string[]> = {
  clothing_size: CLOTHING_SIZES,
  interests: INTERESTS,
  favourite_genre: GENRES,
  diet: DIETS,
  health_condition: HEALTH_CONDITIONS,
};

/**
 * Creates the seed's catalogue entries; an existing entry must accept every value the seed writes.
 * Returns how many entries the seed uses.
 */
export async function ensureAttributeDefinitions(db: Db, now: Date): Promise<number> {
  for (const d of SEED_ATTRIBUTE_DEFINITIONS) {
    await db.pool.query(
      `INSERT INTO attribute_definitions (key, type, allowed_values, description, is_sensitive, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (key) DO NOTHING`,
      [d.key, d.type, d.allowedValues, d.description, d.isSensitive, now],
    );
  }
  const { rows } = await db.pool.query<{ key: string; type: string; allowed_values: string[] | null }>(
    `SELECT key, type, allowed_values FROM attribute_definitions WHERE key = ANY($1)`,
    [SEED_ATTRIBUTE_DEFINITIONS.map((d) => d.key)],
  );
  for (const d of SEED_ATTRIBUTE_DEFINITIONS) {
    const existing = rows.find((x) => x.key === d.key)!;
    const missing = existing.allowed_values && (WRITTEN_VALUES[d.key] ?? []).find((v) => !existing.allowed_values!.includes(v));
    if (existing.type !== d.type || missing)
      throw conflict('attributes', 'ATTRIBUTE_MISMATCH', `attribute "${d.key}" is already defined as ${existing.type}${missing ? ` without the value "${missing}"` : ''}: the seed needs ${d.type}; use --reset or rename it`);
  }
  return SEED_ATTRIBUTE_DEFINITIONS.length;
}

