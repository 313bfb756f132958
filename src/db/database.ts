import pg from 'pg';
import { DataSource } from 'typeorm';
import type { Config } from '../config.js';
import { redactUrl } from '../config.js';
import { entities } from '../schema/entities.js';
import { migrations } from '../../migrations/index.js';
import { ServiceUnavailableError } from '../service-errors.js';

// DATE columns stay 'YYYY-MM-DD' strings: turning them into JS Dates at local midnight shifts birthdays.
pg.types.setTypeParser(pg.types.builtins.DATE, (v: string) => v);

/** The database handle: TypeORM for entities and migrations, its pg pool for hand-written SQL. */
export interface Db {
  dataSource: DataSource;
  pool: pg.Pool;
}

/** Arbitrary constant naming Cible's migration lock among PostgreSQL advisory locks. */
const MIGRATION_LOCK_KEY = 7_248_110_001;

const PG_HINT = 'start it (`docker compose up -d postgres`, or your system service) or set DATABASE_URL';

/**
 * Connects to PostgreSQL, creating the database when it is missing (if allowed), and optionally runs
 * pending migrations under an advisory lock so that several processes starting at once do not race.
 * Connection failures become a `ServiceUnavailableError` with one clear line.
 */
export async function openDatabase(options: {
  config: Pick<Config, 'databaseUrl' | 'databasePoolSize' | 'databaseCreateIfMissing'>;
  migrate?: boolean;
  applicationName?: string;
}): Promise<Db> {
  const { config } = options;
  if (config.databaseCreateIfMissing) await ensureDatabaseExists(config.databaseUrl);
  const dataSource = new DataSource({
    type: 'postgres',
    url: config.databaseUrl,
    entities,
    migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    // Migrations own the schema, extensions included (ids use the built-in gen_random_uuid()).
    installExtensions: false,
    logging: false,
    poolSize: config.databasePoolSize,
    applicationName: options.applicationName ?? 'cible',
    connectTimeoutMS: 5000,
    // UTC sessions: timestamps come back as `...+00`, which the API's read path turns into ISO text
    // without building Dates (see pgTimestampToIso).
    extra: { idleTimeoutMillis: 30_000, options: '-c TimeZone=UTC' },
  });
  try {
    await dataSource.initialize();
  } catch (err) {
    throw pgUnavailable(config.databaseUrl, err);
  }
  const db: Db = { dataSource, pool: (dataSource.driver as unknown as { master: pg.Pool }).master };
  if (options.migrate) await migrateDatabase(db);
  return db;
}

/** Runs pending migrations, one process at a time (session-level advisory lock). Returns their names. */
export async function migrateDatabase(db: Db): Promise<string[]> {
  const lock = await db.pool.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const ran = await db.dataSource.runMigrations({ transaction: 'each' });
    return ran.map((m) => m.name);
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    lock.release();
  }
}

/** Closes the pool (through TypeORM); safe to call on a handle that is already closed. */
export async function closeDatabase(db: Db): Promise<void> {
  if (db.dataSource.isInitialized) await db.dataSource.destroy();
}

/** Creates the database named in `url` when it does not exist (connecting to the `postgres` database). */
export async function ensureDatabaseExists(url: string): Promise<boolean> {
  const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await probe.connect();
    return false;
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw pgUnavailable(url, err);
  } finally {
    await probe.end().catch(() => undefined);
  }
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    return true;
  } catch (err) {
    // Created meanwhile by another process starting at the same time: 42P04, or 23505 when both
    // inserted into pg_database at once.
    const code = (err as { code?: string }).code;
    if (code === '42P04' || code === '23505') return false;
    throw pgUnavailable(url, err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function pgUnavailable(url: string, err: unknown): ServiceUnavailableError {
  const e = err as { code?: string; message?: string };
  const why = e.code && /^[A-Z]+$/.test(e.code) ? e.code : (e.message ?? String(err));
  return new ServiceUnavailableError('PostgreSQL', redactUrl(url), why, PG_HINT);
}
