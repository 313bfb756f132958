import type { Db } from '../db/database.js';
import { withTransaction } from '../db/transaction.js';
import { badInput, type RowError } from '../errors.js';
import { loadAttributeCatalogue } from './attribute-catalogue.js';
import { validateCustomerRow, type CustomerPatch, type FieldProblem } from './customer-row.js';
import { validateEventRow, validateTransactionRow, type FactRow } from './fact-rows.js';
import { mergeCustomerPatches, mergeFactRows, type FactKind, type MergeOutcome } from './merge.js';

/** The outcome of a bulk write: the only partial-success operations of the API. */
export interface BulkWriteResult {
  /** Rows received. */
  received: number;
  /** Rows that created or changed something (inserted + updated). */
  written: number;
  inserted: number;
  updated: number;
  /** Valid rows whose customer fields equal what was stored (`updatedAt` did not move). */
  unchanged: number;
  /** Consent changes that became current (a row may change consent without changing any field). */
  consentsApplied: number;
  /** Rows refused; each wrote nothing. */
  rejectedRows: number;
  /** One entry per problem of each refused row (a row may have several). */
  errors: RowError[];
  /** Earlier rows with the same external id as a later one in the same batch: the last one won. */
  duplicates: RowError[];
}

/**
 * Keeps the last row of each external id. Returns the survivors in input order and one
 * `DUPLICATE_IN_BATCH` note per superseded row; `path(i)` names row i in those notes
 * (`input[3]` for a mutation, `line 12` for a file).
 */
export function keepLastPerExternalId<T extends { index: number; externalId: string }>(
  rows: readonly T[],
  path: (i: number) => string,
  field: (i: number) => string = (i) => `${path(i)}.externalId`,
): {
  rows: T[];
  duplicates: RowError[];
} {
  const last = new Map<string, T>();
  const duplicates: RowError[] = [];
  for (const row of rows) {
    const previous = last.get(row.externalId);
    if (previous) {
      duplicates.push({
        index: previous.index,
        field: field(previous.index),
        code: 'DUPLICATE_IN_BATCH',
        reason: `superseded by ${path(row.index)}, which has the same externalId`,
      });
    }
    last.set(row.externalId, row);
  }
  const survivors = [...last.values()].sort((a, b) => a.index - b.index);
  return { rows: survivors, duplicates };
}

function checkSize(rows: readonly unknown[], maxRows: number): void {
  if (rows.length > maxRows)
    throw badInput('input', 'TOO_MANY_ROWS', `at most ${maxRows} rows per call (got ${rows.length}); split the batch or use the import command`);
}

const inputPath = (i: number) => `input[${i}]`;

function toRowErrors(index: number, problems: readonly FieldProblem[]): RowError[] {
  return problems.map((p) => ({ index, field: `${inputPath(index)}.${p.field}`, code: p.code, reason: p.reason }));
}

function result(received: number, validationErrors: RowError[], duplicates: RowError[], merged: MergeOutcome): BulkWriteResult {
  const mergeErrors = merged.rejected.map((r) => ({ ...r, field: `${inputPath(r.index)}.${r.field}` }));
  const errors = [...validationErrors, ...mergeErrors].sort((a, b) => a.index - b.index);
  return {
    received,
    written: merged.inserted + merged.updated,
    inserted: merged.inserted,
    updated: merged.updated,
    unchanged: merged.unchanged,
    consentsApplied: merged.consentsApplied,
    rejectedRows: new Set(errors.map((e) => e.index)).size,
    errors,
    duplicates,
  };
}

/**
 * Creates or merges customers by external id. Omitted fields are left unchanged, explicit nulls
 * clear, attributes merge by key, consents apply only when newer than what is stored. Invalid rows
 * are reported and skipped; valid rows are written in one transaction.
 */
export async function upsertCustomers(options: { db: Db; rows: readonly Record<string, unknown>[]; now: Date; maxRows: number }): Promise<BulkWriteResult> {
  const { db, rows, now } = options;
  checkSize(rows, options.maxRows);
  const catalogue = await loadAttributeCatalogue(db);
  const errors: RowError[] = [];
  const patches: CustomerPatch[] = [];
  rows.forEach((row, i) => {
    const { patch, problems } = validateCustomerRow(row, i, catalogue, now);
    if (patch) patches.push(patch);
    else errors.push(...toRowErrors(i, problems));
  });
  const unique = keepLastPerExternalId(patches, inputPath);
  const merged = await withTransaction(db, (client) => mergeCustomerPatches(client, unique.rows, now, { catalogue }));
  return result(rows.length, errors, unique.duplicates, merged);
}

async function writeFacts(
  kind: FactKind,
  validate: typeof validateTransactionRow,
  options: { db: Db; rows: readonly Record<string, unknown>[]; now: Date; maxRows: number },
): Promise<BulkWriteResult> {
  const { db, rows, now } = options;
  checkSize(rows, options.maxRows);
  const errors: RowError[] = [];
  const valid: FactRow[] = [];
  rows.forEach((input, i) => {
    const { row, problems } = validate(input, i, now);
    if (row) valid.push(row);
    else errors.push(...toRowErrors(i, problems));
  });
  const unique = keepLastPerExternalId(valid, inputPath);
  const merged = await withTransaction(db, (client) => mergeFactRows(client, kind, unique.rows, now));
  return result(rows.length, errors, unique.duplicates, merged);
}

/** Records purchases, idempotent on their external id; unknown customers are reported per row. */
export function recordTransactions(options: { db: Db; rows: readonly Record<string, unknown>[]; now: Date; maxRows: number }) {
  return writeFacts('transactions', validateTransactionRow, options);
}

/** Records behavioural events, idempotent on their external id; unknown customers are reported per row. */
export function trackEvents(options: { db: Db; rows: readonly Record<string, unknown>[]; now: Date; maxRows: number }) {
  return writeFacts('events', validateEventRow, options);
}
