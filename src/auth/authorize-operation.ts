import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import type { Context } from '../resolvers/context.js';
import { isAllowed } from './access-policy.js';

/** Root field names of an operation, through inline fragments and fragment spreads. */
export function rootFieldNames(selectionSet: SelectionSetNode, fragments: Record<string, FragmentDefinitionNode>, seen = new Set<string>()): Set<string> {
  const names = new Set<string>();
  for (const s of selectionSet.selections) {
    if (s.kind === Kind.FIELD) names.add(s.name.value);
    else if (s.kind === Kind.INLINE_FRAGMENT) for (const n of rootFieldNames(s.selectionSet, fragments, seen)) names.add(n);
    else if (!seen.has(s.name.value) && fragments[s.name.value]) {
      seen.add(s.name.value);
      for (const n of rootFieldNames(fragments[s.name.value].selectionSet, fragments, seen)) names.add(n);
    }
  }
  return names;
}

const INTROSPECTION = new Set(['__schema', '__type']);

function authError(code: 'UNAUTHENTICATED' | 'FORBIDDEN', message: string, field: string | null): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code, field, reason: code, http: { status: code === 'UNAUTHENTICATED' ? 401 : 403 } },
  });
}

/**
 * Checks, once per operation and before anything executes, that the caller's role may call every
 * root field it selects (ACCESS_POLICY). Per-operation rather than per-field: no cost on the hot path.
 * Introspection needs a key unless the sandbox is on (development).
 */
export function authorizeOperationPlugin(options: { publicIntrospection: boolean }): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, contextValue, schema }) {
          if (!operation) return;
          const fragments: Record<string, FragmentDefinitionNode> = {};
          for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
          const rootType = schema.getRootType(operation.operation);
          const typeName = rootType?.name ?? 'Query';
          const fields = [...rootFieldNames(operation.selectionSet, fragments)].filter((f) => f !== '__typename');
          const principal = contextValue.principal;
          for (const field of fields) {
            if (INTROSPECTION.has(field)) {
              if (!principal && !options.publicIntrospection) throw authError('UNAUTHENTICATED', 'an API key is required', null);
              continue;
            }
            if (!principal) throw authError('UNAUTHENTICATED', 'a valid API key is required (Authorization: Bearer <key>)', field);
            if (!isAllowed(principal.role, typeName, field))
              throw authError('FORBIDDEN', `the ${principal.role} role may not call ${typeName}.${field}`, field);
          }
        },
      };
    },
  };
}
