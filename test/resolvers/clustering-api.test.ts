import { afterAll, beforeAll, expect, test } from 'vitest';
import { Role } from '../../src/schema/enums.js';
import { segmentationQueue } from '../../src/workers/segmentation.worker.js';
import { startTestApp, type TestApp } from '../support/app.js';

/*
 * runClustering through the API: queued, run by a worker, the CLUSTERING segmentation and its
 * computed segments (with centres) readable, runs listed newest first, bad input with its path.
 */

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({}, { workers: [segmentationQueue] });
  // Two groups: small households with few points, large households with many.
  const input = Array.from({ length: 40 }, (_, i) =>
    i < 25 ? { externalId: `s-${i}`, householdSize: 1 + (i % 2), loyaltyPoints: 10 + i } : { externalId: `l-${i}`, householdSize: 6 + (i % 2), loyaltyPoints: 5000 + i * 10 },
  );
  input.push({ externalId: 'no-points', householdSize: 3 } as (typeof input)[number]);
  const r = await app.gql(`mutation($input: [CustomerUpsertInput!]!) { upsertCustomers(input: $input) { inserted errors { field reason } } }`, { input });
  expect(r.data!.upsertCustomers).toMatchObject({ inserted: 41, errors: [] });
});
afterAll(async () => {
  await app?.close();
});

const RUN = `mutation($input: RunClusteringInput!) { runClustering(input: $input) { id status kMin kMax seed sampleSize features { field transform } } }`;
const GET = `query($id: ID!) { clusteringRun(id: $id) {
  id status chosenK sampled assigned unassigned error candidates { k silhouette inertia iterations } timings { sampleMs kmeansMs assignMs }
  segmentation { id kind name otherLabel
    segments { name kind size centroid { field value zScore } }
    distribution { total segments { label count } } } } }`;

async function waitForRun(id: string) {
  const until = Date.now() + 20_000;
  for (;;) {
    const r = await app.gql(GET, { id }, Role.ANALYST);
    expect(r.errors).toBeUndefined();
    const run = r.data!.clusteringRun;
    if (run.status === 'SUCCEEDED' || run.status === 'FAILED') return run;
    if (Date.now() > until) throw new Error(`clustering run ${id} still ${run.status}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

test('a marketer runs a clustering; a worker creates the segmentation of computed segments', async () => {
  const asked = await app.gql(
    RUN,
    { input: { name: 'Households', features: [{ field: 'customer.household_size' }, { field: 'customer.loyalty_points', transform: 'LOG1P' }], kMin: 2, kMax: 4 } },
    Role.MARKETER,
  );
  expect(asked.errors).toBeUndefined();
  expect(asked.data!.runClustering).toMatchObject({
    status: 'QUEUED',
    kMin: 2,
    kMax: 4,
    seed: 1,
    sampleSize: 100_000,
    features: [
      { field: 'customer.household_size', transform: 'NONE' },
      { field: 'customer.loyalty_points', transform: 'LOG1P' },
    ],
  });
  const run = await waitForRun(asked.data!.runClustering.id);
  expect(run).toMatchObject({ status: 'SUCCEEDED', chosenK: 2, sampled: 40, assigned: 40, unassigned: 1, error: null });
  expect(run.candidates.map((c: { k: number }) => c.k)).toEqual([2, 3, 4]);
  expect(Object.values(run.timings).every((ms) => typeof ms === 'number')).toBe(true);
  const s = run.segmentation;
  expect(s).toMatchObject({ kind: 'CLUSTERING', name: 'Households', otherLabel: 'Not clustered (a feature is not set)' });
  expect(s.segments.map((x: { kind: string; size: number }) => [x.kind, x.size])).toEqual([
    ['COMPUTED', 25],
    ['COMPUTED', 15],
  ]);
  expect(s.segments[0].name).toBe('Households · 1: low loyalty points, low household size');
  expect(s.segments[1].centroid).toEqual([
    { field: 'customer.household_size', value: expect.closeTo(98 / 15, 9), zScore: expect.any(Number) },
    { field: 'customer.loyalty_points', value: expect.any(Number), zScore: expect.any(Number) },
  ]);
  expect(s.distribution.segments.map((x: { count: number }) => x.count)).toEqual([25, 15, 1]);

  // Read-only but for `scheduled`.
  const rename = await app.gql(`mutation($id: ID!) { updateSegmentation(id: $id, input: { name: "Other" }) { id } }`, { id: s.id }, Role.MARKETER);
  expect(rename.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'COMPUTED' });

  const list = await app.gql(`{ clusteringRuns(first: 5) { nodes { id name status } pageInfo { hasNextPage } } }`, {}, Role.ANALYST);
  expect(list.data!.clusteringRuns.nodes[0]).toMatchObject({ id: run.id, name: 'Households', status: 'SUCCEEDED' });
});

test('bad input names the offending field; analysts may read runs but not start them', async () => {
  const bad = await app.gql(RUN, { input: { name: 'X', features: [{ field: 'customer.household_size' }, { field: 'customer.country' }] } }, Role.MARKETER);
  expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.features[1].field', reason: 'INVALID_FIELD_TYPE' });
  const badK = await app.gql(RUN, { input: { name: 'X', features: [{ field: 'customer.household_size' }], kMin: 5, kMax: 3 } }, Role.MARKETER);
  expect(badK.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.kMax', reason: 'INVALID_RANGE' });
  const forbidden = await app.gql(RUN, { input: { name: 'X', features: [{ field: 'customer.household_size' }] } }, Role.ANALYST);
  expect(forbidden.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  const none = await app.gql(`{ clusteringRun(id: "999999") { id } }`, {}, Role.ANALYST);
  expect(none.data!.clusteringRun).toBeNull();
});
