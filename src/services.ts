import type { Redis } from 'ioredis';
import type { ApiKeyVerifier } from './auth/api-keys.js';
import type { Queues } from './workers/queues.js';

/** Process-wide collaborators shared by every request (created once at start-up). */
export interface Services {
  apiKeys: ApiKeyVerifier;
  redis: Redis;
  /** Queue producers (jobs go to the worker processes). */
  queues: Queues;
}
