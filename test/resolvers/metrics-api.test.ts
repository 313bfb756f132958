import { afterAll, beforeAll, expect, test } from 'vitest';
import { Role } from '../../src/schema/enums.js';
import { metricsQueue } from '../../src/workers/metrics.worker.js';
import { startTestApp, type TestApp } from '../support/app.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({}, { workers: [metricsQueue] });
  const now = Date.now();
  const day = 86_400_000;
  await app.gql(`mutation($input: [CustomerUpsertInput!]!) { upsertCustomers(input: $input) { inserted } }`, {
    input: [{ externalId: 'buyer' }, { externalId: 'prospect' }, { externalId: 'lapsed' }],
  });
  const r = await app.gql(`mutation($input: [TransactionInput!]!) { recordTransactions(input: $input) { inserted } }`, {
    input: [
      { externalId: 'b1', customerExternalId: 'buyer', amount: 40, currency: 'EUR', occurredAt: new Date(now - 100 * day).toISOString() },
      { externalId: 'b2', customerExternalId: 'buyer', amount: 60, currency: 'EUR', occurredAt: new Date(now - 10 * day).toISOString() },
      { externalId: 'l1', customerExternalId: 'lapsed', amount: 500, currency: 'EUR', occurredAt: new Date(now - 300 * day).toISOString() },
    ],
  });
  expect(r.data?.recordTransactions.inserted).toBe(3);
});
afterAll(async () => {
  await app?.close();
});

async function waitForRun(id: string) {
  const until = Date.now() + 20_000;
  for (;;) {
    const r = await app.gql(`{ metricsRefreshes(first: 5) { id kind status customers durationMs error } }`, {}, Role.ANALYST);
    const run = r.data!.metricsRefreshes.find((x: { id: string }) => x.id === id);
    if (run && (run.status === 'SUCCEEDED' || run.status === 'FAILED')) return run;
    if (Date.now() > until) throw new Error(`run ${id} did not finish: ${JSON.stringify(run)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

test('a marketer asks for a refresh, a worker runs it, and every customer has metrics', async () => {
  const asked = await app.gql(`mutation { refreshCustomerMetrics { id kind status } }`, {}, Role.MARKETER);
  expect(asked.data?.refreshCustomerMetrics).toMatchObject({ kind: 'FULL', status: 'QUEUED' });
  const run = await waitForRun(asked.data!.refreshCustomerMetrics.id);
  expect(run).toMatchObject({ status: 'SUCCEEDED', customers: 3, error: null });

  const q = await app.gql(`{ customers(first: 10) { nodes { externalId metrics { purchaseCount totalSpent recencyDays lifecycleStage rfmGroup clvHistoric rScore } } } }`, {}, Role.ANALYST);
  const by = Object.fromEntries(q.data!.customers.nodes.map((n: { externalId: string; metrics: unknown }) => [n.externalId, n.metrics]));
  expect(by.buyer).toMatchObject({ purchaseCount: 2, totalSpent: 100, recencyDays: 10, lifecycleStage: 'ACTIVE', clvHistoric: 100 });
  expect(by.prospect).toMatchObject({ purchaseCount: 0, lifecycleStage: 'PROSPECT', rfmGroup: null, rScore: null });
  expect(by.lapsed).toMatchObject({ purchaseCount: 1, lifecycleStage: 'LAPSED' });
  const cuts = await app.gql(`{ metricCutPoints { buyers recencyDays purchaseCount totalSpent } }`, {}, Role.ANALYST);
  expect(cuts.data?.metricCutPoints.buyers).toBe(2);
});

test('new purchases are picked up by an incremental refresh; analysts and ingest keys may not ask for refreshes', async () => {
  await app.gql(`mutation { recordTransactions(input: [{ externalId: "p1", customerExternalId: "prospect", amount: 15, currency: "EUR", occurredAt: "${new Date().toISOString()}" }]) { inserted } }`);
  const asked = await app.gql(`mutation { refreshCustomerMetrics(kind: INCREMENTAL) { id } }`);
  const run = await waitForRun(asked.data!.refreshCustomerMetrics.id);
  expect(run).toMatchObject({ kind: 'INCREMENTAL', status: 'SUCCEEDED', customers: 1 });
  const c = await app.gql(`{ customer(externalId: "prospect") { metrics { purchaseCount lifecycleStage } } }`);
  expect(c.data?.customer.metrics).toEqual({ purchaseCount: 1, lifecycleStage: 'NEW' });
  for (const role of [Role.ANALYST, Role.INGEST]) {
    const denied = await app.gql(`mutation { refreshCustomerMetrics { id } }`, {}, role);
    expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  }
});
