import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Role } from '../../src/schema/enums.js';
import { startTestApp, type TestApp } from '../support/app.js';

let app: TestApp;
const day = 86_400_000;

beforeAll(async () => {
  app = await startTestApp({ SEGMENT_NARROW_THRESHOLD: '3' });
  await app.gql(`mutation { defineAttribute(input: { key: "pets_at_home", type: BOOLEAN }) { key } }`);
  await app.gql(`mutation { defineAttribute(input: { key: "health", type: STRING, isSensitive: true }) { key } }`);
  const customers = [
    { externalId: 's-1', country: 'FR', email: 's1@example.com', attributes: { pets_at_home: true }, consents: [{ channel: 'EMAIL', status: 'SUBSCRIBED' }] },
    { externalId: 's-2', country: 'FR', email: 's2@example.com', attributes: { pets_at_home: false } },
    { externalId: 's-3', country: 'DE', phone: '+4915112345678', consents: [{ channel: 'SMS', status: 'SUBSCRIBED' }] },
    { externalId: 's-4', country: 'FR', gender: 'FEMALE', attributes: { health: 'none' } },
    { externalId: 's-5', country: 'ES' },
  ];
  await app.gql(`mutation($input: [CustomerUpsertInput!]!) { upsertCustomers(input: $input) { inserted } }`, { input: customers });
  await app.gql(`mutation($input: [EventInput!]!) { trackEvents(input: $input) { inserted } }`, {
    input: [0, 1, 2].map((k) => ({ externalId: `ev-${k}`, customerExternalId: 's-1', name: 'song_favourited', occurredAt: new Date(Date.now() - (k + 1) * day).toISOString() })),
  });
});
afterAll(async () => {
  await app?.close();
});

const FR = { condition: { field: 'customer.country', operator: 'EQ', value: { string: 'FR' } } };
const PREVIEW = `query($d: SegmentNodeInput!) { segmentPreview(definition: $d, sampleSize: 2) { count share narrow warning sensitiveFields sample { externalId email } } }`;

describe('segmentFields', () => {
  test('lists every family with types, operators, closed values and sensitivity, for a rule editor', async () => {
    const r = await app.gql(`{ segmentFields { key family type operators values sensitive aggregate params requiredParams } }`, {}, Role.ANALYST);
    const by = Object.fromEntries(r.data!.segmentFields.map((f: { key: string }) => [f.key, f]));
    expect(new Set(Object.values(by).map((f: any) => f.family))).toEqual(new Set(['customer', 'attribute', 'metrics', 'transactions', 'events', 'consent', 'responses']));
    expect(by['customer.gender']).toMatchObject({ type: 'ENUM', sensitive: true, values: ['FEMALE', 'MALE', 'NON_BINARY', 'OTHER', 'UNDISCLOSED'] });
    expect(by['attributes.health']).toMatchObject({ type: 'STRING', sensitive: true });
    expect(by['attributes.pets_at_home']).toMatchObject({ type: 'BOOLEAN', operators: ['EQ', 'IS_SET', 'IS_NOT_SET'] });
    expect(by['events.count']).toMatchObject({ aggregate: true, requiredParams: ['eventName'], operators: ['EQ', 'NEQ', 'LT', 'LTE', 'GT', 'GTE', 'BETWEEN'] });
    expect(by['metrics.rfm_group'].values).toContain('CHAMPIONS');
  });
});

describe('segmentPreview', () => {
  test('counts, shares and samples (masked for analysts) a definition', async () => {
    const r = await app.gql(PREVIEW, { d: FR }, Role.ANALYST);
    expect(r.errors).toBeUndefined();
    expect(r.data!.segmentPreview).toMatchObject({ count: 3, share: 0.6, narrow: false, warning: null, sensitiveFields: [] });
    expect(r.data!.segmentPreview.sample).toEqual([
      { externalId: 's-1', email: 's•••@example.com' },
      { externalId: 's-2', email: 's•••@example.com' },
    ]);
  });

  test('and / or / not, attributes, events with a window, reachability; a narrow segment is flagged; sensitive fields are named', async () => {
    const d = {
      and: [
        FR,
        {
          or: [
            { condition: { field: 'attributes.pets_at_home', operator: 'EQ', value: { boolean: true } } },
            { condition: { field: 'customer.gender', operator: 'EQ', value: { string: 'FEMALE' } } },
          ],
        },
        { not: { condition: { field: 'events.count', operator: 'GTE', value: { number: 3 }, params: { eventName: 'song_favourited', within: { amount: 2, unit: 'DAYS' } } } } },
      ],
    };
    const r = await app.gql(PREVIEW, { d });
    expect(r.data!.segmentPreview).toMatchObject({ count: 2, narrow: true, sensitiveFields: ['customer.gender'] });
    expect(r.data!.segmentPreview.warning).toMatch(/below the narrow-segment threshold of 3/);
    const reachable = await app.gql(PREVIEW, { d: { condition: { field: 'reachable.sms', operator: 'EQ', value: { boolean: true } } } });
    expect(reachable.data!.segmentPreview.count).toBe(1);
  });

  test('bad definitions are BAD_USER_INPUT naming the node: unknown field, operator, value type, empty group, both keys of a @oneOf', async () => {
    const err = async (d: unknown) => (await app.gql(PREVIEW, { d })).errors?.[0];
    expect((await err({ and: [FR, { condition: { field: 'customer.shoe', operator: 'EQ', value: { string: 'x' } } }] }))?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'definition.and[1].condition.field',
      reason: 'UNKNOWN_FIELD',
    });
    expect((await err({ and: [{ or: [FR] }, { condition: { field: 'customer.country', operator: 'GT', value: { string: 'FR' } } }] }))?.extensions).toMatchObject({
      field: 'definition.and[1].condition.operator',
      reason: 'OPERATOR_NOT_ALLOWED',
    });
    expect((await err({ condition: { field: 'customer.household_size', operator: 'GT', value: { string: 'two' } } }))?.extensions).toMatchObject({
      field: 'definition.condition.value',
      reason: 'INVALID_VALUE_TYPE',
    });
    expect((await err({ or: [] }))?.extensions).toMatchObject({ field: 'definition.or', reason: 'EMPTY_GROUP' });
    expect((await err({ condition: { field: 'events.count', operator: 'GTE', value: { number: 1 } } }))?.extensions).toMatchObject({
      field: 'definition.condition.params.eventName',
      reason: 'REQUIRED',
    });
    const both = await app.gql(PREVIEW, { d: { and: [FR], or: [FR] } });
    expect(both.status).toBe(400);
    expect(both.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  test('a tree deeper than SEGMENT_MAX_DEPTH is refused', async () => {
    let d: unknown = FR;
    for (let i = 0; i < 9; i++) d = { not: d };
    const r = await app.gql(PREVIEW, { d });
    expect(r.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'TOO_DEEP' });
  });
});

describe('saved segments', () => {
  test('dynamic and static segments, membership of one in another, cycles refused, size and members paged', async () => {
    const created = await app.gql(`mutation($d: SegmentNodeInput!) { createSegment(input: { name: "France", definition: $d }) { segment { id kind usesSensitiveFields } } }`, { d: FR }, Role.MARKETER);
    const fr = created.data!.createSegment.segment;
    expect(fr).toMatchObject({ kind: 'DYNAMIC', usesSensitiveFields: [] });
    const list = await app.gql(`mutation { createSegment(input: { name: "VIP list", members: { externalIds: ["s-1", "s-3", "nobody"] } }) { segment { id kind } storedMembers } }`);
    expect(list.data!.createSegment).toMatchObject({ segment: { kind: 'STATIC' }, storedMembers: 2 });
    const vip = list.data!.createSegment.segment.id;

    const both = await app.gql(`mutation($d: SegmentNodeInput!) { createSegment(input: { name: "French VIPs", definition: $d }) { segment { id } } }`, {
      d: { and: [{ segment: fr.id }, { segment: vip }] },
    });
    const frVip = both.data!.createSegment.segment.id;
    const seg = await app.gql(`query($id: ID!) { segment(id: $id) { name size members(first: 1) { nodes { externalId } pageInfo { hasNextPage endCursor } totalCount } } }`, { id: frVip });
    expect(seg.data!.segment).toMatchObject({ name: 'French VIPs', size: 1, members: { nodes: [{ externalId: 's-1' }], pageInfo: { hasNextPage: false }, totalCount: 1 } });
    const after = await app.gql(`query($id: ID!) { segment(id: $id) { lastEvaluatedAt evaluationMs } }`, { id: frVip });
    expect(after.data!.segment.lastEvaluatedAt).not.toBeNull();

    // France may not start using "French VIPs", which uses France.
    const cycle = await app.gql(`mutation($id: ID!, $d: SegmentNodeInput!) { updateSegment(id: $id, input: { definition: $d }) { segment { id } } }`, {
      id: fr.id,
      d: { or: [FR, { segment: frVip }] },
    });
    expect(cycle.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'CYCLE', field: 'input.definition.or[1].segment(' + frVip + ').and[0].segment' });
    const inUse = await app.gql(`mutation($id: ID!) { deleteSegment(id: $id) }`, { id: fr.id });
    expect(inUse.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'SEGMENT_IN_USE' });
    const dup = await app.gql(`mutation($d: SegmentNodeInput!) { createSegment(input: { name: "France", definition: $d }) { segment { id } } }`, { d: FR });
    expect(dup.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'NAME_TAKEN' });
    const page = await app.gql(`{ segments(first: 10, builtIn: false) { nodes { name } } }`, {}, Role.ANALYST);
    expect(page.data!.segments.nodes.map((s: { name: string }) => s.name)).toEqual(['France', 'VIP list', 'French VIPs']);
    const denied = await app.gql(`mutation { deleteSegment(id: "1") }`, {}, Role.ANALYST);
    expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  test('a segment using a sensitive field says so', async () => {
    const r = await app.gql(`mutation { createSegment(input: { name: "Health", definition: { condition: { field: "attributes.health", operator: IS_SET } } }) { segment { usesSensitiveFields } } }`);
    expect(r.data!.createSegment.segment.usesSensitiveFields).toEqual(['attributes.health']);
  });
});

describe('segmentProfile', () => {
  const PROFILE = `query($s: ID, $d: SegmentNodeInput, $n: Int) { segmentProfile(segment: $s, definition: $d, topN: $n) {
    size baseSize share sensitiveFields
    metrics { metric mean median baseMean lift }
    value { totalRevenue revenueShare meanClv totalPredictedClv }
    reachability { channel count share baseShare }
    engagement { received30d openRate30d }
    distributions { dimension restCount restBaseCount buckets { value count share baseCount baseShare lift } } } }`;

  test('profiles a definition or a saved segment against the whole base', async () => {
    const r = await app.gql(PROFILE, { d: FR, n: 1 }, Role.ANALYST);
    expect(r.errors).toBeUndefined();
    const p = r.data!.segmentProfile;
    expect(p).toMatchObject({ size: 3, baseSize: 5, share: 0.6, sensitiveFields: [] });
    const country = p.distributions.find((d: { dimension: string }) => d.dimension === 'COUNTRY');
    expect(country).toEqual({ dimension: 'COUNTRY', restCount: 0, restBaseCount: 2, buckets: [{ value: 'FR', count: 3, share: 1, baseCount: 3, baseShare: 0.6, lift: 1 / 0.6 }] });
    const gender = p.distributions.find((d: { dimension: string }) => d.dimension === 'GENDER');
    expect(gender.buckets[0]).toMatchObject({ value: null, count: 2, baseCount: 4 });
    expect(p.reachability).toEqual([
      { channel: 'EMAIL', count: 1, share: 1 / 3, baseShare: 0.2 },
      { channel: 'SMS', count: 0, share: 0, baseShare: 0.2 },
    ]);
    // No metrics refreshed in this base: no values, nothing to compare.
    expect(p.metrics.find((m: { metric: string }) => m.metric === 'MONETARY')).toEqual({ metric: 'MONETARY', mean: null, median: null, baseMean: null, lift: null });
    expect(p.value).toEqual({ totalRevenue: 0, revenueShare: 0, meanClv: null, totalPredictedClv: 0 });
    expect(p.engagement).toEqual({ received30d: 0, openRate30d: null });

    const saved = await app.gql(`mutation($d: SegmentNodeInput!) { createSegment(input: { name: "FR for profile", definition: $d }) { segment { id } } }`, { d: FR });
    const bySegment = await app.gql(PROFILE, { s: saved.data!.createSegment.segment.id });
    expect(bySegment.data!.segmentProfile).toMatchObject({ size: 3, baseSize: 5 });
  });

  test('exactly one of segment and definition; topN 1–50; unknown segments are NOT_FOUND', async () => {
    const err = async (v: Record<string, unknown>) => (await app.gql(PROFILE, v)).errors?.[0].extensions;
    expect(await err({ s: '1', d: FR })).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'ONE_OF' });
    expect(await err({})).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'ONE_OF' });
    expect(await err({ d: FR, n: 0 })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'topN' });
    expect(await err({ s: '987654' })).toMatchObject({ code: 'NOT_FOUND', field: 'segment' });
    expect(await err({ d: { condition: { field: 'customer.nope', operator: 'EQ', value: { string: 'x' } } } })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'definition.condition.field',
    });
  });
});
