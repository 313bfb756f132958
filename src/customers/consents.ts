import type { Db } from '../db/database.js';
import { withTransaction } from '../db/transaction.js';
import { badInput, conflict, notFound } from '../errors.js';
import { CONSENT_CLOCK_SKEW_MS } from '../ingestion/customer-row.js';
import { applyConsentChanges } from '../ingestion/merge.js';
import { cleanText } from '../ingestion/field-checks.js';
import type { Channel, ConsentStatus } from '../schema/enums.js';
import { loadCustomers } from './customer-queries.js';
import { isBigintId } from '../schema/page.type.js';

/** Identifies a customer by internal id or external id (exactly one). */
export interface CustomerRef {
  id?: string | null;
  externalId?: string | null;
}

/** Resolves a customer reference; `path` names the argument in errors. Erased customers are refused. */
export async function resolveCustomer(db: Db, ref: CustomerRef, path: string) {
  if ((ref.id == null) === (ref.externalId == null)) throw badInput(path, 'ONE_OF', 'give exactly one of id and externalId');
  if (ref.id != null && !isBigintId(ref.id)) throw badInput(`${path}.id`, 'INVALID_ID', 'id must be a customer id (digits)');
  const [customer] = await loadCustomers(db, ref.id != null ? { ids: [ref.id] } : { externalIds: [ref.externalId!] });
  if (!customer) throw notFound(path, 'no such customer');
  if (customer.erasedAt) throw conflict(path, 'ERASED', 'this customer was erased');
  return customer;
}

/**
 * Records one consent change for one customer, with the same rule as bulk upserts: the change is kept
 * in the history and becomes current only if newer than the stored consent (an opt-out wins a tie).
 * Returns whether it became current.
 */
export async function setConsent(options: {
  db: Db;
  customer: CustomerRef;
  channel: Channel;
  status: ConsentStatus;
  source?: string | null;
  at?: Date | null;
  now: Date;
}): Promise<{ customerId: string; applied: boolean }> {
  const { db, now } = options;
  const at = options.at ?? now;
  if (at.getTime() > now.getTime() + CONSENT_CLOCK_SKEW_MS)
    throw badInput('input.at', 'FUTURE_TIMESTAMP', 'at is in the future; a future consent would override every later change');
  const source = options.source == null ? null : cleanText(options.source, 200);
  if (source === undefined) throw badInput('input.source', 'INVALID_TEXT', 'source must be at most 200 characters');
  const customer = await resolveCustomer(db, options.customer, 'input.customer');
  return withTransaction(db, async (client) => {
    await applyConsentChanges(
      client,
      [{ customerId: customer.id, consent: { channel: options.channel, status: options.status, source, at } }],
      now,
    );
    const { rows } = await client.query<{ is_applied: boolean }>(
      `SELECT is_applied FROM consent_changes WHERE customer_id = $1 AND channel = $2 AND changed_at = $3 AND status = $4`,
      [customer.id, options.channel, at, options.status],
    );
    return { customerId: customer.id, applied: rows[0]?.is_applied ?? false };
  });
}
