import { lexicographicSortSchema, printSchema } from 'graphql';
import { buildCibleSchema } from './schema.js';

/** The API contract as SDL, sorted so that the committed `schema.graphql` diffs cleanly. */
export async function printCibleSchema(): Promise<string> {
  const schema = await buildCibleSchema();
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
