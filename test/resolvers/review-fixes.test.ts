import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Role } from '../../src/schema/enums.js';
import { startTestApp, type TestApp } from '../support/app.js';

/* Behaviours hardened after review: each of these once leaked data, lost a batch or answered a 500. */

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  await app.gql(`mutation { defineAttribute(input: { key: "label", type: STRING }) { key } }`);
  const r = await app.gql(`mutation($input: [CustomerUpsertInput!]!) { upsertCustomers(input: $input) { inserted } }`, {
    input: [{ externalId: 'vip', email: 'vip@example.com', phone: '+33612345678', firstName: 'Vera', lastName: 'Important' }],
  });
  expect(r.data?.upsertCustomers.inserted).toBe(1);
});
afterAll(async () => {
  await app?.close();
});

const UPSERT = `mutation($input: [CustomerUpsertInput!]!) { upsertCustomers(input: $input) {
  inserted updated unchanged consentsApplied rejectedRows errors { index field code } } }`;

describe('no reading through the back door', () => {
  test('setConsent answers the consent, not the customer (ingest may write consents but not read customers)', async () => {
    const r = await app.gql(
      `mutation { setConsent(input: { customer: { externalId: "vip" }, channel: SMS, status: SUBSCRIBED }) { applied customerId consent { status } } }`,
      {},
      Role.INGEST,
    );
    expect(r.data?.setConsent).toMatchObject({ applied: true, consent: { status: 'SUBSCRIBED' } });
    const sneaky = await app.gql(`mutation { setConsent(input: { customer: { externalId: "vip" }, channel: SMS, status: SUBSCRIBED }) { customer { email } } }`, {}, Role.INGEST);
    expect(sneaky.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  test('an analyst cannot recover a masked email or phone by searching prefixes; names still work', async () => {
    const search = (term: string) => app.gql(`query($t: String) { customers(filter: { search: $t }) { totalCount nodes { email } } }`, { t: term }, Role.ANALYST);
    expect((await search('vip@ex')).data?.customers.totalCount).toBe(0);
    expect((await search('+3361')).data?.customers.totalCount).toBe(0);
    expect((await search('ver')).data?.customers.nodes).toEqual([{ email: 'v•••@example.com' }]);
    // Other roles keep the full search.
    expect((await app.gql(`{ customers(filter: { search: "vip@ex" }) { totalCount } }`, {}, Role.MARKETER)).data?.customers.totalCount).toBe(1);
  });
});

describe('bad values reject their row, never the batch', () => {
  test('NUL in a list item or an attribute key, broken Unicode in an attribute: row errors', async () => {
    const r = await app.gql(UPSERT, {
      input: [
        { externalId: 'ok-1' },
        { externalId: 'bad-1', devices: ['a\u0000b'] },
        { externalId: 'bad-2', attributes: { 'x\u0000': null } },
        { externalId: 'bad-3', attributes: { label: 'broken \ud800' } },
      ],
    });
    expect(r.errors).toBeUndefined();
    expect(r.data?.upsertCustomers).toMatchObject({ inserted: 1, rejectedRows: 3 });
    expect(r.data?.upsertCustomers.errors.map((e: { field: string }) => e.field)).toEqual(['input[1].devices', 'input[2].attributes', 'input[3].attributes.label']);
  });

  test('event properties with broken Unicode: a row error', async () => {
    const r = await app.gql(`mutation($input: [EventInput!]!) { trackEvents(input: $input) { inserted rejectedRows errors { field code } } }`, {
      input: [
        { externalId: 'e-ok', customerExternalId: 'vip', name: 'app_opened', occurredAt: '2026-01-01T00:00:00Z', properties: { s: 'fine' } },
        { externalId: 'e-bad', customerExternalId: 'vip', name: 'app_opened', occurredAt: '2026-01-01T00:00:00Z', properties: { s: '\udc00x' } },
      ],
    });
    expect(r.data?.trackEvents).toEqual({ inserted: 1, rejectedRows: 1, errors: [{ field: 'input[1].properties', code: 'INVALID_TEXT' }] });
  });

  test('a wrongly typed number or a missing key is a row error too', async () => {
    const r = await app.gql(UPSERT, { input: [{ externalId: 'typed-1', householdSize: 2.5 }, { firstName: 'No key' }, { externalId: 'typed-2', householdSize: '3' }, { externalId: 'typed-3', householdSize: 3 }] });
    expect(r.errors).toBeUndefined();
    expect(r.data?.upsertCustomers.inserted).toBe(1);
    expect(r.data?.upsertCustomers.errors).toEqual([
      { index: 0, field: 'input[0].householdSize', code: 'OUT_OF_RANGE' },
      { index: 1, field: 'input[1].externalId', code: 'REQUIRED' },
      { index: 2, field: 'input[2].householdSize', code: 'OUT_OF_RANGE' },
    ]);
    const tx = await app.gql(`mutation($input: [TransactionInput!]!) { recordTransactions(input: $input) { inserted errors { field code } } }`, {
      input: [
        { externalId: 't-1', customerExternalId: 'vip', amount: '12', currency: 'EUR', occurredAt: '2026-01-01T00:00:00Z' },
        { externalId: 't-2', customerExternalId: 'vip', amount: 12, currency: 'EUR', occurredAt: '2026-01-01T00:00:00Z', refunded: 'yes' },
        { externalId: 't-3', customerExternalId: 'vip', amount: 12, currency: 'EUR', occurredAt: '2026-01-01T00:00:00Z' },
      ],
    });
    expect(tx.data?.recordTransactions).toEqual({
      inserted: 1,
      errors: [
        { field: 'input[0].amount', code: 'INVALID_AMOUNT' },
        { field: 'input[1].refunded', code: 'INVALID_TYPE' },
      ],
    });
  });

  test('ids beyond a PostgreSQL bigint are bad input, not internal errors', async () => {
    const big = '9999999999999999999';
    const one = await app.gql(`query($id: ID) { customer(id: $id) { id } }`, { id: big });
    expect(one.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    const cursor = Buffer.from(`k:${big}`).toString('base64url');
    const page = await app.gql(`query($a: String) { customers(after: $a) { totalCount } }`, { a: cursor });
    expect(page.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    const consent = await app.gql(`mutation($id: ID) { setConsent(input: { customer: { id: $id }, channel: EMAIL, status: SUBSCRIBED }) { applied } }`, { id: big });
    expect(consent.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.customer.id' });
  });
});

test('a consent change without any field change is counted, and counted once', async () => {
  const at = '2026-02-01T00:00:00Z';
  const first = await app.gql(UPSERT, { input: [{ externalId: 'vip', consents: [{ channel: 'EMAIL', status: 'SUBSCRIBED', at }] }] });
  expect(first.data?.upsertCustomers).toMatchObject({ updated: 0, unchanged: 1, consentsApplied: 1 });
  const again = await app.gql(UPSERT, { input: [{ externalId: 'vip', consents: [{ channel: 'EMAIL', status: 'SUBSCRIBED', at }] }] });
  expect(again.data?.upsertCustomers).toMatchObject({ updated: 0, unchanged: 1, consentsApplied: 0 });
});
