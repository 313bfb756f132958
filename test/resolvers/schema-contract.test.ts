import { readFile } from 'node:fs/promises';
import { GraphQLInputObjectType, GraphQLObjectType, isInputObjectType, isIntrospectionType, isObjectType } from 'graphql';
import { expect, test } from 'vitest';
import { printCibleSchema } from '../../src/resolvers/print-schema.js';
import { buildCibleSchema, ONE_OF_INPUTS } from '../../src/resolvers/schema.js';

test('the committed schema.graphql is what the code builds (run `npm run schema:print` after changing the API)', async () => {
  const committed = await readFile(new URL('../../schema.graphql', import.meta.url), 'utf8');
  expect(await printCibleSchema()).toBe(committed);
});

test('@oneOf inputs are flagged and printed', async () => {
  const schema = await buildCibleSchema();
  const sdl = await printCibleSchema();
  for (const name of ONE_OF_INPUTS) {
    expect((schema.getType(name) as GraphQLInputObjectType).isOneOf).toBe(true);
    expect(sdl).toMatch(new RegExp(`input ${name} @oneOf`));
  }
});

test('every root operation is documented for front-end teams', async () => {
  const schema = await buildCibleSchema();
  const undocumented: string[] = [];
  for (const root of [schema.getQueryType(), schema.getMutationType()]) {
    for (const f of Object.values((root as GraphQLObjectType).getFields())) if (!f.description) undocumented.push(`${root!.name}.${f.name}`);
  }
  for (const type of Object.values(schema.getTypeMap())) {
    if (isIntrospectionType(type) || type.name.startsWith('__')) continue;
    if ((isObjectType(type) || isInputObjectType(type)) && !type.description && !['Query', 'Mutation'].includes(type.name))
      undocumented.push(type.name);
  }
  expect(undocumented).toEqual([]);
});

test('every GraphQL example of the README is valid against the schema', async () => {
  const { parse, validate } = await import('graphql');
  const schema = await buildCibleSchema();
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  const operations = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)]
    .flatMap((m) => m[1].split(/\n(?=(?:query|mutation)\b)/))
    .map((op) => op.replace(/#.*$/gm, ''))
    .filter((op) => op.trim() && !op.includes('{ ... }')); // "definition: { ... }" abbreviates an example above it
  expect(operations.length).toBeGreaterThanOrEqual(15);
  const invalid = operations.flatMap((op) => validate(schema, parse(op)).map((e) => `${op.trim().slice(0, 60)}…: ${e.message}`));
  expect(invalid).toEqual([]);
});
