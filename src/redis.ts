import { Redis } from 'ioredis';
import { redactUrl } from './config.js';
import { ServiceUnavailableError } from './service-errors.js';

const REDIS_HINT = 'start it (`docker compose up -d redis`, or `redis-server --daemonize yes`) or set REDIS_URL';

/**
 * Checks once, failing fast, that Redis answers at `url`; then returns a client that reconnects on
 * its own. `maxRetriesPerRequest: null` is what BullMQ workers require of their connection.
 */
export async function connectRedis(url: string, options: { forWorkers?: boolean } = {}): Promise<Redis> {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  let cause: { code?: string; message?: string } | null = null;
  probe.on('error', (err) => (cause ??= err));
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    const e = cause ?? (err as { code?: string; message?: string });
    throw new ServiceUnavailableError('Redis', redactUrl(url), e.code ?? e.message ?? String(err), REDIS_HINT);
  } finally {
    probe.disconnect();
  }
  const client = new Redis(url, { maxRetriesPerRequest: options.forWorkers ? null : 3, connectTimeout: 5000 });
  client.on('error', () => undefined); // reconnects by itself; readiness reports the outage
  return client;
}
