import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { defineAttribute } from '../../src/customers/attribute-definitions.js';
import { importFile } from '../../src/ingestion/import-file.js';
import { AttributeType } from '../../src/schema/enums.js';
import { createTestDb, type TestDb } from '../support/databases.js';

let db: TestDb;
let dir: string;
const now = new Date('2026-06-01T12:00:00Z');

beforeAll(async () => {
  db = await createTestDb();
  dir = await mkdtemp(path.join(tmpdir(), 'cible-import-'));
  await defineAttribute({ db, key: 'pets_at_home', type: AttributeType.BOOLEAN, now });
  await defineAttribute({ db, key: 'interests', type: AttributeType.LIST, allowedValues: ['jazz', 'rock', 'cinema'], now });
});
afterAll(async () => {
  await db?.drop();
});

async function file(name: string, text: string): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, text);
  return p;
}

async function reportLines(p: string | null): Promise<string[]> {
  return p ? (await readFile(p, 'utf8')).trim().split('\n').slice(1) : [];
}

describe('customers CSV', () => {
  test('maps columns, lists, attributes and consents; reports bad and malformed lines; writes the rest', async () => {
    const csv = await file(
      'customers.csv',
      [
        'externalId,email,phone,country,firstName,devices,attributes.pets_at_home,attributes.interests,consents.email.status,consents.email.at',
        'c-1,Ann@Example.com,06 12 34 56 78,FR,Ann,iphone|desktop,yes,jazz|cinema,SUBSCRIBED,2026-01-01T00:00:00Z',
        'c-2,not-an-email,,FR,Bob,,,,,',
        'c-3,cy@example.com,,DE,"Cy, Jr.",,false,,UNSUBSCRIBED,2026-02-01T00:00:00Z',
        'c-4,too,few,cells',
        'c-5,dee@example.com,,ES,Dee,,,opera,,',
      ].join('\n') + '\n',
    );
    const r = await importFile({ db, kind: 'customers', file: csv, now });
    expect(r).toMatchObject({ records: 5, inserted: 2, rejected: 3, duplicates: 0 });
    const lines = await reportLines(r.reportFile);
    expect(lines).toEqual([
      '3,email,INVALID_EMAIL,email is not a valid address',
      '5,,MALFORMED_LINE,"expected 10 cells, found 4"',
      expect.stringMatching(/^6,attributes\.interests,NOT_ALLOWED,/),
    ]);
    const { rows } = await db.pool.query(
      `SELECT external_id, email, phone, first_name, devices, attributes, (SELECT status FROM customer_consents cc WHERE cc.customer_id = c.id) AS email_consent
       FROM customers c ORDER BY external_id`,
    );
    expect(rows).toEqual([
      {
        external_id: 'c-1',
        email: 'ann@example.com',
        phone: '+33612345678',
        first_name: 'Ann',
        devices: ['iphone', 'desktop'],
        attributes: { pets_at_home: true, interests: ['jazz', 'cinema'] },
        email_consent: 'SUBSCRIBED',
      },
      { external_id: 'c-3', email: 'cy@example.com', phone: null, first_name: 'Cy, Jr.', devices: null, attributes: { pets_at_home: false }, email_consent: 'UNSUBSCRIBED' },
    ]);
  });

  test('an empty cell leaves a field unchanged, \\N clears it; re-importing the same file changes nothing', async () => {
    const update = await file('update.csv', 'externalId,email,firstName\nc-1,,\\N\n');
    expect(await importFile({ db, kind: 'customers', file: update, now: new Date('2026-06-02T00:00:00Z') })).toMatchObject({ updated: 1 });
    const { rows } = await db.pool.query(`SELECT email, first_name, updated_at FROM customers WHERE external_id = 'c-1'`);
    expect(rows[0]).toMatchObject({ email: 'ann@example.com', first_name: null });
    const again = await importFile({ db, kind: 'customers', file: update, now: new Date('2026-06-03T00:00:00Z') });
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 1 });
    const after = await db.pool.query(`SELECT updated_at FROM customers WHERE external_id = 'c-1'`);
    expect(after.rows[0].updated_at).toEqual(rows[0].updated_at);
  });

  test('duplicates: within a chunk and across chunks, the last line wins and the earlier one is reported', async () => {
    const csv = await file('dups.csv', ['externalId,firstName', 'd-1,First', 'd-2,Solo', 'd-1,Second', 'd-3,x', 'd-4,y', 'd-1,Third'].join('\n'));
    const r = await importFile({ db, kind: 'customers', file: csv, now: new Date('2026-06-04T00:00:00Z'), chunkSize: 2 });
    expect(r).toMatchObject({ records: 6, inserted: 4, duplicates: 2, rejected: 0 });
    const { rows } = await db.pool.query(`SELECT first_name FROM customers WHERE external_id = 'd-1'`);
    expect(rows[0].first_name).toBe('Third');
    const codes = (await reportLines(r.reportFile)).map((l) => l.split(',').slice(0, 3).join(','));
    expect(codes).toHaveLength(2);
    for (const c of codes) expect(c).toMatch(/^\d+,externalId,DUPLICATE_IN_FILE$/);
  });

  test('an unknown column stops the import before anything is written', async () => {
    const csv = await file('typo.csv', 'externalId,emial\nz-1,z@example.com\n');
    await expect(importFile({ db, kind: 'customers', file: csv, now })).rejects.toThrow(/unknown column\(s\) for customers: emial/);
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM customers WHERE external_id = 'z-1'`);
    expect(rows[0].n).toBe(0);
  });
});

describe('NDJSON and facts', () => {
  test('customers NDJSON: bad JSON and non-objects are reported by line; blank lines are skipped', async () => {
    const nd = await file(
      'customers.ndjson',
      ['{"externalId":"n-1","email":"n1@example.com","attributes":{"pets_at_home":true}}', '', '{"externalId": "n-2", oops}', '[1,2]', '{"externalId":"n-3","timeZone":"Mars/Olympus"}'].join('\n'),
    );
    const r = await importFile({ db, kind: 'customers', file: nd, now });
    expect(r).toMatchObject({ records: 4, inserted: 1, rejected: 3 });
    const lines = await reportLines(r.reportFile);
    expect(lines.map((l) => l.split(',').slice(0, 3).join(','))).toEqual(['3,,MALFORMED_LINE', '4,,MALFORMED_LINE', '5,timeZone,INVALID_TIME_ZONE']);
  });

  test('transactions CSV: unknown customers are reported per line, the rest recorded', async () => {
    const csv = await file(
      'tx.csv',
      [
        'externalId,customerExternalId,amount,currency,occurredAt,category,refunded,pointsEarned',
        't-1,c-1,19.90,eur,2026-05-01T10:00:00Z,books,false,20',
        't-2,nobody,5,EUR,2026-05-01T10:00:00Z,books,false,0',
        't-3,c-3,abc,EUR,2026-05-01T10:00:00Z,books,false,0',
        't-4,c-3,12,EUR,2026-05-02T10:00:00+02:00,music,true,',
      ].join('\n'),
    );
    const r = await importFile({ db, kind: 'transactions', file: csv, now });
    expect(r).toMatchObject({ records: 4, inserted: 2, rejected: 2 });
    // The report is written as lines are found: validation first, database refusals per chunk.
    expect((await reportLines(r.reportFile)).map((l) => l.split(',').slice(0, 3).join(',')).sort()).toEqual(['3,customerExternalId,UNKNOWN_CUSTOMER', '4,amount,INVALID_AMOUNT']);
    const { rows } = await db.pool.query(`SELECT external_id, amount, currency, is_refunded, points_earned FROM transactions ORDER BY external_id`);
    expect(rows).toEqual([
      { external_id: 't-1', amount: '19.90', currency: 'EUR', is_refunded: false, points_earned: 20 },
      { external_id: 't-4', amount: '12.00', currency: 'EUR', is_refunded: true, points_earned: 0 },
    ]);
  });

  test('events CSV: a JSON properties cell and properties.<key> columns', async () => {
    const csv = await file(
      'events.csv',
      ['externalId,customerExternalId,name,occurredAt,properties,properties.song', 'e-1,c-1,song_favourited,2026-05-01T10:00:00Z,"{""count"":3}",Jolene', 'e-2,c-1,Bad Name,2026-05-01T10:00:00Z,,'].join('\n'),
    );
    const r = await importFile({ db, kind: 'events', file: csv, now });
    expect(r).toMatchObject({ inserted: 1, rejected: 1 });
    const { rows } = await db.pool.query(`SELECT name, properties FROM customer_events`);
    expect(rows).toEqual([{ name: 'song_favourited', properties: { count: 3, song: 'Jolene' } }]);
  });
});

test('the CLI prints a JSON summary and names the report file', async () => {
  const csv = await file('cli.csv', 'externalId,email\ncli-1,cli@example.com\ncli-2,nope\n');
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['dist/src/cli/import.js', 'customers', csv], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, LOG_LEVEL: 'warn' },
  });
  const summary = JSON.parse(stdout.trim().split('\n').pop()!);
  expect(summary).toMatchObject({ kind: 'customers', records: 2, inserted: 1, rejected: 1, reportFile: `${csv}.rejects.csv` });
  expect(stderr).toContain(`see ${csv}.rejects.csv`);
});
