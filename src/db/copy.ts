import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';

/** A value COPY can take: null, text, number, boolean, Date, a text array or a JSON object. */
export type CopyValue = string | number | boolean | Date | null | undefined | readonly string[] | Record<string, unknown>;

const NEEDS_ESCAPE = /[\\\t\n\r]/;
function escapeText(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

function arrayLiteral(items: readonly string[]): string {
  return `{${items.map((i) => `"${i.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/** Encodes one value in PostgreSQL's COPY text format. */
export function encodeCopyValue(v: CopyValue): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'string') return escapeText(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '\\N';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return escapeText(arrayLiteral(v as readonly string[]));
  return escapeText(JSON.stringify(v));
}

/** Encodes one row as a COPY text line (tab-separated, newline-terminated). */
export function encodeCopyRow(values: readonly CopyValue[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) line += (i ? '\t' : '') + encodeCopyValue(values[i]);
  return line + '\n';
}

/**
 * COPYs rows into `table(columns)` on `client`. Rows are encoded lazily and written in ~256 KB pieces
 * (Readable.from buffers up to 16 of them), so memory stays flat whatever the number of rows.
 */
export async function copyRows(
  client: pg.PoolClient | pg.Client,
  table: string,
  columns: readonly string[],
  rows: Iterable<readonly CopyValue[]>,
): Promise<void> {
  const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  async function* encode() {
    let buffer = '';
    for (const row of rows) {
      buffer += encodeCopyRow(row);
      if (buffer.length > 1 << 18) {
        yield buffer;
        buffer = '';
      }
    }
    if (buffer) yield buffer;
  }
  await pipeline(Readable.from(encode()), stream);
}
