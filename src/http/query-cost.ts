import type { ApolloServerPlugin } from '@apollo/server';
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
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema, operationName }) {
          let cost: number;
          try {
            cost = getComplexity({
              schema,
              query: document,
              operationName: operationName ?? undefined,
              variables: request.variables ?? {},
              estimators: [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
            });
          } catch {
            return; // invalid variables: execution reports them, with their path, as BAD_USER_INPUT
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
