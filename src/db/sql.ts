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

interface Compiled {
  sql: string;
  /** Parameter names in $n order. */
  order: string[];
  /** Prepared-statement name; null once the cache is full (the statement then runs unnamed). */
  name: string | null;
}
/**
 * At most this many distinct statements are prepared (per pooled connection): the customer page's
 * select list follows each query's selection, and a client could otherwise make the server prepare
 * statements without end.
 */
const MAX_PREPARED = 1_000;
/** Compiled statements by source text: a handful of filter combinations, reused on every request. */
const compiled = new Map<string, Compiled>();

function compile(text: string): Compiled {
  let c = compiled.get(text);
  if (!c) {
    const order: string[] = [];
    const sql = text
      .replace(/--[^\n]*/g, '')
      .replace(PLACEHOLDER, (_, name: string) => {
        let n = order.indexOf(name);
        if (n < 0) n = order.push(name) - 1;
        return `$${n + 1}`;
      })
      .replace(/\n\s*\n/g, '\n')
      .trim();
    const cacheable = compiled.size < MAX_PREPARED;
    c = { sql, order, name: cacheable ? `q_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}` : null };
    if (cacheable) compiled.set(text, c);
  }
  return c;
}

/**
 * Turns `:name` placeholders into `$1..$n` (a name used twice gets one number; `::type` casts are left
 * alone) and strips `--` comments; the translation is computed once per distinct text. With
 * `prepare`, the statement is named after its text, so each distinct text is prepared once per
 * connection and its plan reused.
 */
export function bindNamed(text: string, params: Record<string, unknown>, options: { prepare?: boolean } = {}): BoundQuery {
  const c = compile(text);
  const values = c.order.map((name) => {
    if (!(name in params)) throw new Error(`no value for :${name}`);
    return params[name];
  });
  return options.prepare && c.name ? { name: c.name, text: c.sql, values } : { text: c.sql, values };
}
