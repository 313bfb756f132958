import { readFile, writeFile } from 'node:fs/promises';
import type { Db } from '../db/database.js';
import { Role } from '../schema/enums.js';
import { createApiKey, type ApiKeyVerifier } from './api-keys.js';

/**
 * Development convenience: makes sure a local admin key exists and returns it, kept in a git-ignored
 * file so that restarts print the same key. Never called in production.
 */
export async function ensureDevAdminKey(options: { db: Db; verifier: ApiKeyVerifier; file: string }): Promise<string> {
  const existing = await readFile(options.file, 'utf8').then((s) => s.trim(), () => '');
  if (existing && (await options.verifier.verify(existing))?.role === Role.ADMIN) return existing;
  const { secret } = await createApiKey({ db: options.db, name: 'local development admin', role: Role.ADMIN });
  await writeFile(options.file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
