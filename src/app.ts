import type { Redis } from 'ioredis';
import { ApiKeyVerifier } from './auth/api-keys.js';
import { ensureDevAdminKey } from './auth/dev-admin-key.js';
import type { Config } from './config.js';
import { closeDatabase, openDatabase, type Db } from './db/database.js';
import { startHttpServer, type HttpServer } from './http/server.js';
import type { Logger } from './logger.js';
import { connectRedis } from './redis.js';
import type { Services } from './services.js';
import { createQueues, installCampaignTick, installMetricsSchedules, installSnapshotSchedule } from './workers/queues.js';
import { startWorkers, type RunningWorkers } from './workers/runtime.js';

export type Mode = 'all' | 'api' | 'worker';

export interface App {
  db: Db;
  redis: Redis;
  services: Services;
  http?: HttpServer;
  workers?: RunningWorkers;
  devAdminKey?: string;
  /** Drains HTTP, lets running jobs finish, then closes connections. */
  stop(): Promise<void>;
}

/**
 * Starts Cible: checks PostgreSQL (creating the database and running migrations under a lock) and
 * Redis, then the API and/or the workers. Throws `ServiceUnavailableError` when a service is down.
 */
export async function startApp(options: { config: Config; logger: Logger; mode: Mode; port?: number }): Promise<App> {
  const { config, logger, mode } = options;
  const db = await openDatabase({ config, migrate: true, applicationName: `cible-${mode}` });
  let redis: Redis;
  try {
    redis = await connectRedis(config.redisUrl, { forWorkers: mode !== 'api' });
  } catch (err) {
    await closeDatabase(db);
    throw err;
  }
  const services: Services = { apiKeys: new ApiKeyVerifier(db, config.apiKeyCacheSeconds), redis, queues: createQueues(redis, config.queuePrefix) };
  const app: App = {
    db,
    redis,
    services,
    async stop() {
      await app.http?.close();
      logger.debug('HTTP server closed');
      await app.workers?.close();
      logger.debug('workers closed');
      await services.queues.close();
      redis.disconnect();
      await closeDatabase(db);
      logger.debug('database closed');
    },
  };
  try {
    if (config.env === 'development' && mode !== 'worker')
      app.devAdminKey = await ensureDevAdminKey({ db, verifier: services.apiKeys, file: config.devAdminKeyFile });
    if (mode !== 'worker') app.http = await startHttpServer({ config, db, services, logger, port: options.port });
    if (mode !== 'api') {
      app.workers = startWorkers({ config, db, logger, redis });
      await installMetricsSchedules(services.queues, config.metrics);
      await installSnapshotSchedule(services.queues, config.snapshots);
      await installCampaignTick(services.queues, config.campaigns);
    }
  } catch (err) {
    await app.stop().catch(() => undefined);
    throw err;
  }
  return app;
}
