import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/**
 * Reads a hand-written SQL file that sits next to the calling module (`sql/name.sql`), once, at
 * module load. From the build (`dist/src/...`) the file is read from `src/...`, so `.sql` files are
 * never copied and cannot drift from what the tests ran.
 */
export function loadSql(moduleUrl: string, relativePath: string): string {
  const here = path.dirname(fileURLToPath(moduleUrl));
  const source = here.replace(`${path.sep}dist${path.sep}src`, `${path.sep}src`);
  return readFileSync(path.join(source, relativePath), 'utf8');
}

/**
 * Reads a SQL file holding several named statements, each introduced by a `-- name: <name>` line
 * (the convention of yesql and pugsql). Text before the first name is the file's header comment.
 */
export function loadSqlQueries<K extends string>(moduleUrl: string, relativePath: string, names: readonly K[]): Record<K, string> {
  const text = loadSql(moduleUrl, relativePath);
  const out: Record<string, string> = {};
  const parts = text.split(/^--\s*name:\s*([a-z0-9_-]+)\s*$/im);
  for (let i = 1; i < parts.length; i += 2) out[parts[i]] = parts[i + 1].trim();
  for (const n of names) if (!out[n]) throw new Error(`${relativePath}: no statement named "${n}"`);
  return out as Record<K, string>;
}
