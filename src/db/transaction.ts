import type pg from 'pg';
import type { Db } from './database.js';

/** SQLSTATEs worth one more try: deadlock_detected, serialization_failure. */
const RETRYABLE = new Set(['40P01', '40001']);

/**
 * Runs `fn` on one pooled connection. A connection that breaks meanwhile (server restart, session
 * terminated) is destroyed rather than returned to the pool, and its late 'error' event is absorbed
 * here: unhandled, it would end the process. `fn` reports a failure that shows the connection is
 * unusable (a failed ROLLBACK, say) through `markBroken`.
 */
export async function withConnection<T>(db: Db, fn: (client: pg.PoolClient, markBroken: (err: Error) => void) => Promise<T>): Promise<T> {
  const client = await db.pool.connect();
  let broken: Error | undefined;
  const markBroken = (err: Error) => {
    broken ??= err;
  };
  client.on('error', markBroken);
  try {
    return await fn(client, markBroken);
  } finally {
    client.off('error', markBroken);
    client.release(broken);
  }
}

/**
 * Runs `fn` in a transaction on one pooled connection (see withConnection), retrying a deadlock or
 * serialization failure (up to `attempts` times) since concurrent bulk writes on overlapping
 * customers can hit either.
 */
export async function withTransaction<T>(db: Db, fn: (client: pg.PoolClient) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await withConnection(db, async (client, markBroken) => {
        await client.query('BEGIN');
        try {
          const result = await fn(client);
          await client.query('COMMIT');
          return result;
        } catch (err) {
          await client.query('ROLLBACK').catch(markBroken);
          throw err;
        }
      });
    } catch (err) {
      if (attempt < attempts && RETRYABLE.has((err as { code?: string }).code ?? '')) continue;
      throw err;
    }
  }
}
