import type { ApolloServerPlugin } from '@apollo/server';
import { LRUCache } from 'lru-cache';
import { GraphQLError } from 'graphql';
import { fieldExtensionsEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';
import type { Context } from '../resolvers/context.js';

/**
 * Refuses operations whose estimated cost exceeds `maxCost`, before anything executes. The estimate
 * is computed once the operation is resolved, with the actual variables, so `first: $n` is costed
 * like `first: 500` (a static validation rule sees only literals). List fields declare their
 * multiplier with type-graphql's `complexity` option (see `listCost`); other fields cost 1.
 */
export function queryCostPlugin(options: { maxCost: number }): ApolloServerPlugin<Context> {
  // Front ends repeat the same operations with the same small variables (page sizes, filters): their
  // cost is remembered. Large variables (bulk rows) are not worth keying on and are costed each time.
  const costs = new LRUCache<string, number>({ max: 5_000 });
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema, operationName, queryHash }) {
          const variables = request.variables ?? {};
          const small = Object.values(variables).every((v) => !Array.isArray(v) || v.length <= 20);
          const json = small ? JSON.stringify(variables) : '';
          const key = small && json.length <= 2_000 ? `${queryHash}\u0000${operationName ?? ''}\u0000${json}` : null;
          let cost = key ? costs.get(key) : undefined;
          if (cost === undefined) {
            try {
              cost = getComplexity({
                schema,
                query: document,
                operationName: operationName ?? undefined,
                variables,
                estimators: [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
              });
            } catch {
              return; // invalid variables: execution reports them, with their path, as BAD_USER_INPUT
            }
            if (key) costs.set(key, cost);
          }
          if (cost > options.maxCost)
            throw new GraphQLError(`query cost ${cost} exceeds the limit of ${options.maxCost}: ask for smaller pages or fewer nested lists`, {
              extensions: { code: 'BAD_USER_INPUT', field: null, reason: 'MAX_COST', cost, maxCost: options.maxCost, http: { status: 400 } },
            });
        },
      };
    },
  };
}

/** Complexity of a paged list field: its items times the page size `first` (or its default). */
export function listCost(defaultFirst: number) {
  return ({ args, childComplexity }: { args: Record<string, unknown>; childComplexity: number }) =>
    1 + childComplexity * (typeof args.first === 'number' ? args.first : defaultFirst);
}

/** Complexity of a bulk write: its selection plus one point per `rowsPerPoint` input rows. */
export function bulkCost(rowsPerPoint: number) {
  return ({ args, childComplexity }: { args: Record<string, unknown>; childComplexity: number }) =>
    1 + childComplexity + Math.ceil((Array.isArray(args.input) ? args.input.length : 0) / rowsPerPoint);
}
