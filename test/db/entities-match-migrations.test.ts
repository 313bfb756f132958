import 'reflect-metadata';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Column, DataSource, Entity, PrimaryGeneratedColumn, type EntityMetadata } from 'typeorm';
import { createTestDb, type TestDb } from '../support/databases.js';

/*
 * The entities (src/schema/*.entity.ts) must describe exactly what the migrations create: TypeORM
 * builds its INSERTs and SELECTs from the entities while only the migrations shape the database, so
 * a column present in one and not the other breaks at run time, on the first write that touches it.
 * Every difference is listed as one line naming the table, the column and both sides.
 */

type ColumnMetadata = EntityMetadata['columns'][number];

/** TypeORM's column types, as PostgreSQL's information_schema spells them (data_type, udt_name). */
const PG_TYPES: Record<string, { dataType: string; udt: string }> = {
  text: { dataType: 'text', udt: 'text' },
  'character varying': { dataType: 'character varying', udt: 'varchar' },
  varchar: { dataType: 'character varying', udt: 'varchar' },
  bigint: { dataType: 'bigint', udt: 'int8' },
  int8: { dataType: 'bigint', udt: 'int8' },
  integer: { dataType: 'integer', udt: 'int4' },
  int: { dataType: 'integer', udt: 'int4' },
  int4: { dataType: 'integer', udt: 'int4' },
  smallint: { dataType: 'smallint', udt: 'int2' },
  int2: { dataType: 'smallint', udt: 'int2' },
  boolean: { dataType: 'boolean', udt: 'bool' },
  bool: { dataType: 'boolean', udt: 'bool' },
  numeric: { dataType: 'numeric', udt: 'numeric' },
  decimal: { dataType: 'numeric', udt: 'numeric' },
  jsonb: { dataType: 'jsonb', udt: 'jsonb' },
  date: { dataType: 'date', udt: 'date' },
  timestamptz: { dataType: 'timestamp with time zone', udt: 'timestamptz' },
  'timestamp with time zone': { dataType: 'timestamp with time zone', udt: 'timestamptz' },
  uuid: { dataType: 'uuid', udt: 'uuid' },
  bytea: { dataType: 'bytea', udt: 'bytea' },
};

/** One row of information_schema.columns, with the primary-key flag joined in. */
interface DbColumn {
  table: string;
  column: string;
  dataType: string;
  udtName: string;
  isNullable: boolean;
  columnDefault: string | null;
  identityGeneration: string | null;
  numericPrecision: number | null;
  numericScale: number | null;
  isPrimary: boolean;
}

interface Catalog {
  tables: Set<string>;
  columns: Map<string, Map<string, DbColumn>>;
}

/** The public schema as the migrations left it: tables (and views) and their columns. */
async function readCatalog(pool: pg.Pool): Promise<Catalog> {
  const tables = await pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
  );
  const columns = await pool.query<DbColumn>(`
    SELECT c.table_name AS "table", c.column_name AS "column", c.data_type AS "dataType", c.udt_name AS "udtName",
           c.is_nullable = 'YES' AS "isNullable", c.column_default AS "columnDefault",
           CASE WHEN c.is_identity = 'YES' THEN c.identity_generation END AS "identityGeneration",
           c.numeric_precision AS "numericPrecision", c.numeric_scale AS "numericScale",
           EXISTS (
             SELECT 1
             FROM information_schema.table_constraints tc
             JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name)
             WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = c.table_schema
               AND tc.table_name = c.table_name AND k.column_name = c.column_name
           ) AS "isPrimary"
    FROM information_schema.columns c
    WHERE c.table_schema = 'public'
    ORDER BY c.table_name, c.ordinal_position`);
  const byTable = new Map<string, Map<string, DbColumn>>();
  for (const row of columns.rows) {
    if (!byTable.has(row.table)) byTable.set(row.table, new Map());
    byTable.get(row.table)!.set(row.column, row);
  }
  return { tables: new Set(tables.rows.map((r) => r.table_name)), columns: byTable };
}

/** The PostgreSQL type an entity column declares, or null when this test does not know it. */
function expectedType(dataSource: DataSource, column: ColumnMetadata): { dataType: string; udt: string; label: string } | null {
  // An undeclared type (`@Column() name: string`) reaches TypeORM as a JS constructor; normalise it
  // the way TypeORM itself would when writing DDL.
  const name = typeof column.type === 'string' ? column.type : dataSource.driver.normalizeType(column);
  const base = PG_TYPES[name];
  if (!base) return null;
  if (column.isArray) return { dataType: 'ARRAY', udt: `_${base.udt}`, label: `${name}[]` };
  return { ...base, label: name };
}

function describeDbType(c: DbColumn): string {
  if (c.dataType === 'ARRAY') return `ARRAY of ${c.udtName.replace(/^_/, '')}`;
  if (c.dataType === 'numeric' && c.numericPrecision !== null) return `numeric(${c.numericPrecision}, ${c.numericScale})`;
  return c.dataType;
}

/** How one entity column and its database column differ (empty when they agree). */
function columnDifferences(dataSource: DataSource, table: string, column: ColumnMetadata, dbColumn: DbColumn): string[] {
  const where = `${table}.${column.databaseName}`;
  const out: string[] = [];

  const type = expectedType(dataSource, column);
  if (!type) {
    out.push(`${where}: entity type '${String(column.type)}' is not in this test's type map (add it to PG_TYPES)`);
  } else if (type.dataType !== dbColumn.dataType || (type.dataType === 'ARRAY' && type.udt !== dbColumn.udtName)) {
    out.push(`${where}: entity type is ${type.label}, database type is ${describeDbType(dbColumn)}`);
  } else if (type.dataType === 'numeric') {
    const entity = `numeric(${column.precision ?? '-'}, ${column.scale ?? '-'})`;
    const db = `numeric(${dbColumn.numericPrecision ?? '-'}, ${dbColumn.numericScale ?? '-'})`;
    if (entity !== db) out.push(`${where}: entity type is ${entity}, database type is ${db}`);
  }

  // Primary and generated columns are NOT NULL whatever `nullable` says.
  const entityNullable = column.isNullable && !column.isPrimary && !column.isGenerated;
  if (entityNullable !== dbColumn.isNullable) {
    out.push(
      `${where}: entity says ${entityNullable ? 'nullable' : 'NOT NULL'}, database says ${dbColumn.isNullable ? 'nullable' : 'NOT NULL'}`,
    );
  }

  if (column.isPrimary !== dbColumn.isPrimary) {
    out.push(`${where}: entity says ${column.isPrimary ? '' : 'not '}part of the primary key, database says ${dbColumn.isPrimary ? '' : 'not '}part of it`);
  }

  // How a value appears when an insert leaves the column out. TypeORM omits generated columns and
  // sends DEFAULT for columns with a declared default, so the database must produce the value.
  const strategy = column.isGenerated ? String(column.generationStrategy) : null;
  if (strategy === 'identity') {
    const wanted = column.generatedIdentity ?? 'BY DEFAULT';
    if (dbColumn.identityGeneration !== wanted) {
      out.push(`${where}: entity says GENERATED ${wanted} AS IDENTITY, database says ${dbColumn.identityGeneration ? `GENERATED ${dbColumn.identityGeneration} AS IDENTITY` : 'not an identity column'}`);
    }
  } else if (dbColumn.identityGeneration !== null) {
    out.push(`${where}: database column is GENERATED ${dbColumn.identityGeneration} AS IDENTITY, entity does not declare it generated ('identity')`);
  }
  if (strategy === 'increment' && !dbColumn.columnDefault?.startsWith('nextval(')) {
    out.push(`${where}: entity says generated by a sequence (increment), database default is ${dbColumn.columnDefault ?? 'none'}`);
  }
  if (strategy === 'uuid' && dbColumn.columnDefault === null) {
    out.push(`${where}: entity says a generated uuid, database has no default to generate it`);
  }
  if (strategy === null) {
    const entityDefault = column.default !== undefined;
    const dbDefault = dbColumn.columnDefault !== null;
    if (entityDefault && !dbDefault) out.push(`${where}: entity declares a default, database column has none`);
    if (!entityDefault && dbDefault) out.push(`${where}: database default is ${dbColumn.columnDefault}, entity declares no default`);
  }
  return out;
}

/**
 * Every difference between the entities and the database, one line each: tables missing on either
 * side, columns missing on either side, and per-column type, nullability, primary key and default.
 */
function schemaDifferences(dataSource: DataSource, catalog: Catalog): string[] {
  const out: string[] = [];
  const entityTables = new Set<string>();
  for (const metadata of dataSource.entityMetadatas) {
    const table = metadata.tableName;
    entityTables.add(table);
    if (!catalog.tables.has(table)) {
      out.push(`${table}: entity ${metadata.name} maps to this table, no migration creates it`);
      continue;
    }
    const dbColumns = catalog.columns.get(table) ?? new Map<string, DbColumn>();
    const declared = new Set<string>();
    for (const column of metadata.columns) {
      declared.add(column.databaseName);
      const dbColumn = dbColumns.get(column.databaseName);
      if (!dbColumn) {
        out.push(`${table}.${column.databaseName}: entity ${metadata.name}.${column.propertyName} declares it, the table has no such column`);
        continue;
      }
      out.push(...columnDifferences(dataSource, table, column, dbColumn));
    }
    for (const [name, dbColumn] of dbColumns) {
      if (!declared.has(name)) out.push(`${table}.${name}: database column (${describeDbType(dbColumn)}) is not declared by entity ${metadata.name}`);
    }
  }
  for (const table of catalog.tables) {
    if (table !== 'migrations' && !entityTables.has(table)) out.push(`${table}: table created by the migrations has no entity`);
  }
  return out.sort();
}

describe('entities and migrations', () => {
  let db: TestDb;

  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(async () => {
    await db?.drop();
  });

  test('every entity matches the table the migrations create, column for column', async () => {
    const catalog = await readCatalog(db.pool);
    // Guards against a vacuous pass: the comparison below walks these.
    expect(db.dataSource.entityMetadatas.map((m) => m.tableName).sort()).toEqual(
      [...catalog.tables].filter((t) => t !== 'migrations').sort(),
    );
    expect(schemaDifferences(db.dataSource, catalog)).toEqual([]);
  });

  test('drift on the database side is reported by table, column and kind', async () => {
    const drifted = await createTestDb();
    try {
      await drifted.pool.query(`
        ALTER TABLE customers ADD COLUMN nickname text;
        ALTER TABLE customers ALTER COLUMN email SET NOT NULL;
        ALTER TABLE customers ALTER COLUMN loyalty_points TYPE bigint;
        ALTER TABLE transactions ALTER COLUMN amount TYPE numeric(16, 4);
        ALTER TABLE api_keys DROP COLUMN revoked_at;
        ALTER TABLE customer_events ALTER COLUMN created_at DROP DEFAULT;
        CREATE TABLE drift_probes (id bigint PRIMARY KEY)`);
      expect(schemaDifferences(drifted.dataSource, await readCatalog(drifted.pool))).toEqual([
        'api_keys.revoked_at: entity ApiKey.revokedAt declares it, the table has no such column',
        'customer_events.created_at: entity declares a default, database column has none',
        'customers.email: entity says nullable, database says NOT NULL',
        'customers.loyalty_points: entity type is integer, database type is bigint',
        'customers.nickname: database column (text) is not declared by entity Customer',
        'drift_probes: table created by the migrations has no entity',
        'transactions.amount: entity type is numeric(14, 2), database type is numeric(16, 4)',
      ]);
    } finally {
      await drifted.drop();
    }
  });

  test('drift on the entity side is reported by table, column and kind', async () => {
    // Stand-ins for entities edited without a migration, checked against the real migrated schema.
    @Entity('customers')
    class CustomerWithExtras {
      @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
      id: string;

      @Column({ name: 'external_id', type: 'text', nullable: true })
      externalId: string | null;

      @Column({ type: 'text', array: true, nullable: true })
      devices: string[] | null;

      @Column({ type: 'integer', array: true, nullable: true })
      platforms: number[] | null;

      @Column({ type: 'text', nullable: true })
      nickname: string | null;
    }

    @Entity('drift_probes')
    class DriftProbe {
      @PrimaryGeneratedColumn('uuid')
      id: string;
    }

    const probe = new DataSource({ type: 'postgres', url: db.url, entities: [CustomerWithExtras, DriftProbe], synchronize: false, logging: false });
    await probe.initialize();
    try {
      const differences = schemaDifferences(probe, await readCatalog(db.pool));
      // The probe leaves out most columns and tables on purpose; those lines are checked by sample.
      expect(differences).toContain('customers.email: database column (text) is not declared by entity CustomerWithExtras');
      expect(differences).toContain('transactions: table created by the migrations has no entity');
      expect(differences.filter((d) => /^(customers|drift_probes)[.:]/.test(d) && !d.includes('is not declared by entity'))).toEqual([
        'customers.external_id: entity says nullable, database says NOT NULL',
        'customers.nickname: entity CustomerWithExtras.nickname declares it, the table has no such column',
        'customers.platforms: entity type is integer[], database type is ARRAY of text',
        'drift_probes: entity DriftProbe maps to this table, no migration creates it',
      ]);
    } finally {
      await probe.destroy();
    }
  });
});
