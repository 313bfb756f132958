import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import { DomainError } from '../errors.js';
import type { Context } from '../resolvers/context.js';

/** Codes whose message is meant for the caller; anything else is an internal error and is masked. */
const USER_CODES = new Set([
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
]);

const INTERNAL_MESSAGE = 'Internal server error; it was logged. Quote the request id to support.';

interface ClassValidatorError {
  property: string;
  constraints?: Record<string, string>;
  children?: ClassValidatorError[];
}

function flattenValidation(errors: ClassValidatorError[], prefix = ''): { field: string; reason: string }[] {
  return errors.flatMap((e) => {
    const field = /^\d+$/.test(e.property) ? `${prefix}[${e.property}]` : prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((reason) => ({ field, reason }));
    return [...own, ...flattenValidation(e.children ?? [], field)];
  });
}

/** Reason for GraphQL validation failures caused by the query limits (depth, aliases, cost). */
function limitReason(message: string): string | null {
  if (/depth/i.test(message)) return 'MAX_DEPTH';
  if (/alias/i.test(message)) return 'MAX_ALIASES';
  if (/cost/i.test(message)) return 'MAX_COST';
  return null;
}

/**
 * Shapes every error into the API's contract: `extensions: { code, field, reason }`. Domain errors
 * carry their own; class-validator and GraphQL coercion errors get the path of the bad value; any
 * other error is internal: its message is replaced (the original is logged by `errorLoggingPlugin`).
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof DomainError) {
    return { ...formatted, message: original.message, extensions: { code: original.code, field: original.field, reason: original.reason } };
  }
  if (original instanceof ArgumentValidationError) {
    const problems = flattenValidation(original.extensions.validationErrors as ClassValidatorError[]);
    return {
      ...formatted,
      message: problems.map((p) => `${p.field}: ${p.reason}`).join('; ') || formatted.message,
      extensions: { code: 'BAD_USER_INPUT', field: problems[0]?.field ?? null, reason: 'VALIDATION_FAILED', problems },
    };
  }
  const code = String(formatted.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
  if (USER_CODES.has(code)) {
    const at = /at "([^"]+)"/.exec(formatted.message)?.[1] ?? /"\$([A-Za-z0-9_]+)"/.exec(formatted.message)?.[1] ?? null;
    const extensions = { ...formatted.extensions };
    delete extensions.stacktrace;
    return {
      ...formatted,
      extensions: {
        ...extensions,
        code,
        field: (extensions.field as string | undefined) ?? at,
        reason: (extensions.reason as string | undefined) ?? limitReason(formatted.message) ?? code,
      },
    };
  }
  return { message: INTERNAL_MESSAGE, locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR', field: null, reason: 'INTERNAL' } };
}

/** Logs internal errors with the request id, and adds that id to the masked errors sent back. */
export function errorLoggingPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue, operationName }) {
          for (const e of errors) {
            const original = unwrapResolverError(e);
            if (original instanceof DomainError || original instanceof ArgumentValidationError) continue;
            if (USER_CODES.has(String(e.extensions?.code ?? ''))) continue;
            contextValue.logger.error({ err: original, requestId: contextValue.requestId, operationName, path: e.path }, 'internal GraphQL error');
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          for (const e of response.body.singleResult.errors ?? []) {
            if (e.extensions?.code === 'INTERNAL_SERVER_ERROR') (e.extensions as Record<string, unknown>).requestId = contextValue.requestId;
          }
        },
      };
    },
  };
}
