import type pg from 'pg';
import { copyRows } from '../db/copy.js';
import { loadSql, loadSqlQueries } from '../db/sql.js';
import { conflict, type RowError } from '../errors.js';
import type { AttributeCatalogue } from './attribute-catalogue.js';
import { CUSTOMER_FIELDS, type ConsentPatch, type CustomerPatch } from './customer-row.js';
import { EVENT_COLUMNS, TRANSACTION_COLUMNS, type FactRow } from './fact-rows.js';

const STAGING = loadSql(import.meta.url, 'sql/staging.sql');
const CUSTOMERS = loadSqlQueries(import.meta.url, 'sql/merge-customers.sql', [
  'resolve',
  'reject_erased',
  'insert_new',
  'resolve_again',
  'update_existing',
  'link_consents',
  'apply_consents',
  'lock_attribute_definitions',
] as const);
const FACTS = loadSqlQueries(import.meta.url, 'sql/merge-facts.sql', ['upsert_transactions', 'upsert_events'] as const);

/**
 * Creates the session's staging tables if missing. Run on every merge (one round trip, ~0.2 ms):
 * remembering it per connection would be wrong, since tables created inside a transaction that
 * later rolls back are gone again.
 */
async function ensureStaging(client: pg.ClientBase): Promise<void> {
  await client.query(STAGING);
}

/** What one merge did. Rows refused by the database (erased or unknown customer) are in `rejected`. */
export interface MergeOutcome {
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: RowError[];
  /** Rows (by index) whose external id an earlier chunk of the same import already wrote. */
  repeated: number[];
  /** Consent changes that became the current consent (customer merges only). */
  consentsApplied: number;
}

export interface MergeOptions {
  /**
   * The catalogue the patches were validated against. Its entries for the attributes being written
   * are locked (FOR SHARE) in the merge's transaction and checked unchanged, so a concurrent
   * defineAttribute cannot change a type under values being written.
   */
  catalogue?: AttributeCatalogue;
  /**
   * True when merging one chunk of a file import: rows written by an earlier chunk of the same
   * import (recognised by `created_at = now`) are then reported in `repeated`, so duplicates are
   * found across a file of any size without keeping its keys in memory.
   */
  isImportChunk?: boolean;
}

const CUSTOMER_STAGE_COLUMNS = ['ord', 'external_id', 'present', ...CUSTOMER_FIELDS.map((f) => f.column), 'attributes_set', 'attributes_unset'];
const CONSENT_STAGE_COLUMNS = ['ord', 'customer_id', 'channel', 'status', 'source', 'changed_at'];

const NONE: MergeOutcome = { inserted: 0, updated: 0, unchanged: 0, rejected: [], repeated: [], consentsApplied: 0 };

/**
 * Merges validated customer patches (unique external ids) into `customers` and their consents.
 * Must run inside a transaction on `client`; each patch's `index` is reported back in rejections.
 */
export async function mergeCustomerPatches(client: pg.ClientBase, patches: readonly CustomerPatch[], now: Date, options: MergeOptions = {}): Promise<MergeOutcome> {
  if (patches.length === 0) return NONE;
  await ensureStaging(client);
  await copyRows(
    client as pg.PoolClient,
    'stage_customers',
    CUSTOMER_STAGE_COLUMNS,
    (function* () {
      for (const p of patches) yield [p.index, p.externalId, p.present, ...p.values, p.attributesSet, p.attributesUnset];
    })(),
  );
  const consents = patches.flatMap((p) => p.consents.map((c) => [p.index, null, c.channel, c.status, c.source, c.at]));
  if (consents.length) await copyRows(client as pg.PoolClient, 'stage_consents', CONSENT_STAGE_COLUMNS, consents);

  if (options.catalogue) await lockAttributeDefinitions(client, patches, options.catalogue);
  const existing = (await client.query(CUSTOMERS.resolve)).rowCount ?? 0;
  const erased = await client.query<{ ord: number }>(CUSTOMERS.reject_erased);
  const rejected: RowError[] = erased.rows.map((r) => ({
    index: r.ord,
    field: 'externalId',
    code: 'ERASED',
    reason: 'this customer was erased and cannot be written again',
  }));
  const inserted = (await client.query(CUSTOMERS.insert_new, [now])).rowCount ?? 0;
  // Fewer inserted than new: a concurrent batch created some of them first; merge into those.
  if (inserted < patches.length - existing) {
    await client.query(CUSTOMERS.resolve_again);
    const late = await client.query<{ ord: number }>(CUSTOMERS.reject_erased);
    for (const r of late.rows) rejected.push({ index: r.ord, field: 'externalId', code: 'ERASED', reason: 'this customer was erased and cannot be written again' });
  }
  const { rows } = await client.query<{ updated: number; repeated: number[] }>(CUSTOMERS.update_existing, [now, options.isImportChunk ?? false]);
  const { updated, repeated } = rows[0];
  let consentsApplied = 0;
  if (consents.length) {
    await client.query(CUSTOMERS.link_consents);
    consentsApplied = (await client.query<{ applied: number }>(CUSTOMERS.apply_consents, [now])).rows[0].applied;
  }
  return { inserted, updated, unchanged: patches.length - rejected.length - inserted - updated - repeated.length, rejected, repeated, consentsApplied };
}

async function lockAttributeDefinitions(client: pg.ClientBase, patches: readonly CustomerPatch[], catalogue: AttributeCatalogue): Promise<void> {
  const keys = new Set<string>();
  for (const p of patches) if (p.attributesSet) for (const k of Object.keys(p.attributesSet)) keys.add(k);
  if (keys.size === 0) return;
  const { rows } = await client.query<{ key: string; type: string }>(CUSTOMERS.lock_attribute_definitions, [[...keys]]);
  const now = new Map(rows.map((r) => [r.key, r.type]));
  for (const key of keys)
    if (now.get(key) !== catalogue.get(key)?.type)
      throw conflict(null, 'CATALOGUE_CHANGED', `attribute "${key}" was redefined or deleted during the write; send the batch again`);
}

/**
 * Records consent changes for customers given by internal id: each is kept in the history, and
 * becomes the current consent only when newer than the stored one. Must run inside a transaction.
 */
export async function applyConsentChanges(client: pg.ClientBase, changes: readonly { customerId: string; consent: ConsentPatch }[], now: Date): Promise<number> {
  if (changes.length === 0) return 0;
  await ensureStaging(client);
  await copyRows(
    client as pg.PoolClient,
    'stage_consents',
    CONSENT_STAGE_COLUMNS,
    changes.map(({ customerId, consent: c }, i) => [i, customerId, c.channel, c.status, c.source, c.at]),
  );
  return (await client.query<{ applied: number }>(CUSTOMERS.apply_consents, [now])).rows[0].applied;
}

const FACT_KINDS = {
  transactions: { stage: 'stage_transactions', columns: TRANSACTION_COLUMNS, upsert: FACTS.upsert_transactions },
  events: { stage: 'stage_events', columns: EVENT_COLUMNS, upsert: FACTS.upsert_events },
} as const;

export type FactKind = keyof typeof FACT_KINDS;

/** Upserts validated transactions or events (unique external ids). Must run inside a transaction on `client`. */
export async function mergeFactRows(client: pg.ClientBase, kind: FactKind, rows: readonly FactRow[], now: Date, options: MergeOptions = {}): Promise<MergeOutcome> {
  if (rows.length === 0) return NONE;
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
  const result = await client.query<{ inserted: number; updated: number; repeated: number[]; refused: { ord: number; code: string }[] }>(k.upsert, [
    now,
    options.isImportChunk ?? false,
  ]);
  const { inserted, updated, repeated, refused } = result.rows[0];
  const rejected: RowError[] = refused.map((r) => ({
    index: r.ord,
    field: 'customerExternalId',
    code: r.code,
    reason: r.code === 'ERASED' ? 'the customer was erased' : 'no customer has this external id',
  }));
  return { inserted, updated, unchanged: rows.length - rejected.length - inserted - updated - repeated.length, rejected, repeated, consentsApplied: 0 };
}
