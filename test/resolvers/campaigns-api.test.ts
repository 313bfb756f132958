import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { failRun, planRun } from '../../src/campaigns/campaign-runs.js';
import { Role } from '../../src/schema/enums.js';
import { runSettings } from '../../src/workers/campaigns.worker.js';
import { errorOf, ok } from '../support/graphql.js';
import { startTestApp, type GraphQLResponse, type TestApp } from '../support/app.js';

/*
 * The campaign API end to end over HTTP: the state machine, validation with paths, previews, the
 * audience forecast against the ledger a run writes, and who may do what. Runs are planned by calling
 * the domain `planRun` on the app's database (no worker), with the settings the API forecasts with.
 */

const PUBLIC_URL = 'https://cible.example.org';
const NARROW_THRESHOLD = 3;
const DAY = 86_400_000;

let app: TestApp;
/** Saved segments by name. */
const seg: Record<string, string> = {};
/** Internal customer ids by external id. */
const customerId: Record<string, string> = {};

const CAMPAIGN = `id name description status channel category tags targetSegmentIds excludedSegmentIds maxRecipients priority
  holdoutPercent expiryHours emailFromName emailFromAddress emailReplyTo latenessLimitMinutes acknowledgedWarnings owner
  createdAt updatedAt launchedAt finishedAt nextRunAt schedule { kind at cron timeZone localDate localTime }
  variants { key weight emailSubject emailHtml emailText smsBody }`;

const EMAIL_VARIANT = { key: 'A', emailSubject: 'Hello {{ first_name }}', emailHtml: '<p>Hello {{ first_name }}</p>', emailText: 'Hello {{ first_name }}' };
const future = (days = 7) => new Date(Date.now() + days * DAY).toISOString();

async function createCampaign(input: Record<string, unknown>, as: Role = Role.MARKETER): Promise<any> {
  const r = await app.gql(`mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { ${CAMPAIGN} } }`, { input }, as);
  return ok(r).createCampaign;
}

let draftCount = 0;
/** A marketing email DRAFT at the (not narrow) "Reachable" segment. */
const newDraft = (extra: Record<string, unknown> = {}) =>
  createCampaign({ name: `Draft ${++draftCount}`, channel: 'EMAIL', targetSegmentIds: [seg.Reachable], variants: [EMAIL_VARIANT], ...extra });

async function readCampaign(id: string): Promise<any> {
  return ok(await app.gql(`query($id: ID!) { campaign(id: $id) { ${CAMPAIGN} } }`, { id }, Role.ANALYST)).campaign;
}

async function allCampaignIds(): Promise<string[]> {
  const r = await app.gql(`{ campaigns(first: 200) { nodes { id } } }`, {}, Role.ANALYST);
  return ok(r).campaigns.nodes.map((c: { id: string }) => c.id);
}

async function runsOf(campaign: string): Promise<{ id: string; status: string; planned: number | null }[]> {
  const r = await app.gql(`query($c: ID!) { campaignRuns(campaign: $c) { nodes { id status planned } } }`, { c: campaign }, Role.ANALYST);
  return ok(r).campaignRuns.nodes;
}

/** Plans the campaign's only run now, as the worker would. */
async function planOnlyRun(campaign: string) {
  const [run] = await runsOf(campaign);
  const outcome = await planRun({ db: app.db, runId: run.id, now: new Date(), settings: runSettings(app.config) });
  return { runId: run.id, outcome };
}

const NEW_CONTENT = [{ key: 'B', emailSubject: 'Changed', emailHtml: '<p>Changed</p>' }];

type State = 'DRAFT' | 'SCHEDULED' | 'RUNNING' | 'PAUSED' | 'CANCELLED' | 'COMPLETED' | 'FAILED';
type Command = 'launch' | 'schedule' | 'pause' | 'resume' | 'cancel' | 'delete' | 'update';

const COMMANDS: Record<Command, (id: string) => Promise<GraphQLResponse>> = {
  launch: (id) => app.gql(`mutation($id: ID!) { launchCampaign(id: $id) { status } }`, { id }),
  schedule: (id) => app.gql(`mutation($id: ID!, $at: String!) { scheduleCampaign(id: $id, schedule: { at: $at }) { status } }`, { id, at: future(3) }),
  pause: (id) => app.gql(`mutation($id: ID!) { pauseCampaign(id: $id) { status } }`, { id }),
  resume: (id) => app.gql(`mutation($id: ID!) { resumeCampaign(id: $id) { status } }`, { id }),
  cancel: (id) => app.gql(`mutation($id: ID!) { cancelCampaign(id: $id) { status } }`, { id }),
  delete: (id) => app.gql(`mutation($id: ID!) { deleteCampaign(id: $id) }`, { id }),
  update: (id) => app.gql(`mutation($id: ID!, $v: [CampaignVariantInput!]!) { updateCampaign(id: $id, input: { variants: $v }) { status } }`, { id, v: NEW_CONTENT }),
};

/** A campaign in each state, built through the API (and the domain run functions for run outcomes). */
const BUILD: Record<State, () => Promise<string>> = {
  DRAFT: async () => (await newDraft()).id,
  SCHEDULED: async () => {
    const { id } = await newDraft();
    ok(await COMMANDS.schedule(id));
    return id;
  },
  RUNNING: async () => {
    const { id } = await newDraft();
    ok(await COMMANDS.launch(id));
    return id;
  },
  PAUSED: async () => {
    const id = await BUILD.RUNNING();
    ok(await COMMANDS.pause(id));
    return id;
  },
  CANCELLED: async () => {
    const id = await BUILD.RUNNING();
    ok(await COMMANDS.cancel(id));
    return id;
  },
  // Nobody in "Unreachable" consented to email: every message is suppressed, so the run is done at once.
  COMPLETED: async () => {
    const { id } = await newDraft({ targetSegmentIds: [seg.Unreachable] });
    ok(await COMMANDS.launch(id));
    expect((await planOnlyRun(id)).outcome).toBe('COMPLETED');
    return id;
  },
  FAILED: async () => {
    const id = await BUILD.RUNNING();
    const [run] = await runsOf(id);
    await failRun({ db: app.db, runId: run.id, error: 'planning failed for good', now: new Date() });
    return id;
  },
};

/** Legal moves and where they lead; every other (state, command) pair is a CONFLICT. */
const LEGAL: Record<State, Partial<Record<Command, State | 'DELETED'>>> = {
  DRAFT: { launch: 'RUNNING', schedule: 'SCHEDULED', delete: 'DELETED', update: 'DRAFT' },
  // Content may still change until the first run starts.
  SCHEDULED: { pause: 'PAUSED', cancel: 'CANCELLED', update: 'SCHEDULED' },
  RUNNING: { pause: 'PAUSED', cancel: 'CANCELLED' },
  // Paused while its run was open: resuming goes back to RUNNING.
  PAUSED: { resume: 'RUNNING', cancel: 'CANCELLED' },
  CANCELLED: {},
  COMPLETED: {},
  FAILED: {},
};

const STATES = Object.keys(BUILD) as State[];

beforeAll(async () => {
  app = await startTestApp({ SEGMENT_NARROW_THRESHOLD: String(NARROW_THRESHOLD), PUBLIC_URL });
  const sub = (...channels: string[]) => channels.map((channel) => ({ channel, status: 'SUBSCRIBED' }));
  const customers = [
    // Previews and the state machine.
    { externalId: 'p-1', firstName: '<script>alert(1)</script>', email: 'p1@example.com', phone: '+33612345601', consents: sub('EMAIL', 'SMS'), timeZone: 'Europe/Paris' },
    { externalId: 'p-2', firstName: 'Ana', email: 'p2@example.com', phone: '+33612345602', consents: sub('EMAIL', 'SMS') },
    { externalId: 'p-3', firstName: 'Bo', email: 'p3@example.com', consents: sub('EMAIL') },
    { externalId: 'q-1', email: 'q1@example.com' },
    { externalId: 'q-2', email: 'q2@example.com' },
    { externalId: 'q-3', email: 'q3@example.com' },
    // The audience forecast against the ledger: one of each reason, two channels.
    ...[1, 2, 3, 4, 5, 6].map((n) => ({ externalId: `a-${n}`, email: `a${n}@example.com`, consents: sub('EMAIL') })),
    { externalId: 'a-7', email: 'a7@example.com' }, // NO_CONSENT
    { externalId: 'a-8', consents: sub('EMAIL') }, // NO_ADDRESS
    { externalId: 'a-9', email: 'a1@example.com', consents: sub('EMAIL') }, // DUPLICATE_ADDRESS (a-1 keeps it)
    { externalId: 'a-10', email: 'a10@example.com', consents: sub('EMAIL') }, // EXCLUDED
    { externalId: 'a-11', phone: '+33612345611', preferredChannel: 'SMS', consents: sub('SMS') },
    { externalId: 'a-12', email: 'a12@example.com', phone: '+33612345612', preferredChannel: 'SMS', consents: sub('EMAIL', 'SMS') },
  ];
  const up = ok(await app.gql(`mutation($input: [CustomerUpsertInput!]!) { upsertCustomers(input: $input) { inserted errors { index field reason } } }`, { input: customers }));
  expect(up.upsertCustomers).toMatchObject({ inserted: customers.length, errors: [] });
  const list = ok(await app.gql(`{ customers(first: 100) { nodes { id externalId } } }`)).customers.nodes;
  for (const c of list) customerId[c.externalId] = c.id;

  const staticSegment = async (name: string, externalIds: string[]) => {
    const r = await app.gql(`mutation($n: String!, $ids: [String!]!) { createSegment(input: { name: $n, members: { externalIds: $ids } }) { segment { id } } }`, { n: name, ids: externalIds }, Role.MARKETER);
    seg[name] = ok(r).createSegment.segment.id;
  };
  await staticSegment('Reachable', ['p-1', 'p-2', 'p-3']);
  await staticSegment('Unreachable', ['q-1', 'q-2', 'q-3']);
  await staticSegment('Narrow', ['p-1']);
  await staticSegment('Audience', Array.from({ length: 12 }, (_, i) => `a-${i + 1}`));
  await staticSegment('Audience exclusions', ['a-10']);
});

afterAll(async () => {
  await app?.close();
});

describe('state machine', () => {
  test.each(STATES)('a campaign can be built in state %s', async (state) => {
    expect((await readCampaign(await BUILD[state]())).status).toBe(state);
  });

  describe.each(STATES)('from %s', (state) => {
    test.each(Object.keys(COMMANDS) as Command[])(`%s`, async (command) => {
      const id = await BUILD[state]();
      const before = await readCampaign(id);
      const runsBefore = await runsOf(id);
      const r = await COMMANDS[command](id);
      const to = LEGAL[state][command];
      if (to === undefined) {
        expect(errorOf(r)).toMatchObject({ code: 'CONFLICT', reason: `CAMPAIGN_${state}`, field: command === 'update' ? 'input' : 'id' });
        expect(errorOf(r).message).toContain(state);
        expect(await readCampaign(id)).toEqual(before);
        expect(await runsOf(id)).toEqual(runsBefore);
        return;
      }
      ok(r);
      if (to === 'DELETED') {
        expect(r.data!.deleteCampaign).toBe(true);
        expect(await readCampaign(id)).toBeNull();
        expect(await allCampaignIds()).not.toContain(id);
        return;
      }
      const after = await readCampaign(id);
      expect(after.status).toBe(to);
      expect(r.data![`${command === 'update' ? 'update' : command}Campaign`].status).toBe(to);
      if (command === 'update') expect(after.variants).toEqual([{ key: 'B', weight: 1, emailSubject: 'Changed', emailHtml: '<p>Changed</p>', emailText: null, smsBody: null }]);
      else expect(after.variants).toEqual(before.variants);
      if (command === 'launch') {
        expect(after).toMatchObject({ schedule: { kind: 'NOW' }, acknowledgedWarnings: false });
        expect(after.launchedAt).not.toBeNull();
        expect((await runsOf(id)).map((x) => x.status)).toEqual(['PENDING']);
      }
      if (command === 'schedule') {
        expect(after.schedule).toMatchObject({ kind: 'AT', cron: null });
        expect(after.nextRunAt).toBe(after.schedule.at);
        expect(await runsOf(id)).toEqual([]);
      }
      if (command === 'cancel') {
        expect(after.finishedAt).not.toBeNull();
        expect((await runsOf(id)).every((x) => x.status === 'CANCELLED')).toBe(true);
      }
    });
  });

  test('a scheduled campaign paused and resumed is SCHEDULED again, still due at the same time', async () => {
    const id = await BUILD.SCHEDULED();
    const scheduled = await readCampaign(id);
    expect(ok(await COMMANDS.pause(id)).pauseCampaign.status).toBe('PAUSED');
    expect(ok(await COMMANDS.resume(id)).resumeCampaign.status).toBe('SCHEDULED');
    const resumed = await readCampaign(id);
    expect(resumed.nextRunAt).toBe(scheduled.nextRunAt);
    expect(resumed.schedule).toEqual(scheduled.schedule);
    expect(await runsOf(id)).toEqual([]);
  });

  test.each(STATES)('duplicateCampaign from %s gives a DRAFT with the same targeting and content', async (state) => {
    const id = await BUILD[state]();
    const source = await readCampaign(id);
    const copy = ok(await app.gql(`mutation($id: ID!) { duplicateCampaign(id: $id) { ${CAMPAIGN} } }`, { id }, Role.MARKETER)).duplicateCampaign;
    expect(copy.id).not.toBe(id);
    expect(copy).toMatchObject({
      name: `${source.name} (copy)`,
      status: 'DRAFT',
      schedule: null,
      nextRunAt: null,
      launchedAt: null,
      finishedAt: null,
      acknowledgedWarnings: false,
      owner: 'test marketer',
    });
    const same = (c: any) => ({ ...c, id: undefined, name: undefined, status: undefined, schedule: undefined, nextRunAt: undefined, launchedAt: undefined, finishedAt: undefined, acknowledgedWarnings: undefined, createdAt: undefined, updatedAt: undefined, owner: undefined });
    expect(same(copy)).toEqual(same(source));
    expect(await readCampaign(id)).toEqual(source);
  });

  test('two launches of one draft at once: one run, one CONFLICT', async () => {
    const { id } = await newDraft();
    const results = await Promise.all([COMMANDS.launch(id), COMMANDS.launch(id)]);
    expect(results.filter((r) => !r.errors).length).toBe(1);
    expect(results.find((r) => r.errors)!.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'CAMPAIGN_RUNNING' });
    expect(await runsOf(id)).toHaveLength(1);
  });

  test('unknown and malformed ids', async () => {
    expect(errorOf(await COMMANDS.launch('987654'))).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
    expect(errorOf(await COMMANDS.cancel('nope'))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id', reason: 'INVALID_ID' });
    expect(errorOf(await COMMANDS.update('987654'))).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
    expect(errorOf(await COMMANDS.delete('987654'))).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
    expect(await readCampaign('987654')).toBeNull();
  });
});

describe('narrow segments', () => {
  test('a launch at a segment below SEGMENT_NARROW_THRESHOLD needs acknowledgeWarnings, and records it', async () => {
    const { id } = await newDraft({ targetSegmentIds: [seg.Narrow] });
    const before = await readCampaign(id);
    for (const r of [
      await COMMANDS.launch(id),
      await app.gql(`mutation($id: ID!, $at: String!) { scheduleCampaign(id: $id, schedule: { at: $at }) { status } }`, { id, at: future() }),
    ]) {
      const e = errorOf(r);
      expect(e).toMatchObject({ code: 'BAD_USER_INPUT', field: 'acknowledgeWarnings', reason: 'NARROW_SEGMENT' });
      expect(e.message).toContain(`Narrow (1)`);
      expect(e.message).toContain(`threshold of ${NARROW_THRESHOLD}`);
    }
    expect(await readCampaign(id)).toEqual(before);
    expect(await runsOf(id)).toEqual([]);

    const launched = ok(await app.gql(`mutation($id: ID!) { launchCampaign(id: $id, acknowledgeWarnings: true) { status acknowledgedWarnings } }`, { id }));
    expect(launched.launchCampaign).toEqual({ status: 'RUNNING', acknowledgedWarnings: true });
    expect(await runsOf(id)).toHaveLength(1);
  });

  test('a segment at the threshold is not narrow', async () => {
    const { id } = await newDraft();
    expect(ok(await COMMANDS.launch(id)).launchCampaign.status).toBe('RUNNING');
    expect((await readCampaign(id)).acknowledgedWarnings).toBe(false);
  });
});

describe('bad input is refused with its path and reason, and writes nothing', () => {
  const base = () => ({ name: 'Bad', channel: 'EMAIL', targetSegmentIds: [seg.Reachable], variants: [EMAIL_VARIANT] });
  const create = (input: Record<string, unknown>) => app.gql(`mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }`, { input });

  test.each([
    [
      'a template syntax error, with its position',
      { variants: [EMAIL_VARIANT, { key: 'B', emailSubject: 'Hi', emailHtml: '<p>Hi</p>\n<p>{% if first_name %}yes</p>' }] },
      { code: 'BAD_USER_INPUT', field: 'input.variants[1].emailHtml', reason: 'TEMPLATE_SYNTAX' },
      /^line 2, column 4: /,
    ],
    [
      'an unknown variable, with its position',
      { variants: [EMAIL_VARIANT, { key: 'B', emailSubject: 'Hi', emailHtml: '<p>Hi</p>\n<p>{{ frist_name }}</p>' }] },
      { code: 'BAD_USER_INPUT', field: 'input.variants[1].emailHtml', reason: 'UNKNOWN_VARIABLE' },
      /^line 2, column \d+: unknown variable frist_name$/,
    ],
    ['an unknown segment', () => ({ targetSegmentIds: [seg.Reachable, '987654'] }), { code: 'NOT_FOUND', field: 'input.targetSegmentIds[1]' }, /987654/],
    [
      'a segment both targeted and excluded',
      () => ({ excludedSegmentIds: [seg.Reachable] }),
      { code: 'BAD_USER_INPUT', field: 'input.excludedSegmentIds', reason: 'TARGETED_AND_EXCLUDED' },
      /^segment \d+ is both targeted and excluded$/,
    ],
    ['holdoutPercent 100', { holdoutPercent: 100 }, { code: 'BAD_USER_INPUT', field: 'input.holdoutPercent', reason: 'OUT_OF_RANGE' }, /99\.99/],
    ['holdoutPercent finer than 0.01', { holdoutPercent: 10.005 }, { code: 'BAD_USER_INPUT', field: 'input.holdoutPercent', reason: 'OUT_OF_RANGE' }, /0\.01/],
    [
      'duplicate variant keys',
      { variants: [EMAIL_VARIANT, { ...EMAIL_VARIANT, emailSubject: 'Other' }] },
      { code: 'BAD_USER_INPUT', field: 'input.variants[1].key', reason: 'DUPLICATE_KEY' },
      /variant A/,
    ],
    ['an invalid variant key', { variants: [{ ...EMAIL_VARIANT, key: 'a b' }] }, { code: 'BAD_USER_INPUT', field: 'input.variants[0].key', reason: 'INVALID_KEY' }, /A–Z/],
    ['no variant', { variants: [] }, { code: 'BAD_USER_INPUT', field: 'input.variants', reason: 'REQUIRED' }, /at least one variant/],
    ['an invalid from address', { emailFromAddress: 'not an address' }, { code: 'BAD_USER_INPUT', field: 'input.emailFromAddress', reason: 'INVALID_EMAIL' }, /email/],
    ['an invalid reply-to address', { emailReplyTo: 'x@' }, { code: 'BAD_USER_INPUT', field: 'input.emailReplyTo', reason: 'INVALID_EMAIL' }, /email/],
    ['expiryHours beyond 720', { expiryHours: 721 }, { code: 'BAD_USER_INPUT', field: 'input.expiryHours', reason: 'OUT_OF_RANGE' }, /1 to 720/],
  ] as [string, Record<string, unknown> | (() => Record<string, unknown>), Record<string, string>, RegExp][])('createCampaign with %s', async (_what, change, extensions, message) => {
    const before = await allCampaignIds();
    const e = errorOf(await create({ ...base(), ...(typeof change === 'function' ? change() : change) }));
    expect(e).toMatchObject(extensions);
    expect(e.message).toMatch(message);
    expect(await allCampaignIds()).toEqual(before);
  });

  test('updateCampaign checks the merged campaign the same way, and keeps the stored one', async () => {
    const { id } = await newDraft();
    const before = await readCampaign(id);
    const update = (input: Record<string, unknown>) => app.gql(`mutation($id: ID!, $input: UpdateCampaignInput!) { updateCampaign(id: $id, input: $input) { id } }`, { id, input });
    expect(errorOf(await update({ variants: [EMAIL_VARIANT, { key: 'B', emailSubject: '{{ campaign.nme }}', emailText: 'x' }] }))).toMatchObject({
      field: 'input.variants[1].emailSubject',
      reason: 'UNKNOWN_VARIABLE',
    });
    expect(errorOf(await update({ excludedSegmentIds: [seg.Reachable] }))).toMatchObject({ field: 'input.excludedSegmentIds', reason: 'TARGETED_AND_EXCLUDED' });
    expect(errorOf(await update({ holdoutPercent: 100 }))).toMatchObject({ field: 'input.holdoutPercent', reason: 'OUT_OF_RANGE' });
    expect(await readCampaign(id)).toEqual(before);
  });

  test('an EMAIL campaign without email content cannot launch (NO_CONTENT) and stays a DRAFT', async () => {
    const { id } = await newDraft({ variants: [{ key: 'A', smsBody: 'Hi {{ first_name }}' }] });
    const before = await readCampaign(id);
    expect(errorOf(await COMMANDS.launch(id))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id', reason: 'NO_CONTENT' });
    // A subject without a body is not email content either.
    const half = await newDraft({ variants: [{ key: 'A', emailSubject: 'Subject only' }] });
    expect(errorOf(await COMMANDS.launch(half.id))).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'NO_CONTENT' });
    expect(await readCampaign(id)).toEqual(before);
    expect(await runsOf(id)).toEqual([]);
  });

  test.each([
    ['at in the past', { at: new Date(Date.now() - 60_000).toISOString() }, { field: 'schedule.at', reason: 'IN_THE_PAST' }],
    ['at without an offset', { at: '2031-01-01T10:00:00' }, { field: 'schedule.at', reason: 'INVALID_DATETIME' }],
    ['a bad cron', { cron: '61 * * * *' }, { field: 'schedule.cron', reason: 'INVALID_CRON' }],
    ['a cron of 6 fields', { cron: '0 0 9 * * 1' }, { field: 'schedule.cron', reason: 'INVALID_CRON' }],
    ['a bad time zone', { cron: '0 9 * * 1', timeZone: 'Europe/Atlantis' }, { field: 'schedule.timeZone', reason: 'INVALID_TIME_ZONE' }],
    ['a local time with a bad format', { localDate: '2031-06-01', localTime: '9h30' }, { field: 'schedule.localTime', reason: 'INVALID_TIME' }],
    ['a local date with a bad format', { localDate: '01/06/2031', localTime: '09:30' }, { field: 'schedule.localDate', reason: 'INVALID_DATE' }],
    ['two kinds at once', { at: future(), cron: '0 9 * * 1' }, { field: 'schedule', reason: 'ONE_OF' }],
    ['nothing', {}, { field: 'schedule', reason: 'ONE_OF' }],
  ])('scheduleCampaign with %s', async (_what, schedule, extensions) => {
    const { id } = await newDraft();
    const before = await readCampaign(id);
    const r = await app.gql(`mutation($id: ID!, $s: ScheduleInput!) { scheduleCampaign(id: $id, schedule: $s) { status } }`, { id, s: schedule });
    expect(errorOf(r)).toMatchObject({ code: 'BAD_USER_INPUT', ...extensions });
    expect(await readCampaign(id)).toEqual(before);
  });

  test('valid recurring and local-time schedules are stored as given', async () => {
    const recurring = (await newDraft()).id;
    const r = ok(await app.gql(`mutation($id: ID!) { scheduleCampaign(id: $id, schedule: { cron: "30 9 * * 1", timeZone: "Europe/Paris" }) { status nextRunAt schedule { kind cron timeZone } } }`, { id: recurring }));
    expect(r.scheduleCampaign).toMatchObject({ status: 'SCHEDULED', schedule: { kind: 'RECURRING', cron: '30 9 * * 1', timeZone: 'Europe/Paris' } });
    const next = new Date(r.scheduleCampaign.nextRunAt);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', weekday: 'short', hour: '2-digit', minute: '2-digit' }).format(next)).toBe('Mon 09:30');

    const local = (await newDraft()).id;
    const l = ok(await app.gql(`mutation($id: ID!) { scheduleCampaign(id: $id, schedule: { localDate: "2031-06-01", localTime: "09:30" }) { schedule { kind localDate localTime at } nextRunAt } }`, { id: local }));
    // It starts when 09:30 arrives in the earliest time zone (UTC+14).
    expect(l.scheduleCampaign).toEqual({ schedule: { kind: 'LOCAL_TIME', localDate: '2031-06-01', localTime: '09:30', at: null }, nextRunAt: '2031-05-31T19:30:00.000Z' });
  });
});

describe('content is frozen once running', () => {
  test('variants and targeting of a RUNNING campaign are a CONFLICT; its name and description still change', async () => {
    const id = await BUILD.RUNNING();
    const before = await readCampaign(id);
    const update = (input: Record<string, unknown>) => app.gql(`mutation($id: ID!, $input: UpdateCampaignInput!) { updateCampaign(id: $id, input: $input) { name description status variants { key } } }`, { id, input });
    expect(errorOf(await update({ variants: NEW_CONTENT }))).toMatchObject({ code: 'CONFLICT', field: 'input', reason: 'CAMPAIGN_RUNNING' });
    expect(errorOf(await update({ targetSegmentIds: [seg.Unreachable] }))).toMatchObject({ code: 'CONFLICT', reason: 'CAMPAIGN_RUNNING' });
    // A label change riding along with content does not get through either.
    expect(errorOf(await update({ name: 'Sneaky', holdoutPercent: 50 }))).toMatchObject({ code: 'CONFLICT', reason: 'CAMPAIGN_RUNNING' });
    expect(await readCampaign(id)).toEqual(before);

    const renamed = ok(await update({ name: 'Spring sale (final)', description: 'Renamed while running' })).updateCampaign;
    expect(renamed).toEqual({ name: 'Spring sale (final)', description: 'Renamed while running', status: 'RUNNING', variants: before.variants.map((v: { key: string }) => ({ key: v.key })) });
  });

  test('a COMPLETED campaign can still be renamed', async () => {
    const id = await BUILD.COMPLETED();
    const r = ok(await app.gql(`mutation($id: ID!) { updateCampaign(id: $id, input: { name: "Archived" }) { name status } }`, { id }));
    expect(r.updateCampaign).toEqual({ name: 'Archived', status: 'COMPLETED' });
  });
});

describe('renderPreview', () => {
  const PREVIEW = `query($c: ID!, $who: CustomerRefInput!, $v: String, $ch: Channel) {
    renderPreview(campaign: $c, customer: $who, variant: $v, channel: $ch) {
      customerId variant channel heldOut subject html text smsBody headers { name value } sms { characters encoding parts } } }`;
  const preview = async (c: string, externalId: string, extra: Record<string, unknown> = {}, as: Role = Role.MARKETER) =>
    ok(await app.gql(PREVIEW, { c, who: { externalId }, ...extra }, as)).renderPreview;

  test('a marketing email: names escaped in HTML only, List-Unsubscribe headers and a footer link to PUBLIC_URL/u/…', async () => {
    const c = await createCampaign({
      name: 'Preview email',
      channel: 'EMAIL',
      targetSegmentIds: [seg.Reachable],
      variants: [{ key: 'A', emailSubject: 'Hi {{ first_name }}', emailHtml: '<html><body><p>Hi {{ first_name }}</p></body></html>', emailText: 'Hi {{ first_name }}' }],
    });
    const p = await preview(c.id, 'p-1');
    expect(p).toMatchObject({ customerId: customerId['p-1'], variant: 'A', channel: 'EMAIL', heldOut: false, smsBody: null, sms: null });
    expect(p.subject).toBe('Hi <script>alert(1)</script>');
    expect(p.html).toContain('<p>Hi &lt;script&gt;alert(1)&lt;/script&gt;</p>');
    expect(p.html).not.toContain('<script>');
    const headers = Object.fromEntries(p.headers.map((h: { name: string; value: string }) => [h.name, h.value]));
    expect(Object.keys(headers).sort()).toEqual(['List-Unsubscribe', 'List-Unsubscribe-Post']);
    expect(headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    const url = /^<(https:\/\/cible\.example\.org\/u\/[^>]+)>$/.exec(headers['List-Unsubscribe'])?.[1];
    expect(url).toMatch(/^https:\/\/cible\.example\.org\/u\/\S+$/);
    // The visible link goes before </body>, and the text part ends with the same link.
    expect(p.html).toContain(`<a href="${url}">Unsubscribe</a></p>\n</body></html>`);
    expect(p.text).toBe(`Hi <script>alert(1)</script>\n\nUnsubscribe: ${url}`);
    // The link is the customer's own: another customer gets another one.
    const other = await preview(c.id, 'p-2');
    expect(other.headers.find((h: { name: string }) => h.name === 'List-Unsubscribe').value).not.toBe(headers['List-Unsubscribe']);
  });

  test('a transactional email has no unsubscribe headers nor footer', async () => {
    const c = await createCampaign({
      name: 'Receipt',
      channel: 'EMAIL',
      category: 'TRANSACTIONAL',
      targetSegmentIds: [seg.Reachable],
      variants: [{ key: 'A', emailSubject: 'Your receipt', emailHtml: '<p>Thanks {{ first_name }}</p>', emailText: 'Thanks {{ first_name }}' }],
    });
    const p = await preview(c.id, 'p-2');
    expect(p).toMatchObject({ headers: [], subject: 'Your receipt', html: '<p>Thanks Ana</p>', text: 'Thanks Ana' });
  });

  test('an SMS: characters, GSM-7 or UCS-2, parts, and the STOP wording added once', async () => {
    const c = await createCampaign({
      name: 'Preview SMS',
      channel: 'SMS',
      targetSegmentIds: [seg.Reachable],
      variants: [
        { key: 'PLAIN', smsBody: 'Hi {{ first_name }}, -20% today' },
        { key: 'EMOJI', smsBody: 'Hi {{ first_name }} 🎉' },
        { key: 'LONG', smsBody: 'x'.repeat(150) },
        { key: 'OWN_STOP', smsBody: 'Deals today! Reply STOP to unsubscribe' },
      ],
    });
    const sms = async (variant: string) => preview(c.id, 'p-2', { v: variant });
    expect(await sms('PLAIN')).toMatchObject({ channel: 'SMS', headers: [], html: null, smsBody: 'Hi Ana, -20% today STOP to opt out', sms: { characters: 34, encoding: 'GSM_7', parts: 1 } });
    expect(await sms('EMOJI')).toMatchObject({ smsBody: 'Hi Ana 🎉 STOP to opt out', sms: { characters: 24, encoding: 'UCS_2', parts: 1 } });
    // 150 + " STOP to opt out" = 166 septets: past 160, so parts of 153.
    expect((await sms('LONG')).sms).toEqual({ characters: 166, encoding: 'GSM_7', parts: 2 });
    const own = await sms('OWN_STOP');
    expect(own.smsBody).toBe('Deals today! Reply STOP to unsubscribe');
    for (const v of ['PLAIN', 'EMOJI', 'LONG', 'OWN_STOP']) expect((await sms(v)).smsBody.match(/STOP/g)).toHaveLength(1);
  });

  test('the variant is drawn deterministically per customer; an explicit variant is shown instead; unknown ones are refused', async () => {
    const c = await createCampaign({
      name: 'A/B preview',
      channel: 'EMAIL',
      targetSegmentIds: [seg.Reachable],
      variants: [
        { key: 'A', emailSubject: 'Subject A', emailText: 'Body A' },
        { key: 'B', emailSubject: 'Subject B', emailText: 'Body B' },
      ],
    });
    for (const who of ['p-1', 'p-2', 'p-3']) {
      const first = await preview(c.id, who);
      const again = await preview(c.id, who, {}, Role.ANALYST);
      expect(again).toEqual(first);
      expect(first.subject).toBe(`Subject ${first.variant}`);
    }
    const b = await preview(c.id, 'p-1', { v: 'B' });
    expect(b).toMatchObject({ variant: 'B', subject: 'Subject B' });
    expect(b.text).toMatch(/^Body B\n\nUnsubscribe: /);
    expect(errorOf(await app.gql(PREVIEW, { c: c.id, who: { externalId: 'p-1' }, v: 'Z' }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'variant', reason: 'UNKNOWN_VARIANT' });
    expect(errorOf(await app.gql(PREVIEW, { c: c.id, who: { externalId: 'p-1' }, ch: 'SMS' }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'channel', reason: 'NO_CONTENT' });
    expect(errorOf(await app.gql(PREVIEW, { c: c.id, who: { externalId: 'nobody' } }))).toMatchObject({ code: 'NOT_FOUND', field: 'customer' });
    expect(errorOf(await app.gql(PREVIEW, { c: '987654', who: { externalId: 'p-1' } }))).toMatchObject({ code: 'NOT_FOUND', field: 'campaign' });
  });
});

describe('campaignAudience against the ledger of a run', () => {
  const AUDIENCE = `query($c: ID!) { campaignAudience(campaign: $c) {
    targeted excluded heldOut expected deferred avoided co2SavedGrams decisions
    reasons { outcome reason ruleId count } byChannel { channel expected now everyone avoided } byVariant { variant expected } } }`;
  const MESSAGES = `query($c: ID!, $run: ID, $o: MessageOutcome, $first: Int!, $after: String) {
    messages(campaign: $c, run: $run, outcome: $o, first: $first, after: $after) {
      nodes { id runId customerId channel address variant outcome reason ruleId contactAt }
      pageInfo { hasNextPage endCursor } } }`;

  /** Every message of a campaign (or run / outcome), page by page. */
  async function allMessages(vars: Record<string, unknown>, first: number, as: Role = Role.MARKETER) {
    const pages: { count: number; hasNextPage: boolean }[] = [];
    const nodes: any[] = [];
    let after: string | null = null;
    for (;;) {
      const r: any = ok(await app.gql(MESSAGES, { ...vars, first, after }, as)).messages;
      nodes.push(...r.nodes);
      pages.push({ count: r.nodes.length, hasNextPage: r.pageInfo.hasNextPage });
      if (!r.pageInfo.hasNextPage) break;
      after = r.pageInfo.endCursor;
    }
    return { nodes, pages };
  }

  let campaign: string;
  let runId: string;
  let forecast: any;

  beforeAll(async () => {
    campaign = (
      await createCampaign({
        name: 'Audience check',
        channel: 'PREFERRED',
        targetSegmentIds: [seg.Audience],
        excludedSegmentIds: [seg['Audience exclusions']],
        holdoutPercent: 25,
        variants: [
          { key: 'A', weight: 1, emailSubject: 'A', emailText: 'Hello A', smsBody: 'Hello A' },
          { key: 'B', weight: 3, emailSubject: 'B', emailText: 'Hello B', smsBody: 'Hello B' },
        ],
      })
    ).id;
    forecast = ok(await app.gql(AUDIENCE, { c: campaign }, Role.ANALYST)).campaignAudience;
    ok(await COMMANDS.launch(campaign));
    ({ runId } = await planOnlyRun(campaign));
  });

  test('the forecast names one reason per person not reached', () => {
    expect(forecast).toMatchObject({ targeted: 12, excluded: 1 });
    const reason = (r: string) => forecast.reasons.find((x: { reason: string }) => x.reason === r);
    expect(reason('EXCLUDED')).toEqual({ outcome: 'SUPPRESSED', reason: 'EXCLUDED', ruleId: null, count: 1 });
    expect(reason('NO_CONSENT')).toEqual({ outcome: 'SUPPRESSED', reason: 'NO_CONSENT', ruleId: null, count: 1 });
    expect(reason('NO_ADDRESS')).toEqual({ outcome: 'SUPPRESSED', reason: 'NO_ADDRESS', ruleId: null, count: 1 });
    expect(reason('DUPLICATE_ADDRESS')).toEqual({ outcome: 'SUPPRESSED', reason: 'DUPLICATE_ADDRESS', ruleId: null, count: 1 });
    const notReached = forecast.reasons.filter((r: { outcome: string }) => r.outcome !== 'DEFERRED').reduce((n: number, r: { count: number }) => n + r.count, 0);
    expect(notReached + forecast.expected).toBe(forecast.targeted);
    // 8 eligible: a-1..a-6 (a-1 on email: it has no phone), a-11 and a-12 on SMS, as they prefer.
    expect(forecast.byChannel.find((c: { channel: string }) => c.channel === 'SMS').everyone).toBe(2);
  });

  test('the run writes what the forecast said: the same reasons and counts, and the same messages per channel and variant', async () => {
    const outcomes = ok(await app.gql(`query($c: ID!) { campaignOutcomes(campaign: $c) { outcome reason ruleId channel count } }`, { c: campaign }, Role.ANALYST)).campaignOutcomes;
    const key = (r: { outcome: string; reason: string | null; ruleId: string | null }) => `${r.outcome}|${r.reason}|${r.ruleId}`;
    const byReason = new Map<string, number>();
    for (const o of outcomes.filter((o: { outcome: string }) => o.outcome !== 'RESERVED')) byReason.set(key(o), (byReason.get(key(o)) ?? 0) + o.count);
    expect(Object.fromEntries(byReason)).toEqual(Object.fromEntries(forecast.reasons.map((r: any) => [key(r), r.count])));
    expect(outcomes.reduce((n: number, o: { count: number }) => n + o.count, 0)).toBe(forecast.targeted);

    for (const c of forecast.byChannel) {
      const on = (outcome: string) => outcomes.filter((o: any) => o.channel === c.channel && o.outcome === outcome).reduce((n: number, o: any) => n + o.count, 0);
      expect({ channel: c.channel, expected: on('RESERVED') + on('DEFERRED'), now: on('RESERVED') }).toEqual({ channel: c.channel, expected: c.expected, now: c.now });
    }
    const { nodes } = await allMessages({ c: campaign }, 50);
    for (const v of forecast.byVariant)
      expect(nodes.filter((m) => m.variant === v.variant && (m.outcome === 'RESERVED' || m.outcome === 'DEFERRED')).length).toBe(v.expected);
    expect(nodes.filter((m) => m.outcome === 'HELD_OUT').length).toBe(forecast.heldOut);

    const [run] = await runsOf(campaign);
    expect(run).toMatchObject({ id: runId, planned: 12 });
    // The run filter gives the same rows.
    expect(ok(await app.gql(`query($c: ID!, $r: ID!) { campaignOutcomes(campaign: $c, run: $r) { count } }`, { c: campaign, r: runId })).campaignOutcomes.length).toBe(outcomes.length);
  });

  test('each person sent to gets the variant and hold-out draw their preview shows', async () => {
    const { nodes } = await allMessages({ c: campaign }, 50);
    const byCustomer = new Map(Object.entries(customerId).map(([ext, id]) => [id, ext]));
    for (const m of nodes.filter((x) => ['RESERVED', 'DEFERRED', 'HELD_OUT'].includes(x.outcome))) {
      const p = ok(await app.gql(`query($c: ID!, $id: ID!) { renderPreview(campaign: $c, customer: { id: $id }) { variant channel heldOut } }`, { c: campaign, id: m.customerId })).renderPreview;
      expect({ who: byCustomer.get(m.customerId), ...p }).toEqual({ who: byCustomer.get(m.customerId), variant: m.variant, channel: m.channel, heldOut: m.outcome === 'HELD_OUT' });
    }
  });

  test('messages pages by keyset with no duplicates, filters by run and outcome, and masks addresses for analysts', async () => {
    const { nodes, pages } = await allMessages({ c: campaign }, 5);
    expect(pages).toEqual([
      { count: 5, hasNextPage: true },
      { count: 5, hasNextPage: true },
      { count: 2, hasNextPage: false },
    ]);
    const ids = nodes.map((m) => BigInt(m.id));
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1])).toBe(true);
    expect(new Set(nodes.map((m) => m.customerId)).size).toBe(12);
    expect(nodes.every((m) => m.runId === runId)).toBe(true);

    const exactPage = await allMessages({ c: campaign }, 12);
    expect(exactPage.pages).toEqual([{ count: 12, hasNextPage: false }]);
    expect((await allMessages({ c: campaign, run: runId }, 4)).nodes).toEqual(nodes);
    const suppressed = await allMessages({ c: campaign, o: 'SUPPRESSED' }, 2);
    expect(suppressed.nodes.map((m) => m.id)).toEqual(nodes.filter((m) => m.outcome === 'SUPPRESSED').map((m) => m.id));
    expect(suppressed.nodes.map((m) => m.reason).sort()).toEqual(['DUPLICATE_ADDRESS', 'EXCLUDED', 'NO_ADDRESS', 'NO_CONSENT']);
    // Another campaign's run does not leak into this campaign's ledger.
    const other = await BUILD.COMPLETED();
    const [otherRun] = await runsOf(other);
    expect((await allMessages({ c: campaign, run: otherRun.id }, 10)).nodes).toEqual([]);

    const analyst = await allMessages({ c: campaign }, 50, Role.ANALYST);
    const a1 = nodes.find((m) => m.customerId === customerId['a-1']);
    const a11 = nodes.find((m) => m.customerId === customerId['a-11']);
    expect(a1.address).toBe('a1@example.com');
    expect(a11.address).toBe('+33612345611');
    expect(analyst.nodes.find((m) => m.customerId === customerId['a-1']).address).toBe('a•••@example.com');
    expect(analyst.nodes.find((m) => m.customerId === customerId['a-11']).address).toBe('+33•••••••11');
    expect(analyst.nodes.every((m) => m.address === null || m.address.includes('•••'))).toBe(true);

    expect(errorOf(await app.gql(MESSAGES, { c: campaign, first: 5, after: 'garbage' }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    expect(errorOf(await app.gql(MESSAGES, { c: campaign, first: 1001 }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });

  test('cancelling cancels the messages not yet sent, with their reason', async () => {
    const before = ok(await app.gql(`query($c: ID!) { campaignOutcomes(campaign: $c) { outcome count } }`, { c: campaign })).campaignOutcomes;
    const pending = before.filter((o: { outcome: string }) => o.outcome === 'RESERVED' || o.outcome === 'DEFERRED').reduce((n: number, o: { count: number }) => n + o.count, 0);
    expect(pending).toBeGreaterThan(0);
    expect(ok(await COMMANDS.cancel(campaign)).cancelCampaign.status).toBe('CANCELLED');
    const after = ok(await app.gql(`query($c: ID!) { campaignOutcomes(campaign: $c) { outcome reason count } }`, { c: campaign })).campaignOutcomes;
    expect(after.filter((o: { outcome: string }) => o.outcome === 'RESERVED' || o.outcome === 'DEFERRED')).toEqual([]);
    const cancelled = after.filter((o: { outcome: string }) => o.outcome === 'CANCELLED');
    expect(new Set(cancelled.map((o: { reason: string }) => o.reason))).toEqual(new Set(['CAMPAIGN_CANCELLED']));
    expect(cancelled.reduce((n: number, o: { count: number }) => n + o.count, 0)).toBe(pending);
    expect((await runsOf(campaign)).map((r) => r.status)).toEqual(['CANCELLED']);
  });
});

describe('roles', () => {
  test('analysts read campaigns, audiences and the ledger but change nothing', async () => {
    const { id } = await newDraft();
    const read = await app.gql(`query($id: ID!) { campaigns(first: 5) { nodes { id } } campaign(id: $id) { id } campaignAudience(campaign: $id) { targeted } messages(campaign: $id) { nodes { id } } contactPolicies { id } }`, { id }, Role.ANALYST);
    expect(ok(read)).toMatchObject({ campaign: { id }, campaignAudience: { targeted: 3 }, messages: { nodes: [] } });
    const forbidden = [
      app.gql(`mutation($s: ID!) { createCampaign(input: { name: "No", channel: EMAIL, targetSegmentIds: [$s], variants: [{ key: "A", emailSubject: "x", emailText: "y" }] }) { id } }`, { s: seg.Reachable }, Role.ANALYST),
      app.gql(`mutation($id: ID!) { launchCampaign(id: $id) { id } }`, { id }, Role.ANALYST),
      app.gql(`mutation { createContactPolicy(input: { name: "No", kind: MIN_GAP, gapMinutes: 60, action: DEFER }) { id } }`, {}, Role.ANALYST),
      app.gql(`mutation($id: ID!) { launchCampaign(id: $id) { id } }`, { id }, Role.INGEST),
      app.gql(`query($id: ID!) { campaign(id: $id) { id } }`, { id }, Role.INGEST),
    ];
    for (const r of await Promise.all(forbidden)) expect(errorOf(r).code).toBe('FORBIDDEN');
    expect((await readCampaign(id)).status).toBe('DRAFT');
    const policies = ok(await app.gql(`{ contactPolicies { name } }`)).contactPolicies;
    expect(policies.map((p: { name: string }) => p.name)).not.toContain('No');
  });

  test('the ingest role may set a customer\'s contact preferences', async () => {
    const r = await app.gql(`mutation { setContactPreferences(customer: { externalId: "q-1" }, cap: { max: 2, unit: WEEK }) { customerId cap { max unit } } }`, {}, Role.INGEST);
    expect(ok(r).setContactPreferences).toEqual({ customerId: customerId['q-1'], cap: { max: 2, unit: 'WEEK' } });
  });
});

describe('segments used by campaigns', () => {
  test('deleteSegment of a segment a campaign uses is a CONFLICT naming the campaign', async () => {
    const s = ok(await app.gql(`mutation { createSegment(input: { name: "Used by a campaign", members: { externalIds: ["p-1", "p-2", "p-3"] } }) { segment { id } } }`)).createSegment.segment.id;
    const c = await newDraft({ name: 'Winter sale', targetSegmentIds: [seg.Reachable], excludedSegmentIds: [s] });
    const e = errorOf(await app.gql(`mutation($id: ID!) { deleteSegment(id: $id) }`, { id: s }));
    expect(e).toMatchObject({ code: 'CONFLICT', field: 'id', reason: 'SEGMENT_IN_USE' });
    expect(e.message).toContain('Winter sale');
    expect(e.message).toContain(c.id);
    expect(ok(await app.gql(`query($id: ID!) { segment(id: $id) { id } }`, { id: s })).segment).toEqual({ id: s });
    // Once the draft is deleted, the segment can go.
    ok(await COMMANDS.delete(c.id));
    expect(ok(await app.gql(`mutation($id: ID!) { deleteSegment(id: $id) }`, { id: s })).deleteSegment).toBe(true);
  });
});
