import type { Redis } from 'ioredis';
import type { ApiKeyVerifier } from './auth/api-keys.js';

/** Process-wide collaborators shared by every request (created once at start-up). */
export interface Services {
  apiKeys: ApiKeyVerifier;
  redis: Redis;
}
