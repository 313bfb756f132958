import type pg from 'pg';
import { copyRows } from '../db/copy.js';
import { loadSql, loadSqlQueries } from '../db/sql.js';
import type { RowError } from '../errors.js';
import { CUSTOMER_FIELDS, type ConsentPatch, type CustomerPatch } from './customer-row.js';
import { EVENT_COLUMNS, TRANSACTION_COLUMNS, type FactRow } from './fact-rows.js';

const STAGING = loadSql(import.meta.url, 'sql/staging.sql');
const CUSTOMERS = loadSqlQueries(import.meta.url, 'sql/merge-customers.sql', [
  'reject_erased',
  'insert_new',
  'update_existing',
  'apply_consents',
] as const);
const FACTS = loadSqlQueries(import.meta.url, 'sql/merge-facts.sql', [
  'reject_transactions',
  'upsert_transactions',
  'reject_events',
  'upsert_events',
] as const);

/** Staged rows above this count get an ANALYZE so the planner sees their real size (temp tables are never auto-analysed). */
const ANALYZE_ABOVE = 2_000;

const staged = new WeakSet<object>();
async function ensureStaging(client: pg.ClientBase): Promise<void> {
  if (staged.has(client)) return;
  await client.query(STAGING);
  staged.add(client);
}

/** What one merge did. Rows refused by the database (erased or unknown customer) are in `rejected`. */
export interface MergeOutcome {
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: RowError[];
}

const CUSTOMER_STAGE_COLUMNS = ['ord', 'external_id', 'present', ...CUSTOMER_FIELDS.map((f) => f.column), 'attributes_set', 'attributes_unset'];

/**
 * Merges validated customer patches (unique external ids) into `customers` and their consents.
 * Must run inside a transaction on `client`; `index` of each patch is reported back in rejections.
 */
export async function mergeCustomerPatches(client: pg.ClientBase, patches: readonly CustomerPatch[], now: Date): Promise<MergeOutcome> {
  if (patches.length === 0) return { inserted: 0, updated: 0, unchanged: 0, rejected: [] };
  await ensureStaging(client);
  await copyRows(
    client as pg.PoolClient,
    'stage_customers',
    CUSTOMER_STAGE_COLUMNS,
    (function* () {
      for (const p of patches) yield [p.index, p.externalId, p.present, ...p.values, p.attributesSet, p.attributesUnset];
    })(),
  );
  if (patches.length > ANALYZE_ABOVE) await client.query('ANALYZE stage_customers');

  const erased = await client.query<{ ord: number }>(CUSTOMERS.reject_erased);
  const rejected: RowError[] = erased.rows.map((r) => ({
    index: r.ord,
    field: 'externalId',
    code: 'ERASED',
    reason: 'this customer was erased and cannot be written again',
  }));
  const inserted = (await client.query(CUSTOMERS.insert_new, [now])).rowCount ?? 0;
  const updated = (await client.query(CUSTOMERS.update_existing, [now])).rowCount ?? 0;
  await applyConsentChanges(
    client,
    patches.flatMap((p) => p.consents.map((consent) => ({ index: p.index, externalId: p.externalId, consent }))),
    now,
  );
  return { inserted, updated, unchanged: patches.length - rejected.length - inserted - updated, rejected };
}

/**
 * Records consent changes for existing customers (by external id): each is kept in the history, and
 * becomes the current consent only when newer than the stored one. Must run inside a transaction.
 */
export async function applyConsentChanges(
  client: pg.ClientBase,
  changes: readonly { index: number; externalId: string; consent: ConsentPatch }[],
  now: Date,
): Promise<void> {
  if (changes.length === 0) return;
  await ensureStaging(client);
  await copyRows(
    client as pg.PoolClient,
    'stage_consents',
    ['ord', 'external_id', 'channel', 'status', 'source', 'changed_at'],
    changes.map(({ index, externalId, consent: c }) => [index, externalId, c.channel, c.status, c.source, c.at]),
  );
  await client.query(CUSTOMERS.apply_consents, [now]);
}

const FACT_KINDS = {
  transactions: {
    stage: 'stage_transactions',
    columns: TRANSACTION_COLUMNS,
    reject: FACTS.reject_transactions,
    upsert: FACTS.upsert_transactions,
  },
  events: { stage: 'stage_events', columns: EVENT_COLUMNS, reject: FACTS.reject_events, upsert: FACTS.upsert_events },
} as const;

export type FactKind = keyof typeof FACT_KINDS;

/** Upserts validated transactions or events (unique external ids). Must run inside a transaction on `client`. */
export async function mergeFactRows(client: pg.ClientBase, kind: FactKind, rows: readonly FactRow[], now: Date): Promise<MergeOutcome> {
  if (rows.length === 0) return { inserted: 0, updated: 0, unchanged: 0, rejected: [] };
  const k = FACT_KINDS[kind];
  await ensureStaging(client);
  await copyRows(
    client as pg.PoolClient,
    k.stage,
    ['ord', 'external_id', 'customer_external_id', ...k.columns],
    (function* () {
      for (const r of rows) yield [r.index, r.externalId, r.customerExternalId, ...r.values];
    })(),
  );
  if (rows.length > ANALYZE_ABOVE) await client.query(`ANALYZE ${k.stage}`);
  const refused = await client.query<{ ord: number; code: 'ERASED' | 'UNKNOWN_CUSTOMER' }>(k.reject);
  const rejected: RowError[] = refused.rows.map((r) => ({
    index: r.ord,
    field: 'customerExternalId',
    code: r.code,
    reason: r.code === 'ERASED' ? 'the customer was erased' : 'no customer has this external id',
  }));
  const written = await client.query<{ inserted: number; updated: number }>(k.upsert, [now]);
  const { inserted, updated } = written.rows[0];
  return { inserted, updated, unchanged: rows.length - rejected.length - inserted - updated, rejected };
}
