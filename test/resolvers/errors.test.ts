import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type GraphQLResponse, type TestApp } from '../support/app.js';

/*
 * The error contract over HTTP: user errors carry extensions { code, field, reason } with the path of
 * the offending value and change nothing; internal errors are masked, with a request id to quote.
 */

let app: TestApp;
const BODY_LIMIT = 16 * 1024;

beforeAll(async () => {
  app = await startTestApp({ GRAPHQL_BODY_LIMIT: `${BODY_LIMIT}b` });
  const r = await app.gql(`mutation { upsertCustomers(input: [{ externalId: "known-1", email: "known@example.com" }]) { inserted } }`);
  expect(r.data).toEqual({ upsertCustomers: { inserted: 1 } });
});
afterAll(async () => {
  await app?.close();
});

/** The one error of a response, checked against the contract's shape. */
function onlyError(r: GraphQLResponse) {
  expect(r.errors, JSON.stringify(r)).toHaveLength(1);
  const e = r.errors![0];
  expect(typeof e.message).toBe('string');
  expect(e.message.length).toBeGreaterThan(0);
  expect(e.extensions).toHaveProperty('field');
  expect(typeof e.extensions?.reason).toBe('string');
  expect(e.extensions).not.toHaveProperty('stacktrace');
  return e;
}

async function postRaw(body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${app.http.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${app.keys.admin}`, ...headers },
    body,
  });
  const text = await res.text();
  return { res, text };
}

describe('bad arguments', () => {
  test('customer(id: "abc") -> BAD_USER_INPUT on field id', async () => {
    const r = await app.gql(`{ customer(id: "abc") { externalId } }`);
    expect(onlyError(r).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    expect(r.data).toEqual({ customer: null });
  });

  test('customer with both id and externalId, or with neither -> BAD_USER_INPUT', async () => {
    for (const q of [`{ customer(id: "1", externalId: "known-1") { externalId } }`, `{ customer { externalId } }`]) {
      const e = onlyError(await app.gql(q));
      expect(e.extensions?.code, q).toBe('BAD_USER_INPUT');
      expect(e.extensions?.field, q).toMatch(/^(id|externalId)$/);
    }
  });

  test('an unknown customer is null, not an error', async () => {
    const r = await app.gql(`{ a: customer(externalId: "nobody") { id } b: customer(id: "999999") { id } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ a: null, b: null });
  });

  test('customers(first: 501) -> BAD_USER_INPUT on field first (the maximum page is 500)', async () => {
    const r = await app.gql(`{ customers(first: 501) { nodes { id } } }`);
    expect(onlyError(r).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    const negative = await app.gql(`query($n: Int!) { customers(first: $n) { nodes { id } } }`, { n: -1 });
    expect(onlyError(negative).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });

  test('customers(first: 100000) -> a user error naming the page size or the cost, never an internal error', async () => {
    const r = await app.gql(`{ customers(first: 100000) { nodes { id } } }`);
    expect(r.status).toBeLessThan(500);
    const e = onlyError(r);
    expect(e.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
    expect(e.extensions?.field === 'first' || e.extensions?.reason === 'MAX_COST', JSON.stringify(e)).toBe(true);
    const v = await app.gql(`query($n: Int!) { customers(first: $n) { nodes { id } } }`, { n: 100000 });
    expect(v.status).toBeLessThan(500);
    expect(onlyError(v).extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
  });

  test('a nested page size over its maximum names the argument and the path', async () => {
    const r = await app.gql(`{ customer(externalId: "known-1") { transactions(first: 1000) { id } } }`);
    const e = onlyError(r);
    expect(e.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect(e.path).toEqual(['customer', 'transactions']);
  });

  test('a wrong enum in a variable -> BAD_USER_INPUT (400) with the path of the value; nothing recorded', async () => {
    const r = await app.gql(`mutation($input: SetConsentInput!) { setConsent(input: $input) { applied } }`, {
      input: { customer: { externalId: 'known-1' }, channel: 'FAX', status: 'SUBSCRIBED' },
    });
    expect(r.status).toBe(400);
    expect(onlyError(r).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.channel' });
    const filter = await app.gql(`query($filter: CustomerFilterInput) { customers(filter: $filter) { nodes { id } } }`, {
      filter: { consent: { channel: 'EMAIL', status: 'MAYBE' } },
    });
    expect(onlyError(filter).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.consent.status' });
    const { rows } = await app.db.pool.query(`SELECT count(*)::int AS n FROM consent_changes`);
    expect(rows[0].n).toBe(0);
  });

  test('a missing required variable -> BAD_USER_INPUT naming the variable', async () => {
    const r = await app.gql(`mutation($input: SetConsentInput!) { setConsent(input: $input) { applied } }`, {});
    expect(r.status).toBe(400);
    expect(onlyError(r).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input' });
  });

  test('a customer reference with both id and externalId -> BAD_USER_INPUT on input.customer', async () => {
    const r = await app.gql(`mutation($input: SetConsentInput!) { setConsent(input: $input) { applied } }`, {
      input: { customer: { id: '1', externalId: 'known-1' }, channel: 'EMAIL', status: 'SUBSCRIBED' },
    });
    expect(onlyError(r).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.customer' });
  });

  test('an unknown field -> GRAPHQL_VALIDATION_FAILED (400)', async () => {
    const r = await app.gql(`{ customers { nodes { shoeSize } } }`);
    expect(r.status).toBe(400);
    expect(onlyError(r).extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(r.errors![0].message).toContain('shoeSize');
  });
});

describe('domain errors', () => {
  test('setConsent for an unknown customer -> NOT_FOUND on input.customer', async () => {
    const r = await app.gql(`mutation($input: SetConsentInput!) { setConsent(input: $input) { applied } }`, {
      input: { customer: { externalId: 'nobody' }, channel: 'EMAIL', status: 'SUBSCRIBED' },
    });
    expect(onlyError(r).extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.customer' });
    expect(r.data ?? null).toBeNull();
  });

  test('setConsent with a future `at` -> BAD_USER_INPUT on input.at, nothing recorded', async () => {
    const at = new Date(Date.now() + 86_400_000).toISOString();
    const r = await app.gql(`mutation($input: SetConsentInput!) { setConsent(input: $input) { applied } }`, {
      input: { customer: { externalId: 'known-1' }, channel: 'EMAIL', status: 'SUBSCRIBED', at },
    });
    expect(onlyError(r).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.at' });
    const { rows } = await app.db.pool.query(`SELECT count(*)::int AS n FROM consent_changes`);
    expect(rows[0].n).toBe(0);
  });

  test('defineAttribute changing the type of an attribute in use -> CONFLICT, the catalogue unchanged', async () => {
    const define = `mutation($input: AttributeDefinitionInput!) { defineAttribute(input: $input) { key type } }`;
    expect((await app.gql(define, { input: { key: 'shoe_size', type: 'NUMBER' } })).data).toEqual({ defineAttribute: { key: 'shoe_size', type: 'NUMBER' } });
    const used = await app.gql(`mutation { upsertCustomers(input: [{ externalId: "known-1", attributes: { shoe_size: 42 } }]) { updated rejectedRows } }`);
    expect(used.data).toEqual({ upsertCustomers: { updated: 1, rejectedRows: 0 } });

    const r = await app.gql(define, { input: { key: 'shoe_size', type: 'STRING' } });
    expect(onlyError(r).extensions).toMatchObject({ code: 'CONFLICT', field: 'input.type' });
    const catalogue = await app.gql(`{ attributeDefinitions { key type } }`);
    expect(catalogue.data!.attributeDefinitions).toEqual([{ key: 'shoe_size', type: 'NUMBER' }]);

    const del = await app.gql(`mutation { deleteAttributeDefinition(key: "shoe_size") }`);
    expect(onlyError(del).extensions).toMatchObject({ code: 'CONFLICT', field: 'key' });
    const missing = await app.gql(`mutation { deleteAttributeDefinition(key: "never_defined") }`);
    expect(onlyError(missing).extensions).toMatchObject({ code: 'NOT_FOUND', field: 'key' });
  });

  test('an invalid catalogue entry -> BAD_USER_INPUT with its path, nothing stored', async () => {
    const define = `mutation($input: AttributeDefinitionInput!) { defineAttribute(input: $input) { key } }`;
    const cases: [Record<string, unknown>, string][] = [
      [{ key: 'Bad Key', type: 'STRING' }, 'input.key'],
      [{ key: 'sizes', type: 'STRING', allowedValues: ['S', 'S'] }, 'input.allowedValues'],
      [{ key: 'sizes', type: 'STRING', allowedValues: ['S', ''] }, 'input.allowedValues[1]'],
      [{ key: 'sizes', type: 'NUMBER', allowedValues: ['1'] }, 'input.allowedValues'],
    ];
    for (const [input, field] of cases) {
      const r = await app.gql(define, { input });
      expect(onlyError(r).extensions, JSON.stringify(input)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    const catalogue = await app.gql(`{ attributeDefinitions { key } }`);
    expect(catalogue.data!.attributeDefinitions.map((a: { key: string }) => a.key)).not.toContain('sizes');
  });
});

describe('bulk writes: partial success', () => {
  test('one bad row among good ones: HTTP 200, no GraphQL error, the row listed, the good rows written', async () => {
    const r = await app.gql(
      `mutation($input: [CustomerUpsertInput!]!) { upsertCustomers(input: $input) { received written rejectedRows errors { index field code reason } } }`,
      {
        input: [
          { externalId: 'bulk-1', email: 'one@example.com' },
          { externalId: 'bulk-2', email: 'not an email', gender: 'ROBOT' },
          { externalId: 'bulk-3', email: 'three@example.com', gender: 'female' },
        ],
      },
    );
    expect(r.status).toBe(200);
    expect(r.errors).toBeUndefined();
    const result = r.data!.upsertCustomers;
    expect(result).toMatchObject({ received: 3, written: 2, rejectedRows: 1 });
    expect(result.errors.map((e: { index: number; field: string; code: string }) => [e.index, e.field, e.code])).toEqual([
      [1, 'input[1].email', 'INVALID_EMAIL'],
      [1, 'input[1].gender', 'INVALID_VALUE'],
    ]);
    for (const e of result.errors) expect(e.reason.length).toBeGreaterThan(0);
    const read = await app.gql(`{ a: customer(externalId: "bulk-1") { email } b: customer(externalId: "bulk-2") { email } c: customer(externalId: "bulk-3") { gender } }`);
    expect(read.data).toEqual({ a: { email: 'one@example.com' }, b: null, c: { gender: 'FEMALE' } });
  });

  test('an unknown customer in recordTransactions is a row error, not a call failure', async () => {
    const r = await app.gql(
      `mutation($input: [TransactionInput!]!) { recordTransactions(input: $input) { written errors { index field code } } }`,
      {
        input: [
          { externalId: 'bt-1', customerExternalId: 'known-1', amount: 9.99, currency: 'EUR', occurredAt: '2026-01-01T00:00:00Z' },
          { externalId: 'bt-2', customerExternalId: 'nobody', amount: 9.99, currency: 'EUR', occurredAt: '2026-01-01T00:00:00Z' },
        ],
      },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.recordTransactions).toEqual({ written: 1, errors: [{ index: 1, field: 'input[1].customerExternalId', code: 'UNKNOWN_CUSTOMER' }] });
  });
});

describe('HTTP-level errors are JSON in the same shape', () => {
  test('a malformed JSON body -> 400 with a JSON error and a code', async () => {
    const { res, text } = await postRaw('{"query": "{ viewer { name } }"');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = JSON.parse(text);
    expect(body.errors[0].extensions).toMatchObject({ code: 'BAD_REQUEST' });
    expect(text).not.toMatch(/<html|<pre|at .*\.js:\d+/i);
  });

  test('a body over the limit -> 413 with a JSON error PAYLOAD_TOO_LARGE, nothing written', async () => {
    const input = Array.from({ length: 400 }, (_, i) => ({ externalId: `too-large-${i}`, firstName: 'x'.repeat(40) }));
    const body = JSON.stringify({ query: `mutation($input: [CustomerUpsertInput!]!) { upsertCustomers(input: $input) { written } }`, variables: { input } });
    expect(body.length).toBeGreaterThan(BODY_LIMIT);
    const { res, text } = await postRaw(body);
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(text).errors[0].extensions).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    const { rows } = await app.db.pool.query(`SELECT count(*)::int AS n FROM customers WHERE external_id LIKE 'too-large-%'`);
    expect(rows[0].n).toBe(0);
  });

  test('other malformed requests are JSON errors with a code too', async () => {
    for (const [body, headers] of [
      ['{}', {}],
      ['[]', {}],
      ['{"query": 42}', {}],
      ['{ viewer { name } }', { 'content-type': 'text/plain' }],
    ] as [string, Record<string, string>][]) {
      const { res, text } = await postRaw(body, headers);
      expect(res.status, body).toBe(400);
      expect(res.headers.get('content-type'), body).toMatch(/^application\/json/);
      expect(JSON.parse(text).errors[0].extensions.code, body).toMatch(/^[A-Z_]+$/);
    }
  });
});

describe('internal errors', () => {
  test('are masked, coded INTERNAL_SERVER_ERROR, and carry the request id of the x-request-id header', async () => {
    await app.db.pool.query(`ALTER TABLE customer_events RENAME TO customer_events_hidden`);
    try {
      const query = JSON.stringify({ query: `{ customer(externalId: "known-1") { externalId events(first: 2) { name } } }` });
      // With a request id given by the caller (a proxy, say): it is kept.
      const given = await postRaw(query, { 'x-request-id': 'trace-abc-123' });
      expect(given.res.headers.get('x-request-id')).toBe('trace-abc-123');
      const body = JSON.parse(given.text) as GraphQLResponse;
      expect(body.errors).toHaveLength(1);
      const e = body.errors![0];
      expect(e.extensions).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', requestId: 'trace-abc-123' });
      expect(e.message).not.toMatch(/customer_events|relation|does not exist|select/i);
      expect(given.text).not.toMatch(/customer_events|stack|\.ts:\d+/i);

      // Without one: the server makes one, and the header and the error agree.
      const made = await postRaw(query);
      const id = made.res.headers.get('x-request-id');
      expect(id).toMatch(/^[A-Za-z0-9._-]{8,}$/);
      expect((JSON.parse(made.text) as GraphQLResponse).errors![0].extensions).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', requestId: id });
    } finally {
      await app.db.pool.query(`ALTER TABLE customer_events_hidden RENAME TO customer_events`);
    }
    // And the API is fine again afterwards.
    const ok = await app.gql(`{ customer(externalId: "known-1") { events(first: 2) { name } } }`);
    expect(ok.errors).toBeUndefined();
    expect(ok.data).toEqual({ customer: { events: [] } });
  });

  test('a request id that is not a safe token is replaced, never echoed', async () => {
    const { res } = await postRaw(JSON.stringify({ query: '{ viewer { name } }' }), { 'x-request-id': 'evil id <script>' });
    const id = res.headers.get('x-request-id');
    expect(id).not.toBe('evil id <script>');
    expect(id).toMatch(/^[A-Za-z0-9._-]+$/);
  });
});

describe('a bulk row the database cannot store', () => {
  let fresh: TestApp;
  beforeAll(async () => {
    fresh = await startTestApp();
    // Created by SQL, so that the event write below is this server's first bulk write.
    await fresh.db.pool.query(`INSERT INTO customers (external_id) VALUES ('owner')`);
  });
  afterAll(async () => {
    await fresh?.close();
  });

  test('is a row error, not a failed call', async () => {
    // The first bulk write of this server carries a NUL character, which PostgreSQL's jsonb refuses.
    const events = `mutation($input: [EventInput!]!) { trackEvents(input: $input) { written errors { index field } } }`;
    const r = await fresh.gql(events, {
      input: [
        { externalId: 'nul-1', customerExternalId: 'owner', name: 'song_favourited', properties: { title: 'a\u0000b' }, occurredAt: '2026-01-01T00:00:00Z' },
        { externalId: 'ok-1', customerExternalId: 'owner', name: 'song_favourited', occurredAt: '2026-01-01T00:00:00Z' },
      ],
    });
    expect(r.errors).toBeUndefined();
    expect(r.data!.trackEvents).toEqual({ written: 1, errors: [{ index: 0, field: 'input[0].properties' }] });
  });

  test('whatever became of it, the requests after it still work', async () => {
    for (let i = 0; i < 3; i++) {
      const next = await fresh.gql(`mutation($id: String!) { upsertCustomers(input: [{ externalId: $id }]) { inserted } }`, { id: `after-${i}` });
      expect(next.errors, `request ${i} after the bad row`).toBeUndefined();
      expect(next.data).toEqual({ upsertCustomers: { inserted: 1 } });
    }
  });
});
