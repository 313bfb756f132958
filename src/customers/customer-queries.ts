import pg from 'pg';
import type { Db } from '../db/database.js';
import { pgTimestampToIso } from '../schema/date-time.scalar.js';
import { bindNamed, loadSqlQueries } from '../db/sql.js';
import type { ConsentChange, CustomerConsent } from '../schema/consent.entity.js';
import type { CustomerEvent } from '../schema/customer-event.entity.js';
import type { Customer } from '../schema/customer.entity.js';
import type { Transaction } from '../schema/transaction.entity.js';
import type { Channel, ConsentStatus } from '../schema/enums.js';

const Q = loadSqlQueries(import.meta.url, 'sql/customers.sql', [
  'customer_columns',
  'customers_by_ids',
  'customers_by_external_ids',
  'list_customers',
  'count_customers',
  'prefetch_consents',
  'prefetch_transactions',
  'cond_after',
  'cond_country',
  'cond_created_from',
  'cond_created_before',
  'cond_search',
  'cond_search_phone',
  'cond_search_names',
  'cond_consent',
  'cond_not_erased',
  'consents_by_customer',
  'recent_transactions',
  'recent_events',
  'consent_history',
] as const);

/**
 * Result parsing for rows that go straight to GraphQL: timestamps stay ISO text (the DateTimeISO
 * scalar sends them as they are) instead of becoming Dates to be printed back.
 */
const API_ROW_TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.TIMESTAMPTZ ? pgTimestampToIso : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

const withColumns = (sql: string) => sql.replace('{{columns}}', Q.customer_columns);
const BY_IDS = withColumns(Q.customers_by_ids);
const BY_EXTERNAL_IDS = withColumns(Q.customers_by_external_ids);

/** Customer field name -> its select-list item (`c.first_name AS "firstName"`), from customer_columns. */
const COLUMN_BY_FIELD = new Map(
  Q.customer_columns.split(',').map((item) => {
    const text = item.trim();
    const alias = /AS "(\w+)"$/.exec(text)?.[1] ?? text.replace(/^c\./, '');
    return [alias, text] as const;
  }),
);

/** The select list for the requested fields (always the id); every column when `fields` is absent. */
function selectList(fields: ReadonlySet<string> | undefined): string {
  if (!fields) return Q.customer_columns;
  const items = ['c.id'];
  for (const [field, item] of COLUMN_BY_FIELD) if (field !== 'id' && fields.has(field)) items.push(item);
  return items.join(', ');
}

export interface CustomerFilter {
  /** Exact external id, or case-insensitive prefix of email, first or last name, or phone. */
  search?: string | null;
  country?: string | null;
  consent?: { channel: Channel; status: ConsentStatus } | null;
  createdFrom?: Date | null;
  createdBefore?: Date | null;
  includeErased?: boolean | null;
  /** False for callers who see contact fields masked: search then ignores email and phone. */
  searchContactFields?: boolean;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The search box's phone pattern: digits without separators, `00` read as `+`; null when not a number. */
function phonePrefix(term: string): string | null {
  const digits = term.replace(/[\s().-]/g, '');
  if (!/^\+?\d{3,}$/.test(digits)) return null;
  return `${escapeLike(digits.startsWith('00') ? `+${digits.slice(2)}` : digits)}%`;
}

/** The WHERE conditions and parameters of a filter (the user's `%`, `_` and `\` taken literally). */
function conditions(f: CustomerFilter, after: string | null): { where: string; params: Record<string, unknown> } {
  const parts: string[] = [];
  const params: Record<string, unknown> = {};
  if (after !== null) {
    parts.push(Q.cond_after);
    params.after = after;
  }
  if (f.country) {
    parts.push(Q.cond_country);
    params.country = f.country;
  }
  if (f.createdFrom) {
    parts.push(Q.cond_created_from);
    params.created_from = f.createdFrom;
  }
  if (f.createdBefore) {
    parts.push(Q.cond_created_before);
    params.created_before = f.createdBefore;
  }
  const term = f.search?.trim();
  if (term) {
    const prefix = `${escapeLike(term.toLowerCase())}%`;
    const phone = phonePrefix(term);
    if (f.searchContactFields === false) parts.push(Q.cond_search_names);
    else parts.push(phone ? Q.cond_search_phone : Q.cond_search);
    Object.assign(params, { term, prefix }, phone && f.searchContactFields !== false ? { phone } : {});
  }
  if (f.consent) {
    parts.push(Q.cond_consent);
    Object.assign(params, { channel: f.consent.channel, status: f.consent.status });
  }
  if (!f.includeErased) parts.push(Q.cond_not_erased);
  return { where: parts.length ? parts.join('\n  AND ') : 'true', params };
}

/** Nested lists a customer page can fetch in its own query (see prefetch_* in customers.sql). */
export interface PagePrefetch {
  consents?: boolean;
  transactions?: { first: number; before: Date | null };
}

/** A customer row of a page, with the nested lists fetched along with it, if any. */
export type PageCustomer = Customer & { prefetchedConsents?: CustomerConsent[]; prefetchedTransactions?: Transaction[] };

/**
 * One keyset page of customers in id order: `limit` rows after the id `after`. With `fields`, only
 * those columns are read (the rows are then partial: fine for the page, not for a cache); with
 * `prefetch`, the nested lists come in the same query.
 */
export async function findCustomers(
  db: Db,
  filter: CustomerFilter,
  after: string | null,
  limit: number,
  fields?: ReadonlySet<string>,
  prefetch: PagePrefetch = {},
): Promise<PageCustomer[]> {
  const { where, params } = conditions(filter, after);
  let columns = selectList(fields);
  if (prefetch.consents) columns += `,\n${Q.prefetch_consents}`;
  if (prefetch.transactions) {
    columns += `,\n${Q.prefetch_transactions}`;
    Object.assign(params, { tx_first: prefetch.transactions.first, tx_before: prefetch.transactions.before ?? 'infinity' });
  }
  const text = Q.list_customers.replace('{{columns}}', columns).replace('{{conditions}}', where);
  const { rows } = await db.pool.query<PageCustomer>({ ...bindNamed(text, { ...params, limit }, { prepare: true }), types: API_ROW_TYPES });
  return rows;
}

/** How many customers match `filter` (all pages). */
export async function countCustomers(db: Db, filter: CustomerFilter): Promise<number> {
  const { where, params } = conditions(filter, null);
  const { rows } = await db.pool.query<{ count: string }>(bindNamed(Q.count_customers.replace('{{conditions}}', where), params, { prepare: true }));
  return Number(rows[0].count);
}

/** Customers by internal ids or by external ids (erased ones included: a direct lookup shows the tombstone). */
export async function loadCustomers(db: Db, by: { ids?: readonly string[]; externalIds?: readonly string[] }): Promise<Customer[]> {
  const query = by.ids ? bindNamed(BY_IDS, { ids: by.ids }, { prepare: true }) : bindNamed(BY_EXTERNAL_IDS, { external_ids: by.externalIds ?? [] }, { prepare: true });
  const { rows } = await db.pool.query<Customer>({ ...query, types: API_ROW_TYPES });
  return rows;
}

// Named: prepared once per connection (these run on every customer page).
const CONSENTS = { name: 'consents_by_customer', text: Q.consents_by_customer };
/** The stored consents of these customers, one row per customer and channel (channels never asked have none). */
export async function loadConsents(db: Db, customerIds: readonly string[]): Promise<CustomerConsent[]> {
  const { rows } = await db.pool.query<CustomerConsent>({ ...CONSENTS, values: [customerIds], types: API_ROW_TYPES });
  return rows;
}

const RECENT_TRANSACTIONS = { name: 'recent_transactions', text: Q.recent_transactions };
/** Up to `limit` purchases per customer that occurred before `before` (any time when null), newest first. */
export async function loadRecentTransactions(db: Db, customerIds: readonly string[], limit: number, before: Date | null): Promise<Transaction[]> {
  const { rows } = await db.pool.query<Transaction>({ ...RECENT_TRANSACTIONS, values: [customerIds, limit, before ?? 'infinity'], types: API_ROW_TYPES });
  return rows;
}

/** Up to `limit` events per customer, only those named `name` and before `before` when given, newest first. */
export async function loadRecentEvents(db: Db, customerIds: readonly string[], limit: number, name: string | null, before: Date | null): Promise<CustomerEvent[]> {
  const { rows } = await db.pool.query<CustomerEvent>(Q.recent_events, [customerIds, limit, name, before]);
  return rows;
}

/** Up to `limit` consent changes per customer, on `channel` only when given, newest change first. */
export async function loadConsentHistory(db: Db, customerIds: readonly string[], channel: Channel | null, limit: number): Promise<(ConsentChange & { customerId: string })[]> {
  const { rows } = await db.pool.query<ConsentChange & { customerId: string }>(Q.consent_history, [customerIds, channel, limit]);
  return rows;
}
