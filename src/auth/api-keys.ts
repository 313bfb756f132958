import { createHash, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Db } from '../db/database.js';
import { loadSqlQueries } from '../db/sql.js';
import type { ApiKey } from '../schema/api-key.entity.js';
import { Role } from '../schema/enums.js';

const Q = loadSqlQueries(import.meta.url, 'sql/api-keys.sql', ['insert_key', 'revoke_key', 'verify_key', 'list_keys'] as const);

/** Prefix of every key, so a leaked one is recognisable by secret scanners. */
const KEY_PREFIX = 'cible_';

/** Who is calling: resolved from the API key once per request. */
export interface Principal {
  keyId: string;
  name: string;
  role: Role;
}

/**
 * SHA-256 of the key. A fast hash is right here: the key is 256 random bits, so there is nothing to
 * brute-force, and it is checked on every request (a slow password hash would cost ~100 ms each).
 */
export function hashApiKey(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Creates a key and stores its hash. The returned secret is shown once and never stored. */
export async function createApiKey(options: { db: Db; name: string; role: Role }): Promise<{ id: string; secret: string; keyPrefix: string }> {
  const secret = KEY_PREFIX + randomBytes(32).toString('base64url');
  const keyPrefix = secret.slice(0, KEY_PREFIX.length + 6);
  const { rows } = await options.db.pool.query<{ id: string }>(Q.insert_key, [options.name, options.role, hashApiKey(secret), keyPrefix]);
  return { id: rows[0].id, secret, keyPrefix };
}

/** Revokes a key; returns false when no live key has this id. Caches expire within `cacheSeconds`. */
export async function revokeApiKey(options: { db: Db; id: string; now: Date }): Promise<boolean> {
  const { rowCount } = await options.db.pool.query(Q.revoke_key, [options.id, options.now]);
  return (rowCount ?? 0) > 0;
}

/** An API key as listed: everything but the hash. */
export type ApiKeyListing = Omit<ApiKey, 'keyHash'>;

/** Every API key, revoked ones included, newest first (never the hashes). */
export async function listApiKeys(options: { db: Db }): Promise<ApiKeyListing[]> {
  const { rows } = await options.db.pool.query<ApiKeyListing>(Q.list_keys);
  return rows;
}

/**
 * Resolves bearer keys to principals with a small LRU cache, so the hot path is a hash and a map
 * lookup. A revoked key stops working within the cache period; `last_used_at` is written at most once
 * per period per key.
 */
export class ApiKeyVerifier {
  /** Null when caching is off (`API_KEY_CACHE_SECONDS=0`): every request then reads the database. */
  private readonly cache: LRUCache<string, { principal: Principal | null }> | null;

  constructor(
    private readonly db: Db,
    cacheSeconds: number,
  ) {
    this.cache = cacheSeconds > 0 ? new LRUCache({ max: 10_000, ttl: cacheSeconds * 1000 }) : null;
  }

  async verify(secret: string | undefined): Promise<Principal | null> {
    if (!secret || !secret.startsWith(KEY_PREFIX) || secret.length > 200) return null;
    // Keyed by the secret itself (it is in this request's memory anyway): a hit costs no hashing.
    const hit = this.cache?.get(secret);
    if (hit) return hit.principal;
    const hash = hashApiKey(secret);
    const { rows } = await this.db.pool.query<Principal>(Q.verify_key, [hash]);
    const principal = rows[0] ?? null;
    this.cache?.set(secret, { principal });
    return principal;
  }

  /** Forgets cached answers (after a revocation in this process). */
  clear(): void {
    this.cache?.clear();
  }
}

/** Reads the key from `Authorization: Bearer <key>` or `X-Api-Key: <key>`. */
export function keyFromHeaders(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const x = headers['x-api-key'];
  return typeof x === 'string' ? x.trim() : undefined;
}

export const ROLES: readonly Role[] = Object.values(Role);
