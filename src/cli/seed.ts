import 'reflect-metadata';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { ConfigError, loadConfig } from '../config.js';
import { closeDatabase, openDatabase, type Db } from '../db/database.js';
import { DomainError } from '../errors.js';
import { parseInstant, parseLocalDate } from '../ingestion/field-checks.js';
import { DEFAULT_EVENTS_PER_CUSTOMER, DEFAULT_TRANSACTIONS_PER_CUSTOMER, generateBase, type SeedCounts } from '../seed/generate-base.js';
import { ServiceUnavailableError } from '../service-errors.js';

const USAGE = `usage: node dist/src/cli/seed.js [--customers N] [--seed S] [--transactions N] [--events N] [--now ISO] [--reset]

Writes a deterministic demo base (same --seed and --now, same rows) into DATABASE_URL, creating and
migrating the database when missing.
  --customers N     customers to create (default 10000)
  --seed S          0..2147483647, also part of the external ids c-S-n, t-S-n, e-S-n (default 1)
  --transactions N  total transactions (default ${DEFAULT_TRANSACTIONS_PER_CUSTOMER} per customer)
  --events N        total behavioural events (default ${DEFAULT_EVENTS_PER_CUSTOMER} per customer)
  --now ISO         reference instant, YYYY-MM-DD or an ISO date-time with offset (default today 00:00 UTC)
  --reset           empty customers (and all their data) and the attribute catalogue first
Prints a progress bar on stderr and one JSON summary line on stdout.`;

function fail(message: string): never {
  process.stderr.write(`seed: ${message}\n`);
  process.exit(1);
}

function count(value: string | undefined, name: string, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  if (!/^\d{1,10}$/.test(value)) fail(`--${name} must be a whole number, got "${value}"`);
  return Number(value);
}

function parseNow(value: string | undefined): Date {
  if (value === undefined) {
    const today = new Date();
    return new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()));
  }
  const day = parseLocalDate(value);
  const at = day ? new Date(`${day}T00:00:00Z`) : parseInstant(value);
  if (!at) fail(`--now must be YYYY-MM-DD or an ISO 8601 date-time with an offset, got "${value}"`);
  return at;
}

/** `seed` CLI: parses flags, opens (and migrates) the database, runs `generateBase` with a progress bar. */
async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        customers: { type: 'string' },
        seed: { type: 'string' },
        transactions: { type: 'string' },
        events: { type: 'string' },
        now: { type: 'string' },
        reset: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    fail(`${(err as Error).message}\n${USAGE}`);
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const customers = count(args.customers, 'customers', 10_000)!;
  const seed = count(args.seed, 'seed', 1)!;
  if (seed > 2_147_483_647) fail('--seed must be at most 2147483647');
  const transactions = count(args.transactions, 'transactions', undefined);
  const events = count(args.events, 'events', undefined);
  const now = parseNow(args.now);

  let db: Db | undefined;
  const bar = new cliProgress.SingleBar(
    {
      format: 'seeding {bar} {percentage}% | {value}/{total} rows | {duration_formatted} elapsed, ~{eta_formatted} left | customers {customers} transactions {transactions} events {events}',
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  try {
    const config = loadConfig();
    db = await openDatabase({ config, migrate: true, applicationName: 'cible-seed' });
    const total = customers + (transactions ?? customers * DEFAULT_TRANSACTIONS_PER_CUSTOMER) + (events ?? customers * DEFAULT_EVENTS_PER_CUSTOMER);
    bar.start(total, 0, { customers: 0, transactions: 0, events: 0 });
    const summary = await generateBase({
      db,
      customers,
      transactions,
      events,
      seed,
      now,
      reset: args.reset,
      onProgress: (c: Readonly<SeedCounts>) => bar.update(c.customers + c.transactions + c.events, { customers: c.customers, transactions: c.transactions, events: c.events }),
    });
    bar.update(total);
    bar.stop();
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } catch (err) {
    bar.stop();
    if (err instanceof ConfigError || err instanceof ServiceUnavailableError || err instanceof DomainError || err instanceof RangeError) fail(err.message);
    throw err;
  } finally {
    if (db) await closeDatabase(db);
  }
}

await main();
