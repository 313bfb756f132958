import 'reflect-metadata';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

/*
 * Nested customer fields go through per-request DataLoaders: a page costs one query per nested field,
 * whatever its size. Queries are counted on the wire: the server runs in this process, so wrapping
 * pg.Client.prototype.query sees every statement it sends (the pool's clients are pg.Client).
 */

const N = 120;
const DAY = 86_400_000;
const BASE = Date.parse('2025-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

interface Expected {
  externalId: string;
  transactions: { externalId: string; occurredAt: string }[];
  events: { externalId: string; occurredAt: string }[];
  consents: { channel: string; status: string }[];
  history: { channel: string; status: string; changedAt: string; isApplied: boolean }[];
}

/** Deterministic shuffle so that storage order is not the expected newest-first order. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

let app: TestApp;
const expected = new Map<string, Expected>();

// Query counting.
const originalQuery = pg.Client.prototype.query;
let recording: string[] | null = null;
function startCounting(): void {
  recording = [];
}
function stopCounting(): string[] {
  const seen = recording ?? [];
  recording = null;
  return seen;
}

beforeAll(async () => {
  // A long key cache so that key verification never adds a query in the middle of a measurement.
  app = await startTestApp({ API_KEY_CACHE_SECONDS: '3600' });
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    if (recording) {
      const q = args[0] as string | { text?: string };
      recording.push(typeof q === 'string' ? q : (q?.text ?? '<copy or cursor>'));
    }
    return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof pg.Client.prototype.query;

  const customers = [];
  const transactions = [];
  const events = [];
  for (let i = 0; i < N; i++) {
    const externalId = `dl-${String(i).padStart(3, '0')}`;
    const consents: { channel: string; status: string; at: string }[] = [];
    const history: Expected['history'] = [];
    if (i % 5 === 0) {
      consents.push({ channel: 'EMAIL', status: 'UNSUBSCRIBED', at: iso(BASE + i * 1000) });
    }
    if (i % 3 !== 0) consents.push({ channel: 'EMAIL', status: 'SUBSCRIBED', at: iso(BASE + DAY + i * 1000) });
    if (i % 4 === 0) consents.push({ channel: 'SMS', status: 'UNSUBSCRIBED', at: iso(BASE + 2 * DAY + i * 1000) });
    const newestOf = (channel: string) => consents.filter((c) => c.channel === channel).sort((a, b) => b.at.localeCompare(a.at))[0];
    const email = newestOf('EMAIL');
    const sms = newestOf('SMS');
    // Every change is kept; only the newest of each channel became current.
    for (const c of [...consents].sort((a, b) => b.at.localeCompare(a.at)))
      history.push({ channel: c.channel, status: c.status, changedAt: c.at, isApplied: c === email || c === sms });
    customers.push({ externalId, firstName: `Customer ${i}`, consents });

    const tx = Array.from({ length: i % 6 }, (_, k) => ({
      externalId: `${externalId}-t${k}`,
      customerExternalId: externalId,
      amount: (1000 + k * 100 + i) / 100,
      currency: 'EUR',
      // Spread out of order: k = 0 is not the oldest.
      occurredAt: iso(BASE + ((k * 5) % 6) * DAY + i * 60_000),
    }));
    const ev = Array.from({ length: i % 4 }, (_, k) => ({
      externalId: `${externalId}-e${k}`,
      customerExternalId: externalId,
      name: k % 2 ? 'song_favourited' : 'page_viewed',
      occurredAt: iso(BASE + ((k * 3) % 4) * DAY + i * 60_000),
    }));
    transactions.push(...tx);
    events.push(...ev);
    const newest = <T extends { occurredAt: string }>(xs: T[], n: number) => [...xs].sort((a, b) => b.occurredAt.localeCompare(a.occurredAt)).slice(0, n);
    expected.set(externalId, {
      externalId,
      transactions: newest(tx, 3).map((t) => ({ externalId: t.externalId, occurredAt: t.occurredAt })),
      events: newest(ev, 2).map((e) => ({ externalId: e.externalId, occurredAt: e.occurredAt })),
      consents: [
        { channel: 'EMAIL', status: email?.status ?? 'NEVER_ASKED' },
        { channel: 'SMS', status: sms?.status ?? 'NEVER_ASKED' },
      ],
      history,
    });
  }

  const up = await app.gql(`mutation($input: [CustomerUpsertInput!]!) { upsertCustomers(input: $input) { inserted rejectedRows } }`, {
    input: shuffled(customers, 1),
  });
  expect(up.data).toEqual({ upsertCustomers: { inserted: N, rejectedRows: 0 } });
  const tr = await app.gql(`mutation($input: [TransactionInput!]!) { recordTransactions(input: $input) { inserted rejectedRows } }`, {
    input: shuffled(transactions, 2),
  });
  expect(tr.data).toEqual({ recordTransactions: { inserted: transactions.length, rejectedRows: 0 } });
  const evr = await app.gql(`mutation($input: [EventInput!]!) { trackEvents(input: $input) { inserted rejectedRows } }`, { input: shuffled(events, 3) });
  expect(evr.data).toEqual({ trackEvents: { inserted: events.length, rejectedRows: 0 } });
});

afterEach(() => {
  recording = null;
});

afterAll(async () => {
  pg.Client.prototype.query = originalQuery;
  await app?.close();
});

const PAGE = `query($first: Int!, $after: String) {
  customers(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      externalId
      consents { channel status }
      transactions(first: 3) { externalId occurredAt }
      events(first: 2) { externalId occurredAt }
      consentHistory { channel status changedAt isApplied }
    }
  }
}`;

async function countedPage(first: number, after?: string) {
  startCounting();
  const r = await app.gql(PAGE, { first, after });
  const queries = stopCounting();
  expect(r.errors).toBeUndefined();
  return { page: r.data!.customers, queries };
}

describe('DataLoader batching', () => {
  test('a page of 100 customers with four nested fields costs as many queries as a page of 10', async () => {
    await countedPage(1); // warm-up: key verification and any per-process preparation
    const small = await countedPage(10);
    const large = await countedPage(100);
    expect(small.page.nodes).toHaveLength(10);
    expect(large.page.nodes).toHaveLength(100);
    // One query for the page, one per nested field (consents, transactions, events, consent history).
    expect(large.queries.length, large.queries.join('\n---\n')).toBeLessThanOrEqual(5);
    expect(large.queries.length).toBe(small.queries.length);
    // The counter does see the server's statements (it is not counting nothing).
    expect(large.queries.some((q) => /FROM customers/i.test(q))).toBe(true);
  });

  test('every customer of the page gets its own nested data: newest transactions first, at most 3; newest 2 events', async () => {
    const { page } = await countedPage(100);
    const second = await countedPage(100, page.pageInfo.endCursor);
    const nodes = [...page.nodes, ...second.page.nodes];
    expect(nodes).toHaveLength(N);
    expect(second.page.pageInfo.hasNextPage).toBe(false);
    for (const node of nodes) {
      const want = expected.get(node.externalId)!;
      expect(node.transactions, node.externalId).toEqual(want.transactions);
      expect(node.events, node.externalId).toEqual(want.events);
      expect(node.consents, node.externalId).toEqual(want.consents);
      expect(node.consentHistory, node.externalId).toEqual(want.history);
    }
    // The fixture covers the interesting cases: customers with none, fewer than 3 and more than 3 purchases.
    const counts = new Set([...expected.values()].map((e) => e.transactions.length));
    expect([...counts].sort()).toEqual([0, 1, 2, 3]);
  });

  test('the same field with different arguments costs one query per argument set, not per customer', async () => {
    await countedPage(1);
    startCounting();
    const r = await app.gql(`{ customers(first: 100) { nodes { externalId
      last: transactions(first: 1) { externalId } recent: transactions(first: 3) { externalId }
      favourites: events(first: 5, name: "song_favourited") { name } } } }`);
    const queries = stopCounting();
    expect(r.errors).toBeUndefined();
    expect(queries.length, queries.join('\n---\n')).toBeLessThanOrEqual(4);
    for (const node of r.data!.customers.nodes) {
      const want = expected.get(node.externalId)!;
      expect(node.last, node.externalId).toEqual(want.transactions.slice(0, 1).map((t) => ({ externalId: t.externalId })));
      expect(node.recent, node.externalId).toEqual(want.transactions.map((t) => ({ externalId: t.externalId })));
      expect(node.favourites.every((e: { name: string }) => e.name === 'song_favourited'), node.externalId).toBe(true);
    }
  });

  test('many customer(externalId) lookups in one operation are batched into one query', async () => {
    await countedPage(1);
    const ids = Array.from({ length: 15 }, (_, i) => `dl-${String(i * 7).padStart(3, '0')}`);
    startCounting();
    const r = await app.gql(`{ ${ids.map((id, i) => `c${i}: customer(externalId: "${id}") { externalId transactions(first: 3) { externalId } }`).join(' ')} }`);
    const queries = stopCounting();
    expect(r.errors).toBeUndefined();
    expect(queries.length, queries.join('\n---\n')).toBeLessThanOrEqual(2);
    ids.forEach((id, i) => {
      expect(r.data![`c${i}`].externalId).toBe(id);
      expect(r.data![`c${i}`].transactions).toEqual(expected.get(id)!.transactions.map((t) => ({ externalId: t.externalId })));
    });
  });
});

describe('look-ahead on customer pages', () => {
  test('consents and transactions asked once on a page come with the page query itself', async () => {
    await countedPage(1);
    startCounting();
    const r = await app.gql(`query($n: Int!) { customers(first: 100) { nodes { externalId consents { channel status changedAt }
      transactions(first: $n) { externalId occurredAt amount } } } }`, { n: 3 });
    const queries = stopCounting();
    expect(r.errors).toBeUndefined();
    expect(queries, queries.join('\n---\n')).toHaveLength(1);
    // Same answers as the batched loaders give a single-customer lookup.
    for (const node of r.data!.customers.nodes.slice(0, 30)) {
      const one = await app.gql(`query($id: String!) { customer(externalId: $id) { consents { channel status changedAt }
        transactions(first: 3) { externalId occurredAt amount } } }`, { id: node.externalId });
      expect(node.consents, node.externalId).toEqual(one.data!.customer.consents);
      expect(node.transactions, node.externalId).toEqual(one.data!.customer.transactions);
    }
  });

  test('transactions with `before` are paged the same way on both paths', async () => {
    const before = iso(BASE + 3 * DAY);
    const r = await app.gql(`query($b: DateTimeISO) { customers(first: 100) { nodes { externalId transactions(first: 2, before: $b) { externalId occurredAt } } } }`, {
      b: before,
    });
    expect(r.errors).toBeUndefined();
    for (const node of r.data!.customers.nodes) {
      const want = [...expected.get(node.externalId)!.transactions].filter((t) => t.occurredAt < before);
      // expected.transactions holds the newest 3; older ones may exist beyond it, so compare prefixes.
      expect(node.transactions.length, node.externalId).toBeLessThanOrEqual(2);
      for (const t of node.transactions) expect(t.occurredAt < before, node.externalId).toBe(true);
      if (want.length >= 2) expect(node.transactions, node.externalId).toEqual(want.slice(0, 2));
    }
  });
});
