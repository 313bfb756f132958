import DataLoader from 'dataloader';
import type { Db } from '../db/database.js';
import {
  loadConsentHistory,
  loadConsents,
  loadCustomers,
  loadRecentEvents,
  loadRecentTransactions,
} from '../customers/customer-queries.js';
import type { ConsentChange, CustomerConsent } from '../schema/consent.entity.js';
import type { CustomerEvent } from '../schema/customer-event.entity.js';
import type { Customer } from '../schema/customer.entity.js';
import type { Transaction } from '../schema/transaction.entity.js';
import type { Channel } from '../schema/enums.js';
import type { CustomerMetrics } from '../schema/customer-metrics.types.js';
import { loadCustomerMetrics } from '../segmentation/customer-metrics.js';

function groupBy<T>(ids: readonly string[], rows: readonly T[], key: (r: T) => string): T[][] {
  const byId = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    let list = byId.get(k);
    if (!list) byId.set(k, (list = []));
    list.push(r);
  }
  return ids.map((id) => byId.get(id) ?? []);
}

/** One DataLoader per distinct argument set of a parameterised field (e.g. `transactions(first: 3)`). */
function keyed<V>(make: (argsKey: string) => DataLoader<string, V>) {
  const loaders = new Map<string, DataLoader<string, V>>();
  return (argsKey: string) => {
    let l = loaders.get(argsKey);
    if (!l) loaders.set(argsKey, (l = make(argsKey)));
    return l;
  };
}

/**
 * Per-request batch loaders: every field that fetches by parent goes through one of these, so a page
 * of N customers costs one query per nested field, not N.
 */
export function createLoaders(db: Db) {
  return {
    customerById: new DataLoader<string, Customer | null>(async (ids) => {
      const rows = await loadCustomers(db, { ids });
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    customerByExternalId: new DataLoader<string, Customer | null>(async (ids) => {
      const rows = await loadCustomers(db, { externalIds: ids });
      const byId = new Map(rows.map((r) => [r.externalId, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    metrics: new DataLoader<string, CustomerMetrics | null>(async (ids) => {
      const rows = await loadCustomerMetrics<CustomerMetrics & { customerId: string }>(db, ids);
      const byId = new Map(rows.map((r) => [r.customerId, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    consents: new DataLoader<string, CustomerConsent[]>(async (ids) => groupBy(ids, await loadConsents(db, ids), (r) => r.customerId)),
    /** Keyed by `${limit}|${before ISO or ''}`. */
    transactions: keyed((argsKey) => {
      const [limit, before] = argsKey.split('|');
      return new DataLoader<string, Transaction[]>(async (ids) =>
        groupBy(ids, await loadRecentTransactions(db, ids, Number(limit), before ? new Date(before) : null), (r) => r.customerId),
      );
    }),
    events: keyed((argsKey) => {
      const { limit, name, before } = JSON.parse(argsKey) as { limit: number; name: string | null; before: string | null };
      return new DataLoader<string, CustomerEvent[]>(async (ids) =>
        groupBy(ids, await loadRecentEvents(db, ids, limit, name, before ? new Date(before) : null), (r) => r.customerId),
      );
    }),
    consentHistory: keyed((argsKey) => {
      const { channel, limit } = JSON.parse(argsKey) as { channel: Channel | null; limit: number };
      return new DataLoader<string, (ConsentChange & { customerId: string })[]>(async (ids) =>
        groupBy(ids, await loadConsentHistory(db, ids, channel, limit), (r) => r.customerId),
      );
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
