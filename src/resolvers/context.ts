import type { Principal } from '../auth/api-keys.js';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';
import { createLoaders, type Loaders } from './loaders.js';

/** What every resolver receives. Built once per HTTP request. */
export interface Context {
  requestId: string;
  principal: Principal | null;
  db: Db;
  config: Config;
  logger: Logger;
  services: Services;
  /** The request's clock: domain functions take `now` rather than reading the time themselves. */
  now: Date;
  loaders: Loaders;
}

/** Builds a request's context: the clock defaults to the current time, DataLoaders are fresh per request. */
export function createContext(options: Omit<Context, 'loaders' | 'now'> & { now?: Date }): Context {
  return { ...options, now: options.now ?? new Date(), loaders: createLoaders(options.db) };
}
