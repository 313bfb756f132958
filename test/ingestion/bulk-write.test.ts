import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { defineAttribute } from '../../src/customers/attribute-definitions.js';
import { closeDatabase, openDatabase } from '../../src/db/database.js';
import { DomainError } from '../../src/errors.js';
import { recordTransactions, trackEvents, upsertCustomers, type BulkWriteResult } from '../../src/ingestion/bulk-write.js';
import { CUSTOMER_FIELDS } from '../../src/ingestion/customer-row.js';
import { AttributeType } from '../../src/schema/enums.js';
import { createTestDb, type TestDb } from '../support/databases.js';

/*
 * Bulk writes straight against the domain functions on a real database: merge semantics, idempotency,
 * per-row validation, consent ordering and concurrency.
 */

const NOW = new Date('2026-03-01T12:00:00.000Z');
const LATER = new Date('2026-03-02T12:00:00.000Z');
const MAX = 10_000;

let db: TestDb;
type Row = Record<string, unknown>;

const customers = (rows: Row[], now = NOW, maxRows = MAX) => upsertCustomers({ db, rows, now, maxRows });
const transactions = (rows: Row[], now = NOW, maxRows = MAX) => recordTransactions({ db, rows, now, maxRows });
const events = (rows: Row[], now = NOW, maxRows = MAX) => trackEvents({ db, rows, now, maxRows });

async function customerRow(externalId: string): Promise<Record<string, any> | undefined> {
  const { rows } = await db.pool.query(`SELECT * FROM customers WHERE external_id = $1`, [externalId]);
  return rows[0];
}

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params);
  return rows[0].n;
}

/** Problems reported for a result, as `index field code` triples. */
const problems = (r: BulkWriteResult) => r.errors.map((e) => ({ index: e.index, field: e.field, code: e.code }));

beforeAll(async () => {
  db = await createTestDb();
  for (const [key, type, allowedValues] of [
    ['pets_at_home', AttributeType.BOOLEAN, null],
    ['clothing_size', AttributeType.STRING, ['S', 'M', 'L']],
    ['interests', AttributeType.LIST, null],
    ['favourite_genres', AttributeType.LIST, ['jazz', 'rock', 'pop']],
    ['shoe_size', AttributeType.NUMBER, null],
    ['anniversary', AttributeType.DATE, null],
    ['nickname', AttributeType.STRING, null],
  ] as const) {
    await defineAttribute({ db, key, type, allowedValues: allowedValues ? [...allowedValues] : null, now: NOW });
  }
});
afterAll(async () => {
  await db?.drop();
});

/**
 * Two valid values per customer field, as sent and as stored. Every field of CUSTOMER_FIELDS must be
 * here: a new field without samples fails the first test below.
 */
const SAMPLES: Record<string, { a: unknown; storedA: unknown; b: unknown; storedB: unknown }> = {
  email: { a: 'first@example.com', storedA: 'first@example.com', b: ' Second@Example.COM ', storedB: 'second@example.com' },
  phone: { a: '+33612345678', storedA: '+33612345678', b: '+44 7911 123456', storedB: '+447911123456' },
  firstName: { a: 'Ann', storedA: 'Ann', b: ' Béa ', storedB: 'Béa' },
  lastName: { a: 'Martin', storedA: 'Martin', b: 'Durand', storedB: 'Durand' },
  birthDate: { a: '1980-05-17', storedA: '1980-05-17', b: '1991-12-31', storedB: '1991-12-31' },
  gender: { a: 'FEMALE', storedA: 'FEMALE', b: 'non_binary', storedB: 'NON_BINARY' },
  locale: { a: 'fr-FR', storedA: 'fr-FR', b: 'en-gb', storedB: 'en-GB' },
  timeZone: { a: 'Europe/Paris', storedA: 'Europe/Paris', b: 'America/New_York', storedB: 'America/New_York' },
  streetAddress: { a: '1 rue de la Paix', storedA: '1 rue de la Paix', b: '2 Main Street', storedB: '2 Main Street' },
  city: { a: 'Paris', storedA: 'Paris', b: 'Lyon', storedB: 'Lyon' },
  region: { a: 'Île-de-France', storedA: 'Île-de-France', b: 'Auvergne-Rhône-Alpes', storedB: 'Auvergne-Rhône-Alpes' },
  country: { a: 'FR', storedA: 'FR', b: 'de', storedB: 'DE' },
  postalCode: { a: '75002', storedA: '75002', b: '69001', storedB: '69001' },
  householdSize: { a: 3, storedA: 3, b: 5, storedB: 5 },
  incomeBand: { a: '30-45k', storedA: '30-45k', b: '45-60k', storedB: '45-60k' },
  occupation: { a: 'teacher', storedA: 'teacher', b: 'nurse', storedB: 'nurse' },
  signupChannel: { a: 'WEB', storedA: 'WEB', b: 'store', storedB: 'STORE' },
  signedUpAt: {
    a: '2024-01-02T03:04:05Z',
    storedA: new Date('2024-01-02T03:04:05Z'),
    b: '2025-06-07T08:09:10+02:00',
    storedB: new Date('2025-06-07T06:09:10Z'),
  },
  acquisitionSource: { a: 'google_ads', storedA: 'google_ads', b: 'newsletter', storedB: 'newsletter' },
  referralSource: { a: 'friend-42', storedA: 'friend-42', b: 'partner-7', storedB: 'partner-7' },
  devices: { a: ['iphone'], storedA: ['iphone'], b: ['android_phone', 'desktop', 'desktop'], storedB: ['android_phone', 'desktop'] },
  platforms: { a: ['ios'], storedA: ['ios'], b: ['android', 'web'], storedB: ['android', 'web'] },
  loyaltyTier: { a: 'silver', storedA: 'silver', b: 'gold', storedB: 'gold' },
  loyaltyPoints: { a: 120, storedA: 120, b: 0, storedB: 0 },
  preferredChannel: { a: 'EMAIL', storedA: 'EMAIL', b: 'sms', storedB: 'SMS' },
};

const allA = (): Row => Object.fromEntries(Object.entries(SAMPLES).map(([k, s]) => [k, s.a]));
/** The stored row without what a merge is allowed to move. */
/**
 * Columns the database derives from a field (migrations 1764600000000 and 1764800000000): they change
 * with it. The reach code packs the address flags and the preferred channel.
 */
const DERIVED: Record<string, string[]> = {
  email: ['email_present', 'email_blocked', 'email_shared', 'reach'],
  phone: ['phone_present', 'phone_blocked', 'phone_shared', 'reach'],
  preferred_channel: ['reach'],
};
const withoutVolatile = (row: Record<string, any>, ...also: string[]) => {
  const out = { ...row };
  for (const k of ['updated_at', ...also, ...also.flatMap((a) => DERIVED[a] ?? [])]) delete out[k];
  return out;
};

describe('merge semantics for every customer field', () => {
  test('every field of CUSTOMER_FIELDS has samples here', () => {
    expect(CUSTOMER_FIELDS.map((f) => f.name).filter((n) => !(n in SAMPLES))).toEqual([]);
  });

  for (const field of CUSTOMER_FIELDS) {
    test(`${field.name}: omitted -> unchanged, null -> cleared, new value -> set`, async () => {
      const s = SAMPLES[field.name];
      const id = `merge-${field.name}`;
      const created = await customers([{ externalId: id, ...allA() }]);
      expect(created).toMatchObject({ inserted: 1, rejectedRows: 0 });
      expect((await customerRow(id))![field.column]).toEqual(s.storedA);

      // Omitted: another field changes, this one stays.
      const touch = field.name === 'occupation' ? { column: 'income_band', name: 'incomeBand' } : { column: 'occupation', name: 'occupation' };
      const omitted = await customers([{ externalId: id, [touch.name]: `touched ${field.name}` }], LATER);
      expect(omitted).toMatchObject({ updated: 1, rejectedRows: 0 });
      const afterOmit = (await customerRow(id))!;
      expect(afterOmit[field.column]).toEqual(s.storedA);
      expect(afterOmit[touch.column]).toBe(`touched ${field.name}`);

      // Explicit null: cleared, nothing else moves.
      const cleared = await customers([{ externalId: id, [field.name]: null }], LATER);
      expect(cleared).toMatchObject({ updated: 1, rejectedRows: 0 });
      const afterNull = (await customerRow(id))!;
      expect(afterNull[field.column]).toBeNull();
      expect(withoutVolatile(afterNull, field.column)).toEqual(withoutVolatile(afterOmit, field.column));

      // New value: set (normalised), nothing else moves.
      const set = await customers([{ externalId: id, [field.name]: s.b }], LATER);
      expect(set).toMatchObject({ updated: 1, rejectedRows: 0 });
      const afterSet = (await customerRow(id))!;
      expect(afterSet[field.column]).toEqual(s.storedB);
      expect(withoutVolatile(afterSet, field.column)).toEqual(withoutVolatile(afterNull, field.column));
    });
  }

  test('a row with only the external id changes nothing on an existing customer', async () => {
    await customers([{ externalId: 'merge-bare', ...allA() }]);
    const before = await customerRow('merge-bare');
    const r = await customers([{ externalId: 'merge-bare' }], LATER);
    expect(r).toMatchObject({ written: 0, unchanged: 1 });
    expect(await customerRow('merge-bare')).toEqual(before);
  });
});

describe('attributes', () => {
  test('merge by key; a key set to null is removed; omitted attributes stay', async () => {
    const id = 'attr-merge';
    await customers([{ externalId: id, attributes: { pets_at_home: true, clothing_size: 'M', interests: ['cooking'] } }]);
    expect((await customerRow(id))!.attributes).toEqual({ pets_at_home: true, clothing_size: 'M', interests: ['cooking'] });

    const r = await customers([{ externalId: id, attributes: { clothing_size: 'L', shoe_size: 42.5 } }], LATER);
    expect(r).toMatchObject({ updated: 1, rejectedRows: 0 });
    expect((await customerRow(id))!.attributes).toEqual({ pets_at_home: true, clothing_size: 'L', interests: ['cooking'], shoe_size: 42.5 });

    await customers([{ externalId: id, attributes: { pets_at_home: null, anniversary: '2015-06-20' } }], LATER);
    expect((await customerRow(id))!.attributes).toEqual({ clothing_size: 'L', interests: ['cooking'], shoe_size: 42.5, anniversary: '2015-06-20' });

    await customers([{ externalId: id, firstName: 'Attr' }], LATER);
    expect((await customerRow(id))!.attributes).toEqual({ clothing_size: 'L', interests: ['cooking'], shoe_size: 42.5, anniversary: '2015-06-20' });

    // Removing a key the customer does not carry, or re-sending the same values, changes nothing.
    const again = await customers([{ externalId: id, attributes: { pets_at_home: null, clothing_size: 'L' } }], new Date('2026-03-03T00:00:00Z'));
    expect(again).toMatchObject({ written: 0, unchanged: 1 });
    expect((await customerRow(id))!.updated_at).toEqual(LATER);
  });

  test('values are checked against the catalogue; a bad value rejects its row with the attribute path', async () => {
    await customers([{ externalId: 'attr-ok', attributes: { nickname: 'Kiki' } }]);
    const before = await customerRow('attr-ok');
    const r = await customers([
      { externalId: 'attr-new-1', attributes: { unknown_key: 'x' } },
      { externalId: 'attr-new-2', attributes: { shoe_size: 'forty' } },
      { externalId: 'attr-new-3', attributes: { clothing_size: 'XXL' } },
      { externalId: 'attr-new-4', attributes: { favourite_genres: ['jazz', 'polka'] } },
      { externalId: 'attr-new-5', attributes: { pets_at_home: 'yes' } },
      { externalId: 'attr-new-6', attributes: { anniversary: '2015-02-30' } },
      { externalId: 'attr-ok', firstName: 'Changed', attributes: { interests: 'cooking' } },
      { externalId: 'attr-good', attributes: { favourite_genres: ['jazz', 'rock'], nickname: 'Zed' } },
    ]);
    expect(problems(r)).toEqual([
      { index: 0, field: 'input[0].attributes.unknown_key', code: 'UNKNOWN_ATTRIBUTE' },
      { index: 1, field: 'input[1].attributes.shoe_size', code: 'INVALID_TYPE' },
      { index: 2, field: 'input[2].attributes.clothing_size', code: 'NOT_ALLOWED' },
      { index: 3, field: 'input[3].attributes.favourite_genres', code: 'NOT_ALLOWED' },
      { index: 4, field: 'input[4].attributes.pets_at_home', code: 'INVALID_TYPE' },
      { index: 5, field: 'input[5].attributes.anniversary', code: 'INVALID_DATE' },
      { index: 6, field: 'input[6].attributes.interests', code: 'INVALID_TYPE' },
    ]);
    expect(r).toMatchObject({ received: 8, rejectedRows: 7, inserted: 1, written: 1 });
    for (let i = 1; i <= 6; i++) expect(await customerRow(`attr-new-${i}`)).toBeUndefined();
    expect(await customerRow('attr-ok')).toEqual(before);
    expect((await customerRow('attr-good'))!.attributes).toEqual({ favourite_genres: ['jazz', 'rock'], nickname: 'Zed' });
  });
});

describe('idempotency', () => {
  const batch = (): Row[] =>
    Array.from({ length: 20 }, (_, i) => ({
      externalId: `idem-${i}`,
      ...allA(),
      email: `idem-${i}@example.com`,
      phone: i % 2 ? '06 12 34 56 78' : '+33 6 12 34 56 78',
      country: 'fr',
      attributes: { interests: ['music', 'travel'], shoe_size: 40 + i },
      consents: [{ channel: 'EMAIL', status: 'SUBSCRIBED', source: 'web', at: '2026-01-01T00:00:00Z' }],
    }));

  test('the same customer batch twice: the second writes nothing and updated_at does not move', async () => {
    const first = await customers(batch());
    expect(first).toMatchObject({ received: 20, inserted: 20, written: 20, rejectedRows: 0 });
    const historyBefore = await count(`consent_changes`);
    const second = await customers(batch(), LATER);
    expect(second).toMatchObject({ received: 20, written: 0, inserted: 0, updated: 0, unchanged: 20, rejectedRows: 0, errors: [], duplicates: [] });
    const { rows } = await db.pool.query(`SELECT updated_at FROM customers WHERE external_id LIKE 'idem-%'`);
    expect(rows).toHaveLength(20);
    for (const row of rows) expect(row.updated_at).toEqual(NOW);
    expect(await count(`consent_changes`)).toBe(historyBefore);

    // One real change among them: exactly that row is updated.
    const changed = batch();
    changed[7].city = 'Marseille';
    const third = await customers(changed, LATER);
    expect(third).toMatchObject({ written: 1, updated: 1, unchanged: 19 });
    expect((await customerRow('idem-7'))!.updated_at).toEqual(LATER);
    expect((await customerRow('idem-8'))!.updated_at).toEqual(NOW);
  });

  test('the same transaction batch twice: nothing written the second time, updated_at unchanged; a correction updates', async () => {
    await customers([{ externalId: 'idem-tx' }]);
    const rows = Array.from({ length: 15 }, (_, i) => ({
      externalId: `idem-tx-${i}`,
      customerExternalId: 'idem-tx',
      amount: 12.5 + i,
      currency: 'eur',
      occurredAt: `2026-01-${String(i + 1).padStart(2, '0')}T10:00:00+01:00`,
      category: 'books',
      pointsEarned: i,
    }));
    expect(await transactions(rows)).toMatchObject({ inserted: 15, written: 15, rejectedRows: 0 });
    const snapshot = (await db.pool.query(`SELECT * FROM transactions WHERE external_id LIKE 'idem-tx-%' ORDER BY id`)).rows;
    expect(await transactions(rows, LATER)).toMatchObject({ written: 0, inserted: 0, updated: 0, unchanged: 15 });
    expect((await db.pool.query(`SELECT * FROM transactions WHERE external_id LIKE 'idem-tx-%' ORDER BY id`)).rows).toEqual(snapshot);

    const corrected = rows.map((r, i) => (i === 3 ? { ...r, refunded: true } : r));
    expect(await transactions(corrected, LATER)).toMatchObject({ written: 1, updated: 1, unchanged: 14 });
    const { rows: t3 } = await db.pool.query(`SELECT is_refunded, updated_at, created_at FROM transactions WHERE external_id = 'idem-tx-3'`);
    expect(t3[0]).toEqual({ is_refunded: true, updated_at: LATER, created_at: NOW });
  });

  test('the same event batch twice: nothing written the second time', async () => {
    await customers([{ externalId: 'idem-ev' }]);
    const rows = Array.from({ length: 12 }, (_, i) => ({
      externalId: `idem-ev-${i}`,
      customerExternalId: 'idem-ev',
      name: 'song_favourited',
      properties: { song: `s${i}`, position: i, tags: ['a', 'b'] },
      occurredAt: `2026-02-${String(i + 1).padStart(2, '0')}T08:00:00Z`,
    }));
    expect(await events(rows)).toMatchObject({ inserted: 12, written: 12, rejectedRows: 0 });
    const snapshot = (await db.pool.query(`SELECT * FROM customer_events WHERE external_id LIKE 'idem-ev-%' ORDER BY id`)).rows;
    expect(await events(rows, LATER)).toMatchObject({ written: 0, unchanged: 12 });
    expect((await db.pool.query(`SELECT * FROM customer_events WHERE external_id LIKE 'idem-ev-%' ORDER BY id`)).rows).toEqual(snapshot);
  });
});

describe('per-row validation', () => {
  test('bad rows are reported with their path and write nothing; valid rows of the same call are written', async () => {
    await customers([{ externalId: 'val-existing', firstName: 'Before', email: 'before@example.com' }]);
    const existingBefore = await customerRow('val-existing');
    const r = await customers([
      { externalId: 'val-0', email: 'ok@example.com', country: 'FR', phone: '06 12 34 56 78' },
      { externalId: 'val-1', email: 'not-an-email' },
      { externalId: 'val-2', phone: '12345' },
      { externalId: 'val-3', country: 'FRA' },
      { externalId: 'val-4', timeZone: 'Mars/Olympus_Mons' },
      { externalId: 'val-5', consents: [{ channel: 'EMAIL', status: 'SUBSCRIBED', at: '2026-03-02T12:00:00Z' }] },
      { externalId: 'val-6', birthDate: '2001-02-30' },
      { externalId: 'val-7', firstName: 'Valid' },
      { externalId: 'val-existing', firstName: 'After', email: 'bad@' },
      { externalId: 'val-9', email: 'nope', phone: 'nope', householdSize: 0 },
    ]);
    expect(problems(r)).toEqual([
      { index: 1, field: 'input[1].email', code: 'INVALID_EMAIL' },
      { index: 2, field: 'input[2].phone', code: 'INVALID_PHONE' },
      { index: 3, field: 'input[3].country', code: 'INVALID_COUNTRY' },
      { index: 4, field: 'input[4].timeZone', code: 'INVALID_TIME_ZONE' },
      { index: 5, field: 'input[5].consents[0].at', code: 'FUTURE_TIMESTAMP' },
      { index: 6, field: 'input[6].birthDate', code: 'INVALID_DATE' },
      { index: 8, field: 'input[8].email', code: 'INVALID_EMAIL' },
      { index: 9, field: 'input[9].email', code: 'INVALID_EMAIL' },
      { index: 9, field: 'input[9].phone', code: 'INVALID_PHONE' },
      { index: 9, field: 'input[9].householdSize', code: 'OUT_OF_RANGE' },
    ]);
    expect(r).toMatchObject({ received: 10, rejectedRows: 8, inserted: 2, written: 2 });
    expect((await customerRow('val-0'))!).toMatchObject({ email: 'ok@example.com', phone: '+33612345678', country: 'FR' });
    expect((await customerRow('val-7'))!.first_name).toBe('Valid');
    for (const i of [1, 2, 3, 4, 5, 6, 9]) expect(await customerRow(`val-${i}`), `val-${i}`).toBeUndefined();
    expect(await customerRow('val-existing')).toEqual(existingBefore);
    expect(await count(`consent_changes cc JOIN customers c ON c.id = cc.customer_id WHERE c.external_id LIKE 'val-%'`)).toBe(0);
  });

  test('bad transaction and event rows are reported per row; the good ones are written', async () => {
    await customers([{ externalId: 'val-facts' }]);
    const tx = await transactions([
      { externalId: 'vt-0', customerExternalId: 'val-facts', amount: 10, currency: 'EUR', occurredAt: '2026-01-01T00:00:00Z' },
      { externalId: 'vt-1', customerExternalId: 'val-facts', amount: -1, currency: 'EUR', occurredAt: '2026-01-01T00:00:00Z' },
      { externalId: 'vt-2', customerExternalId: 'val-facts', amount: 10.005, currency: 'EUR', occurredAt: '2026-01-01T00:00:00Z' },
      { externalId: 'vt-3', customerExternalId: 'val-facts', amount: 10, currency: 'EURO', occurredAt: '2026-01-01T00:00:00Z' },
      { externalId: 'vt-4', customerExternalId: 'val-facts', amount: 10, currency: 'EUR', occurredAt: '2026-01-01 10:00' },
      { externalId: 'vt-5', customerExternalId: 'val-facts', amount: 10, currency: 'EUR', occurredAt: '2026-03-05T00:00:00Z' },
      { externalId: 'vt-6', customerExternalId: 'val-facts', amount: 10, currency: 'EUR' },
    ]);
    expect(problems(tx)).toEqual([
      { index: 1, field: 'input[1].amount', code: 'INVALID_AMOUNT' },
      { index: 2, field: 'input[2].amount', code: 'INVALID_AMOUNT' },
      { index: 3, field: 'input[3].currency', code: 'INVALID_CURRENCY' },
      { index: 4, field: 'input[4].occurredAt', code: 'INVALID_DATETIME' },
      { index: 5, field: 'input[5].occurredAt', code: 'FUTURE_TIMESTAMP' },
      { index: 6, field: 'input[6].occurredAt', code: 'REQUIRED' },
    ]);
    expect(tx).toMatchObject({ inserted: 1, rejectedRows: 6 });
    expect(await count(`transactions WHERE external_id LIKE 'vt-%'`)).toBe(1);

    const ev = await events([
      { externalId: 've-0', customerExternalId: 'val-facts', name: 'item_returned', occurredAt: '2026-01-01T00:00:00Z' },
      { externalId: 've-1', customerExternalId: 'val-facts', name: 'Item Returned', occurredAt: '2026-01-01T00:00:00Z' },
      { externalId: 've-2', customerExternalId: 'val-facts', name: 'item_returned', properties: ['x'], occurredAt: '2026-01-01T00:00:00Z' },
      { externalId: '', customerExternalId: 'val-facts', name: 'item_returned', occurredAt: '2026-01-01T00:00:00Z' },
    ]);
    expect(problems(ev)).toEqual([
      { index: 1, field: 'input[1].name', code: 'INVALID_EVENT_NAME' },
      { index: 2, field: 'input[2].properties', code: 'INVALID_TYPE' },
      { index: 3, field: 'input[3].externalId', code: 'REQUIRED' },
    ]);
    expect(ev).toMatchObject({ inserted: 1, rejectedRows: 3 });
    expect(await count(`customer_events WHERE external_id LIKE 've-%'`)).toBe(1);
  });

  describe('values PostgreSQL cannot store are refused per row, never failing the batch', () => {
    beforeAll(async () => {
      await customers([{ externalId: 'pg-limits' }]);
    });

    test('a NUL character in a string attribute', async () => {
      const r = await customers([
        { externalId: 'pg-nul-ok', firstName: 'Fine' },
        { externalId: 'pg-nul', attributes: { nickname: 'a\u0000b' } },
      ]);
      expect(r).toMatchObject({ inserted: 1, rejectedRows: 1 });
      expect(r.errors.map((e) => e.field)).toEqual(['input[1].attributes.nickname']);
    });

    test('a NUL character in event properties', async () => {
      const r = await events([
        { externalId: 'pg-ev-ok', customerExternalId: 'pg-limits', name: 'song_favourited', occurredAt: '2026-01-01T00:00:00Z' },
        { externalId: 'pg-ev-nul', customerExternalId: 'pg-limits', name: 'song_favourited', properties: { title: 'a\u0000b' }, occurredAt: '2026-01-01T00:00:00Z' },
      ]);
      expect(r).toMatchObject({ inserted: 1, rejectedRows: 1 });
      expect(r.errors.map((e) => e.field)).toEqual(['input[1].properties']);
    });

    test('a date-time in year 0', async () => {
      const c = await customers([
        { externalId: 'pg-year-ok', firstName: 'Fine' },
        { externalId: 'pg-year0', signedUpAt: '0000-06-01T00:00:00Z' },
      ]);
      expect(c).toMatchObject({ inserted: 1, rejectedRows: 1 });
      expect(c.errors.map((e) => e.field)).toEqual(['input[1].signedUpAt']);
      const tx = await transactions([
        { externalId: 'pg-tx-ok', customerExternalId: 'pg-limits', amount: 1, currency: 'EUR', occurredAt: '2026-01-01T00:00:00Z' },
        { externalId: 'pg-tx-year0', customerExternalId: 'pg-limits', amount: 1, currency: 'EUR', occurredAt: '0000-06-01T00:00:00Z' },
      ]);
      expect(tx).toMatchObject({ inserted: 1, rejectedRows: 1 });
      expect(tx.errors.map((e) => e.field)).toEqual(['input[1].occurredAt']);
    });
  });

  test('a bulk write that fails in the database does not break the connection for later bulk writes', async () => {
    // A one-connection handle: its first bulk write fails inside the transaction (the table is away).
    const solo = await openDatabase({ config: { databaseUrl: db.url, databasePoolSize: 1, databaseCreateIfMissing: false } });
    try {
      await customers([{ externalId: 'solo-owner' }]);
      const row = { externalId: 'solo-ev', customerExternalId: 'solo-owner', name: 'page_viewed', occurredAt: '2026-01-01T00:00:00Z' };
      await db.pool.query(`ALTER TABLE customer_events RENAME TO customer_events_away`);
      try {
        await expect(trackEvents({ db: solo, rows: [row], now: NOW, maxRows: MAX })).rejects.toThrow();
      } finally {
        await db.pool.query(`ALTER TABLE customer_events_away RENAME TO customer_events`);
      }
      // Same connection, table back: both kinds of bulk write work again.
      expect(await trackEvents({ db: solo, rows: [row], now: NOW, maxRows: MAX })).toMatchObject({ inserted: 1, rejectedRows: 0 });
      expect(await upsertCustomers({ db: solo, rows: [{ externalId: 'solo-new' }], now: NOW, maxRows: MAX })).toMatchObject({ inserted: 1 });
    } finally {
      await closeDatabase(solo);
    }
  });

  test('more rows than maxRows: a BAD_USER_INPUT error and nothing written', async () => {
    await customers([{ externalId: 'max-owner' }]);
    const rows = [{ externalId: 'max-1' }, { externalId: 'max-2' }, { externalId: 'max-3' }];
    const refused = customers(rows, NOW, 2);
    await expect(refused).rejects.toBeInstanceOf(DomainError);
    await expect(refused).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'input' });
    for (const r of rows) expect(await customerRow(r.externalId)).toBeUndefined();

    const tx = [1, 2, 3].map((i) => ({ externalId: `max-t${i}`, customerExternalId: 'max-owner', amount: 1, currency: 'EUR', occurredAt: '2026-01-01T00:00:00Z' }));
    await expect(transactions(tx, NOW, 2)).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'input' });
    const ev = [1, 2, 3].map((i) => ({ externalId: `max-e${i}`, customerExternalId: 'max-owner', name: 'page_viewed', occurredAt: '2026-01-01T00:00:00Z' }));
    await expect(events(ev, NOW, 2)).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'input' });
    expect(await count(`transactions WHERE external_id LIKE 'max-%'`)).toBe(0);
    expect(await count(`customer_events WHERE external_id LIKE 'max-%'`)).toBe(0);

    // Exactly maxRows is fine.
    expect(await customers(rows.slice(0, 2), NOW, 2)).toMatchObject({ inserted: 2 });
  });
});

describe('duplicates, unknown and erased customers', () => {
  test('duplicates inside a customer batch: the last wins, the earlier ones are reported', async () => {
    const r = await customers([
      { externalId: 'dup-1', firstName: 'First', city: 'Nantes' },
      { externalId: 'dup-2', firstName: 'Other' },
      { externalId: 'dup-1', firstName: 'Second' },
      { externalId: 'dup-1', firstName: 'Third' },
    ]);
    expect(r).toMatchObject({ received: 4, inserted: 2, rejectedRows: 0, errors: [] });
    expect(r.duplicates.map((d) => ({ index: d.index, field: d.field, code: d.code }))).toEqual([
      { index: 0, field: 'input[0].externalId', code: 'DUPLICATE_IN_BATCH' },
      { index: 2, field: 'input[2].externalId', code: 'DUPLICATE_IN_BATCH' },
    ]);
    expect((await customerRow('dup-1'))!.first_name).toBe('Third');
    expect((await customerRow('dup-2'))!.first_name).toBe('Other');
  });

  test('duplicates inside a transaction batch: the last wins', async () => {
    await customers([{ externalId: 'dup-owner' }]);
    const r = await transactions([
      { externalId: 'dup-t', customerExternalId: 'dup-owner', amount: 10, currency: 'EUR', occurredAt: '2026-01-01T00:00:00Z' },
      { externalId: 'dup-t', customerExternalId: 'dup-owner', amount: 20, currency: 'EUR', occurredAt: '2026-01-01T00:00:00Z' },
    ]);
    expect(r).toMatchObject({ received: 2, inserted: 1 });
    expect(r.duplicates.map((d) => [d.index, d.code])).toEqual([[0, 'DUPLICATE_IN_BATCH']]);
    const { rows } = await db.pool.query(`SELECT amount FROM transactions WHERE external_id = 'dup-t'`);
    expect(rows).toEqual([{ amount: '20.00' }]);
  });

  test('transactions and events for unknown customers are refused per row', async () => {
    await customers([{ externalId: 'known' }]);
    const tx = await transactions([
      { externalId: 'u-t1', customerExternalId: 'known', amount: 5, currency: 'EUR', occurredAt: '2026-01-01T00:00:00Z' },
      { externalId: 'u-t2', customerExternalId: 'ghost', amount: 5, currency: 'EUR', occurredAt: '2026-01-01T00:00:00Z' },
    ]);
    expect(tx).toMatchObject({ inserted: 1, rejectedRows: 1 });
    expect(problems(tx)).toEqual([{ index: 1, field: 'input[1].customerExternalId', code: 'UNKNOWN_CUSTOMER' }]);
    const ev = await events([
      { externalId: 'u-e1', customerExternalId: 'ghost', name: 'page_viewed', occurredAt: '2026-01-01T00:00:00Z' },
      { externalId: 'u-e2', customerExternalId: 'known', name: 'page_viewed', occurredAt: '2026-01-01T00:00:00Z' },
    ]);
    expect(ev).toMatchObject({ inserted: 1, rejectedRows: 1 });
    expect(problems(ev)).toEqual([{ index: 0, field: 'input[0].customerExternalId', code: 'UNKNOWN_CUSTOMER' }]);
    expect(await count(`transactions WHERE external_id = 'u-t2'`)).toBe(0);
    expect(await count(`customer_events WHERE external_id = 'u-e1'`)).toBe(0);
  });

  test('an erased customer cannot be written again: customer rows, consents, transactions and events are refused', async () => {
    await customers([{ externalId: 'erased-1', firstName: 'Zed', consents: [{ channel: 'EMAIL', status: 'UNSUBSCRIBED', at: '2026-01-01T00:00:00Z' }] }]);
    await customers([{ externalId: 'alive-1', firstName: 'Alive' }]);
    await db.pool.query(`UPDATE customers SET erased_at = $1, first_name = NULL WHERE external_id = 'erased-1'`, [NOW]);
    const before = await customerRow('erased-1');
    const historyBefore = await count(`consent_changes`);

    const r = await customers(
      [
        { externalId: 'alive-1', firstName: 'Still alive' },
        { externalId: 'erased-1', firstName: 'Back', consents: [{ channel: 'EMAIL', status: 'SUBSCRIBED', at: '2026-02-01T00:00:00Z' }] },
      ],
      LATER,
    );
    expect(problems(r)).toEqual([{ index: 1, field: 'input[1].externalId', code: 'ERASED' }]);
    expect(r).toMatchObject({ received: 2, updated: 1, written: 1, rejectedRows: 1, unchanged: 0 });
    expect(await customerRow('erased-1')).toEqual(before);
    expect(await count(`consent_changes`)).toBe(historyBefore);
    expect((await customerRow('alive-1'))!.first_name).toBe('Still alive');

    const tx = await transactions([{ externalId: 'er-t', customerExternalId: 'erased-1', amount: 5, currency: 'EUR', occurredAt: '2026-01-01T00:00:00Z' }]);
    expect(problems(tx)).toEqual([{ index: 0, field: 'input[0].customerExternalId', code: 'ERASED' }]);
    const ev = await events([{ externalId: 'er-e', customerExternalId: 'erased-1', name: 'page_viewed', occurredAt: '2026-01-01T00:00:00Z' }]);
    expect(problems(ev)).toEqual([{ index: 0, field: 'input[0].customerExternalId', code: 'ERASED' }]);
    expect(await count(`transactions WHERE external_id = 'er-t'`)).toBe(0);
    expect(await count(`customer_events WHERE external_id = 'er-e'`)).toBe(0);
  });
});

describe('consents', () => {
  const consentOf = async (externalId: string, channel = 'EMAIL') =>
    (
      await db.pool.query(
        `SELECT cc.status, cc.source, cc.changed_at FROM customer_consents cc JOIN customers c ON c.id = cc.customer_id
         WHERE c.external_id = $1 AND cc.channel = $2`,
        [externalId, channel],
      )
    ).rows[0];
  const historyOf = async (externalId: string) =>
    (
      await db.pool.query(
        `SELECT h.channel, h.status, h.changed_at, h.is_applied FROM consent_changes h JOIN customers c ON c.id = h.customer_id
         WHERE c.external_id = $1 ORDER BY h.changed_at, h.status`,
        [externalId],
      )
    ).rows;

  test('an older change arriving after a newer one does not override it, but is kept in the history', async () => {
    await customers([{ externalId: 'cs-order', consents: [{ channel: 'EMAIL', status: 'UNSUBSCRIBED', source: 'sms STOP', at: '2026-02-01T00:00:00Z' }] }]);
    // A CRM re-sync with a stale opt-in.
    await customers([{ externalId: 'cs-order', consents: [{ channel: 'EMAIL', status: 'SUBSCRIBED', source: 'crm', at: '2026-01-15T00:00:00Z' }] }], LATER);
    expect(await consentOf('cs-order')).toEqual({ status: 'UNSUBSCRIBED', source: 'sms STOP', changed_at: new Date('2026-02-01T00:00:00Z') });
    expect(await historyOf('cs-order')).toEqual([
      { channel: 'EMAIL', status: 'SUBSCRIBED', changed_at: new Date('2026-01-15T00:00:00Z'), is_applied: false },
      { channel: 'EMAIL', status: 'UNSUBSCRIBED', changed_at: new Date('2026-02-01T00:00:00Z'), is_applied: true },
    ]);
    // A newer change does apply.
    await customers([{ externalId: 'cs-order', consents: [{ channel: 'EMAIL', status: 'SUBSCRIBED', source: 'web', at: '2026-02-10T00:00:00Z' }] }], LATER);
    expect(await consentOf('cs-order')).toMatchObject({ status: 'SUBSCRIBED', source: 'web' });
  });

  test('channels are independent', async () => {
    await customers([{ externalId: 'cs-channels', consents: [{ channel: 'SMS', status: 'UNSUBSCRIBED', at: '2026-02-01T00:00:00Z' }] }]);
    await customers([{ externalId: 'cs-channels', consents: [{ channel: 'EMAIL', status: 'SUBSCRIBED', at: '2026-01-01T00:00:00Z' }] }]);
    expect(await consentOf('cs-channels', 'EMAIL')).toMatchObject({ status: 'SUBSCRIBED' });
    expect(await consentOf('cs-channels', 'SMS')).toMatchObject({ status: 'UNSUBSCRIBED' });
  });

  test('equal timestamps: UNSUBSCRIBED wins, whichever arrives first and also within one row', async () => {
    const at = '2026-02-01T00:00:00Z';
    await customers([{ externalId: 'cs-tie-1', consents: [{ channel: 'EMAIL', status: 'SUBSCRIBED', at }] }]);
    await customers([{ externalId: 'cs-tie-1', consents: [{ channel: 'EMAIL', status: 'UNSUBSCRIBED', at }] }]);
    expect(await consentOf('cs-tie-1')).toMatchObject({ status: 'UNSUBSCRIBED' });

    await customers([{ externalId: 'cs-tie-2', consents: [{ channel: 'EMAIL', status: 'UNSUBSCRIBED', at }] }]);
    await customers([{ externalId: 'cs-tie-2', consents: [{ channel: 'EMAIL', status: 'SUBSCRIBED', at }] }]);
    expect(await consentOf('cs-tie-2')).toMatchObject({ status: 'UNSUBSCRIBED' });

    await customers([
      {
        externalId: 'cs-tie-3',
        consents: [
          { channel: 'EMAIL', status: 'UNSUBSCRIBED', at },
          { channel: 'EMAIL', status: 'SUBSCRIBED', at },
        ],
      },
    ]);
    expect(await consentOf('cs-tie-3')).toMatchObject({ status: 'UNSUBSCRIBED' });
  });

  test('the history has one row per distinct change: replays do not duplicate it', async () => {
    const row = {
      externalId: 'cs-history',
      consents: [
        { channel: 'EMAIL', status: 'SUBSCRIBED', source: 'web', at: '2026-01-01T00:00:00Z' },
        { channel: 'EMAIL', status: 'UNSUBSCRIBED', source: 'link', at: '2026-01-20T00:00:00Z' },
        { channel: 'SMS', status: 'SUBSCRIBED', source: 'store', at: '2026-01-05T00:00:00Z' },
      ],
    };
    await customers([row]);
    await customers([row], LATER);
    await customers([{ externalId: 'cs-history', consents: [row.consents[0]] }], LATER);
    expect(await historyOf('cs-history')).toEqual([
      { channel: 'EMAIL', status: 'SUBSCRIBED', changed_at: new Date('2026-01-01T00:00:00Z'), is_applied: false },
      { channel: 'SMS', status: 'SUBSCRIBED', changed_at: new Date('2026-01-05T00:00:00Z'), is_applied: true },
      { channel: 'EMAIL', status: 'UNSUBSCRIBED', changed_at: new Date('2026-01-20T00:00:00Z'), is_applied: true },
    ]);
    expect(await consentOf('cs-history')).toMatchObject({ status: 'UNSUBSCRIBED', source: 'link' });
  });

  test('a consent without `at` is dated at the call time', async () => {
    await customers([{ externalId: 'cs-now', consents: [{ channel: 'sms', status: 'subscribed', source: 'app' }] }]);
    expect(await consentOf('cs-now', 'SMS')).toEqual({ status: 'SUBSCRIBED', source: 'app', changed_at: NOW });
  });
});

describe('concurrency', () => {
  test('two parallel upserts on overlapping customers touching different fields both land', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `conc-${i}`);
    await customers(ids.map((externalId) => ({ externalId, firstName: 'initial', city: 'initial' })));
    for (let round = 0; round < 6; round++) {
      const fresh = Array.from({ length: 10 }, (_, i) => `conc-new-${round}-${i}`);
      const all = [...ids, ...fresh];
      const [a, b] = await Promise.all([
        customers(all.map((externalId) => ({ externalId, firstName: `first ${round} ${externalId}` })), LATER),
        // Different order on the other side, so lock ordering is exercised.
        customers([...all].reverse().map((externalId) => ({ externalId, city: `city ${round} ${externalId}` })), LATER),
      ]);
      expect(a.rejectedRows + b.rejectedRows, `round ${round}`).toBe(0);
      expect(a.inserted + b.inserted, `round ${round}`).toBe(fresh.length);
      const { rows } = await db.pool.query(`SELECT external_id, first_name, city FROM customers WHERE external_id = ANY ($1)`, [all]);
      expect(rows).toHaveLength(all.length);
      for (const row of rows) {
        expect(row.first_name, `round ${round} ${row.external_id}`).toBe(`first ${round} ${row.external_id}`);
        expect(row.city, `round ${round} ${row.external_id}`).toBe(`city ${round} ${row.external_id}`);
      }
    }
  });

  test('parallel attribute merges on the same customers keep every key', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `conc-attr-${i}`);
    await customers(ids.map((externalId) => ({ externalId })));
    for (let round = 0; round < 4; round++) {
      await Promise.all([
        customers(ids.map((externalId) => ({ externalId, attributes: { nickname: `n${round}` } })), LATER),
        customers(ids.map((externalId) => ({ externalId, attributes: { shoe_size: round } })), LATER),
      ]);
      const { rows } = await db.pool.query(`SELECT attributes FROM customers WHERE external_id = ANY ($1)`, [ids]);
      for (const row of rows) expect(row.attributes, `round ${round}`).toEqual({ nickname: `n${round}`, shoe_size: round });
    }
  });
});

describe('reach columns', () => {
  test('after every merge above, customers carry exactly their current consents and address flags', async () => {
    // The import writes new customers' consent columns with the row (a head start); the triggers of
    // migration 1764600000000 must leave every column equal to the source tables, whatever ran.
    const { rows } = await db.pool.query(
      `SELECT c.id FROM customers c
       WHERE c.email_consent IS DISTINCT FROM (SELECT status FROM customer_consents k WHERE k.customer_id = c.id AND k.channel = 'EMAIL')
          OR c.sms_consent IS DISTINCT FROM (SELECT status FROM customer_consents k WHERE k.customer_id = c.id AND k.channel = 'SMS')
          OR (c.erased_at IS NULL AND c.email_shared IS DISTINCT FROM
                (c.email IS NOT NULL AND (SELECT count(*) FROM customers o WHERE o.email = c.email AND o.erased_at IS NULL) > 1))`,
    );
    expect(rows).toEqual([]);
    const { rows: seen } = await db.pool.query(`SELECT count(*)::int AS n FROM customers WHERE email_consent IS NOT NULL`);
    expect(seen[0].n).toBeGreaterThan(0);
  });
});
