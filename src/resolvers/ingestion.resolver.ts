import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { recordTransactions, trackEvents, upsertCustomers } from '../ingestion/bulk-write.js';
import { BulkWriteResult, CustomerUpsertInput, EventInput, TransactionInput } from '../schema/bulk-write.types.js';
import type { Context } from './context.js';

/** Rows arrive as class instances; the domain validates plain records (absent keys stay absent). */
const asRecords = (rows: readonly object[]) => rows as unknown as Record<string, unknown>[];

/**
 * The three partial-success operations: each row is validated on its own, valid rows are written,
 * refused rows are listed with their path and code. GraphQL-level validation is off for them
 * (`validate: false`): one bad row must never fail the batch.
 */
@Resolver()
export class IngestionResolver {
  @Mutation(() => BulkWriteResult, {
    description:
      'Creates or merges up to 10,000 customers by externalId. Omitted fields unchanged, null clears, attributes merge by key, consents apply only when newer. Re-sending a batch changes nothing.',
  })
  upsertCustomers(
    @Ctx() ctx: Context,
    @Arg('input', () => [CustomerUpsertInput], { validate: false }) input: CustomerUpsertInput[],
  ): Promise<BulkWriteResult> {
    return upsertCustomers({ db: ctx.db, rows: asRecords(input), now: ctx.now, maxRows: ctx.config.bulkMaxRows });
  }

  @Mutation(() => BulkWriteResult, { description: 'Records up to 10,000 purchases, idempotent on externalId.' })
  recordTransactions(
    @Ctx() ctx: Context,
    @Arg('input', () => [TransactionInput], { validate: false }) input: TransactionInput[],
  ): Promise<BulkWriteResult> {
    return recordTransactions({ db: ctx.db, rows: asRecords(input), now: ctx.now, maxRows: ctx.config.bulkMaxRows });
  }

  @Mutation(() => BulkWriteResult, { description: 'Records up to 10,000 behavioural events, idempotent on externalId.' })
  trackEvents(@Ctx() ctx: Context, @Arg('input', () => [EventInput], { validate: false }) input: EventInput[]): Promise<BulkWriteResult> {
    return trackEvents({ db: ctx.db, rows: asRecords(input), now: ctx.now, maxRows: ctx.config.bulkMaxRows });
  }
}
