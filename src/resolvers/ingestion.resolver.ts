import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { recordTransactions, trackEvents, upsertCustomers } from '../ingestion/bulk-write.js';
import { BulkWriteResult, CustomerUpsertInput, EventInput, TransactionInput } from '../schema/bulk-write.types.js';
import type { Context } from './context.js';
import { bulkCost } from '../http/query-cost.js';
import type { AnalyzableTable } from '../db/statistics.js';
import { scheduleAnalyze } from '../workers/queues.js';

/** Rows arrive as class instances; the domain validates plain records (absent keys stay absent). */
const asRecords = (rows: readonly object[]) => rows as unknown as Record<string, unknown>[];

/**
 * A write of at least this many rows asks a worker to refresh the table's planner statistics (one
 * ANALYZE per table per 30 s however many batches arrive): plans picked on stale row counts are
 * what turns an index probe into a scan of the whole table.
 */
const ANALYZE_AFTER_ROWS = 1_000;

/** Bulk writes cost one point per 10 rows: a full 10,000-row call costs 1,000 of the 100,000 allowed. */
const ROWS_PER_COST_POINT = 10;

async function refreshStatisticsIfLarge(ctx: Context, result: BulkWriteResult, tables: AnalyzableTable[]): Promise<BulkWriteResult> {
  if (result.inserted >= ANALYZE_AFTER_ROWS) {
    // Best effort: a Redis hiccup must not fail a write that is already committed.
    await Promise.all(tables.map((t) => scheduleAnalyze(ctx.services.queues, t))).catch((err) =>
      ctx.logger.warn({ err }, 'could not schedule a statistics refresh'),
    );
  }
  return result;
}

/**
 * The three partial-success operations: each row is validated on its own, valid rows are written,
 * refused rows are listed with their path and code. GraphQL-level validation is off for them
 * (`validate: false`): one bad row must never fail the batch.
 */
@Resolver()
export class IngestionResolver {
  @Mutation(() => BulkWriteResult, {
    complexity: bulkCost(ROWS_PER_COST_POINT),
    description:
      'Creates or merges up to 10,000 customers by externalId. Omitted fields unchanged, null clears, attributes merge by key, consents apply only when newer. Re-sending a batch changes nothing.',
  })
  async upsertCustomers(
    @Ctx() ctx: Context,
    @Arg('input', () => [CustomerUpsertInput], { validate: false }) input: CustomerUpsertInput[],
  ): Promise<BulkWriteResult> {
    const result = await upsertCustomers({ db: ctx.db, rows: asRecords(input), now: ctx.now, maxRows: ctx.config.bulkMaxRows });
    return refreshStatisticsIfLarge(ctx, result, ['customers', 'customer_consents', 'consent_changes']);
  }

  @Mutation(() => BulkWriteResult, { description: 'Records up to 10,000 purchases, idempotent on externalId.', complexity: bulkCost(ROWS_PER_COST_POINT) })
  async recordTransactions(
    @Ctx() ctx: Context,
    @Arg('input', () => [TransactionInput], { validate: false }) input: TransactionInput[],
  ): Promise<BulkWriteResult> {
    const result = await recordTransactions({ db: ctx.db, rows: asRecords(input), now: ctx.now, maxRows: ctx.config.bulkMaxRows });
    return refreshStatisticsIfLarge(ctx, result, ['transactions']);
  }

  @Mutation(() => BulkWriteResult, { description: 'Records up to 10,000 behavioural events, idempotent on externalId.', complexity: bulkCost(ROWS_PER_COST_POINT) })
  async trackEvents(@Ctx() ctx: Context, @Arg('input', () => [EventInput], { validate: false }) input: EventInput[]): Promise<BulkWriteResult> {
    const result = await trackEvents({ db: ctx.db, rows: asRecords(input), now: ctx.now, maxRows: ctx.config.bulkMaxRows });
    return refreshStatisticsIfLarge(ctx, result, ['customer_events']);
  }
}
