/**
 * PostgreSQL side of the seed's bulk load: streaming COPY with back-pressure, index deferral on empty
 * tables, the foreign-key-check shortcut and the reservation of customer ids.
 */

import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Db } from '../db/database.js';

/** Characters per COPY write: large enough to amortise a write, small enough to interleave five lanes. */
const COPY_CHUNK_CHARS = 256 * 1024;
/** Rows between two progress reports of a lane. */
const REPORT_EVERY = 16_384;

/**
 * COPYs text lines into `table`, joined into ~256 KB writes. Unlike piping a generator, it waits for
 * 'drain' when PostgreSQL falls behind and otherwise yields to the event loop after every write: five
 * lanes share one thread, and a lane generating in one long microtask chain would leave the others'
 * replies unread (seen: the customers lane idle in transaction for 20 s).
 */
export async function streamCopy(
  client: pg.PoolClient,
  table: string,
  columns: readonly string[],
  lines: Iterable<string>,
  onRows: (rows: number) => void,
): Promise<void> {
  const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  const done = finished(stream);
  done.catch(() => undefined); // awaited below; a failure also surfaces through 'drain' or errored
  let text = '';
  let pending = 0;
  try {
    for (const line of lines) {
      text += line;
      if (text.length >= COPY_CHUNK_CHARS) {
        if (stream.errored) throw stream.errored;
        const ok = stream.write(text);
        text = '';
        if (ok) await nextTurn();
        else await once(stream, 'drain');
      }
      if (++pending === REPORT_EVERY) {
        onRows(pending);
        pending = 0;
      }
    }
    stream.end(text);
    await done;
    onRows(pending);
  } catch (err) {
    stream.destroy(err as Error);
    throw err;
  }
}

/** A promise with its settle functions, for the commit barrier between lanes. */
export function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => undefined); // observed by the lanes; never an unhandled rejection
  return { promise, resolve, reject };
}

/**
 * When `table` is empty, drops its indexes, unique and primary key constraints (except those a foreign
 * key relies on, such as customers' primary key) and returns the statements that rebuild them as they
 * were; returns null when the table has rows (their indexes stay and are maintained row by row). Must
 * run inside the load's transaction: the lock keeps writers out between the check and the load.
 */
export async function deferIndexes(client: pg.PoolClient, table: string): Promise<string[] | null> {
  await client.query(`LOCK TABLE ${table} IN SHARE ROW EXCLUSIVE MODE`);
  const { rows: probe } = await client.query(`SELECT 1 FROM ${table} LIMIT 1`);
  if (probe.length > 0) return null;
  const { rows } = await client.query<{ index_name: string; constraint_name: string | null; index_def: string; constraint_def: string | null }>(
    `SELECT i.indexrelid::regclass::text AS index_name, quote_ident(c.conname) AS constraint_name,
            pg_get_indexdef(i.indexrelid) AS index_def, pg_get_constraintdef(c.oid) AS constraint_def
       FROM pg_index i
       LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
      WHERE i.indrelid = $1::regclass
        AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = i.indexrelid)
      ORDER BY i.indexrelid`,
    [table],
  );
  const rebuild: string[] = [];
  for (const x of rows) {
    if (x.constraint_name) {
      await client.query(`ALTER TABLE ${table} DROP CONSTRAINT ${x.constraint_name}`);
      rebuild.push(`ALTER TABLE ${table} ADD CONSTRAINT ${x.constraint_name} ${x.constraint_def}`);
    } else {
      await client.query(`DROP INDEX ${x.index_name}`);
      rebuild.push(x.index_def);
    }
  }
  return rebuild;
}

/**
 * Triggers whose effect the seed writes itself, so replica mode may skip them: the consent columns of
 * customers (migration 1764600000000) come with the customers lane.
 */
const SEED_WRITES_ITSELF = ['customer_consents_sync_ins', 'customer_consents_sync_upd', 'customer_consents_sync_del', 'customer_consents_sync_truncate'];

/**
 * True when this role may turn per-row foreign key checks off for its session (superuser, or granted
 * SET on the parameter since PostgreSQL 15), no user-defined trigger on the seeded tables would be
 * silenced along with them (those of the customers lane never are: it does not run in replica
 * mode; nor those of SEED_WRITES_ITSELF), and the pool can give every lane (one per table) its own
 * connection at once.
 */
export async function canSkipForeignKeyChecks(db: Db, tables: readonly string[]): Promise<boolean> {
  // The lanes then hold their connections until all are ready to commit: they need one each at once.
  if ((db.pool.options.max ?? 10) < tables.length) return false;
  const { rows } = await db.pool.query<{ triggers: number }>(
    `SELECT count(*)::int AS triggers FROM pg_trigger
     WHERE NOT tgisinternal AND tgrelid = ANY($1::regclass[]) AND tgrelid <> 'customers'::regclass AND NOT tgname = ANY($2::text[])`,
    [tables, SEED_WRITES_ITSELF],
  );
  if (rows[0].triggers > 0) return false;
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL session_replication_role = replica`);
    return true;
  } catch {
    return false;
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}

/**
 * Reserves `count` customer ids by moving the identity sequence past them, under a lock that holds
 * off concurrent inserts for those few statements; rows inserted later by anyone else get ids after
 * the block. Returns the id just before the block.
 */
export async function reserveCustomerIds(db: Db, count: number): Promise<number> {
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('LOCK TABLE customers IN SHARE ROW EXCLUSIVE MODE');
    const { rows } = await client.query<{ base: string; seq: string }>(
      `SELECT GREATEST((SELECT coalesce(max(id), 0) FROM customers), coalesce(pg_sequence_last_value(s.seq), 0))::text AS base, s.seq
         FROM (SELECT pg_get_serial_sequence('customers', 'id')::regclass AS seq) s`,
    );
    const base = Number(rows[0].base);
    if (count > 0) await client.query('SELECT setval($1::regclass, $2)', [rows[0].seq, base + count]);
    await client.query('COMMIT');
    return base;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
