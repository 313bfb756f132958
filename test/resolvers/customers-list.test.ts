import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

/*
 * The customer list: filters (search, country, consent, creation range, erased) and keyset pagination.
 */

let app: TestApp;

const at = '2026-01-01T00:00:00Z';
const FIXTURE = [
  { externalId: 'crm-0001', email: 'ann.lee@example.com', firstName: 'Ann', lastName: 'Lee', phone: '+33612345678', country: 'FR', consents: [{ channel: 'EMAIL', status: 'SUBSCRIBED', at }] },
  {
    externalId: 'crm-0002',
    email: 'bob.martin@shop.fr',
    firstName: 'Bob',
    lastName: 'Martin',
    country: 'fr',
    consents: [
      { channel: 'EMAIL', status: 'UNSUBSCRIBED', at },
      { channel: 'SMS', status: 'SUBSCRIBED', at },
    ],
  },
  { externalId: 'crm-0003', email: 'carla@example.org', firstName: 'Carla', lastName: 'Annaud', country: 'DE' },
  { externalId: 'web-77', firstName: 'Dan', lastName: 'Under_score', phone: '+447911123456', country: 'GB' },
  { externalId: 'web-78', firstName: 'Eve', lastName: 'Underxscore', country: 'GB' },
  { externalId: 'web-79', firstName: 'Fay', lastName: 'Per%cent', country: 'US' },
  { externalId: 'web-80', firstName: 'Gus', lastName: 'Perxcent', country: 'US' },
  { externalId: 'asked-never', firstName: 'Hal', country: 'FR', consents: [{ channel: 'EMAIL', status: 'NEVER_ASKED', at }] },
  { externalId: 'gone-1', email: 'gone@example.com', firstName: 'Ivy', lastName: 'Annex', country: 'FR', consents: [{ channel: 'EMAIL', status: 'SUBSCRIBED', at }] },
];
const PAGED = Array.from({ length: 23 }, (_, i) => ({ externalId: `page-${String(i).padStart(2, '0')}`, country: 'PT' }));

const LIST = `query($filter: CustomerFilterInput, $first: Int, $after: String) {
  customers(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { externalId } }
    nodes { id externalId erasedAt }
  }
}`;

async function list(filter: Record<string, unknown> | null, first = 100, after?: string | null) {
  const r = await app.gql(LIST, { filter, first, after });
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data!.customers as {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { cursor: string; node: { externalId: string } }[];
    nodes: { id: string; externalId: string; erasedAt: string | null }[];
  };
}

/** External ids matching a filter, in list order, after checking that totalCount agrees. */
async function matching(filter: Record<string, unknown> | null): Promise<string[]> {
  const page = await list(filter);
  expect(page.pageInfo.hasNextPage).toBe(false);
  expect(page.totalCount, JSON.stringify(filter)).toBe(page.nodes.length);
  return page.nodes.map((n) => n.externalId);
}

/** Fixture customers only (the paging customers are all in PT). */
const fixtureOnly = (ids: string[]) => ids.filter((id) => !id.startsWith('page-'));
const sorted = (ids: string[]) => [...ids].sort();

beforeAll(async () => {
  app = await startTestApp();
  // One at a time, so that ids follow the fixture order.
  for (const row of [...FIXTURE, ...PAGED]) {
    const r = await app.gql(`mutation($input: [CustomerUpsertInput!]!) { upsertCustomers(input: $input) { inserted rejectedRows } }`, { input: [row] });
    expect(r.data, row.externalId).toEqual({ upsertCustomers: { inserted: 1, rejectedRows: 0 } });
  }
  await app.db.pool.query(`UPDATE customers SET erased_at = now() WHERE external_id = 'gone-1'`);
  await app.db.pool.query(`UPDATE customers SET created_at = '2025-01-01T00:00:00Z' WHERE external_id = 'crm-0001'`);
  await app.db.pool.query(`UPDATE customers SET created_at = '2025-06-01T00:00:00Z' WHERE external_id = 'crm-0002'`);
  await app.db.pool.query(`UPDATE customers SET created_at = '2026-01-01T00:00:00Z' WHERE external_id = 'crm-0003'`);
});
afterAll(async () => {
  await app?.close();
});

describe('search', () => {
  test('matches the beginning of an email, case-insensitively', async () => {
    expect(await matching({ search: 'ANN.LEE' })).toEqual(['crm-0001']);
    expect(await matching({ search: 'Bob.Martin@Shop' })).toEqual(['crm-0002']);
  });

  test('matches a last name, case-insensitively', async () => {
    expect(await matching({ search: 'annaud' })).toEqual(['crm-0003']);
    expect(sorted(await matching({ search: 'ann' }))).toEqual(['crm-0001', 'crm-0003']);
  });

  test('matches an external id', async () => {
    expect(await matching({ search: 'crm-0002' })).toEqual(['crm-0002']);
    expect(await matching({ search: 'web-79' })).toEqual(['web-79']);
  });

  test('matches a phone number in international form', async () => {
    expect(await matching({ search: '+4479111' })).toEqual(['web-77']);
    expect(await matching({ search: '+33612345678' })).toEqual(['crm-0001']);
  });

  test('`%` and `_` in the term are taken literally, not as wildcards', async () => {
    expect(await matching({ search: 'under_' })).toEqual(['web-77']);
    expect(await matching({ search: 'per%' })).toEqual(['web-79']);
    expect(await matching({ search: '%' })).toEqual([]);
    expect(await matching({ search: 'under\\' })).toEqual([]);
  });

  test('no match gives an empty page and a zero count; erased customers are never found', async () => {
    expect(await matching({ search: 'zzz-nobody' })).toEqual([]);
    expect(await matching({ search: 'gone@' })).toEqual([]);
    expect(await matching({ search: 'gone@', includeErased: true })).toEqual(['gone-1']);
  });

  test('a term over 200 characters -> BAD_USER_INPUT on filter.search', async () => {
    const r = await app.gql(LIST, { filter: { search: 'x'.repeat(201) } });
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.search' });
  });
});

describe('search is by prefix (each prefix served by an index)', () => {
  test('a first-name prefix matches; text in the middle of a value does not', async () => {
    expect(await matching({ search: 'carl' })).toEqual(['crm-0003']);
    expect(await matching({ search: 'example' })).toEqual([]);
    expect(await matching({ search: '0003' })).toEqual([]);
  });
});

describe('filters', () => {
  test('country, normalised, erased customers excluded', async () => {
    expect(await matching({ country: 'fr' })).toEqual(['crm-0001', 'crm-0002', 'asked-never']);
    expect(await matching({ country: 'GB' })).toEqual(['web-77', 'web-78']);
    expect(await matching({ country: 'JP' })).toEqual([]);
    const bad = await app.gql(LIST, { filter: { country: 'France' } });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.country' });
  });

  test('consent per channel and status', async () => {
    expect(await matching({ consent: { channel: 'EMAIL', status: 'SUBSCRIBED' } })).toEqual(['crm-0001']);
    expect(await matching({ consent: { channel: 'EMAIL', status: 'UNSUBSCRIBED' } })).toEqual(['crm-0002']);
    expect(await matching({ consent: { channel: 'SMS', status: 'SUBSCRIBED' } })).toEqual(['crm-0002']);
    expect(await matching({ consent: { channel: 'SMS', status: 'UNSUBSCRIBED' } })).toEqual([]);
  });

  test('NEVER_ASKED includes customers with no consent row at all', async () => {
    expect(fixtureOnly(await matching({ consent: { channel: 'EMAIL', status: 'NEVER_ASKED' } }))).toEqual([
      'crm-0003',
      'web-77',
      'web-78',
      'web-79',
      'web-80',
      'asked-never',
    ]);
    const sms = fixtureOnly(await matching({ consent: { channel: 'SMS', status: 'NEVER_ASKED' } }));
    expect(sms).toEqual(FIXTURE.map((c) => c.externalId).filter((id) => id !== 'crm-0002' && id !== 'gone-1'));
  });

  test('creation range: from is inclusive, before is exclusive', async () => {
    expect(await matching({ createdFrom: '2025-06-01T00:00:00Z', createdBefore: '2026-01-01T00:00:00Z' })).toEqual(['crm-0002']);
    expect(await matching({ createdBefore: '2025-06-01T00:00:00Z' })).toEqual(['crm-0001']);
    expect(await matching({ createdFrom: '2024-01-01T00:00:00Z', createdBefore: '2026-01-01T00:00:01Z' })).toEqual(['crm-0001', 'crm-0002', 'crm-0003']);
    expect(await matching({ createdFrom: '2030-01-01T00:00:00Z' })).toEqual([]);
  });

  test('includeErased shows the tombstones, marked', async () => {
    const without = await list({ country: 'FR' });
    expect(without.nodes.map((n) => n.externalId)).not.toContain('gone-1');
    const withErased = await list({ country: 'FR', includeErased: true });
    expect(withErased.totalCount).toBe(4);
    const gone = withErased.nodes.find((n) => n.externalId === 'gone-1')!;
    expect(gone.erasedAt).not.toBeNull();
    expect(withErased.nodes.filter((n) => n.erasedAt !== null)).toHaveLength(1);
  });

  test('filters combine with AND', async () => {
    expect(await matching({ country: 'FR', consent: { channel: 'EMAIL', status: 'SUBSCRIBED' } })).toEqual(['crm-0001']);
    expect(await matching({ country: 'DE', consent: { channel: 'EMAIL', status: 'SUBSCRIBED' } })).toEqual([]);
    expect(await matching({ country: 'FR', search: 'bob' })).toEqual(['crm-0002']);
    expect(await matching({ country: 'GB', search: 'bob' })).toEqual([]);
  });

  test('no filter: everyone but the erased, in id order', async () => {
    const all = await list(null, 500);
    expect(all.totalCount).toBe(FIXTURE.length - 1 + PAGED.length);
    expect(all.nodes.map((n) => n.externalId)).toEqual([...FIXTURE.map((c) => c.externalId).filter((id) => id !== 'gone-1'), ...PAGED.map((c) => c.externalId)]);
    const ids = all.nodes.map((n) => BigInt(n.id));
    for (let i = 1; i < ids.length; i++) expect(ids[i] > ids[i - 1]).toBe(true);
  });
});

describe('keyset pagination', () => {
  async function walk(filter: Record<string, unknown> | null, size: number) {
    const pages = [];
    let after: string | null = null;
    for (let guard = 0; guard < 100; guard++) {
      const page = await list(filter, size, after);
      pages.push(page);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    return pages;
  }

  test('pages follow each other without duplicates or gaps; the last says hasNextPage false', async () => {
    const pages = await walk({ country: 'PT' }, 5);
    expect(pages.map((p) => p.nodes.length)).toEqual([5, 5, 5, 5, 3]);
    expect(pages.map((p) => p.pageInfo.hasNextPage)).toEqual([true, true, true, true, false]);
    for (const p of pages) expect(p.totalCount).toBe(23);
    const seen = pages.flatMap((p) => p.nodes.map((n) => n.externalId));
    expect(seen).toEqual(PAGED.map((c) => c.externalId));
    for (const p of pages) expect(p.pageInfo.endCursor).toBe(p.edges[p.edges.length - 1].cursor);
  });

  test('a page size that divides the total exactly ends with hasNextPage false, not an empty page', async () => {
    const all = await list({ country: 'PT' }, 23);
    expect(all.nodes).toHaveLength(23);
    expect(all.pageInfo.hasNextPage).toBe(false);
    const pages = await walk({ country: 'PT' }, 1);
    expect(pages).toHaveLength(23);
    expect(pages.every((p) => p.nodes.length === 1)).toBe(true);
  });

  test('paging the whole base with a filter-less walk covers everyone once', async () => {
    const pages = await walk(null, 4);
    const seen = pages.flatMap((p) => p.nodes.map((n) => n.externalId));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toHaveLength(FIXTURE.length - 1 + PAGED.length);
  });

  test('any edge cursor resumes right after its node', async () => {
    const first = await list({ country: 'PT' }, 10);
    const resumed = await list({ country: 'PT' }, 3, first.edges[6].cursor);
    expect(resumed.nodes.map((n) => n.externalId)).toEqual(['page-07', 'page-08', 'page-09']);
  });

  test('a customer leaving the filter before the cursor does not shift the next page (keyset, not offset)', async () => {
    const page = await list({ country: 'PT' }, 10);
    await app.db.pool.query(`UPDATE customers SET country = 'ES' WHERE external_id = 'page-02'`);
    try {
      const next = await list({ country: 'PT' }, 3, page.pageInfo.endCursor);
      expect(next.nodes.map((n) => n.externalId)).toEqual(['page-10', 'page-11', 'page-12']);
    } finally {
      await app.db.pool.query(`UPDATE customers SET country = 'PT' WHERE external_id = 'page-02'`);
    }
  });

  test('an invalid cursor -> BAD_USER_INPUT on field after', async () => {
    for (const after of ['garbage', Buffer.from('k:abc').toString('base64url'), Buffer.from('offset:10').toString('base64'), '']) {
      const r = await app.gql(LIST, { filter: null, first: 5, after });
      if (after === '') {
        // An empty cursor is "no cursor" or a bad one, never an internal error.
        expect(r.errors?.[0]?.extensions?.code ?? 'OK').not.toBe('INTERNAL_SERVER_ERROR');
        continue;
      }
      expect(r.errors?.[0]?.extensions, after).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
      expect(r.data ?? null).toBeNull();
    }
  });
});
