import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import {
  execute,
  getNamedType,
  GraphQLError,
  isInputObjectType,
  typeFromAST,
  type ExecutionResult,
  type GraphQLInputObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values.js';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { LRUCache } from 'lru-cache';

/** Marks operations graphql-jit cannot compile. */
const GRAPHQL_JS = Symbol('graphql-js');

/** Compiled operations kept per process; a front end sends a few dozen distinct ones. */
const COMPILED_CACHE_SIZE = 1_000;

/**
 * Executes operations with graphql-jit instead of graphql-js, plugged into Apollo Server through its
 * gateway interface (the one documented way to replace its executor). Each distinct operation is
 * compiled once into a JavaScript function; Apollo still parses, validates, runs every plugin (auth,
 * cost, errors) and formats the response.
 *
 * Why: on a page of 50 customers with nested lists, graphql-js spends more CPU walking fields than
 * Cible spends fetching them (see the API benchmark in the README for the figures).
 */
export function jitGateway(schema: GraphQLSchema): GatewayInterface {
  const compiled = new LRUCache<string, CompiledQuery | ExecutionResult | typeof GRAPHQL_JS>({ max: COMPILED_CACHE_SIZE });
  const executor: GatewayExecutor = async (rc) => {
    const key = `${rc.queryHash}\u0000${rc.operationName ?? ''}`;
    let query = compiled.get(key);
    if (!query) {
      // graphql-jit's variable coercion recurses forever on recursive input types (SegmentNodeInput):
      // operations with such variables run on graphql-js, as without the JIT.
      query = hasRecursiveVariables(schema, rc.operation) ? GRAPHQL_JS : compileQuery(schema, rc.document, rc.operationName ?? undefined);
      compiled.set(key, query);
    }
    if (query === GRAPHQL_JS)
      return execute({ schema, document: rc.document, contextValue: rc.context, variableValues: rc.request.variables, operationName: rc.operationName }) as Promise<ExecutionResult>;
    if (!isCompiledQuery(query)) return query;
    const result = (await query.query(undefined, rc.context, rc.request.variables ?? {})) as ExecutionResult;
    if (!result.errors) return result;
    if (result.data === undefined) {
      // No `data` at all: the variables did not coerce and nothing ran. graphql-jit's messages lack
      // the path inside the variable (`input.channel`), so let graphql-js, which has it, describe
      // them; this costs nothing on the happy path.
      const coerced = getVariableValues(schema, rc.operation.variableDefinitions ?? [], rc.request.variables ?? {});
      const errors = 'errors' in coerced && coerced.errors ? coerced.errors : result.errors;
      return { errors: errors.map((e) => asGraphQLError(e, 'BAD_USER_INPUT')) };
    }
    return { ...result, errors: result.errors.map((e) => asGraphQLError(e, undefined)) };
  };
  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => undefined;
    },
    async load() {
      return { executor };
    },
    async stop() {},
  };
}

/**
 * graphql-jit reports errors with its own GraphQLError look-alike (it passes `instanceof` but may lack
 * `extensions`, which Apollo's error formatting needs). Rebuild graphql's own, keeping the original.
 */
function asGraphQLError(err: GraphQLError, code: string | undefined): GraphQLError {
  if (Object.getPrototypeOf(err) === GraphQLError.prototype && !code) return err;
  const e = err as Pick<GraphQLError, 'message' | 'path' | 'originalError' | 'extensions' | 'locations'>;
  const extensions = code ? { ...e.extensions, code } : e.extensions;
  const error = new GraphQLError(e.message, { path: e.path, originalError: e.originalError ?? undefined, extensions });
  (error as { locations?: GraphQLError['locations'] }).locations = e.locations;
  return error;
}

/** True when a variable's input type contains itself (directly or through other input types). */
function hasRecursiveVariables(schema: GraphQLSchema, operation: OperationDefinitionNode): boolean {
  const recursive = (type: GraphQLInputObjectType, path: Set<GraphQLInputObjectType>): boolean => {
    if (path.has(type)) return true;
    path.add(type);
    for (const f of Object.values(type.getFields())) {
      const inner = getNamedType(f.type);
      if (isInputObjectType(inner) && recursive(inner, path)) return true;
    }
    path.delete(type);
    return false;
  };
  return (operation.variableDefinitions ?? []).some((v) => {
    const t = typeFromAST(schema, v.type as never);
    const named = t && getNamedType(t);
    return named !== undefined && isInputObjectType(named) && recursive(named, new Set());
  });
}
