import type { Db } from '../db/database.js';
import { loadSqlQueries } from '../db/sql.js';
import type { ConsentChange, CustomerConsent } from '../schema/consent.entity.js';
import type { CustomerEvent } from '../schema/customer-event.entity.js';
import type { Customer } from '../schema/customer.entity.js';
import type { Transaction } from '../schema/transaction.entity.js';
import type { Channel, ConsentStatus } from '../schema/enums.js';

const Q = loadSqlQueries(import.meta.url, 'sql/customers.sql', [
  'select_customers',
  'count_customers',
  'consents_by_customer',
  'recent_transactions',
  'recent_events',
  'consent_history',
] as const);

export interface CustomerFilter {
  /** Exact external id, or case-insensitive prefix of email, first or last name, or phone. */
  search?: string | null;
  country?: string | null;
  consent?: { channel: Channel; status: ConsentStatus } | null;
  createdFrom?: Date | null;
  createdBefore?: Date | null;
  includeErased?: boolean | null;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Parameters of the search box: the raw term (exact external id), a lower-case prefix pattern (email,
 * first or last name) and, when the term looks like a phone number, a prefix pattern without separators.
 * The user's `%`, `_` and `\` are taken literally.
 */
export function searchParams(term: string | null | undefined): [string | null, string | null, string | null] {
  const t = term?.trim();
  if (!t) return [null, null, null];
  const digits = t.replace(/[\s().-]/g, '');
  const phone = /^\+?\d{3,}$/.test(digits) ? `${escapeLike(digits.startsWith('00') ? `+${digits.slice(2)}` : digits)}%` : null;
  return [t, `${escapeLike(t.toLowerCase())}%`, phone];
}

/** One keyset page of customers in id order: `limit` rows after the id `after`. */
export async function findCustomers(db: Db, filter: CustomerFilter, after: string | null, limit: number): Promise<Customer[]> {
  const f = filter;
  const { rows } = await db.pool.query<Customer>(Q.select_customers, [
    null,
    null,
    after,
    f.country ?? null,
    f.createdFrom ?? null,
    f.createdBefore ?? null,
    ...searchParams(f.search),
    f.consent?.channel ?? null,
    f.consent?.status ?? null,
    f.includeErased ?? false,
    limit,
  ]);
  return rows;
}

/** How many customers match `filter` (all pages). */
export async function countCustomers(db: Db, filter: CustomerFilter): Promise<number> {
  const f = filter;
  const { rows } = await db.pool.query<{ count: string }>(Q.count_customers, [
    f.country ?? null,
    f.createdFrom ?? null,
    f.createdBefore ?? null,
    ...searchParams(f.search),
    f.consent?.channel ?? null,
    f.consent?.status ?? null,
    f.includeErased ?? false,
  ]);
  return Number(rows[0].count);
}

/** Customers by internal ids or by external ids (erased ones included: a direct lookup shows the tombstone). */
export async function loadCustomers(db: Db, by: { ids?: readonly string[]; externalIds?: readonly string[] }): Promise<Customer[]> {
  const n = (by.ids?.length ?? 0) + (by.externalIds?.length ?? 0);
  const noFilters = new Array(9).fill(null); // cursor, country, created range, search (3), consent (2)
  const { rows } = await db.pool.query<Customer>(Q.select_customers, [by.ids ?? null, by.externalIds ?? null, ...noFilters, true, n]);
  return rows;
}

export async function loadConsents(db: Db, customerIds: readonly string[]): Promise<CustomerConsent[]> {
  const { rows } = await db.pool.query<CustomerConsent>(Q.consents_by_customer, [customerIds]);
  return rows;
}

export async function loadRecentTransactions(db: Db, customerIds: readonly string[], limit: number, before: Date | null): Promise<Transaction[]> {
  const { rows } = await db.pool.query<Transaction>(Q.recent_transactions, [customerIds, limit, before]);
  return rows;
}

export async function loadRecentEvents(db: Db, customerIds: readonly string[], limit: number, name: string | null, before: Date | null): Promise<CustomerEvent[]> {
  const { rows } = await db.pool.query<CustomerEvent>(Q.recent_events, [customerIds, limit, name, before]);
  return rows;
}

export async function loadConsentHistory(db: Db, customerIds: readonly string[], channel: Channel | null, limit: number): Promise<(ConsentChange & { customerId: string })[]> {
  const { rows } = await db.pool.query<ConsentChange & { customerId: string }>(Q.consent_history, [customerIds, channel, limit]);
  return rows;
}
