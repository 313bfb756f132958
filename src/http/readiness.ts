import type { Redis } from 'ioredis';
import type { Db } from '../db/database.js';

export interface Readiness {
  ready: boolean;
  checks: { postgres: 'ok' | string; redis: 'ok' | string };
}

const TIMEOUT_MS = 2000;

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS).unref())]);
}

/** Whether PostgreSQL and Redis answer right now (for load balancers and orchestrators). */
export async function checkReadiness(deps: { db: Db; redis: Redis }): Promise<Readiness> {
  const [pg, redis] = await Promise.allSettled([withTimeout(deps.db.pool.query('SELECT 1'), 'PostgreSQL'), withTimeout(deps.redis.ping(), 'Redis')]);
  const checks = {
    postgres: pg.status === 'fulfilled' ? 'ok' : String((pg.reason as Error).message ?? pg.reason),
    redis: redis.status === 'fulfilled' ? 'ok' : String((redis.reason as Error).message ?? redis.reason),
  };
  return { ready: checks.postgres === 'ok' && checks.redis === 'ok', checks };
}
