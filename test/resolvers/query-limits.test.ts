import 'reflect-metadata';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type GraphQLResponse, type TestApp } from '../support/app.js';

/*
 * Depth, alias and cost limits refuse an operation at validation, before anything runs, with a user
 * error saying which limit was hit (extensions.reason MAX_DEPTH / MAX_ALIASES / MAX_COST).
 */

/** A refused operation: a 400 user error naming the limit, no data at all. */
function expectRefused(r: GraphQLResponse, reason: 'MAX_DEPTH' | 'MAX_ALIASES' | 'MAX_COST', word: RegExp): void {
  expect(r.status).toBe(400);
  expect(r.data ?? null).toBeNull();
  expect(r.errors).toHaveLength(1);
  const [e] = r.errors!;
  expect(['GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']).toContain(e.extensions?.code);
  expect(e.extensions?.reason).toBe(reason);
  expect(e.message).toMatch(word);
}

async function customerExists(app: TestApp, externalId: string): Promise<boolean> {
  const { rows } = await app.db.pool.query(`SELECT 1 FROM customers WHERE external_id = $1`, [externalId]);
  return rows.length > 0;
}

describe('depth limit', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ GRAPHQL_MAX_DEPTH: '3' });
    const r = await app.gql(`mutation { upsertCustomers(input: [{ externalId: "d-1" }]) { inserted } }`);
    expect(r.data).toEqual({ upsertCustomers: { inserted: 1 } });
  });
  afterAll(async () => {
    await app?.close();
  });

  test('a query at the limit passes', async () => {
    const r = await app.gql(`{ customers(first: 5) { nodes { externalId } } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ customers: { nodes: [{ externalId: 'd-1' }] } });
  });

  test('a query one level deeper is refused with MAX_DEPTH', async () => {
    const r = await app.gql(`{ customers(first: 5) { nodes { consents { status } } } }`);
    expectRefused(r, 'MAX_DEPTH', /depth/i);
  });

  test('depth reached through fragments counts too', async () => {
    const r = await app.gql(`{ ...Q } fragment Q on Query { customers(first: 5) { ...C } } fragment C on CustomerConnection { nodes { consents { status } } }`);
    expectRefused(r, 'MAX_DEPTH', /depth/i);
  });

  test('a mutation over the limit does not run', async () => {
    // Mutation payloads are shallow (depth 3 at most), so this one runs against a limit of 2.
    const shallow = await startTestApp({ GRAPHQL_MAX_DEPTH: '2' });
    try {
      await shallow.gql(`mutation { upsertCustomers(input: [{ externalId: "d-1" }]) { inserted } }`);
      const r = await shallow.gql(`mutation($input: SetConsentInput!) { setConsent(input: $input) { consent { channel } } }`, {
        input: { customer: { externalId: 'd-1' }, channel: 'EMAIL', status: 'SUBSCRIBED', at: '2026-01-01T00:00:00Z' },
      });
      expectRefused(r, 'MAX_DEPTH', /depth/i);
      const { rows } = await shallow.db.pool.query(`SELECT count(*)::int AS n FROM consent_changes`);
      expect(rows[0].n).toBe(0);
    } finally {
      await shallow.close();
    }
  });

  test('introspection (the sandbox, code generators) is not blocked by the depth limit', async () => {
    const r = await app.gql(getIntrospectionQuery());
    expect(r.errors).toBeUndefined();
    expect(r.data!.__schema.queryType.name).toBe('Query');
  });
});

describe('alias limit', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ GRAPHQL_MAX_ALIASES: '2' });
  });
  afterAll(async () => {
    await app?.close();
  });

  test('up to the limit passes', async () => {
    const r = await app.gql(`{ a: viewer { role } b: viewer { name } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ a: { role: 'ADMIN' }, b: { name: 'test admin' } });
  });

  test('one alias more is refused with MAX_ALIASES, and none of the aliased writes runs', async () => {
    const r = await app.gql(`mutation {
      a: upsertCustomers(input: [{ externalId: "al-1" }]) { written }
      b: upsertCustomers(input: [{ externalId: "al-2" }]) { written }
      c: upsertCustomers(input: [{ externalId: "al-3" }]) { written }
    }`);
    expectRefused(r, 'MAX_ALIASES', /alias/i);
    for (const id of ['al-1', 'al-2', 'al-3']) expect(await customerExists(app, id), id).toBe(false);
  });

  test('aliases hidden in fragments count too', async () => {
    const r = await app.gql(`{ a: viewer { role } ...F } fragment F on Query { b: viewer { name } c: viewer { role } }`);
    expectRefused(r, 'MAX_ALIASES', /alias/i);
  });
});

describe('cost limit', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ GRAPHQL_MAX_COST: '30' });
  });
  afterAll(async () => {
    await app?.close();
  });

  test('a cheap query passes', async () => {
    const r = await app.gql(`{ viewer { name role } customers(first: 2) { nodes { id } } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ viewer: { name: 'test admin', role: 'ADMIN' }, customers: { nodes: [] } });
  });

  test('a large page is refused with MAX_COST', async () => {
    const r = await app.gql(`{ customers(first: 500) { nodes { id externalId email transactions(first: 100) { amount } } } }`);
    expectRefused(r, 'MAX_COST', /cost/i);
  });

  test('a large bulk write costs its rows and is refused before it writes', async () => {
    const input = Array.from({ length: 300 }, (_, i) => ({ externalId: `cost-${i}` }));
    const r = await app.gql(`mutation($input: [CustomerUpsertInput!]!) { upsertCustomers(input: $input) { inserted } }`, { input });
    expectRefused(r, 'MAX_COST', /cost/i);
    expect(await customerExists(app, 'cost-0')).toBe(false);
    const small = await app.gql(`mutation($input: [CustomerUpsertInput!]!) { upsertCustomers(input: $input) { inserted } }`, { input: input.slice(0, 5) });
    expect(small.data?.upsertCustomers.inserted).toBe(5);
  });

  test('a page size passed as a variable costs as much as the same literal', async () => {
    const literal = await app.gql(`{ customers(first: 500) { nodes { id } } }`);
    expectRefused(literal, 'MAX_COST', /cost/i);
    const variable = await app.gql(`query($n: Int!) { customers(first: $n) { nodes { id } } }`, { n: 500 });
    expectRefused(variable, 'MAX_COST', /cost/i);
  });

  test('an omitted page size costs as much as its default (50)', async () => {
    const explicit = await app.gql(`{ customers(first: 50) { nodes { id } } }`);
    expectRefused(explicit, 'MAX_COST', /cost/i);
    const implicit = await app.gql(`{ customers { nodes { id } } }`);
    expectRefused(implicit, 'MAX_COST', /cost/i);
  });
});

describe('default limits', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  test('are on: 21 aliases (default limit 20) are refused, 20 pass', async () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: viewer { role }`).join(' ')} }`;
    const ok = await app.gql(aliases(20));
    expect(ok.errors).toBeUndefined();
    expect(Object.keys(ok.data!)).toHaveLength(20);
    expectRefused(await app.gql(aliases(21)), 'MAX_ALIASES', /alias/i);
  });

  test('a realistic customer page with nested fields passes', async () => {
    const r = await app.gql(`{ customers(first: 50) { totalCount pageInfo { hasNextPage endCursor }
      nodes { id externalId email consents { channel status } transactions(first: 3) { amount occurredAt } } } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data!.customers).toEqual({ totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, nodes: [] });
  });
});
