import type { Db } from './database.js';

/** Tables whose planner statistics bulk writes can make stale (the only ones ANALYZE may be asked for). */
export const ANALYZABLE_TABLES = ['customers', 'customer_consents', 'consent_changes', 'transactions', 'customer_events'] as const;
export type AnalyzableTable = (typeof ANALYZABLE_TABLES)[number];

/**
 * Refreshes planner statistics of `tables`. Bulk writes can add hundreds of thousands of rows at
 * once; until autovacuum's next analyze (if it runs at all: some installations turn it off) the
 * planner keeps estimating from the old sizes and picks plans for a much smaller table.
 */
export async function analyzeTables(options: { db: Db; tables: readonly AnalyzableTable[] }): Promise<void> {
  for (const table of options.tables) {
    if (!ANALYZABLE_TABLES.includes(table)) throw new Error(`not an analyzable table: ${table}`);
    await options.db.pool.query(`ANALYZE ${table}`);
  }
}
