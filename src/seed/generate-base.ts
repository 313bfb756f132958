import type pg from 'pg';
import type { Db } from '../db/database.js';
import { conflict } from '../errors.js';
import { canSkipForeignKeyChecks, deferIndexes, deferred, reserveCustomerIds, streamCopy } from './bulk-load.js';
import { consentLane } from './consents-lane.js';
import { CoreProfile } from './customer-core.js';
import { customersLane } from './customers-lane.js';
import { eventsLane } from './events-lane.js';
import type { Lane, Plan, SeedCounts } from './lane.types.js';
import { Random } from './random.js';
import { ensureAttributeDefinitions } from './seed-attributes.js';
import { transactionsLane } from './transactions-lane.js';

export type { SeedCounts } from './lane.types.js';
export { SEED_ATTRIBUTE_DEFINITIONS, type SeedAttributeDefinition } from './seed-attributes.js';

/**
 * Deterministic demo and benchmark base: customers with every kind of data the brief lists, their
 * consents and consent history, a skewed purchase history and behavioural events.
 *
 * How it stays fast and deterministic:
 * - Every customer draws from its own PRNG streams, seeded by (seed, customer number, stream). Lanes
 *   (customers, consents, consent history, transactions, events) therefore regenerate the few
 *   "core" facts they share instead of passing rows to each other, and the output does not depend on
 *   how the lanes interleave.
 * - Each lane is one connection streaming one `COPY` in one transaction, all five at once, so Node
 *   generation and PostgreSQL ingestion overlap; empty tables get their indexes built after the load
 *   (see generateBase for the measurements and the commit order).
 * - Customer ids are a block reserved up front on the identity sequence and written explicitly (COPY
 *   writes identity values as given, like `OVERRIDING SYSTEM VALUE`), so facts reference customers
 *   without reading ids back.
 * - Transaction and event counts are exact: a first pass sums every customer's weight, then counts are
 *   handed out by systematic rounding of the cumulative share.
 * - Timestamps are written at whole seconds and created_at/updated_at/recorded_at are derived from the
 *   data, never now(): same seed and `now`, same bytes (measured by the tests with md5 per table).
 */

/** Stage of a seed run, for progress displays. */
export type SeedStage = 'loading' | 'indexing' | 'analyzing';

/** Options of {@link generateBase}. */
export interface GenerateBaseOptions {
  db: Db;
  customers: number;
  /** Total transactions (default: 10 per customer). */
  transactions?: number;
  /** Total events (default: 5 per customer). */
  events?: number;
  /** Same seed and `now`, same rows, byte for byte. External ids embed it: `c-<seed>-<n>`. */
  seed: number;
  /** Reference instant: transactions fall in the 2 years before it, events in the year before it. */
  now: Date;
  /** Empty the seeded tables (customers, consents, facts, CASCADE to anything else) and the catalogue first. */
  reset?: boolean;
  /** Called as rows are produced (every 16,384 rows of a table) and when the stage changes. */
  onProgress?: (counts: Readonly<SeedCounts>, stage: SeedStage) => void;
}

/** What {@link generateBase} wrote and how. */
export interface SeedSummary extends SeedCounts {
  attributeDefinitions: number;
  seed: number;
  now: string;
  /** Customer ids written: `firstId..firstId + customers - 1`. */
  firstId: number;
  /** Tables that were empty, so their indexes were built once after the load. */
  bulkLoadedTables: string[];
  /** True when foreign keys were not checked row by row (see generateBase). */
  skippedForeignKeyChecks: boolean;
  seconds: number;
}

/** Transactions per customer when the total is not given. */
export const DEFAULT_TRANSACTIONS_PER_CUSTOMER = 10;
/** Events per customer when the total is not given. */
export const DEFAULT_EVENTS_PER_CUSTOMER = 5;
/** Largest count accepted for customers, transactions or events. */
const MAX_ROWS = 2_000_000_000;
/** The seeded tables, in the order of their lanes; the summary lists bulk-loaded tables in this order. */
const SEED_TABLES = ['customers', 'customer_consents', 'consent_changes', 'transactions', 'customer_events'];
/** One lane (connection, transaction, COPY) per seeded table. */
const LANES = SEED_TABLES.length;

function checkCount(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0 || v > MAX_ROWS) throw new RangeError(`${name} must be a whole number from 0 to ${MAX_ROWS}`);
}

/**
 * Writes a deterministic, realistic customer base: attribute catalogue, customers, consents with their
 * history, transactions and events, then VACUUMs and ANALYZEs the tables. Refuses (CONFLICT) when rows of the same
 * seed exist, unless `reset`.
 *
 * Each table is loaded by its own connection in one transaction (one COPY), all in parallel:
 * - An empty table is bulk loaded: its indexes and key constraints are dropped and rebuilt after the
 *   COPY inside the same transaction (a crash rolls the drop back too). Measured on 1M transactions:
 *   24.8 s with indexes and foreign key maintained row by row, 6.1 s this way.
 *   Other sessions wait on those tables until the seed commits: seed a base nobody is using.
 * - Fact lanes skip per-row foreign key checks with `session_replication_role = replica` (what
 *   pg_restore does) when the role may set it and no user trigger would be skipped with them. The ids
 *   are correct by construction, and the customers lane commits only once every fact lane is ready to,
 *   so a failure anywhere rolls every table back. Otherwise fact lanes start after customers commit,
 *   and a failure in one of them leaves the customers written: rerun with `reset`.
 */
export async function generateBase(options: GenerateBaseOptions): Promise<SeedSummary> {
  const started = performance.now();
  const { db, seed, customers } = options;
  const transactions = options.transactions ?? customers * DEFAULT_TRANSACTIONS_PER_CUSTOMER;
  const events = options.events ?? customers * DEFAULT_EVENTS_PER_CUSTOMER;
  checkCount('customers', customers);
  checkCount('transactions', transactions);
  checkCount('events', events);
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 2_147_483_647) throw new RangeError('seed must be a whole number from 0 to 2147483647');
  const nowMs = options.now.getTime();
  if (!Number.isFinite(nowMs)) throw new RangeError('now must be a valid date');

  // The fact tables are named: they carry no foreign key to customers, so CASCADE alone misses them.
  if (options.reset) await db.pool.query(`TRUNCATE attribute_definitions, ${SEED_TABLES.join(', ')} RESTART IDENTITY CASCADE`);
  else await refuseExistingSeed(db, seed);
  const attributeDefinitions = await ensureAttributeDefinitions(db, options.now);

  // First pass: the weight sums that make the counts exact (well under a microsecond per customer).
  const core = new CoreProfile();
  const r = new Random();
  let txWeightSum = 0;
  let buyers = 0;
  let eventWeightSum = 0;
  let eventPositive = 0;
  for (let n = 1; n <= customers; n++) {
    core.fill(r, seed, n, nowMs);
    if (core.txWeight > 0) {
      txWeightSum += core.txWeight;
      buyers++;
    }
    if (core.eventWeight > 0) {
      eventWeightSum += core.eventWeight;
      eventPositive++;
    }
  }
  if (transactions > 0 && buyers === 0) throw new RangeError('no customer of this base can buy: add customers or ask for 0 transactions');
  if (events > 0 && eventPositive === 0) throw new RangeError('no customer of this base can have events: add customers or ask for 0 events');

  const skipFkChecks = await canSkipForeignKeyChecks(db, SEED_TABLES);
  const idBase = await reserveCustomerIds(db, customers);
  const plan: Plan = { seed, nowMs, customers, transactions, events, idBase, txWeightSum, buyers, eventWeightSum, eventPositive };
  const counts: SeedCounts = { customers: 0, consents: 0, consentChanges: 0, transactions: 0, events: 0 };
  const report = options.onProgress ?? (() => undefined);
  let copying = LANES;
  const stage = (): SeedStage => (copying > 0 ? 'loading' : 'indexing');
  const bulkLoadedTables: string[] = [];

  const count = (lane: Lane, rows: number) => {
    counts[lane.counter] += rows;
    report(counts, stage());
  };

  const customersCommitted = deferred();
  const factsReady: Promise<void>[] = [];
  const runLane = async (lane: Lane, isFact: boolean): Promise<void> => {
    const ready = deferred();
    if (isFact) factsReady.push(ready.promise);
    let client: pg.PoolClient | null = null;
    try {
      if (isFact && !skipFkChecks) await customersCommitted.promise;
      client = await db.pool.connect();
      await client.query('BEGIN');
      // Index builds sort in memory up to this (per lane; 64 MB by default spills a 10M-row sort).
      await client.query(`SET LOCAL maintenance_work_mem = '256MB'`);
      if (isFact && skipFkChecks) await client.query(`SET LOCAL session_replication_role = replica`);
      const rebuild = await deferIndexes(client, lane.table);
      if (rebuild) bulkLoadedTables.push(lane.table);
      await streamCopy(client, lane.table, lane.columns, lane.lines(1, customers), (rows) => count(lane, rows));
      copying--;
      report(counts, stage());
      for (const statement of rebuild ?? []) await client.query(statement);
      ready.resolve();
      if (!isFact && skipFkChecks) await Promise.all(factsReady);
      if (isFact) await customersCommitted.promise;
      await client.query('COMMIT');
      if (!isFact) customersCommitted.resolve();
    } catch (err) {
      ready.reject(err);
      if (!isFact) customersCommitted.reject(err);
      await client?.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client?.release();
    }
  };

  const lanes = [
    runLane(customersLane(plan), false),
    runLane(consentLane(plan, false), true),
    runLane(consentLane(plan, true), true),
    runLane(transactionsLane(plan), true),
    runLane(eventsLane(plan), true),
  ];
  const results = await Promise.allSettled(lanes);
  const failed = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (failed) throw failed.reason;

  // VACUUM as well: a bulk-loaded table has no visibility map or hint bits yet, and the first reads
  // (index-only scans, every count) would pay for them; autovacuum would do it later in production.
  report(counts, 'analyzing');
  await db.pool.query(`VACUUM (ANALYZE) attribute_definitions, ${SEED_TABLES.join(', ')}`);
  return {
    ...counts,
    attributeDefinitions,
    seed,
    now: options.now.toISOString(),
    firstId: idBase + 1,
    bulkLoadedTables: SEED_TABLES.filter((t) => bulkLoadedTables.includes(t)),
    skippedForeignKeyChecks: skipFkChecks,
    seconds: Math.round((performance.now() - started) / 10) / 100,
  };
}

/**
 * Refuses a seed whose external ids are already taken, before anything is written. LIKE cannot use the
 * btree under a non-C collation: one sequential scan per table, once per run.
 */
async function refuseExistingSeed(db: Db, seed: number): Promise<void> {
  for (const [table, kind] of [['customers', 'c'], ['transactions', 't'], ['customer_events', 'e']] as const) {
    const prefix = `${kind}-${seed}-`;
    const { rows } = await db.pool.query(`SELECT 1 FROM ${table} WHERE external_id LIKE $1 LIMIT 1`, [`${prefix}%`]);
    if (rows.length > 0)
      throw conflict('seed', 'SEED_EXISTS', `${table} already holds rows of seed ${seed} (external ids "${prefix}*"): choose another --seed, or --reset to start from an empty base`);
  }
}

