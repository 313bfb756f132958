import 'reflect-metadata';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { closeDatabase, openDatabase, type Db } from '../db/database.js';
import { DomainError } from '../errors.js';
import { ServiceUnavailableError } from '../service-errors.js';

/** Prints one line on stderr and exits 1: the CLIs never show a stack trace for expected failures. */
export function fail(message: string): never {
  process.stderr.write(`cible: ${message}\n`);
  process.exit(1);
}

/**
 * Runs a CLI command with a migrated database: loads the config, connects (creating the database
 * and applying pending migrations), runs `fn`, closes. Expected failures print one line.
 */
export async function withDatabase(fn: (ctx: { config: Config; db: Db }) => Promise<void>): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  let db: Db;
  try {
    db = await openDatabase({ config, migrate: true, applicationName: 'cible-cli' });
  } catch (err) {
    if (err instanceof ServiceUnavailableError) fail(err.message);
    throw err;
  }
  try {
    await fn({ config, db });
  } catch (err) {
    await closeDatabase(db).catch(() => undefined);
    // Expected failures (bad input, a service down) are one line; a bug keeps its stack trace.
    if (err instanceof DomainError || err instanceof ServiceUnavailableError) fail(err.message);
    throw err;
  }
  await closeDatabase(db);
}
