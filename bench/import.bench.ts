import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { Db } from '../src/db/database.js';
import { generateBase } from '../src/seed/generate-base.js';
import { adminQuery, benchDatabaseUrl, closeDatabase, freshDatabase, openBenchDatabase, report, runNode } from './support.js';

const SOURCE_DB = 'cible_bench_source';
const TARGET_DB = 'cible_bench_import';
const TARGET_DB_SMALL = 'cible_bench_import_small';
const DATA_DIR = path.resolve('bench/data');
const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
const iso = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', ${ISO})`;

/** Exports a query as CSV (header included) to a file; returns its byte size. */
async function exportCsv(db: Db, sql: string, file: string): Promise<number> {
  const client = await db.pool.connect();
  try {
    await pipeline(client.query(copyTo(`COPY (${sql}) TO STDOUT WITH (FORMAT csv, HEADER)`)), createWriteStream(file));
  } finally {
    client.release();
  }
  return (await stat(file)).size;
}

/**
 * The baseline: a raw COPY of the same file on the same server, into an unindexed table of text
 * columns, or into a table shaped by `ddl` (e.g. with the real table's indexes).
 */
async function rawCopySeconds(db: Db, file: string, table: string, columns: number, shaped?: { ddl: string; columns: string[] }): Promise<number> {
  const client = await db.pool.connect();
  try {
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.query(shaped?.ddl ?? `CREATE TABLE ${table} (${Array.from({ length: columns }, (_, i) => `c${i} text`).join(', ')})`);
    const t = process.hrtime.bigint();
    const list = shaped ? ` (${shaped.columns.join(', ')})` : '';
    await pipeline(createReadStream(file), client.query(copyFrom(`COPY ${table}${list} FROM STDIN WITH (FORMAT csv, HEADER)`)));
    const seconds = Number(process.hrtime.bigint() - t) / 1e9;
    await client.query(`DROP TABLE ${table}`);
    return seconds;
  } finally {
    client.release();
  }
}

/** The Node flags of `npm run import` (package.json), so that memory is measured as users run it. */
async function importNodeFlags(): Promise<string[]> {
  const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { scripts: Record<string, string> };
  return /node ((?:--\S+ )*)dist\/src\/cli\/import\.js/.exec(pkg.scripts.import)?.[1].trim().split(/\s+/).filter(Boolean) ?? [];
}

async function importWithCli(kind: string, file: string, database: string): Promise<{ records: number; seconds: number; rowsPerSecond: number; maxRssMB: number; rejected: number }> {
  const out = await runNode('dist/src/cli/import.js', [kind, file, '--quiet'], { DATABASE_URL: benchDatabaseUrl(database), LOG_LEVEL: 'warn' }, await importNodeFlags());
  return JSON.parse(out.trim().split('\n').pop()!);
}

async function customerColumns(db: Db): Promise<string[]> {
  const { rows } = await db.pool.query<{ key: string; type: string }>(`SELECT key, type FROM attribute_definitions ORDER BY key`);
  const attrs = rows.map((r) =>
    r.type === 'LIST'
      ? `array_to_string(ARRAY(SELECT jsonb_array_elements_text(c.attributes -> '${r.key}')), '|') AS "attributes.${r.key}"`
      : `c.attributes ->> '${r.key}' AS "attributes.${r.key}"`,
  );
  return [
    `c.external_id AS "externalId"`, 'c.email', 'c.phone', `c.first_name AS "firstName"`, `c.last_name AS "lastName"`,
    `to_char(c.birth_date, 'YYYY-MM-DD') AS "birthDate"`, 'c.gender', 'c.locale', `c.time_zone AS "timeZone"`, 'c.city', 'c.region',
    'c.country', `c.postal_code AS "postalCode"`, `c.household_size AS "householdSize"`, `c.income_band AS "incomeBand"`, 'c.occupation',
    `c.signup_channel AS "signupChannel"`, `${iso('c.signed_up_at')} AS "signedUpAt"`, `c.acquisition_source AS "acquisitionSource"`,
    `c.referral_source AS "referralSource"`, `array_to_string(c.devices, '|') AS devices`, `array_to_string(c.platforms, '|') AS platforms`,
    `c.loyalty_tier AS "loyaltyTier"`, `c.loyalty_points AS "loyaltyPoints"`, `c.preferred_channel AS "preferredChannel"`,
    ...attrs,
    `e.status AS "consents.email.status"`, `e.source AS "consents.email.source"`, `${iso('e.changed_at')} AS "consents.email.at"`,
    `s.status AS "consents.sms.status"`, `s.source AS "consents.sms.source"`, `${iso('s.changed_at')} AS "consents.sms.at"`,
  ];
}

/**
 * Import throughput and memory. Files are exported from a seeded base (realistic, valid data), then
 * imported with `npm run import` into an empty database; each figure is compared with a raw COPY of
 * the same file in the same run. Memory: peak RSS importing 200k vs 2M transaction lines.
 */
export async function benchImport(options: { customers: number; transactions: number }): Promise<void> {
  await mkdir(DATA_DIR, { recursive: true });
  const source = await openBenchDatabase(SOURCE_DB);
  const have = await source.pool.query<{ c: number; t: number }>(`SELECT (SELECT count(*) FROM customers)::int AS c, (SELECT count(*) FROM transactions)::int AS t`);
  if (have.rows[0].c !== options.customers || have.rows[0].t < options.transactions)
    await generateBase({ db: source, customers: options.customers, transactions: options.transactions, events: 0, seed: 11, now: new Date('2026-11-01T00:00:00Z'), reset: true });

  const customersCsv = path.join(DATA_DIR, 'customers.csv');
  const columns = await customerColumns(source);
  await exportCsv(
    source,
    `SELECT ${columns.join(', ')} FROM customers c
     LEFT JOIN customer_consents e ON e.customer_id = c.id AND e.channel = 'EMAIL'
     LEFT JOIN customer_consents s ON s.customer_id = c.id AND s.channel = 'SMS'
     ORDER BY c.id`,
    customersCsv,
  );
  const txSql = (limit: number) => `SELECT t.external_id AS "externalId", c.external_id AS "customerExternalId", t.amount, t.currency,
      ${iso('t.occurred_at')} AS "occurredAt", t.category, t.product, t.channel, t.store, t.points_earned AS "pointsEarned",
      t.points_redeemed AS "pointsRedeemed", t.is_refunded AS refunded
    FROM transactions t JOIN customers c ON c.id = t.customer_id ORDER BY t.id LIMIT ${limit}`;
  const txBig = path.join(DATA_DIR, 'transactions.csv');
  const txSmall = path.join(DATA_DIR, 'transactions-small.csv');
  await exportCsv(source, txSql(options.transactions), txBig);
  await exportCsv(source, txSql(Math.round(options.transactions / 10)), txSmall);

  // The catalogue is set up before customer data arrives, as in real use.
  const catalogue = await source.pool.query(`SELECT key, type, allowed_values, description, is_sensitive FROM attribute_definitions`);
  await closeDatabase(source);
  const target = await freshDatabase(TARGET_DB);
  for (const a of catalogue.rows)
    await target.pool.query(`INSERT INTO attribute_definitions (key, type, allowed_values, description, is_sensitive) VALUES ($1, $2, $3, $4, $5)`, [
      a.key,
      a.type,
      a.allowed_values,
      a.description,
      a.is_sensitive,
    ]);
  const rawCustomers = await rawCopySeconds(target, customersCsv, 'raw_customers', columns.length);
  const rawTx = await rawCopySeconds(target, txBig, 'raw_transactions', 12);
  // Same file into a table with the transactions table's three indexes (identity primary key, unique
  // external id, customer + time): the ceiling any upsert into the real table can reach here.
  const rawTxIndexed = await rawCopySeconds(
    target,
    txBig,
    'raw_transactions_indexed',
    12,
    {
      ddl: `CREATE TABLE raw_transactions_indexed (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, external_id text UNIQUE,
              customer text, amount numeric(14, 2), currency text, occurred_at timestamptz, category text, product text,
              channel text, store text, points_earned integer, points_redeemed integer, refunded boolean);
            CREATE INDEX ON raw_transactions_indexed (customer, occurred_at DESC)`,
      columns: ['external_id', 'customer', 'amount', 'currency', 'occurred_at', 'category', 'product', 'channel', 'store', 'points_earned', 'points_redeemed', 'refunded'],
    },
  );
  await closeDatabase(target);

  const customers = await importWithCli('customers', customersCsv, TARGET_DB);
  report({
    bench: 'import.customers',
    rows: customers.records,
    seconds: Number(customers.seconds.toFixed(2)),
    rowsPerSecond: customers.rowsPerSecond,
    rejected: customers.rejected,
    rawCopyRowsPerSecond: Math.round(customers.records / rawCustomers),
    ratioToRawCopy: Number((rawCustomers / customers.seconds).toFixed(3)),
    maxRssMB: customers.maxRssMB,
    target: { rowsPerSecond: 25_000 },
  });

  // Same customers for the small-file memory run: clone the target before the big import.
  await adminQuery(`DROP DATABASE IF EXISTS ${TARGET_DB_SMALL} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${TARGET_DB_SMALL} TEMPLATE ${TARGET_DB}`);
  const small = await importWithCli('transactions', txSmall, TARGET_DB_SMALL);
  const big = await importWithCli('transactions', txBig, TARGET_DB);
  report({
    bench: 'import.transactions',
    rows: big.records,
    seconds: Number(big.seconds.toFixed(2)),
    rowsPerSecond: big.rowsPerSecond,
    rejected: big.rejected,
    rawCopyRowsPerSecond: Math.round(big.records / rawTx),
    ratioToRawCopy: Number((rawTx / big.seconds).toFixed(3)),
    rawCopyIntoIndexedTableRowsPerSecond: Math.round(big.records / rawTxIndexed),
    ratioToRawCopyIntoIndexedTable: Number((rawTxIndexed / big.seconds).toFixed(3)),
    target: { rowsPerSecond: 100_000 },
  });
  report({
    bench: 'import.memory',
    smallRows: small.records,
    smallMaxRssMB: small.maxRssMB,
    bigRows: big.records,
    bigMaxRssMB: big.maxRssMB,
    ratio: Number((big.maxRssMB / small.maxRssMB).toFixed(3)),
    target: { ratio: 1.1 },
  });
  await adminQuery(`DROP DATABASE IF EXISTS ${TARGET_DB_SMALL} WITH (FORCE)`);
}
