import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Role } from '../../src/schema/enums.js';
import { errorOf, ok } from '../support/graphql.js';
import { startTestApp, type GraphQLResponse, type TestApp } from '../support/app.js';

/*
 * Contact policies and customers' own contact preferences through the API: the protective defaults,
 * validation per kind with paths, partial updates, and their effect on a campaign's audience.
 */

const DAY = 86_400_000;
const POLICY = `id name description kind maxMessages windowHours calendarUnit gapMinutes quietStart quietEnd weekdays
  channel category tag segmentId action countsExempt isEnabled createdAt updatedAt`;

let app: TestApp;
let segmentId: string;
let campaignId: string;
const customerId: Record<string, string> = {};

const listPolicies = async () => ok(await app.gql(`{ contactPolicies { ${POLICY} } }`, {}, Role.ANALYST)).contactPolicies;
const readPolicy = async (id: string) => ok(await app.gql(`query($id: ID!) { contactPolicy(id: $id) { ${POLICY} } }`, { id }, Role.ANALYST)).contactPolicy;
const create = (input: Record<string, unknown>, as: Role = Role.MARKETER) =>
  app.gql(`mutation($input: ContactPolicyInput!) { createContactPolicy(input: $input) { ${POLICY} } }`, { input }, as);
const update = (id: string, input: Record<string, unknown>, as: Role = Role.MARKETER) =>
  app.gql(`mutation($id: ID!, $input: UpdateContactPolicyInput!) { updateContactPolicy(id: $id, input: $input) { ${POLICY} } }`, { id, input }, as);

const PREFERENCES = `mutation($who: CustomerRefInput!, $cap: ContactCapInput, $until: String) {
  setContactPreferences(customer: $who, cap: $cap, marketingPausedUntil: $until) { customerId cap { max unit } marketingPausedUntil updatedAt } }`;
const setPreferences = (externalId: string, vars: { cap?: unknown; until?: unknown } = {}, as: Role = Role.MARKETER) => app.gql(PREFERENCES, { who: { externalId }, ...vars }, as);

/** The audience's reasons with a rule behind them, as "outcome reason ruleId count". */
async function ruleReasons(): Promise<string[]> {
  const r = ok(await app.gql(`query($c: ID!) { campaignAudience(campaign: $c) { reasons { outcome reason ruleId count } } }`, { c: campaignId }, Role.ANALYST));
  return r.campaignAudience.reasons.filter((x: { ruleId: string | null }) => x.ruleId !== null).map((x: any) => `${x.outcome} ${x.reason} ${x.ruleId} ${x.count}`);
}

beforeAll(async () => {
  app = await startTestApp();
  const customers = ['c-1', 'c-2', 'c-3'].map((externalId, i) => ({ externalId, email: `c${i + 1}@example.com`, consents: [{ channel: 'EMAIL', status: 'SUBSCRIBED' }] }));
  ok(await app.gql(`mutation($input: [CustomerUpsertInput!]!) { upsertCustomers(input: $input) { inserted } }`, { input: customers }));
  for (const c of ok(await app.gql(`{ customers(first: 10) { nodes { id externalId } } }`)).customers.nodes) customerId[c.externalId] = c.id;
  segmentId = ok(await app.gql(`mutation { createSegment(input: { name: "Policy scope", members: { externalIds: ["c-1"] } }) { segment { id } } }`)).createSegment.segment.id;
  const campaign = await app.gql(
    `mutation($s: ID!) { createCampaign(input: { name: "Weekly news", channel: EMAIL, tags: ["news"], targetSegmentIds: [$s],
       variants: [{ key: "A", emailSubject: "News", emailText: "Hello {{ first_name | default: \\"there\\" }}" }] }) { id } }`,
    { s: ok(await app.gql(`mutation { createSegment(input: { name: "Everyone", members: { externalIds: ["c-1", "c-2", "c-3"] } }) { segment { id } } }`)).createSegment.segment.id },
  );
  campaignId = ok(campaign).createCampaign.id;
});

afterAll(async () => {
  await app?.close();
});

describe('contactPolicies', () => {
  test('the three protective defaults are listed: 1 a day, 3 a week, quiet from 21:00 to 08:00, marketing only, deferring', async () => {
    const policies = await listPolicies();
    expect(policies.map((p: { name: string }) => p.name)).toEqual(['Marketing: 1 a day', 'Marketing: 3 a week', 'Marketing quiet hours']);
    const common = { category: 'MARKETING', action: 'DEFER', channel: null, tag: null, segmentId: null, countsExempt: false, isEnabled: true };
    expect(policies[0]).toMatchObject({ ...common, kind: 'CALENDAR_CAP', maxMessages: 1, calendarUnit: 'DAY', windowHours: null, quietStart: null });
    expect(policies[1]).toMatchObject({ ...common, kind: 'CALENDAR_CAP', maxMessages: 3, calendarUnit: 'WEEK' });
    expect(policies[2]).toMatchObject({ ...common, kind: 'QUIET_HOURS', quietStart: '21:00', quietEnd: '08:00', maxMessages: null, calendarUnit: null });
    expect(await readPolicy(policies[2].id)).toEqual(policies[2]);
    expect(await readPolicy('987654')).toBeNull();
  });
});

describe('createContactPolicy', () => {
  test.each([
    ['ROLLING_CAP', { kind: 'ROLLING_CAP', maxMessages: 5, windowHours: 48, channel: 'SMS', action: 'DROP' }, { calendarUnit: null, gapMinutes: null }],
    ['CALENDAR_CAP', { kind: 'CALENDAR_CAP', maxMessages: 2, calendarUnit: 'WEEK', tag: 'promo', action: 'DEFER', countsExempt: true }, { windowHours: null }],
    ['MIN_GAP', { kind: 'MIN_GAP', gapMinutes: 240, action: 'FALLBACK', category: 'MARKETING' }, { maxMessages: null }],
    ['QUIET_HOURS', { kind: 'QUIET_HOURS', quietStart: '12:00', quietEnd: '13:30', action: 'DEFER', isEnabled: false }, { weekdays: null }],
    ['WEEKDAYS', { kind: 'WEEKDAYS', weekdays: [5, 1, 3, 1], tag: 'digest', action: 'DEFER' }, { quietStart: null }],
  ])('a %s policy', async (kind, input, absent) => {
    const created = ok(await create({ name: `My ${kind}`, ...input })).createContactPolicy;
    const expected = kind === 'WEEKDAYS' ? { ...input, weekdays: [1, 3, 5] } : input;
    expect(created).toMatchObject({ name: `My ${kind}`, description: '', ...expected, ...absent });
    expect(await readPolicy(created.id)).toEqual(created);
    expect((await listPolicies()).at(-1)).toEqual(created);
  });

  test('a policy scoped to a segment', async () => {
    const p = ok(await create({ name: 'VIP gap', kind: 'MIN_GAP', gapMinutes: 60, segmentId, action: 'DEFER' })).createContactPolicy;
    expect(p.segmentId).toBe(segmentId);
    // The segment cannot go while the policy uses it.
    const e = errorOf(await app.gql(`mutation($id: ID!) { deleteSegment(id: $id) }`, { id: segmentId }));
    expect(e).toMatchObject({ code: 'CONFLICT', reason: 'SEGMENT_IN_USE' });
    expect(e.message).toContain('contact policy "VIP gap"');
  });

  test.each([
    ['a missing field of its kind', { kind: 'ROLLING_CAP', maxMessages: 5 }, { code: 'BAD_USER_INPUT', field: 'input.windowHours', reason: 'REQUIRED' }],
    ['a calendar cap without its unit', { kind: 'CALENDAR_CAP', maxMessages: 5 }, { code: 'BAD_USER_INPUT', field: 'input.calendarUnit', reason: 'REQUIRED' }],
    ['quiet hours without an end', { kind: 'QUIET_HOURS', quietStart: '22:00' }, { code: 'BAD_USER_INPUT', field: 'input.quietEnd', reason: 'REQUIRED' }],
    ['a field of another kind', { kind: 'MIN_GAP', gapMinutes: 30, maxMessages: 2 }, { code: 'BAD_USER_INPUT', field: 'input.maxMessages', reason: 'NOT_APPLICABLE' }],
    ['weekdays on quiet hours', { kind: 'QUIET_HOURS', quietStart: '22:00', quietEnd: '07:00', weekdays: [1] }, { code: 'BAD_USER_INPUT', field: 'input.weekdays', reason: 'NOT_APPLICABLE' }],
    ['quietStart equal to quietEnd', { kind: 'QUIET_HOURS', quietStart: '22:00', quietEnd: '22:00' }, { code: 'BAD_USER_INPUT', field: 'input.quietEnd', reason: 'EMPTY_RANGE' }],
    ['a time that is not HH:MM', { kind: 'QUIET_HOURS', quietStart: '24:00', quietEnd: '07:00' }, { code: 'BAD_USER_INPUT', field: 'input.quietStart', reason: 'INVALID_TIME' }],
    ['weekday 8', { kind: 'WEEKDAYS', weekdays: [1, 8] }, { code: 'BAD_USER_INPUT', field: 'input.weekdays[1]', reason: 'OUT_OF_RANGE' }],
    ['no weekday', { kind: 'WEEKDAYS', weekdays: [] }, { code: 'BAD_USER_INPUT', field: 'input.weekdays', reason: 'EMPTY_LIST' }],
    ['a window of 0 hours', { kind: 'ROLLING_CAP', maxMessages: 1, windowHours: 0 }, { code: 'BAD_USER_INPUT', field: 'input.windowHours', reason: 'OUT_OF_RANGE' }],
    ['a negative cap', { kind: 'CALENDAR_CAP', maxMessages: -1, calendarUnit: 'DAY' }, { code: 'BAD_USER_INPUT', field: 'input.maxMessages', reason: 'OUT_OF_RANGE' }],
    ['an empty name', { name: ' ', kind: 'MIN_GAP', gapMinutes: 30 }, { code: 'BAD_USER_INPUT', field: 'input.name', reason: 'INVALID_NAME' }],
    ['a malformed segment id', { kind: 'MIN_GAP', gapMinutes: 30, segmentId: 'vip' }, { code: 'BAD_USER_INPUT', field: 'input.segmentId', reason: 'INVALID_ID' }],
    ['an unknown segment', { kind: 'MIN_GAP', gapMinutes: 30, segmentId: '987654' }, { code: 'NOT_FOUND', field: 'input.segmentId' }],
  ])('%s is refused with its path, and nothing is written', async (_what, input, extensions) => {
    const before = await listPolicies();
    expect(errorOf(await create({ name: 'Refused', action: 'DEFER', ...input }))).toMatchObject(extensions);
    expect(await listPolicies()).toEqual(before);
  });
});

describe('updateContactPolicy and deleteContactPolicy', () => {
  test('omitted fields stay; an explicit null clears an optional one', async () => {
    const p = ok(await create({ name: 'Promo cap', description: 'two a week', kind: 'CALENDAR_CAP', maxMessages: 2, calendarUnit: 'WEEK', tag: 'promo', channel: 'EMAIL', action: 'DROP' })).createContactPolicy;
    const renamed = ok(await update(p.id, { name: 'Promo cap (email)' })).updateContactPolicy;
    expect(renamed).toEqual({ ...p, name: 'Promo cap (email)', updatedAt: renamed.updatedAt });
    const raised = ok(await update(p.id, { maxMessages: 4, tag: null })).updateContactPolicy;
    expect(raised).toEqual({ ...renamed, maxMessages: 4, tag: null, updatedAt: raised.updatedAt });
    expect(await readPolicy(p.id)).toEqual(raised);

    const quiet = ok(await create({ name: 'Lunch', kind: 'QUIET_HOURS', quietStart: '12:00', quietEnd: '14:00', action: 'DEFER' })).createContactPolicy;
    expect(ok(await update(quiet.id, { quietEnd: '13:00' })).updateContactPolicy).toMatchObject({ quietStart: '12:00', quietEnd: '13:00' });
    expect(errorOf(await update(quiet.id, { quietStart: '13:00' }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.quietEnd', reason: 'EMPTY_RANGE' });
  });

  test("a new kind drops the old kind's fields and needs its own", async () => {
    const p = ok(await create({ name: 'Changing', kind: 'CALENDAR_CAP', maxMessages: 2, calendarUnit: 'DAY', tag: 'news', action: 'DEFER' })).createContactPolicy;
    expect(errorOf(await update(p.id, { kind: 'MIN_GAP' }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.gapMinutes', reason: 'REQUIRED' });
    expect(await readPolicy(p.id)).toEqual(p);
    const gap = ok(await update(p.id, { kind: 'MIN_GAP', gapMinutes: 90 })).updateContactPolicy;
    expect(gap).toMatchObject({ kind: 'MIN_GAP', gapMinutes: 90, maxMessages: null, calendarUnit: null, tag: 'news', action: 'DEFER', name: 'Changing' });
    // Giving a field of the old kind along with the new kind is a field that does not apply.
    expect(errorOf(await update(p.id, { kind: 'ROLLING_CAP', maxMessages: 1, windowHours: 24, gapMinutes: 5 }))).toMatchObject({ field: 'input.gapMinutes', reason: 'NOT_APPLICABLE' });
    const quiet = ok(await update(p.id, { kind: 'QUIET_HOURS', quietStart: '20:00', quietEnd: '09:00' })).updateContactPolicy;
    expect(quiet).toMatchObject({ kind: 'QUIET_HOURS', quietStart: '20:00', quietEnd: '09:00', gapMinutes: null });
  });

  test('unknown policies and segments are NOT_FOUND; required fields cannot be nulled away', async () => {
    expect(errorOf(await update('987654', { name: 'x' }))).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
    const p = ok(await create({ name: 'Keep me', kind: 'MIN_GAP', gapMinutes: 30, action: 'DEFER' })).createContactPolicy;
    expect(errorOf(await update(p.id, { segmentId: '987654' }))).toMatchObject({ code: 'NOT_FOUND', field: 'input.segmentId' });
    const nulled = ok(await update(p.id, { name: null, kind: null, action: null })).updateContactPolicy;
    expect(nulled).toMatchObject({ name: 'Keep me', kind: 'MIN_GAP', action: 'DEFER' });
  });

  test('delete removes a policy once', async () => {
    const p = ok(await create({ name: 'Short-lived', kind: 'MIN_GAP', gapMinutes: 30, action: 'DEFER' })).createContactPolicy;
    expect(ok(await app.gql(`mutation($id: ID!) { deleteContactPolicy(id: $id) }`, { id: p.id })).deleteContactPolicy).toBe(true);
    expect(await readPolicy(p.id)).toBeNull();
    expect((await listPolicies()).map((x: { id: string }) => x.id)).not.toContain(p.id);
    expect(errorOf(await app.gql(`mutation($id: ID!) { deleteContactPolicy(id: $id) }`, { id: p.id }))).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
  });

  test('analysts and ingest keys cannot change policies', async () => {
    const [first] = await listPolicies();
    for (const as of [Role.ANALYST, Role.INGEST]) {
      expect(errorOf(await create({ name: 'No', kind: 'MIN_GAP', gapMinutes: 30, action: 'DEFER' }, as)).code).toBe('FORBIDDEN');
      expect(errorOf(await update(first.id, { isEnabled: false }, as)).code).toBe('FORBIDDEN');
      expect(errorOf(await app.gql(`mutation($id: ID!) { deleteContactPolicy(id: $id) }`, { id: first.id }, as)).code).toBe('FORBIDDEN');
    }
    expect(errorOf(await app.gql(`{ contactPolicies { id } }`, {}, Role.INGEST)).code).toBe('FORBIDDEN');
    expect(await readPolicy(first.id)).toEqual(first);
  });

  test('a policy takes effect on the audience at once, and stops when disabled', async () => {
    const p = ok(await create({ name: 'No news at all', kind: 'ROLLING_CAP', maxMessages: 0, windowHours: 24, tag: 'news', action: 'DROP' })).createContactPolicy;
    expect(await ruleReasons()).toEqual([`SUPPRESSED CAP_REACHED ${p.id} 3`]);
    ok(await update(p.id, { isEnabled: false }));
    expect((await ruleReasons()).filter((r) => r.includes('SUPPRESSED'))).toEqual([]);
  });
});

describe('setContactPreferences', () => {
  test('a cap and a pause, both cleared by null; a pause makes the audience count the customer as CUSTOMER_PAUSED', async () => {
    const until = new Date(Date.now() + 7 * DAY).toISOString();
    const set = ok(await setPreferences('c-1', { cap: { max: 2, unit: 'DAY' }, until })).setContactPreferences;
    expect(set).toMatchObject({ customerId: customerId['c-1'], cap: { max: 2, unit: 'DAY' }, marketingPausedUntil: until });
    expect(await ruleReasons()).toContainEqual('SUPPRESSED CUSTOMER_PAUSED customer:pause 1');
    const audience = ok(await app.gql(`query($c: ID!) { campaignAudience(campaign: $c) { targeted expected } }`, { c: campaignId })).campaignAudience;
    expect(audience).toEqual({ targeted: 3, expected: 2 });

    // The whole record is replaced: a call without a pause lifts it.
    const capOnly = ok(await setPreferences('c-1', { cap: { max: 2, unit: 'DAY' } })).setContactPreferences;
    expect(capOnly).toMatchObject({ cap: { max: 2, unit: 'DAY' }, marketingPausedUntil: null });
    expect((await ruleReasons()).filter((r) => r.includes('customer:'))).toEqual([]);
    const cleared = ok(await setPreferences('c-1', { cap: null, until: null })).setContactPreferences;
    expect(cleared).toMatchObject({ customerId: customerId['c-1'], cap: null, marketingPausedUntil: null });
  });

  test('a cap of 0 stops marketing (CUSTOMER_CAP); a pause already over does nothing', async () => {
    ok(await setPreferences('c-2', { cap: { max: 0, unit: 'WEEK' } }));
    ok(await setPreferences('c-3', { until: new Date(Date.now() - DAY).toISOString() }));
    expect((await ruleReasons()).filter((r) => r.includes('customer:'))).toEqual(['SUPPRESSED CUSTOMER_CAP customer:cap 1']);
    ok(await setPreferences('c-2'));
    ok(await setPreferences('c-3'));
  });

  test('bad input is refused with its path and changes nothing', async () => {
    ok(await setPreferences('c-1', { until: new Date(Date.now() + DAY).toISOString() }));
    expect(errorOf(await setPreferences('c-1', { until: 'next tuesday' }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'marketingPausedUntil', reason: 'INVALID_DATETIME' });
    expect(errorOf(await setPreferences('c-1', { until: '2031-01-01T10:00:00' }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'marketingPausedUntil' });
    expect(errorOf(await setPreferences('c-1', { cap: { max: -1, unit: 'DAY' } }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'cap.max', reason: 'OUT_OF_RANGE' });
    expect(errorOf(await setPreferences('nobody', { cap: { max: 1, unit: 'DAY' } }))).toMatchObject({ code: 'NOT_FOUND', field: 'customer' });
    expect(await ruleReasons()).toContainEqual('SUPPRESSED CUSTOMER_PAUSED customer:pause 1');
    ok(await setPreferences('c-1'));
  });

  test('ingest keys may set preferences; analysts may not', async () => {
    const r = ok(await setPreferences('c-2', { cap: { max: 1, unit: 'WEEK' } }, Role.INGEST)).setContactPreferences;
    expect(r).toMatchObject({ customerId: customerId['c-2'], cap: { max: 1, unit: 'WEEK' } });
    expect(errorOf(await setPreferences('c-2', {}, Role.ANALYST)).code).toBe('FORBIDDEN');
    ok(await setPreferences('c-2'));
  });
});
