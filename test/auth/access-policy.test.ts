import 'reflect-metadata';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isInterfaceType,
  isUnionType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ACCESS_POLICY } from '../../src/auth/access-policy.js';
import { buildCibleSchema } from '../../src/resolvers/schema.js';
import { Role } from '../../src/schema/enums.js';
import { startTestApp, type GraphQLResponse, type TestApp } from '../support/app.js';

/*
 * The authorisation table is the API's only gate: these tests read the built schema, so a new root
 * operation without a rule, or a rule that the server does not enforce, fails here.
 */

const ROLES = Object.values(Role);
type OperationKind = 'query' | 'mutation' | 'subscription';

interface RootField {
  kind: OperationKind;
  typeName: string;
  field: GraphQLField<unknown, unknown>;
}

function rootFields(schema: GraphQLSchema): RootField[] {
  const roots: [OperationKind, GraphQLObjectType | null | undefined][] = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
    ['subscription', schema.getSubscriptionType()],
  ];
  return roots.flatMap(([kind, type]) => (type ? Object.values(type.getFields()).map((field) => ({ kind, typeName: type.name, field })) : []));
}

/** Scalars the walk knows how to fill; an unknown scalar fails the walk so that it gets a value here. */
const SCALAR_SAMPLES: Record<string, unknown> = {
  String: 'x',
  ID: '1',
  Int: 1,
  Float: 1,
  Boolean: false,
  DateTimeISO: '2026-01-01T00:00:00.000Z',
  LocalDate: '2000-01-01',
  JSONObject: {},
};

/** A syntactically valid value for an input type: only what the type requires. */
function dummyValue(type: GraphQLInputType, path: string): unknown {
  if (isNonNullType(type)) return dummyValue(type.ofType, path);
  if (isListType(type)) return [];
  if (isEnumType(type)) return type.getValues()[0].name;
  if (isScalarType(type)) {
    if (!(type.name in SCALAR_SAMPLES)) throw new Error(`no sample value for scalar ${type.name} (at ${path}); add one to SCALAR_SAMPLES`);
    return SCALAR_SAMPLES[type.name];
  }
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields());
    // @oneOf inputs take exactly one field.
    if (type.isOneOf) return { [fields[0].name]: dummyValue(fields[0].type, `${path}.${fields[0].name}`) };
    const out: Record<string, unknown> = {};
    for (const f of fields) if (isNonNullType(f.type) && f.defaultValue === undefined) out[f.name] = dummyValue(f.type, `${path}.${f.name}`);
    return out;
  }
  throw new Error(`unexpected input type at ${path}`);
}

const isRequired = (a: GraphQLArgument) => isNonNullType(a.type) && a.defaultValue === undefined;

/** An operation selecting exactly one root field, its required arguments passed as variables. */
function operationFor({ kind, field }: RootField): { query: string; variables: Record<string, unknown> } {
  const args = field.args.filter(isRequired);
  const variables: Record<string, unknown> = {};
  for (const a of args) variables[a.name] = dummyValue(a.type, a.name);
  const declared = args.length ? `(${args.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ')})` : '';
  const passed = args.length ? `(${args.map((a) => `${a.name}: $${a.name}`).join(', ')})` : '';
  const named = getNamedType(field.type);
  const selection = isObjectType(named) || isInterfaceType(named) || isUnionType(named) ? ' { __typename }' : '';
  return { query: `${kind} Walk${declared} { ${field.name}${passed}${selection} }`, variables };
}

const codes = (r: GraphQLResponse) => (r.errors ?? []).map((e) => e.extensions?.code);

let app: TestApp;
let schema: GraphQLSchema;

/** A digest of every table an operation could change (api_keys without last_used_at, which a read touches). */
async function fingerprint(): Promise<string> {
  const { rows } = await app.db.pool.query<{ f: string }>(`
    SELECT concat_ws('/',
      (SELECT md5(coalesce(string_agg(c::text, '|' ORDER BY c.id), '')) FROM customers c),
      (SELECT md5(coalesce(string_agg(c::text, '|' ORDER BY c.customer_id, c.channel), '')) FROM customer_consents c),
      (SELECT md5(coalesce(string_agg(c::text, '|' ORDER BY c.id), '')) FROM consent_changes c),
      (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM transactions t),
      (SELECT md5(coalesce(string_agg(e::text, '|' ORDER BY e.id), '')) FROM customer_events e),
      (SELECT md5(coalesce(string_agg(a::text, '|' ORDER BY a.key), '')) FROM attribute_definitions a),
      (SELECT md5(coalesce(string_agg(concat_ws(',', k.id, k.name, k.role, k.revoked_at), '|' ORDER BY k.id), '')) FROM api_keys k)
    ) AS f`);
  return rows[0].f;
}

beforeAll(async () => {
  schema = await buildCibleSchema();
  app = await startTestApp();
  // Something for a wrongly allowed write to change: customer id 1 (the walk's dummy ID), attribute "x".
  const seeded = await app.gql(
    `mutation { upsertCustomers(input: [{ externalId: "seed-1", firstName: "Seed", consents: [{ channel: "EMAIL", status: "SUBSCRIBED", at: "2026-01-01T00:00:00Z" }] }]) { inserted }
                defineAttribute(input: { key: "x", type: NUMBER }) { key } }`,
  );
  expect(seeded.errors).toBeUndefined();
  expect(seeded.data!.upsertCustomers.inserted).toBe(1);
});
afterAll(async () => {
  await app?.close();
});

describe('the access policy table matches the schema', () => {
  test('every root field of Query, Mutation and Subscription has a rule', () => {
    const missing = rootFields(schema)
      .map((r) => `${r.typeName}.${r.field.name}`)
      .filter((name) => !(name in ACCESS_POLICY));
    expect(missing).toEqual([]);
  });

  test('every rule names an existing root field and only known roles', () => {
    const existing = new Set(rootFields(schema).map((r) => `${r.typeName}.${r.field.name}`));
    expect(Object.keys(ACCESS_POLICY).filter((name) => !existing.has(name))).toEqual([]);
    for (const [name, roles] of Object.entries(ACCESS_POLICY)) {
      expect(roles.length, name).toBeGreaterThan(0);
      for (const role of roles) expect(ROLES, name).toContain(role);
    }
  });

  test('the roles mean what the issue says', () => {
    const rules = Object.entries(ACCESS_POLICY);
    // admin: everything.
    expect(rules.filter(([, roles]) => !roles.includes(Role.ADMIN)).map(([n]) => n)).toEqual([]);
    // analyst: read-only.
    expect(rules.filter(([n, roles]) => n.startsWith('Mutation.') && roles.includes(Role.ANALYST)).map(([n]) => n)).toEqual([]);
    // ingest writes customer data but never reads customers.
    expect(ACCESS_POLICY['Query.customer']).not.toContain(Role.INGEST);
    expect(ACCESS_POLICY['Query.customers']).not.toContain(Role.INGEST);
    for (const w of ['upsertCustomers', 'recordTransactions', 'trackEvents', 'setConsent']) {
      expect(ACCESS_POLICY[`Mutation.${w}`], w).toContain(Role.INGEST);
      expect(ACCESS_POLICY[`Mutation.${w}`], w).not.toContain(Role.MARKETER);
    }
    // marketers read customers; API keys are for admins only.
    expect(ACCESS_POLICY['Query.customers']).toContain(Role.MARKETER);
    for (const k of ['Query.apiKeys', 'Mutation.createApiKey', 'Mutation.revokeApiKey']) expect(ACCESS_POLICY[k], k).toEqual([Role.ADMIN]);
  });
});

describe('every root field is enforced for every role', () => {
  test('denied roles get FORBIDDEN (403) and change nothing; allowed roles get through', async () => {
    const fields = rootFields(schema);
    expect(fields.length).toBeGreaterThan(5);
    for (const root of fields) {
      const name = `${root.typeName}.${root.field.name}`;
      const allowed = ACCESS_POLICY[name] ?? [];
      const { query, variables } = operationFor(root);
      // Denied roles first, so that the allowed calls' own writes cannot mask a leak.
      const roles = [...ROLES].sort((a, b) => Number(allowed.includes(a)) - Number(allowed.includes(b)));
      for (const role of roles) {
        const label = `${role} -> ${name}: ${query} ${JSON.stringify(variables)}`;
        if (!allowed.includes(role)) {
          const before = await fingerprint();
          const r = await app.gql(query, variables, role);
          expect(r.status, label).toBe(403);
          expect(r.errors?.[0]?.extensions, label).toMatchObject({ code: 'FORBIDDEN', field: root.field.name });
          expect(r.data ?? null, label).toBeNull();
          expect(await fingerprint(), label).toBe(before);
        } else {
          const r = await app.gql(query, variables, role);
          expect([401, 403], label).not.toContain(r.status);
          expect(r.status, label).toBeLessThan(500);
          // Dummy arguments may be refused (bad input, unknown id, ...), but never as an auth or internal failure.
          for (const code of codes(r)) expect(['BAD_USER_INPUT', 'NOT_FOUND', 'CONFLICT'], label).toContain(code);
        }
      }
    }
  });

  test('without a key every root field is UNAUTHENTICATED (401) and changes nothing', async () => {
    for (const root of rootFields(schema)) {
      const { query, variables } = operationFor(root);
      const before = await fingerprint();
      const r = await app.gql(query, variables, { key: null });
      expect(r.status, query).toBe(401);
      expect(r.errors?.[0]?.extensions, query).toMatchObject({ code: 'UNAUTHENTICATED' });
      expect(r.data ?? null, query).toBeNull();
      expect(await fingerprint(), query).toBe(before);
    }
  });

  test('denied writes with real arguments change nothing', async () => {
    const keys = await app.gql<{ apiKeys: { id: string; name: string }[] }>(`{ apiKeys { id name } }`);
    const analystKeyId = keys.data!.apiKeys.find((k) => k.name === 'test analyst')!.id;
    const real: Record<string, { query: string; variables: Record<string, unknown> }> = {
      upsertCustomers: {
        query: `mutation($input: [CustomerUpsertInput!]!) { upsertCustomers(input: $input) { written } }`,
        variables: { input: [{ externalId: 'seed-1', firstName: 'Changed' }, { externalId: 'intruder', email: 'i@example.com' }] },
      },
      recordTransactions: {
        query: `mutation($input: [TransactionInput!]!) { recordTransactions(input: $input) { written } }`,
        variables: { input: [{ externalId: 't-intruder', customerExternalId: 'seed-1', amount: 10, currency: 'EUR', occurredAt: '2026-01-02T00:00:00Z' }] },
      },
      trackEvents: {
        query: `mutation($input: [EventInput!]!) { trackEvents(input: $input) { written } }`,
        variables: { input: [{ externalId: 'e-intruder', customerExternalId: 'seed-1', name: 'page_viewed', occurredAt: '2026-01-02T00:00:00Z' }] },
      },
      setConsent: {
        query: `mutation($input: SetConsentInput!) { setConsent(input: $input) { applied } }`,
        variables: { input: { customer: { externalId: 'seed-1' }, channel: 'EMAIL', status: 'UNSUBSCRIBED', at: '2026-02-01T00:00:00Z' } },
      },
      defineAttribute: {
        query: `mutation($input: AttributeDefinitionInput!) { defineAttribute(input: $input) { key } }`,
        variables: { input: { key: 'intruder_attr', type: 'STRING' } },
      },
      deleteAttributeDefinition: { query: `mutation($key: String!) { deleteAttributeDefinition(key: $key) }`, variables: { key: 'x' } },
      createApiKey: { query: `mutation { createApiKey(name: "intruder", role: ADMIN) { secret } }`, variables: {} },
      revokeApiKey: { query: `mutation($id: ID!) { revokeApiKey(id: $id) }`, variables: { id: analystKeyId } },
    };
    for (const [field, { query, variables }] of Object.entries(real)) {
      for (const role of ROLES.filter((r) => !ACCESS_POLICY[`Mutation.${field}`].includes(r))) {
        const before = await fingerprint();
        const r = await app.gql(query, variables, role);
        expect(r.status, `${role} ${field}`).toBe(403);
        expect(r.errors?.[0]?.extensions?.code, `${role} ${field}`).toBe('FORBIDDEN');
        expect(await fingerprint(), `${role} ${field}`).toBe(before);
      }
    }
    // The analyst key is still alive after the refused revocations.
    expect((await app.gql(`{ viewer { role } }`, {}, Role.ANALYST)).data).toEqual({ viewer: { role: 'ANALYST' } });
  });
});

describe('API keys', () => {
  test('a missing, malformed or unknown key is UNAUTHENTICATED (401)', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer' },
      { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
      { authorization: `Bearer cible_${'A'.repeat(43)}` },
      { authorization: `Bearer ${app.keys.admin}x` },
      { authorization: `Bearer ${app.keys.admin.slice(0, -1)}` },
      { 'x-api-key': 'not-a-key' },
    ];
    for (const headers of attempts) {
      const res = await fetch(`${app.http.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: '{ viewer { name role } }' }),
      });
      const body = (await res.json()) as GraphQLResponse;
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(body.errors?.[0]?.extensions?.code, JSON.stringify(headers)).toBe('UNAUTHENTICATED');
      expect(body.data ?? null).toBeNull();
    }
  });

  test('each role key is recognised, also through X-Api-Key', async () => {
    for (const role of ROLES) {
      const r = await app.gql(`{ viewer { role } }`, {}, role);
      expect(r.data).toEqual({ viewer: { role: role.toUpperCase() } });
    }
    const res = await fetch(`${app.http.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': app.keys.ingest },
      body: JSON.stringify({ query: '{ viewer { role } }' }),
    });
    expect(await res.json()).toEqual({ data: { viewer: { role: 'INGEST' } } });
  });

  test('a key created through the API works with its role, and stops working once revoked', async () => {
    const created = await app.gql(`mutation { createApiKey(name: "temporary marketer", role: MARKETER) { secret apiKey { id role revokedAt } } }`);
    expect(created.errors).toBeUndefined();
    const { secret, apiKey } = created.data!.createApiKey;
    expect(apiKey).toMatchObject({ role: 'MARKETER', revokedAt: null });

    const asNew = { key: secret as string };
    expect((await app.gql(`{ viewer { name role } }`, {}, asNew)).data).toEqual({ viewer: { name: 'temporary marketer', role: 'MARKETER' } });
    expect((await app.gql(`{ customers(first: 1) { nodes { externalId } } }`, {}, asNew)).errors).toBeUndefined();
    const forbidden = await app.gql(`{ apiKeys { id } }`, {}, asNew);
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const revoked = await app.gql(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { id: apiKey.id });
    expect(revoked.data).toEqual({ revokeApiKey: true });

    const after = await app.gql(`{ viewer { name } }`, {}, asNew);
    expect(after.status).toBe(401);
    expect(after.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(after.data ?? null).toBeNull();

    const list = await app.gql(`{ apiKeys { id revokedAt } }`);
    expect(list.data!.apiKeys.find((k: { id: string }) => k.id === apiKey.id).revokedAt).not.toBeNull();
    // Revoking twice is a NOT_FOUND, and the other keys keep working.
    const again = await app.gql(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { id: apiKey.id });
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
    expect((await app.gql(`{ viewer { role } }`, {}, Role.MARKETER)).data).toEqual({ viewer: { role: 'MARKETER' } });
  });

  test('the secret is never listed: only its prefix', async () => {
    const list = await app.gql(`{ apiKeys { name keyPrefix } }`);
    const admin = list.data!.apiKeys.find((k: { name: string }) => k.name === 'test admin');
    expect(app.keys.admin.startsWith(admin.keyPrefix)).toBe(true);
    expect(admin.keyPrefix.length).toBeLessThan(app.keys.admin.length / 2);
    expect(JSON.stringify(list)).not.toContain(app.keys.admin);
  });
});

describe('fragments, aliases and several operations cannot smuggle a forbidden field', () => {
  const smuggles: [string, string][] = [
    ['fragment spread', `query { ...F } fragment F on Query { apiKeys { id } }`],
    ['nested fragment spreads', `query { viewer { role } ...A } fragment A on Query { ...B } fragment B on Query { apiKeys { id } }`],
    ['inline fragment', `query { ... on Query { apiKeys { id } } }`],
    ['inline fragment without type condition', `query { ... { apiKeys { id } } }`],
    ['alias', `query { me: viewer { role } keys: apiKeys { id } }`],
    ['alias named after an allowed field', `query { viewer: apiKeys { id } }`],
    ['field under a directive', `query { viewer { role } apiKeys @include(if: true) { id } }`],
  ];
  for (const [label, query] of smuggles) {
    test(`${label} as marketer -> FORBIDDEN, nothing returned`, async () => {
      const r = await app.gql(query, {}, Role.MARKETER);
      expect(r.status).toBe(403);
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', field: 'apiKeys' });
      expect(r.data ?? null).toBeNull();
    });
  }

  test('a mutation fragment as ingest -> FORBIDDEN, no key created', async () => {
    const before = await fingerprint();
    const r = await app.gql(`mutation { ...M } fragment M on Mutation { createApiKey(name: "smuggled", role: ADMIN) { secret } }`, {}, Role.INGEST);
    expect(r.status).toBe(403);
    expect(r.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await fingerprint()).toBe(before);
  });

  test('an allowed field next to a forbidden one: the whole operation is refused, the allowed write does not happen', async () => {
    const before = await fingerprint();
    const r = await app.gql(
      `mutation { upsertCustomers(input: [{ externalId: "mixed-1" }]) { written } createApiKey(name: "mixed", role: ADMIN) { secret } }`,
      {},
      Role.INGEST,
    );
    expect(r.status).toBe(403);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', field: 'createApiKey' });
    expect(await fingerprint()).toBe(before);
  });

  test('in a document of several operations, only the selected one is checked, and it cannot be a forbidden one', async () => {
    const document = `query Mine { viewer { role } } query Theirs { apiKeys { id } }`;
    const post = async (operationName: string) => {
      const res = await fetch(`${app.http.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${app.keys.marketer}` },
        body: JSON.stringify({ query: document, operationName }),
      });
      return { ...((await res.json()) as Omit<GraphQLResponse, 'status'>), status: res.status };
    };
    expect((await post('Mine')).data).toEqual({ viewer: { role: 'MARKETER' } });
    const theirs = await post('Theirs');
    expect(theirs.status).toBe(403);
    expect(theirs.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(theirs.data ?? null).toBeNull();
  });
});
