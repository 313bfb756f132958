import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Role } from '../../src/schema/enums.js';
import { startTestApp, type TestApp } from '../support/app.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const UPSERT = `mutation($input: [CustomerUpsertInput!]!) { upsertCustomers(input: $input) { received written inserted updated unchanged rejectedRows errors { index field code reason } duplicates { index field code } } }`;

describe('customers API', () => {
  test('upsert then read back with nested fields', async () => {
    const r = await app.gql(UPSERT, {
      input: [
        { externalId: 'a-1', email: 'Ann@Example.com', phone: '06 12 34 56 78', country: 'fr', firstName: 'Ann', consents: [{ channel: 'EMAIL', status: 'SUBSCRIBED', source: 'web', at: '2026-01-01T00:00:00Z' }] },
      ],
    });
    expect(r.errors).toBeUndefined();
    expect(r.data!.upsertCustomers).toMatchObject({ received: 1, inserted: 1, rejectedRows: 0 });
    const q = await app.gql(`{ customer(externalId: "a-1") { id email phone country consents { channel status source changedAt } transactions(first: 3) { amount } } }`);
    expect(q.errors).toBeUndefined();
    expect(q.data!.customer).toMatchObject({
      email: 'ann@example.com',
      phone: '+33612345678',
      country: 'FR',
      consents: [
        { channel: 'EMAIL', status: 'SUBSCRIBED', source: 'web', changedAt: '2026-01-01T00:00:00.000Z' },
        { channel: 'SMS', status: 'NEVER_ASKED', source: null, changedAt: null },
      ],
      transactions: [],
    });
  });

  test('analyst sees masked contact fields; ingest may not read', async () => {
    const a = await app.gql(`{ customer(externalId: "a-1") { email phone } }`, {}, Role.ANALYST);
    expect(a.data!.customer).toEqual({ email: 'a•••@example.com', phone: '+33•••••••78' });
    const i = await app.gql(`{ customer(externalId: "a-1") { email } }`, {}, Role.INGEST);
    expect(i.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', field: 'customer' });
    expect(i.status).toBe(403);
  });
});
