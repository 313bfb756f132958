import type pg from 'pg';
import type { Db } from './database.js';

/** SQLSTATEs worth one more try: deadlock_detected, serialization_failure. */
const RETRYABLE = new Set(['40P01', '40001']);

/**
 * Runs `fn` in a transaction on one pooled connection, retrying a deadlock or serialization failure
 * (up to `attempts` times) since concurrent bulk writes on overlapping customers can hit either.
 *
 * A connection that breaks meanwhile (server restart, session terminated) is destroyed rather than
 * returned to the pool, and its late 'error' event is absorbed here: unhandled, it would end the process.
 */
export async function withTransaction<T>(db: Db, fn: (client: pg.PoolClient) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await db.pool.connect();
    let broken: Error | undefined;
    const onError = (err: Error) => (broken ??= err);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((e: Error) => (broken ??= e));
      if (attempt < attempts && RETRYABLE.has((err as { code?: string }).code ?? '')) continue;
      throw err;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }
}
