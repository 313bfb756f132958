import 'reflect-metadata';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { closeDatabase, migrateDatabase, openDatabase, type Db } from '../../src/db/database.js';
import { adminQuery, createTestDb, serverUrl, testDatabaseName, type TestDb } from '../support/databases.js';

/*
 * The migrations in migrations/index.ts are the whole story of the schema: a migrated database has
 * none pending, and every down() removes what its up() created, so a release can be rolled back.
 */

const MIGRATION_NAMES = migrations.map((M) => new M().name);

/**
 * Everything in the public schema except TypeORM's own `migrations` table (and its sequence, key
 * and index): relations with their columns, constraints, indexes, user types and functions, plus
 * installed extensions. Two databases with equal snapshots have the same schema.
 */
async function schemaSnapshot(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ line: string }>(`
    WITH own AS (
      SELECT c.oid FROM pg_class c
      WHERE c.relnamespace = 'public'::regnamespace
        AND c.oid IS DISTINCT FROM to_regclass('public.migrations')
        AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indexrelid = c.oid AND i.indrelid = to_regclass('public.migrations'))
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                                    AND d.refobjid = to_regclass('public.migrations'))
    )
    SELECT format('relation %s (%s)', c.relname, c.relkind) AS line FROM pg_class c JOIN own USING (oid)
    UNION ALL
    SELECT format('column %s.%s %s%s%s', c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                  CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END,
                  coalesce(' DEFAULT ' || pg_get_expr(ad.adbin, ad.adrelid), '') ||
                  CASE a.attidentity WHEN 'a' THEN ' IDENTITY ALWAYS' WHEN 'd' THEN ' IDENTITY BY DEFAULT' ELSE '' END)
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN own ON own.oid = c.oid
    LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
    WHERE a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT format('constraint %s on %s: %s', con.conname, c.relname, pg_get_constraintdef(con.oid))
    FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN own ON own.oid = c.oid
    UNION ALL
    SELECT format('index %s', pg_get_indexdef(c.oid)) FROM pg_class c JOIN own USING (oid) WHERE c.relkind = 'i'
    UNION ALL
    SELECT format('type %s (%s)', t.typname, t.typtype) FROM pg_type t
    WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd', 'r', 'm')
    UNION ALL
    SELECT format('function %s', p.oid::regprocedure) FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
    UNION ALL
    SELECT format('extension %s', e.extname) FROM pg_extension e WHERE e.extname <> 'plpgsql'
    ORDER BY 1`);
  return rows.map((r) => r.line);
}

async function publicTables(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name);
}

async function appliedMigrations(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(`SELECT name FROM migrations ORDER BY timestamp`);
  return rows.map((r) => r.name);
}

/** An empty database (not cloned from the migrated template), opened the way the service opens one. */
async function openEmptyDatabase(): Promise<Db & { drop(): Promise<void> }> {
  const name = testDatabaseName();
  await adminQuery(`CREATE DATABASE ${name}`);
  const db = await openDatabase({
    config: { databaseUrl: serverUrl(name), databasePoolSize: 2, databaseCreateIfMissing: false },
    applicationName: 'cible-test',
  });
  return {
    ...db,
    async drop() {
      await closeDatabase(db);
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

describe('migrations', () => {
  let empty: Awaited<ReturnType<typeof openEmptyDatabase>>;
  let clone: TestDb;
  // What an empty database holds once Cible has connected, before any migration: TypeORM's
  // driver installs uuid-ossp itself on connect because an entity generates uuids.
  let untouched: string[];

  beforeAll(async () => {
    [empty, clone] = await Promise.all([openEmptyDatabase(), createTestDb()]);
    untouched = await schemaSnapshot(empty.pool);
  });
  afterAll(async () => {
    await Promise.all([empty?.drop(), clone?.drop()]);
  });

  test('migrating an empty database applies every migration and leaves none pending', async () => {
    expect(await empty.dataSource.showMigrations()).toBe(true);
    expect(await migrateDatabase(empty)).toEqual(MIGRATION_NAMES);
    expect(await empty.dataSource.showMigrations()).toBe(false);
    expect(await appliedMigrations(empty.pool)).toEqual(MIGRATION_NAMES);
    // The template every other test clones is built the same way and so looks the same.
    expect(await schemaSnapshot(empty.pool)).toEqual(await schemaSnapshot(clone.pool));
  });

  test('undoing every migration drops what they created, and running them again restores it', async () => {
    const db = clone;
    const migrated = await schemaSnapshot(db.pool);
    expect(await publicTables(db.pool)).toContain('customers');
    expect(await db.dataSource.showMigrations()).toBe(false);

    for (let left = migrations.length - 1; left >= 0; left--) {
      await db.dataSource.undoLastMigration({ transaction: 'each' });
      expect(await appliedMigrations(db.pool)).toEqual(MIGRATION_NAMES.slice(0, left));
    }
    expect(await publicTables(db.pool)).toEqual(['migrations']);
    // Nothing left behind either: no index, sequence, type, function or extension of a migration.
    expect(await schemaSnapshot(db.pool)).toEqual(untouched);
    expect(await db.dataSource.showMigrations()).toBe(true);

    const ran = await db.dataSource.runMigrations({ transaction: 'each' });
    expect(ran.map((m) => m.name)).toEqual(MIGRATION_NAMES);
    expect(await schemaSnapshot(db.pool)).toEqual(migrated);
    expect(await db.dataSource.showMigrations()).toBe(false);
  });
});
