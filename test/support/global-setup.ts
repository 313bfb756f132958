import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { closeDatabase, openDatabase } from '../../src/db/database.js';
import { serverUrl, templateName } from './databases.js';

declare module 'vitest' {
  export interface ProvidedContext {
    testRun: string;
  }
}

/** Databases of runs older than this are leftovers of an interrupted run: dropped at the next start. */
const STALE_AFTER_S = 3 * 3600;

/**
 * Builds this run's template database once by applying the real migrations; every test file then
 * clones it. Names carry the run's start time, so concurrent runs on one server leave each other
 * alone while leftovers of crashed runs are cleaned up later.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const run = `${Math.floor(Date.now() / 1000)}_${randomBytes(3).toString('hex')}`;
  project.provide('testRun', run);

  const admin = new pg.Client({ connectionString: serverUrl('postgres') });
  await admin.connect();
  const dropRun = async (prefix: string) => {
    const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE starts_with(datname, $1)`, [prefix]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
  };
  const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'cible\\_test\\_%'`);
  const now = Date.now() / 1000;
  for (const { datname } of rows) {
    const started = Number(/^cible_test_(\d+)_/.exec(datname)?.[1] ?? 0);
    if (now - started > STALE_AFTER_S) await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
  }

  await admin.query(`CREATE DATABASE ${templateName(run)}`);
  const db = await openDatabase({
    config: { databaseUrl: serverUrl(templateName(run)), databasePoolSize: 2, databaseCreateIfMissing: false },
    migrate: true,
  });
  await closeDatabase(db);
  return async () => {
    await dropRun(`cible_test_${run}_`);
    await admin.end();
  };
}
