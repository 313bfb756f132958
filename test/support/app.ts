import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { ApiKeyVerifier, createApiKey } from '../../src/auth/api-keys.js';
import { loadConfig, type Config } from '../../src/config.js';
import { startHttpServer, type HttpServer } from '../../src/http/server.js';
import { createLogger } from '../../src/logger.js';
import { Role } from '../../src/schema/enums.js';
import type { Services } from '../../src/services.js';
import { createQueues } from '../../src/workers/queues.js';
import { startWorkers, type QueueDefinition } from '../../src/workers/runtime.js';
import { createTestDb, type TestDb } from './databases.js';

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

export interface TestApp {
  db: TestDb;
  http: HttpServer;
  config: Config;
  services: Services;
  /** One API key per role. */
  keys: Record<Role, string>;
  /** POSTs a GraphQL operation as `role` (or with `key`, or with no key when null). */
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, as?: Role | { key: string | null }): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

/**
 * The real HTTP server on an ephemeral port, over a fresh database and a real Redis connection (a
 * random queue prefix per app). With `workers`, those queues are also served in this process.
 */
export async function startTestApp(env: Record<string, string> = {}, options: { workers?: QueueDefinition[] } = {}): Promise<TestApp> {
  const db = await createTestDb();
  const config = loadConfig({ ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: db.url, QUEUE_PREFIX: `test-${randomBytes(4).toString('hex')}`, ...env });
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3 });
  const services: Services = { apiKeys: new ApiKeyVerifier(db, config.apiKeyCacheSeconds), redis, queues: createQueues(redis, config.queuePrefix) };
  const http = await startHttpServer({ config, db, services, logger: createLogger(config), port: 0, host: '127.0.0.1' });
  const workerRedis = options.workers ? new Redis(config.redisUrl, { maxRetriesPerRequest: null }) : null;
  const workers = workerRedis ? startWorkers({ config, db, logger: createLogger(config), redis: workerRedis, queues: options.workers }) : null;
  const keys = {} as Record<Role, string>;
  for (const role of Object.values(Role)) keys[role] = (await createApiKey({ db, name: `test ${role}`, role })).secret;
  return {
    db,
    http,
    config,
    services,
    keys,
    async gql(query, variables, as = Role.ADMIN) {
      const key = typeof as === 'object' ? as.key : keys[as];
      const res = await fetch(`${http.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as GraphQLResponse;
      return { ...body, status: res.status } as GraphQLResponse<any>;
    },
    async close() {
      await workers?.close();
      await services.queues.maintenance.obliterate({ force: true }).catch(() => undefined);
      await services.queues.metrics.obliterate({ force: true }).catch(() => undefined);
      await services.queues.segmentation.obliterate({ force: true }).catch(() => undefined);
      await services.queues.campaigns.obliterate({ force: true }).catch(() => undefined);
      workerRedis?.disconnect();
      await http.close();
      await services.queues.close();
      redis.disconnect();
      await db.drop();
    },
  };
}
