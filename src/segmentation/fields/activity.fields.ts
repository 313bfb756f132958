import type { Condition } from '../rules.js';
import { windowFilter, type FieldDef } from './field.js';

function transactionAggregate(key: string, description: string, aggregate: string, refunded: boolean): FieldDef {
  return {
    key: `transactions.${key}`,
    family: 'transactions',
    type: 'NUMBER',
    aggregate: true,
    description,
    sensitive: false,
    params: ['category', 'within', 'between'],
    sql: (ctx, c: Condition) => {
      const category = c.params?.category !== undefined ? ` AND t.category = ${ctx.param(c.params.category)}` : '';
      return `SELECT t.customer_id, ${aggregate} AS v FROM transactions t WHERE ${refunded ? '' : 'NOT '}t.is_refunded${category}${windowFilter(ctx, 't.occurred_at', c.params)} GROUP BY t.customer_id`;
    },
  };
}

/**
 * Behaviour over time: purchases (how many, how much, refunds) and events (how many of a name, with
 * property filters), optionally in a category and a time window. Evaluated as one grouped subquery
 * per condition, joined to customers (transactions_customer_time_idx, customer_events_name_time_idx).
 */
export const activityFields: readonly FieldDef[] = [
  transactionAggregate('count', 'Purchases (refunds excluded), optionally in a category and a window. "Bought at least 3 times this month": GTE 3 within 30 DAYS.', 'count(*)', false),
  transactionAggregate('total_spent', 'Amount spent (refunds excluded), optionally in a category and a window. "Spent at least 100 on books in the last 90 days".', 'sum(t.amount)', false),
  transactionAggregate('refunded_count', 'Refunded purchases, optionally in a category and a window. "Refunded an item": GTE 1.', 'count(*)', true),
  {
    key: 'events.count',
    family: 'events',
    type: 'NUMBER',
    aggregate: true,
    description: 'Events of a name, optionally in a window and with property equalities. "Favourited at least 3 songs in the last 14 days".',
    sensitive: false,
    params: ['eventName', 'within', 'between', 'properties'],
    requiredParams: ['eventName'],
    sql: (ctx, c: Condition) => {
      const props = (c.params?.properties ?? []).map((p) => ` AND e.properties ->> ${ctx.param(p.key)} = ${ctx.param(p.value)}`).join('');
      return `SELECT e.customer_id, count(*) AS v FROM customer_events e WHERE e.name = ${ctx.param(c.params!.eventName)}${windowFilter(ctx, 'e.occurred_at', c.params)}${props} GROUP BY e.customer_id`;
    },
  },
];
