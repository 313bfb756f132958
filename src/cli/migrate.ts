import 'reflect-metadata';
import { loadConfig, redactUrl } from '../config.js';
import { closeDatabase, migrateDatabase, openDatabase } from '../db/database.js';
import { ServiceUnavailableError } from '../service-errors.js';
import { fail } from './cli-support.js';

/** `npm run migrate`: creates the database if missing and applies pending migrations (under the advisory lock). */
const config = loadConfig();
try {
  const db = await openDatabase({ config, applicationName: 'cible-migrate' });
  const ran = await migrateDatabase(db);
  await closeDatabase(db);
  process.stdout.write(ran.length ? `applied ${ran.length} migration(s) to ${redactUrl(config.databaseUrl)}: ${ran.join(', ')}\n` : `${redactUrl(config.databaseUrl)} is up to date\n`);
} catch (err) {
  fail(err instanceof ServiceUnavailableError || err instanceof Error ? err.message : String(err));
}
