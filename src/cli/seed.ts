import 'reflect-metadata';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { parseInstant, parseLocalDate } from '../ingestion/field-checks.js';
import { DEFAULT_EVENTS_PER_CUSTOMER, DEFAULT_TRANSACTIONS_PER_CUSTOMER, generateBase, type SeedCounts, type SeedStage } from '../seed/generate-base.js';
import { fail, withDatabase } from './cli-support.js';

const USAGE = `usage: node dist/src/cli/seed.js [--customers N] [--seed S] [--transactions N] [--events N] [--now ISO] [--reset]

Writes a deterministic demo base (same --seed and --now, same rows) into DATABASE_URL, creating and
migrating the database when missing.
  --customers N     customers to create (default 10000)
  --seed S          0..2147483647, also part of the external ids c-S-n, t-S-n, e-S-n (default 1)
  --transactions N  total transactions (default ${DEFAULT_TRANSACTIONS_PER_CUSTOMER} per customer)
  --events N        total behavioural events (default ${DEFAULT_EVENTS_PER_CUSTOMER} per customer)
  --now ISO         reference instant, YYYY-MM-DD or an ISO date-time with offset (default today 00:00 UTC)
  --reset           empty customers, their consents, transactions and events, and the attribute catalogue first
Prints a progress bar on stderr and one JSON summary line on stdout.`;

function count(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
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

function parseFlags() {
  try {
    return parseArgs({
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
}

const flags = parseFlags();
if (flags.help) {
  process.stdout.write(`${USAGE}\n`);
} else {
  const customers = count(flags.customers, 'customers') ?? 10_000;
  const seed = count(flags.seed, 'seed') ?? 1;
  if (seed > 2_147_483_647) fail('--seed must be at most 2147483647');
  const transactions = count(flags.transactions, 'transactions');
  const events = count(flags.events, 'events');
  const now = parseNow(flags.now);
  const total = customers + (transactions ?? customers * DEFAULT_TRANSACTIONS_PER_CUSTOMER) + (events ?? customers * DEFAULT_EVENTS_PER_CUSTOMER);

  await withDatabase(async ({ db }) => {
    const bar = new cliProgress.SingleBar(
      {
        format: 'seed {bar} {percentage}% | {value}/{total} rows | {duration_formatted} | {stage} | customers {customers}, transactions {transactions}, events {events}',
        hideCursor: true,
        // ETA over the last 200 updates (one per 16,384 rows of a table): steadier than the default 10.
        etaBuffer: 200,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { stage: 'loading', customers: 0, transactions: 0, events: 0 });
    const show = (c: Readonly<SeedCounts>, stage: SeedStage) =>
      bar.update(c.customers + c.transactions + c.events, { stage, customers: c.customers, transactions: c.transactions, events: c.events });
    try {
      const summary = await generateBase({ db, customers, transactions, events, seed, now, reset: flags.reset, onProgress: show });
      bar.stop();
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    } finally {
      bar.stop();
    }
  });
}
