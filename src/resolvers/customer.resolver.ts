import type { GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema } from 'graphql';
import { getArgumentValues } from 'graphql/execution/values.js';
import { Arg, Ctx, FieldResolver, ID, Info, Int, Query, Resolver, Root } from 'type-graphql';
import { MASKED_CONTACT_ROLES } from '../auth/access-policy.js';
import { countCustomers, findCustomers, type PageCustomer, type PagePrefetch } from '../customers/customer-queries.js';
import { maskContactFields } from '../customers/mask.js';
import { listCost } from '../http/query-cost.js';
import { badInput } from '../errors.js';
import { normaliseCountry } from '../ingestion/field-checks.js';
import { ConsentChange, CustomerConsent } from '../schema/consent.entity.js';
import { CustomerEvent } from '../schema/customer-event.entity.js';
import { CustomerConnection, CustomerFilterInput } from '../schema/customer-connection.type.js';
import { Customer } from '../schema/customer.entity.js';
import { Channel, ConsentStatus } from '../schema/enums.js';
import { decodeCursor, encodeCursor, isBigintId } from '../schema/page.type.js';
import { Transaction } from '../schema/transaction.entity.js';
import type { Context } from './context.js';
import { selectedFieldNodes, selectedFields } from './selection.js';

const MAX_PAGE = 500;
const MAX_NESTED = 100;

/** Checks a page size argument; errors name the argument. */
export function checkFirst(first: number, field: string, max: number): number {
  if (!Number.isInteger(first) || first < 0 || first > max) throw badInput(field, 'OUT_OF_RANGE', `${field} must be between 0 and ${max}`);
  return first;
}

const isMasked = (ctx: Context) => ctx.principal !== null && MASKED_CONTACT_ROLES.has(ctx.principal.role);

function present(ctx: Context, c: Customer): Customer {
  return isMasked(ctx) ? maskContactFields(c) : c;
}

/** `Customer.consents`: the current consent on every channel, NEVER_ASKED where nothing is stored. */
export async function customerConsents(customer: Customer, ctx: Context): Promise<Partial<CustomerConsent>[]> {
  const stored = (customer as PageCustomer).prefetchedConsents ?? (await ctx.loaders.consents.load(customer.id));
  return CHANNELS.map(
    (channel) =>
      stored.find((s) => s.channel === channel) ?? {
        customerId: customer.id,
        channel,
        status: ConsentStatus.NEVER_ASKED,
        source: null,
        changedAt: null,
        recordedAt: null,
      },
  );
}

/** `Customer.transactions(first, before)`: newest first, batched across the customers of a request. */
export function customerTransactions(customer: Customer, args: { first: number; before?: Date | null }, ctx: Context): Promise<Transaction[]> {
  checkFirst(args.first, 'first', MAX_NESTED);
  const key = transactionsKey(args.first, args.before ?? null);
  const page = customer as PageCustomer & { prefetchedTransactionsKey?: string };
  if (page.prefetchedTransactions && page.prefetchedTransactionsKey === key) return Promise.resolve(page.prefetchedTransactions);
  return ctx.loaders.transactions(key).load(customer.id);
}

const transactionsKey = (first: number, before: Date | null) => `${first}|${before?.toISOString() ?? ''}`;

const PAGE_NODES = [['nodes'], ['edges', 'node']] as const;

/**
 * Look-ahead: which nested lists of a customer page can come with the page's own query. Consents
 * always can; transactions when every selection of them on the page asks the same valid arguments
 * (aliases with different arguments fall back to the batched loaders).
 */
function pagePrefetch(info: GraphQLResolveInfo, fields: ReadonlySet<string>): PagePrefetch {
  const prefetch: PagePrefetch = { consents: fields.has('consents') };
  const nodes = selectedFieldNodes(info, PAGE_NODES, 'transactions');
  if (nodes.length === 0) return prefetch;
  const def = (info.schema.getType('Customer') as GraphQLObjectType).getFields().transactions;
  try {
    const sets = nodes.map((n) => getArgumentValues(def, n, info.variableValues) as { first: number; before?: Date | null });
    const keys = new Set(sets.map((a) => transactionsKey(a.first, a.before ?? null)));
    const { first, before } = sets[0];
    if (keys.size === 1 && Number.isInteger(first) && first >= 0 && first <= MAX_NESTED) prefetch.transactions = { first, before: before ?? null };
  } catch {
    // invalid arguments: the field resolver reports them, with their path
  }
  return prefetch;
}

const CHANNELS = Object.values(Channel);

/**
 * The fields every customer page asks for, resolved by plain functions rather than through
 * type-graphql's per-call parameter machinery (~5% of CPU on a page of 50 customers with consents
 * and transactions). The decorated methods below still declare them, and call the same functions.
 */
export function installHotCustomerResolvers(schema: GraphQLSchema): void {
  const fields = (schema.getType('Customer') as GraphQLObjectType).getFields();
  fields.consents.resolve = (root: Customer, _args, ctx: Context) => customerConsents(root, ctx);
  fields.transactions.resolve = (root: Customer, args: { first: number; before?: Date | null }, ctx: Context) => customerTransactions(root, args, ctx);
}

@Resolver(() => Customer)
export class CustomerResolver {
  @Query(() => Customer, { nullable: true, description: 'One customer by internal id or by external id (exactly one of the two). Null when none.' })
  async customer(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { nullable: true }) id?: string | null,
    @Arg('externalId', () => String, { nullable: true }) externalId?: string | null,
  ): Promise<Customer | null> {
    if ((id == null) === (externalId == null)) throw badInput('id', 'ONE_OF', 'give exactly one of id and externalId');
    if (id != null && !isBigintId(id)) throw badInput('id', 'INVALID_ID', 'id must be a customer id (digits)');
    const row = id != null ? await ctx.loaders.customerById.load(id) : await ctx.loaders.customerByExternalId.load(externalId!);
    return row ? present(ctx, row) : null;
  }

  @Query(() => CustomerConnection, { description: 'Customers in id order, filtered, one keyset page at a time.', complexity: listCost(50) })
  async customers(
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
    @Arg('filter', () => CustomerFilterInput, { nullable: true }) filter?: CustomerFilterInput | null,
    @Arg('first', () => Int, { defaultValue: 50, description: `Page size, at most ${MAX_PAGE}.` }) first = 50,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after?: string | null,
  ): Promise<CustomerConnection> {
    checkFirst(first, 'first', MAX_PAGE);
    const afterId = after ? decodeCursor(after) : null;
    if (after && !afterId) throw badInput('after', 'INVALID_CURSOR', 'after is not a cursor returned by this API');
    const masked = isMasked(ctx);
    const f = { ...filter, searchContactFields: !masked };
    if (f.country != null) {
      const country = normaliseCountry(f.country);
      if (!country) throw badInput('filter.country', 'INVALID_COUNTRY', 'country must be an ISO 3166-1 alpha-2 code such as FR');
      f.country = country;
    }
    if (f.search != null && f.search.length > 200) throw badInput('filter.search', 'TOO_LONG', 'search is limited to 200 characters');
    const fields = selectedFields(info, PAGE_NODES);
    const prefetch = pagePrefetch(info, fields);
    const rows = await findCustomers(ctx.db, f, afterId, first + 1, fields, prefetch);
    const txKey = prefetch.transactions ? transactionsKey(prefetch.transactions.first, prefetch.transactions.before) : undefined;
    const page = rows.slice(0, first).map((c) => present(ctx, txKey ? Object.assign(c, { prefetchedTransactionsKey: txKey }) : c));
    return {
      // A getter: most pages ask for `nodes` only, and edges cost a cursor per customer.
      get edges() {
        return page.map((node) => ({ cursor: encodeCursor(node.id), node }));
      },
      nodes: page,
      pageInfo: { hasNextPage: rows.length > first, endCursor: page.length ? encodeCursor(page[page.length - 1].id) : null },
      countAll: () => countCustomers(ctx.db, f),
    };
  }

  @FieldResolver(() => [CustomerConsent], { description: 'Current marketing consent on every channel (NEVER_ASKED where nothing was recorded).' })
  consents(@Root() customer: Customer, @Ctx() ctx: Context): Promise<Partial<CustomerConsent>[]> {
    return customerConsents(customer, ctx);
  }

  @FieldResolver(() => [ConsentChange], {
    description: 'Consent changes as received, newest first, including those a newer change outranked.',
    complexity: listCost(20),
  })
  async consentHistory(
    @Root() customer: Customer,
    @Ctx() ctx: Context,
    @Arg('channel', () => Channel, { nullable: true }) channel?: Channel | null,
    @Arg('first', () => Int, { defaultValue: 20 }) first = 20,
  ): Promise<ConsentChange[]> {
    checkFirst(first, 'first', MAX_NESTED);
    return ctx.loaders.consentHistory(JSON.stringify({ channel: channel ?? null, limit: first })).load(customer.id);
  }

  @FieldResolver(() => [Transaction], { description: 'Purchases, newest first. Page back with `before` = the oldest occurredAt seen.', complexity: listCost(20) })
  transactions(
    @Root() customer: Customer,
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { defaultValue: 20, description: `At most ${MAX_NESTED}.` }) first = 20,
    @Arg('before', () => Date, { nullable: true }) before?: Date | null,
  ): Promise<Transaction[]> {
    return customerTransactions(customer, { first, before }, ctx);
  }

  @FieldResolver(() => [CustomerEvent], { description: 'Behavioural events, newest first, optionally of one name.', complexity: listCost(20) })
  async events(
    @Root() customer: Customer,
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { defaultValue: 20, description: `At most ${MAX_NESTED}.` }) first = 20,
    @Arg('name', () => String, { nullable: true }) name?: string | null,
    @Arg('before', () => Date, { nullable: true }) before?: Date | null,
  ): Promise<CustomerEvent[]> {
    checkFirst(first, 'first', MAX_NESTED);
    return ctx.loaders.events(JSON.stringify({ limit: first, name: name ?? null, before: before ?? null })).load(customer.id);
  }
}

@Resolver(() => CustomerConnection)
export class CustomerConnectionResolver {
  @FieldResolver(() => Int, { description: 'Customers matching the filter across all pages (one extra COUNT query: ask only when shown).' })
  totalCount(@Root() connection: CustomerConnection): Promise<number> {
    return connection.countAll();
  }
}
