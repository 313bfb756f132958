import 'reflect-metadata';
import pg from 'pg';
import { closeDatabase, openDatabase } from '../../src/db/database.js';
import { adminQuery, serverUrl, TEMPLATE_DB } from './databases.js';

/**
 * Builds the template database once per run by applying the real migrations; every test file then
 * clones it. Also drops databases left behind by an interrupted earlier run.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const admin = new pg.Client({ connectionString: serverUrl('postgres') });
  await admin.connect();
  const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'cible\\_test\\_%'`);
  for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
  await admin.end();

  await adminQuery(`CREATE DATABASE ${TEMPLATE_DB}`);
  const db = await openDatabase({
    config: { databaseUrl: serverUrl(TEMPLATE_DB), databasePoolSize: 2, databaseCreateIfMissing: false },
    migrate: true,
  });
  await closeDatabase(db);
  return async () => {
    await adminQuery(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
  };
}
