import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DomainError } from '../../src/errors.js';
import { loadAttributeCatalogue } from '../../src/ingestion/attribute-catalogue.js';
import { Role } from '../../src/schema/enums.js';
import { compileSegment } from '../../src/segmentation/compile-segment.js';
import { buildFieldRegistry, type FieldRegistry } from '../../src/segmentation/fields/registry.js';
import type { Condition, SegmentNode } from '../../src/segmentation/rules.js';
import { startTestApp } from '../support/app.js';
import { createTestDb, type TestDb } from '../support/databases.js';

/*
 * Campaign-response fields on hand-written ledgers: each test inserts its own customers, campaigns,
 * runs, messages and responses, and asks which of its customers a rule selects. Random ledgers
 * against the reference evaluation: compile-segment.property.test.ts.
 */

const NOW = new Date('2026-03-01T12:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ago = (days: number, deltaMs = 0) => new Date(NOW.getTime() - days * DAY + deltaMs);

let db: TestDb;
let registry: FieldRegistry;

beforeAll(async () => {
  db = await createTestDb();
  registry = buildFieldRegistry(await loadAttributeCatalogue(db));
});
afterAll(async () => {
  await db?.drop();
});

type Outcome = 'RESERVED' | 'SENT' | 'DELIVERED' | 'FAILED' | 'UNKNOWN' | 'DEFERRED' | 'SUPPRESSED' | 'HELD_OUT' | 'EXPIRED' | 'CANCELLED';
type ResponseType = 'DELIVERED' | 'OPENED' | 'CLICKED' | 'CONVERTED' | 'BOUNCED' | 'COMPLAINED' | 'UNSUBSCRIBED' | 'REPLIED';
interface Message {
  id: string;
  runAt: Date;
  campaignId: string;
  customerId: string;
  channel: 'EMAIL' | 'SMS';
  sentAt: Date | null;
}

/** Customers by name (names are unique across the file: every test has its own). */
async function customers(...names: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of names) out[name] = (await db.pool.query<{ id: string }>(`INSERT INTO customers (external_id) VALUES ($1) RETURNING id`, [name])).rows[0].id;
  return out;
}

async function campaign(channel: 'EMAIL' | 'SMS' | 'PREFERRED'): Promise<string> {
  const { rows } = await db.pool.query<{ id: string }>(`INSERT INTO campaigns (name, channel, category, owner) VALUES ('test', $1, 'MARKETING', 'test') RETURNING id`, [channel]);
  return rows[0].id;
}

/** A run of the campaign at `runAt`. */
async function run(campaignId: string, runAt: Date): Promise<{ id: string; runAt: Date; campaignId: string }> {
  const { rows } = await db.pool.query<{ id: string }>(`INSERT INTO campaign_runs (campaign_id, status, scheduled_for) VALUES ($1, 'COMPLETED', $2) RETURNING id`, [campaignId, runAt]);
  return { id: rows[0].id, runAt, campaignId };
}

/** A message of the run to the customer; sent (sent_at set) unless the outcome says it never left. */
async function message(
  r: { id: string; runAt: Date; campaignId: string },
  customerId: string,
  o: { outcome?: Outcome; channel?: 'EMAIL' | 'SMS'; sentAt?: Date | null } = {},
): Promise<Message> {
  const outcome = o.outcome ?? 'DELIVERED';
  const channel = o.channel ?? 'EMAIL';
  const sentAt = o.sentAt !== undefined ? o.sentAt : ['SENT', 'DELIVERED', 'UNKNOWN'].includes(outcome) ? r.runAt : null;
  const reason = ['SUPPRESSED', 'EXPIRED', 'FAILED', 'CANCELLED'].includes(outcome) ? 'test' : null;
  const { rows } = await db.pool.query<{ id: string }>(
    `INSERT INTO messages (run_id, run_at, campaign_id, customer_id, channel, outcome, reason, contact_at, sent_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
    [r.id, r.runAt, r.campaignId, customerId, channel, outcome, reason, sentAt ?? r.runAt, sentAt],
  );
  return { id: rows[0].id, runAt: r.runAt, campaignId: r.campaignId, customerId, channel, sentAt };
}

/** A response to the message, `afterMs` after it was sent. */
async function respond(m: Message, type: ResponseType, afterMs: number, o: { isMachine?: boolean } = {}): Promise<void> {
  await db.pool.query(
    `INSERT INTO responses (message_id, message_run_at, campaign_id, customer_id, channel, type, is_machine, occurred_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [m.id, m.runAt, m.campaignId, m.customerId, m.channel, type, o.isMachine ?? false, new Date((m.sentAt ?? m.runAt).getTime() + afterMs)],
  );
}

const cond = (field: string, operator: Condition['operator'], value: Condition['value'], params?: Condition['params']): SegmentNode => ({
  condition: { field, operator, value, ...(params ? { params } : {}) },
});
const atLeast = (field: string, n: number, params?: Condition['params']) => cond(`responses.${field}`, 'GTE', { number: n }, params);
const ignoring = (lastReceived: number, params: Condition['params'] = {}) => cond('responses.ignored_last', 'EQ', { boolean: true }, { lastReceived, ...params });

/** The names, among `cast`, of the customers the rule selects. */
async function select(root: SegmentNode, cast: Record<string, string>): Promise<string[]> {
  const c = compileSegment(root, { registry, now: NOW, resolveSegment: () => null, maxDepth: 10 });
  const { rows } = await db.pool.query<{ id: string }>(`SELECT c.id ${c.from} WHERE ${c.where} AND c.id = ANY ($${c.params.length + 1}::bigint[])`, [
    ...c.params,
    Object.values(cast),
  ]);
  const ids = new Set(rows.map((r) => r.id));
  return Object.keys(cast).filter((name) => ids.has(cast[name]));
}

describe('counts of campaigns', () => {
  test('received: campaigns with a message SENT or DELIVERED, by campaign, channel (the message\'s, PREFERRED included) and send window', async () => {
    const cast = await customers('rc-ann', 'rc-bob', 'rc-cat', 'rc-dan');
    const [spring, flash, pref] = [await campaign('EMAIL'), await campaign('SMS'), await campaign('PREFERRED')];
    const [spring1, spring2, flash1, pref1] = [await run(spring, ago(40)), await run(spring, ago(20)), await run(flash, ago(10)), await run(pref, ago(3))];
    await message(spring1, cast['rc-ann']);
    await message(spring2, cast['rc-ann'], { outcome: 'SENT' });
    await message(flash1, cast['rc-ann'], { channel: 'SMS' });
    await message(spring1, cast['rc-bob'], { outcome: 'SUPPRESSED' });
    await message(flash1, cast['rc-bob'], { outcome: 'FAILED', channel: 'SMS' });
    await message(pref1, cast['rc-bob'], { channel: 'SMS' });
    await message(pref1, cast['rc-cat'], { channel: 'EMAIL' });
    await message(spring2, cast['rc-cat'], { outcome: 'HELD_OUT' });
    await message(spring1, cast['rc-dan'], { outcome: 'RESERVED' });
    await message(flash1, cast['rc-dan'], { outcome: 'UNKNOWN', channel: 'SMS' });

    expect(await select(atLeast('received', 1), cast)).toEqual(['rc-ann', 'rc-bob', 'rc-cat']);
    // Two runs of spring are one campaign.
    expect(await select(cond('responses.received', 'EQ', { number: 2 }), cast)).toEqual(['rc-ann']);
    expect(await select(atLeast('received', 3), cast)).toEqual([]);
    expect(await select(atLeast('received', 1, { campaignId: spring }), cast)).toEqual(['rc-ann']);
    expect(await select(atLeast('received', 1, { campaignId: flash }), cast)).toEqual(['rc-ann']);
    expect(await select(atLeast('received', 1, { channel: 'SMS' }), cast)).toEqual(['rc-ann', 'rc-bob']);
    expect(await select(atLeast('received', 1, { channel: 'EMAIL' }), cast)).toEqual(['rc-ann', 'rc-cat']);
    expect(await select(atLeast('received', 1, { campaignId: pref, channel: 'EMAIL' }), cast)).toEqual(['rc-cat']);
    expect(await select(atLeast('received', 1, { within: { amount: 14, unit: 'DAYS' } }), cast)).toEqual(['rc-ann', 'rc-bob', 'rc-cat']);
    expect(await select(atLeast('received', 2, { within: { amount: 14, unit: 'DAYS' } }), cast)).toEqual([]);
    expect(await select(atLeast('received', 1, { between: { from: ago(50).toISOString(), to: ago(15).toISOString() } }), cast)).toEqual(['rc-ann']);
    // "Received nothing in the last 30 days" includes customers with no ledger at all.
    expect(await select(cond('responses.received', 'EQ', { number: 0 }, { within: { amount: 30, unit: 'DAYS' } }), cast)).toEqual(['rc-dan']);
    // A campaign that does not exist matches no message: nobody received it.
    expect(await select(atLeast('received', 1, { campaignId: '987654321' }), cast)).toEqual([]);
    expect(await select(cond('responses.received', 'EQ', { number: 0 }, { campaignId: '987654321' }), cast)).toEqual(['rc-ann', 'rc-bob', 'rc-cat', 'rc-dan']);
  });

  test('opened and clicked count humans only (Apple Mail privacy opens and link scanners are machines), per campaign, channel and window', async () => {
    const cast = await customers('oc-ann', 'oc-bob', 'oc-cat', 'oc-dan');
    const [news, flash, summer] = [await campaign('EMAIL'), await campaign('SMS'), await campaign('EMAIL')];
    const [news1, news2, flash1, summer1] = [await run(news, ago(40)), await run(news, ago(20)), await run(flash, ago(10)), await run(summer, ago(5))];
    const ann = [await message(news1, cast['oc-ann']), await message(news2, cast['oc-ann']), await message(flash1, cast['oc-ann'], { channel: 'SMS' }), await message(summer1, cast['oc-ann'])];
    await respond(ann[0], 'OPENED', 60_000, { isMachine: true });
    await respond(ann[1], 'OPENED', HOUR);
    await respond(ann[1], 'OPENED', 2 * HOUR);
    await respond(ann[2], 'CLICKED', HOUR);
    await respond(ann[3], 'OPENED', HOUR);
    const bob = await message(summer1, cast['oc-bob']);
    await respond(bob, 'OPENED', 1000, { isMachine: true });
    await respond(bob, 'CLICKED', 2000, { isMachine: true });
    const cat = await message(news2, cast['oc-cat']);
    await respond(cat, 'OPENED', 3 * DAY);
    await respond(cat, 'CLICKED', 3 * DAY, { isMachine: true });
    await message(summer1, cast['oc-dan']);

    expect(await select(atLeast('opened', 1), cast)).toEqual(['oc-ann', 'oc-cat']);
    // news (two runs, opened three times) and summer: two campaigns.
    expect(await select(cond('responses.opened', 'EQ', { number: 2 }), cast)).toEqual(['oc-ann']);
    expect(await select(atLeast('opened', 1, { campaignId: news }), cast)).toEqual(['oc-ann', 'oc-cat']);
    expect(await select(atLeast('opened', 1, { campaignId: summer }), cast)).toEqual(['oc-ann']);
    expect(await select(atLeast('opened', 1, { within: { amount: 7, unit: 'DAYS' } }), cast)).toEqual(['oc-ann']);
    // cat's open: 20 days ago + 3 days = 17 days ago.
    expect(await select(atLeast('opened', 1, { between: { from: ago(18).toISOString(), to: ago(16).toISOString() } }), cast)).toEqual(['oc-cat']);
    expect(await select(atLeast('clicked', 1), cast)).toEqual(['oc-ann']);
    expect(await select(atLeast('clicked', 1, { channel: 'SMS' }), cast)).toEqual(['oc-ann']);
    expect(await select(atLeast('clicked', 1, { channel: 'EMAIL' }), cast)).toEqual([]);
    // Received summer but did not open it: bob's open was Apple's, not his.
    expect(await select({ and: [atLeast('received', 1, { campaignId: summer }), { not: atLeast('opened', 1, { campaignId: summer }) }] }, cast)).toEqual(['oc-bob', 'oc-dan']);
    // Opened news but never clicked anything.
    expect(await select({ and: [atLeast('opened', 1, { campaignId: news }), cond('responses.clicked', 'EQ', { number: 0 })] }, cast)).toEqual(['oc-cat']);
  });

  test('converted, unsubscribed and bounced count every response of their type, machine-made ones included', async () => {
    const cast = await customers('cub-ann', 'cub-bob', 'cub-cat');
    const [mail, sms] = [await campaign('EMAIL'), await campaign('SMS')];
    const [mail1, sms1] = [await run(mail, ago(30)), await run(sms, ago(2))];
    const ann = await message(mail1, cast['cub-ann']);
    await respond(ann, 'CONVERTED', 2 * DAY);
    await respond(ann, 'CONVERTED', 3 * DAY);
    await respond(await message(sms1, cast['cub-ann'], { channel: 'SMS' }), 'UNSUBSCRIBED', HOUR, { isMachine: true });
    await respond(await message(mail1, cast['cub-bob']), 'BOUNCED', 1000, { isMachine: true });
    const cat = await message(sms1, cast['cub-cat'], { channel: 'SMS' });
    await respond(cat, 'CONVERTED', HOUR);
    await respond(cat, 'BOUNCED', 1000);
    await respond(cat, 'COMPLAINED', HOUR);

    expect(await select(cond('responses.converted', 'EQ', { number: 1 }), cast)).toEqual(['cub-ann', 'cub-cat']);
    expect(await select(atLeast('converted', 1, { campaignId: mail }), cast)).toEqual(['cub-ann']);
    expect(await select(atLeast('converted', 1, { within: { amount: 7, unit: 'DAYS' } }), cast)).toEqual(['cub-cat']);
    expect(await select(atLeast('unsubscribed', 1), cast)).toEqual(['cub-ann']);
    expect(await select(atLeast('unsubscribed', 1, { channel: 'EMAIL' }), cast)).toEqual([]);
    expect(await select(atLeast('bounced', 1), cast)).toEqual(['cub-bob', 'cub-cat']);
    expect(await select(atLeast('bounced', 1, { within: { amount: 7, unit: 'DAYS' } }), cast)).toEqual(['cub-cat']);
    expect(await select(atLeast('bounced', 1, { channel: 'SMS', campaignId: sms }), cast)).toEqual(['cub-cat']);
    expect(await select({ or: [atLeast('bounced', 1), atLeast('unsubscribed', 1)] }, cast)).toEqual(['cub-ann', 'cub-bob', 'cub-cat']);
  });

  test('responses after now do not count yet: a past `now` is an as-of evaluation', async () => {
    const cast = await customers('fut-ann');
    const r = await run(await campaign('EMAIL'), ago(-1));
    const m = await message(r, cast['fut-ann']);
    await respond(m, 'OPENED', HOUR);
    expect(await select(atLeast('received', 1), cast)).toEqual([]);
    expect(await select(atLeast('opened', 1), cast)).toEqual([]);
  });
});

describe('responses.ignored_last', () => {
  test('true when each of the last N received messages got no human open or click within 7 days of its sending: 7 days exactly still counts, 7 days and a second does not', async () => {
    const cast = await customers('ig-silent', 'ig-day7', 'ig-day7plus', 'ig-day8', 'ig-machine', 'ig-older', 'ig-clicker', 'ig-skew');
    const c = await campaign('EMAIL');
    const runs = [await run(c, ago(30)), await run(c, ago(20)), await run(c, ago(10))];
    const sent: Record<string, Message[]> = {};
    for (const [name, id] of Object.entries(cast)) {
      sent[name] = [];
      for (const r of runs) sent[name].push(await message(r, id));
    }
    await respond(sent['ig-day7'][2], 'OPENED', 7 * DAY);
    await respond(sent['ig-day7plus'][2], 'OPENED', 7 * DAY + 1000);
    await respond(sent['ig-day8'][2], 'OPENED', 8 * DAY);
    await respond(sent['ig-day8'][1], 'CLICKED', 9 * DAY);
    for (const m of sent['ig-machine']) {
      await respond(m, 'OPENED', 1000, { isMachine: true });
      await respond(m, 'CLICKED', 2000, { isMachine: true });
    }
    await respond(sent['ig-older'][0], 'OPENED', HOUR);
    await respond(sent['ig-clicker'][1], 'CLICKED', 6 * DAY);
    for (const m of sent['ig-silent']) await respond(m, 'DELIVERED', 1000);
    // An open stamped a minute before our sent_at (provider clock ahead of ours) is still an open.
    await respond(sent['ig-skew'][2], 'OPENED', -60_000);

    expect(await select(ignoring(3), cast)).toEqual(['ig-silent', 'ig-day7plus', 'ig-day8', 'ig-machine']);
    expect(await select(ignoring(2), cast)).toEqual(['ig-silent', 'ig-day7plus', 'ig-day8', 'ig-machine', 'ig-older']);
    expect(await select(ignoring(1), cast)).toEqual(['ig-silent', 'ig-day7plus', 'ig-day8', 'ig-machine', 'ig-older', 'ig-clicker']);
    // Three received messages are fewer than four: nobody ignores "the last 4".
    expect(await select(ignoring(4), cast)).toEqual([]);
    expect(await select(cond('responses.ignored_last', 'EQ', { boolean: false }, { lastReceived: 3 }), cast)).toEqual(['ig-day7', 'ig-older', 'ig-clicker', 'ig-skew']);
  });

  test('only received messages are the "last N" (not suppressed, held out, failed or not yet sent); a recent unopened message is ignored so far', async () => {
    const cast = await customers('ir-once', 'ir-filtered', 'ir-future', 'ir-fresh', 'ir-none');
    const c = await campaign('EMAIL');
    const [r1, r2, r3, r4] = [await run(c, ago(30)), await run(c, ago(20)), await run(c, ago(10)), await run(c, ago(1))];
    await message(r1, cast['ir-once']);
    await message(r1, cast['ir-filtered']);
    await message(r2, cast['ir-filtered'], { outcome: 'SUPPRESSED' });
    await message(r3, cast['ir-filtered'], { outcome: 'HELD_OUT' });
    await message(r4, cast['ir-filtered'], { outcome: 'FAILED', sentAt: ago(1) });
    // Received twice; its latest message (opened) goes out tomorrow, so today it is not one of the last.
    const future = [await message(r1, cast['ir-future']), await message(r2, cast['ir-future']), await message(r3, cast['ir-future'], { sentAt: ago(-1) })];
    await respond(future[2], 'OPENED', HOUR);
    await message(r2, cast['ir-fresh']);
    await message(r4, cast['ir-fresh']);

    expect(await select(ignoring(1), cast)).toEqual(['ir-once', 'ir-filtered', 'ir-future', 'ir-fresh']);
    expect(await select(ignoring(2), cast)).toEqual(['ir-future', 'ir-fresh']);
    expect(await select({ not: ignoring(2) }, cast)).toEqual(['ir-once', 'ir-filtered', 'ir-none']);
  });

  test('the last N are by send time, then message id, and can be narrowed to a campaign or a channel', async () => {
    const cast = await customers('is-ann', 'is-bob');
    const [mail, sms] = [await campaign('EMAIL'), await campaign('SMS')];
    const [mail1, mail2, sms1] = [await run(mail, ago(30)), await run(mail, ago(20)), await run(sms, ago(10))];
    // Sent in the reverse order of their runs: sent_at orders them, not run_at.
    const ann = [await message(mail1, cast['is-ann'], { sentAt: ago(5) }), await message(mail2, cast['is-ann'], { sentAt: ago(15) }), await message(sms1, cast['is-ann'], { channel: 'SMS', sentAt: ago(25) })];
    await respond(ann[1], 'OPENED', HOUR);
    // Two messages at the same instant: the later id is the more recent.
    const tie = ago(4);
    const bob = [await message(mail1, cast['is-bob'], { sentAt: tie }), await message(sms1, cast['is-bob'], { channel: 'SMS', sentAt: tie })];
    await respond(bob[0], 'CLICKED', HOUR);

    expect(await select(ignoring(1), cast)).toEqual(['is-ann', 'is-bob']);
    expect(await select(ignoring(2), cast)).toEqual([]);
    expect(await select(ignoring(1, { channel: 'SMS' }), cast)).toEqual(['is-ann', 'is-bob']);
    expect(await select(ignoring(1, { channel: 'EMAIL' }), cast)).toEqual(['is-ann']);
    expect(await select(ignoring(2, { channel: 'EMAIL' }), cast)).toEqual([]);
    expect(await select(ignoring(1, { campaignId: mail }), cast)).toEqual(['is-ann']);
    expect(await select(ignoring(1, { campaignId: sms }), cast)).toEqual(['is-ann', 'is-bob']);
    expect(await select(ignoring(1, { campaignId: '987654321' }), cast)).toEqual([]);
    // AND with a count, NOT of the whole.
    expect(await select({ and: [ignoring(1), atLeast('opened', 1)] }, cast)).toEqual(['is-ann']);
    expect(await select({ not: { and: [ignoring(1), atLeast('opened', 1)] } }, cast)).toEqual(['is-bob']);
  });
});

describe('parameters', () => {
  const compile = (condition: Record<string, unknown>) =>
    compileSegment({ and: [{ condition: { field: 'customer.country', operator: 'EQ', value: { string: 'FR' } } }, { condition }] }, {
      registry,
      now: NOW,
      resolveSegment: () => null,
      maxDepth: 10,
    });
  const refusal = (condition: Record<string, unknown>) => {
    try {
      compile(condition);
    } catch (err) {
      if (err instanceof DomainError) return { code: err.code, field: err.field, reason: err.reason };
      throw err;
    }
    return null;
  };
  const at = 'definition.and[1].condition.params';

  test('bad campaign ids, channels and N are BAD_USER_INPUT naming the parameter; an unknown but well-formed campaign id is accepted', () => {
    for (const campaignId of ['abc', '0', '-1', '1e3', '12345678901234567890', 12, ''])
      expect(refusal({ field: 'responses.opened', operator: 'GTE', value: { number: 1 }, params: { campaignId } }), String(campaignId)).toEqual({
        code: 'BAD_USER_INPUT',
        field: `${at}.campaignId`,
        reason: 'INVALID_ID',
      });
    expect(refusal({ field: 'responses.received', operator: 'GTE', value: { number: 1 }, params: { channel: 'FAX' } })).toMatchObject({ field: `${at}.channel`, reason: 'NOT_ALLOWED' });
    for (const lastReceived of [0, 51, 2.5, '3'])
      expect(refusal({ field: 'responses.ignored_last', operator: 'EQ', value: { boolean: true }, params: { lastReceived } }), String(lastReceived)).toMatchObject({
        field: `${at}.lastReceived`,
        reason: 'OUT_OF_RANGE',
      });
    expect(refusal({ field: 'responses.ignored_last', operator: 'EQ', value: { boolean: true } })).toMatchObject({ field: `${at}.lastReceived`, reason: 'REQUIRED' });
    expect(refusal({ field: 'responses.ignored_last', operator: 'EQ', value: { boolean: true }, params: { lastReceived: 3, within: { amount: 7, unit: 'DAYS' } } })).toMatchObject({
      field: `${at}.within`,
      reason: 'UNEXPECTED_PARAM',
    });
    expect(refusal({ field: 'transactions.count', operator: 'GTE', value: { number: 1 }, params: { campaignId: '1' } })).toMatchObject({ field: `${at}.campaignId`, reason: 'UNEXPECTED_PARAM' });
    expect(refusal({ field: 'responses.opened', operator: 'GTE', value: { number: 1 }, params: { lastReceived: 3 } })).toMatchObject({ field: `${at}.lastReceived`, reason: 'UNEXPECTED_PARAM' });
    expect(refusal({ field: 'responses.ignored_last', operator: 'IS_SET', params: { lastReceived: 3 } })).toMatchObject({ reason: 'OPERATOR_NOT_ALLOWED' });
    expect(refusal({ field: 'responses.opened', operator: 'GTE', value: { number: 1 }, params: { campaignId: '987654321', channel: 'SMS' } })).toBeNull();
    expect(refusal({ field: 'responses.ignored_last', operator: 'EQ', value: { boolean: true }, params: { lastReceived: 50, campaignId: '1', channel: 'EMAIL' } })).toBeNull();
  });

  test('through GraphQL: segmentFields lists the family with its filters; a bad campaign id names its path; an unknown channel fails validation', async () => {
    const app = await startTestApp();
    try {
      const fields = await app.gql(`{ segmentFields { key family type operators aggregate params requiredParams } }`, {}, Role.ANALYST);
      const by = Object.fromEntries(fields.data!.segmentFields.filter((f: { family: string }) => f.family === 'responses').map((f: { key: string }) => [f.key, f]));
      expect(Object.keys(by).sort()).toEqual(['responses.bounced', 'responses.clicked', 'responses.converted', 'responses.ignored_last', 'responses.opened', 'responses.received', 'responses.unsubscribed']);
      expect(by['responses.opened']).toMatchObject({ type: 'NUMBER', aggregate: true, params: ['campaignId', 'channel', 'within', 'between'], requiredParams: [] });
      expect(by['responses.ignored_last']).toMatchObject({ type: 'BOOLEAN', operators: ['EQ'], aggregate: false, params: ['lastReceived', 'campaignId', 'channel'], requiredParams: ['lastReceived'] });

      const preview = `query($d: SegmentNodeInput!) { segmentPreview(definition: $d) { count } }`;
      const opened = (params: Record<string, unknown>) => ({ condition: { field: 'responses.opened', operator: 'GTE', value: { number: 1 }, params } });
      const bad = await app.gql(preview, { d: { and: [{ condition: { field: 'customer.country', operator: 'EQ', value: { string: 'FR' } } }, opened({ campaignId: 'spring' })] } });
      expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'definition.and[1].condition.params.campaignId', reason: 'INVALID_ID' });
      const fax = await app.gql(preview, { d: opened({ channel: 'FAX' }) });
      expect(fax.status).toBe(400);
      expect(fax.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      const ok = await app.gql(preview, { d: { condition: { field: 'responses.ignored_last', operator: 'EQ', value: { boolean: true }, params: { lastReceived: 3, campaignId: 42, channel: 'EMAIL' } } } });
      expect(ok.errors).toBeUndefined();
      expect(ok.data!.segmentPreview.count).toBe(0);
    } finally {
      await app.close();
    }
  });
});
