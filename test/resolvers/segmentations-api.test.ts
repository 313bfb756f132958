import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Role } from '../../src/schema/enums.js';
import { metricsQueue } from '../../src/workers/metrics.worker.js';
import { segmentationQueue } from '../../src/workers/segmentation.worker.js';
import { startTestApp, type TestApp } from '../support/app.js';

let app: TestApp;
const day = 86_400_000;

beforeAll(async () => {
  app = await startTestApp({}, { workers: [metricsQueue, segmentationQueue] });
  const now = Date.now();
  await app.gql(`mutation($input: [CustomerUpsertInput!]!) { upsertCustomers(input: $input) { inserted } }`, {
    input: ['p-1', 'p-2', 'b-1', 'b-2', 'b-3'].map((externalId, i) => ({ externalId, country: i % 2 ? 'FR' : 'DE' })),
  });
  const tx = (id: string, customer: string, amount: number, daysAgo: number) => ({
    externalId: id,
    customerExternalId: customer,
    amount,
    currency: 'EUR',
    occurredAt: new Date(now - daysAgo * day).toISOString(),
  });
  await app.gql(`mutation($input: [TransactionInput!]!) { recordTransactions(input: $input) { inserted } }`, {
    input: [tx('t1', 'b-1', 50, 5), tx('t2', 'b-2', 80, 100), tx('t3', 'b-2', 30, 60), tx('t4', 'b-3', 500, 400)],
  });
  const run = await app.gql(`mutation { refreshCustomerMetrics { id } }`);
  await waitFor(async () => {
    const r = await app.gql(`{ metricsRefreshes(first: 1) { id status } }`);
    return r.data!.metricsRefreshes[0].status === 'SUCCEEDED' && r.data!.metricsRefreshes[0].id === run.data!.refreshCustomerMetrics.id;
  });
});
afterAll(async () => {
  await app?.close();
});

async function waitFor(check: () => Promise<boolean>, what = 'condition') {
  const until = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

const BUILT_INS = `{ segmentations(first: 10) { nodes { id name kind builtIn scheduled otherLabel segments { name builtIn } } } }`;

async function builtIn(kind: string) {
  const r = await app.gql(BUILT_INS, {}, Role.ANALYST);
  return r.data!.segmentations.nodes.find((n: { kind: string }) => n.kind === kind);
}

async function snapshotNow(segmentationId: string) {
  const asked = await app.gql(`mutation($id: ID!) { snapshotSegmentation(id: $id) { id status trigger } }`, { id: segmentationId }, Role.MARKETER);
  expect(asked.data?.snapshotSegmentation).toMatchObject({ status: 'QUEUED', trigger: 'API' });
  const id = asked.data!.snapshotSegmentation.id;
  let snap: any;
  await waitFor(async () => {
    const r = await app.gql(
      `query($id: ID!) { segmentation(id: $id) { snapshots(first: 5) { nodes { id status takenAt customers error distribution { label position count share segment { id } } } } } }`,
      { id: segmentationId },
    );
    snap = r.data!.segmentation.snapshots.nodes.find((n: { id: string }) => n.id === id);
    return snap && (snap.status === 'SUCCEEDED' || snap.status === 'FAILED');
  }, `snapshot ${id}`);
  return snap;
}

describe('built-in segmentations', () => {
  test('lifecycle, RFM groups and value tiers exist out of the box, scheduled, with read-only segments', async () => {
    const r = await app.gql(BUILT_INS, {}, Role.ANALYST);
    const nodes = r.data!.segmentations.nodes;
    expect(nodes.map((n: { kind: string }) => n.kind)).toEqual(['LIFECYCLE', 'RFM_GROUP', 'VALUE_TIER']);
    expect(nodes.every((n: { builtIn: boolean; scheduled: boolean }) => n.builtIn && n.scheduled)).toBe(true);
    expect(nodes[0].segments.map((s: { name: string }) => s.name)).toEqual([
      'Lifecycle · Prospects',
      'Lifecycle · New',
      'Lifecycle · Active',
      'Lifecycle · Loyal',
      'Lifecycle · At risk',
      'Lifecycle · Lapsed',
      'Lifecycle · Lost',
    ]);
    expect(nodes[1].segments).toHaveLength(11);
    expect(nodes[2].segments.map((s: { name: string }) => s.name)).toEqual(['Value · top 20%', 'Value · 60–80%', 'Value · 40–60%', 'Value · 20–40%', 'Value · bottom 20%']);
  });

  test('distribution splits the base by lifecycle stage as the metrics say', async () => {
    const lifecycle = await builtIn('LIFECYCLE');
    const r = await app.gql(`query($id: ID!) { segmentation(id: $id) { distribution { total segments { label position count share } } } }`, { id: lifecycle.id });
    const d = r.data!.segmentation.distribution;
    expect(d.total).toBe(5);
    const by = Object.fromEntries(d.segments.map((s: { label: string; count: number }) => [s.label, s.count]));
    // b-1 first bought 5 days ago, b-2 60 and 100 days ago, b-3 400 days ago.
    expect(by).toMatchObject({ 'Lifecycle · Prospects': 2, 'Lifecycle · New': 1, 'Lifecycle · Active': 1, 'Lifecycle · Lost': 1, 'Not scored yet': 0 });
    expect(d.segments.at(-1)).toMatchObject({ label: 'Not scored yet', position: null });
  });

  test('value tiers cover every buyer and leave prospects to "No purchase"', async () => {
    const tiers = await builtIn('VALUE_TIER');
    const r = await app.gql(`query($id: ID!) { segmentation(id: $id) { distribution { segments { label count } } } }`, { id: tiers.id });
    const segs = r.data!.segmentation.distribution.segments;
    expect(segs.slice(0, 5).reduce((a: number, s: { count: number }) => a + s.count, 0)).toBe(3);
    expect(segs.at(-1)).toEqual({ label: 'No purchase', count: 2 });
  });

  test('built-in segmentations and their segments cannot be changed or deleted, except `scheduled`', async () => {
    const rfm = await builtIn('RFM_GROUP');
    const rename = await app.gql(`mutation($id: ID!) { updateSegmentation(id: $id, input: { name: "Mine" }) { id } }`, { id: rfm.id });
    expect(rename.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'BUILT_IN', field: 'input.name' });
    const del = await app.gql(`mutation($id: ID!) { deleteSegmentation(id: $id) }`, { id: rfm.id });
    expect(del.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'BUILT_IN' });
    const off = await app.gql(`mutation($id: ID!) { updateSegmentation(id: $id, input: { scheduled: false }) { scheduled } }`, { id: rfm.id });
    expect(off.data?.updateSegmentation.scheduled).toBe(false);
    await app.gql(`mutation($id: ID!) { updateSegmentation(id: $id, input: { scheduled: true }) { scheduled } }`, { id: rfm.id });
    const seg = await app.gql(`{ segments(first: 1, builtIn: true) { nodes { id builtIn } } }`);
    const segId = seg.data!.segments.nodes[0].id;
    const edit = await app.gql(`mutation($id: ID!) { updateSegment(id: $id, input: { name: "x" }) { segment { id } } }`, { id: segId });
    expect(edit.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'BUILT_IN' });
    const drop = await app.gql(`mutation($id: ID!) { deleteSegment(id: $id) }`, { id: segId });
    expect(drop.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'SEGMENT_IN_USE' });
    expect(drop.errors?.[0].message).toMatch(/segmentation "Lifecycle stages"/);
  });
});

describe('scheduled snapshots', () => {
  test('the scheduled run snapshots every scheduled segmentation and deletes those past the retention', async () => {
    const ids = (await app.gql(BUILT_INS)).data!.segmentations.nodes.map((n: { id: string }) => n.id);
    // An old snapshot, past SNAPSHOT_RETENTION_DAYS (400 by default).
    await app.db.pool.query(
      `INSERT INTO segmentation_snapshots (segmentation_id, trigger, status, requested_at) VALUES ($1, 'SCHEDULE', 'FAILED', now() - interval '500 days')`,
      [ids[0]],
    );
    await app.services.queues.segmentation.add('scheduled-snapshots', {});
    const done = async () => {
      const { rows } = await app.db.pool.query(
        `SELECT segmentation_id::text AS id, status, requested_at < now() - interval '1 day' AS old FROM segmentation_snapshots WHERE trigger = 'SCHEDULE'`,
      );
      return rows;
    };
    await waitFor(async () => {
      const rows = await done();
      return rows.filter((r) => r.status === 'SUCCEEDED').length === 3 && !rows.some((r) => r.old);
    }, 'scheduled snapshots');
    expect(new Set((await done()).map((r) => r.id))).toEqual(new Set(ids));
  });
});

describe('custom segmentations, snapshots and the transition matrix', () => {
  let segmentationId: string;
  let french: string;
  let buyers: string;

  test('a marketer builds one from saved segments; first match wins', async () => {
    const mk = async (name: string, definition: unknown) =>
      (await app.gql(`mutation($i: CreateSegmentInput!) { createSegment(input: $i) { segment { id } } }`, { i: { name, definition } }, Role.MARKETER)).data!.createSegment.segment.id;
    buyers = await mk('Buyers', { condition: { field: 'metrics.purchase_count', operator: 'GTE', value: { number: 1 } } });
    french = await mk('French', { condition: { field: 'customer.country', operator: 'EQ', value: { string: 'FR' } } });
    const r = await app.gql(
      `mutation($i: CreateSegmentationInput!) { createSegmentation(input: $i) { id kind builtIn otherLabel scheduled segments { id } } }`,
      { i: { name: 'Buyers then French', segmentIds: [buyers, french], otherLabel: 'Others' } },
      Role.MARKETER,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.createSegmentation).toMatchObject({ kind: 'CUSTOM', builtIn: false, otherLabel: 'Others', scheduled: false, segments: [{ id: buyers }, { id: french }] });
    segmentationId = r.data!.createSegmentation.id;
    const d = await app.gql(`query($id: ID!) { segmentation(id: $id) { distribution { segments { label count } } } }`, { id: segmentationId });
    // b-1 (DE), b-2 (FR), b-3 (DE) buy; p-2 (FR) is French; p-1 (DE) is neither.
    expect(d.data!.segmentation.distribution.segments).toEqual([
      { label: 'Buyers', count: 3 },
      { label: 'French', count: 1 },
      { label: 'Others', count: 1 },
    ]);
    // Value per segment, for budgets: everything spent by the buyers.
    const v = await app.gql(`query($id: ID!) { segmentation(id: $id) { distribution { segments { revenue revenueShare meanClv } } } }`, { id: segmentationId });
    const [b, f, o] = v.data!.segmentation.distribution.segments;
    expect(b).toMatchObject({ revenue: 660, revenueShare: 1 });
    expect(b.meanClv).toBeGreaterThan(0);
    expect(f).toEqual({ revenue: 0, revenueShare: 0, meanClv: null });
    expect(o).toEqual({ revenue: 0, revenueShare: 0, meanClv: null });
  });

  test('snapshots run in a worker; the transition matrix shows who moved, entered and left', async () => {
    const first = await snapshotNow(segmentationId);
    expect(first).toMatchObject({ status: 'SUCCEEDED', customers: 5, error: null });
    expect(first.distribution.map((s: { count: number }) => s.count)).toEqual([3, 1, 1]);
    const t1 = new Date(first.takenAt);

    // p-2 buys (French -> Buyers), a new customer arrives (-> Others), b-3 is erased (leaves the base).
    await app.gql(`mutation { recordTransactions(input: [{ externalId: "t5", customerExternalId: "p-2", amount: 20, currency: "EUR", occurredAt: "${new Date().toISOString()}" }]) { inserted } }`);
    await app.gql(`mutation { upsertCustomers(input: [{ externalId: "n-1" }]) { inserted } }`);
    // Erasure has no API yet (it comes with consent and GDPR): its tombstone is what counts here.
    await app.db.pool.query(`UPDATE customers SET erased_at = now() WHERE external_id = 'b-3'`);
    const inc = await app.gql(`mutation { refreshCustomerMetrics(kind: INCREMENTAL) { id } }`);
    await waitFor(async () => (await app.gql(`{ metricsRefreshes(first: 1) { id status } }`)).data!.metricsRefreshes[0].status === 'SUCCEEDED', 'refresh');
    expect(inc.errors).toBeUndefined();
    const second = await snapshotNow(segmentationId);
    expect(second.distribution.map((s: { count: number }) => s.count)).toEqual([3, 0, 2]);

    const q = `query($s: ID!, $from: DateTimeISO!, $to: DateTimeISO!) { transitionMatrix(segmentation: $s, from: $from, to: $to) {
      from { id } to { id } stayed moved
      states { key kind label segment { id } }
      rows { from { key } total cells { to { key } count rowShare } } } }`;
    const r = await app.gql(q, { s: segmentationId, from: t1.toISOString(), to: new Date(Date.now() + 1000).toISOString() }, Role.ANALYST);
    expect(r.errors).toBeUndefined();
    const m = r.data!.transitionMatrix;
    expect(m.from.id).toBe(first.id);
    expect(m.to.id).toBe(second.id);
    expect(m.states.map((s: { key: string; kind: string }) => [s.key, s.kind])).toEqual([
      [`segment:${buyers}`, 'SEGMENT'],
      [`segment:${french}`, 'SEGMENT'],
      ['OTHER', 'EVERYONE_ELSE'],
      ['OUTSIDE', 'OUTSIDE_BASE'],
    ]);
    const cell = (from: string, to: string) => m.rows.find((x: any) => x.from.key === from).cells.find((c: any) => c.to.key === to);
    expect(cell(`segment:${buyers}`, `segment:${buyers}`)).toEqual({ to: { key: `segment:${buyers}` }, count: 2, rowShare: 2 / 3 });
    expect(cell(`segment:${buyers}`, 'OUTSIDE').count).toBe(1); // b-3 left
    expect(cell(`segment:${french}`, `segment:${buyers}`)).toMatchObject({ count: 1, rowShare: 1 }); // p-2 bought
    expect(cell('OUTSIDE', 'OTHER').count).toBe(1); // n-1 entered
    expect(cell('OTHER', 'OTHER').count).toBe(1);
    expect(m.rows.find((x: any) => x.from.key === 'OUTSIDE').total).toBe(1);
    expect(m).toMatchObject({ stayed: 3, moved: 1 });
  });

  test('bad input: unknown or repeated segments, empty lists, no snapshot yet, from after to; nothing is saved', async () => {
    const create = `mutation($i: CreateSegmentationInput!) { createSegmentation(input: $i) { id } }`;
    const err = async (i: unknown) => (await app.gql(create, { i })).errors?.[0].extensions;
    expect(await err({ name: 'x', segmentIds: [buyers, '999999'] })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.segmentIds[1]', reason: 'UNKNOWN_SEGMENT' });
    expect(await err({ name: 'x', segmentIds: [buyers, buyers] })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.segmentIds[1]', reason: 'DUPLICATE' });
    expect(await err({ name: 'x', segmentIds: [] })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.segmentIds', reason: 'EMPTY' });
    expect(await err({ name: 'Buyers then French', segmentIds: [buyers] })).toMatchObject({ code: 'CONFLICT', reason: 'NAME_TAKEN' });
    expect(await err({ name: ' ', segmentIds: [buyers] })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
    const list = await app.gql(`{ segmentations(first: 50) { nodes { name } } }`);
    expect(list.data!.segmentations.nodes.filter((n: { name: string }) => n.name === 'x')).toEqual([]);

    const tiers = await builtIn('VALUE_TIER');
    const q = `query($s: ID!, $from: DateTimeISO!, $to: DateTimeISO!) { transitionMatrix(segmentation: $s, from: $from, to: $to) { stayed } }`;
    const none = await app.gql(q, { s: tiers.id, from: '2020-01-01T00:00:00Z', to: new Date().toISOString() });
    expect(none.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', field: 'from' });
    const reversed = await app.gql(q, { s: segmentationId, from: new Date().toISOString(), to: '2020-01-01T00:00:00Z' });
    expect(reversed.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'from', reason: 'INVALID_RANGE' });
    const unknown = await app.gql(q, { s: '424242', from: '2020-01-01T00:00:00Z', to: new Date().toISOString() });
    expect(unknown.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', field: 'segmentation' });
  });

  test('a segment in a segmentation cannot be deleted; deleting the segmentation frees it', async () => {
    const drop = await app.gql(`mutation($id: ID!) { deleteSegment(id: $id) }`, { id: french });
    expect(drop.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'SEGMENT_IN_USE' });
    expect((await app.gql(`mutation($id: ID!) { deleteSegmentation(id: $id) }`, { id: segmentationId })).data?.deleteSegmentation).toBe(true);
    expect((await app.gql(`mutation($id: ID!) { deleteSegment(id: $id) }`, { id: french })).data?.deleteSegment).toBe(true);
  });

  test('analysts read but may not create, change or snapshot', async () => {
    const tiers = await builtIn('VALUE_TIER');
    const r = await app.gql(`mutation($id: ID!) { snapshotSegmentation(id: $id) { id } }`, { id: tiers.id }, Role.ANALYST);
    expect(r.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});
