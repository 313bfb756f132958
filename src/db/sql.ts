import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { createHash } from 'node:crypto';

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

/** A query ready for node-pg; with `name`, a prepared statement planned once per connection. */
export interface BoundQuery {
  name?: string;
  text: string;
  values: unknown[];
}

const PLACEHOLDER = /(?<![:\w]):([a-z][a-z0-9_]*)/g;

/**
 * Turns `:name` placeholders into `$1..$n` (a name used twice gets one number; `::type` casts are left
 * alone) and strips `--` comments. With `prepare`, the statement is named after its text, so each
 * distinct text is prepared once per connection and its plan reused.
 */
export function bindNamed(text: string, params: Record<string, unknown>, options: { prepare?: boolean } = {}): BoundQuery {
  const numbers = new Map<string, number>();
  const values: unknown[] = [];
  const sql = text
    .replace(/--[^\n]*/g, '')
    .replace(PLACEHOLDER, (_, name: string) => {
      if (!(name in params)) throw new Error(`no value for :${name}`);
      let n = numbers.get(name);
      if (n === undefined) {
        values.push(params[name]);
        numbers.set(name, (n = values.length));
      }
      return `$${n}`;
    })
    .replace(/\n\s*\n/g, '\n')
    .trim();
  return options.prepare ? { name: `q_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`, text: sql, values } : { text: sql, values };
}
