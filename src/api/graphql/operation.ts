import {
  execute,
  getOperationAST,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type OperationDefinitionNode,
} from 'graphql';
import { graphqlError } from './errors.js';
import type { GraphqlContext } from './context.js';
import { isTokenLimit, validationRules, type GraphqlLimits } from './limits.js';
import { schema } from './schema.js';

/** A GraphQL request as the transports receive it (GraphQL over HTTP, graphql-sse, graphql-ws). */
export interface GraphqlRequest {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
  extensions?: unknown;
}

/** A parsed, validated operation, ready to run. */
export interface Prepared {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  operationName?: string;
  variables?: Record<string, unknown>;
}

const rulesCache = new WeakMap<GraphqlLimits, Map<boolean, ReturnType<typeof validationRules>>>();

function rulesFor(limits: GraphqlLimits, introspection: boolean): ReturnType<typeof validationRules> {
  let byIntrospection = rulesCache.get(limits);
  if (!byIntrospection) rulesCache.set(limits, (byIntrospection = new Map()));
  let rules = byIntrospection.get(introspection);
  if (!rules) byIntrospection.set(introspection, (rules = validationRules(limits, introspection)));
  return rules;
}

/**
 * Parse (stopping at the token limit) and validate with this door's limits.
 * Nothing here reads events: a refused document costs a parse. An anonymous
 * caller (a hub run --insecure) gets no introspection and no "Did you mean ...".
 */
export function prepare(request: GraphqlRequest, limits: GraphqlLimits, opts: { anonymous: boolean }): Prepared | { errors: GraphQLError[] } {
  const { query, variables, operationName } = request;
  if (typeof query !== 'string' || query.trim() === '') {
    return { errors: [graphqlError('BAD_USER_INPUT', 'The request needs a GraphQL document in `query`.')] };
  }
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) {
    return { errors: [graphqlError('BAD_USER_INPUT', '`variables` must be a JSON object.')] };
  }
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') {
    return { errors: [graphqlError('BAD_USER_INPUT', '`operationName` must be a string.')] };
  }
  const checked = checkedDocument(query, limits, opts.anonymous);
  if ('errors' in checked) return checked;
  const { document } = checked;
  const operation = getOperationAST(document, (operationName as string | undefined) ?? undefined);
  if (!operation) {
    return { errors: [graphqlError('BAD_USER_INPUT', 'Name the operation to run with `operationName`: the document has none or several.')] };
  }
  return { document, operation, operationName: (operationName as string | undefined) ?? undefined, variables: (variables as Record<string, unknown> | null) ?? undefined };
}

/** Documents already parsed and validated, by limits, caller kind and text: clients send the same few again and again. */
const checkedDocuments = new WeakMap<GraphqlLimits, Map<string, { document: DocumentNode } | { errors: GraphQLError[] }>>();
const MAX_CHECKED = 500;

function checkedDocument(query: string, limits: GraphqlLimits, anonymous: boolean): { document: DocumentNode } | { errors: GraphQLError[] } {
  let cache = checkedDocuments.get(limits);
  if (!cache) checkedDocuments.set(limits, (cache = new Map()));
  const key = `${anonymous ? 'a' : 'c'}${query}`;
  let checked = cache.get(key);
  if (checked) return checked;
  checked = check(query, limits, anonymous);
  // Only documents that passed: a refused one costs its sender a parse each time, nobody else a cache slot.
  if ('document' in checked) {
    if (cache.size >= MAX_CHECKED) cache.delete(cache.keys().next().value!);
    cache.set(key, checked);
  }
  return checked;
}

function check(query: string, limits: GraphqlLimits, anonymous: boolean): { document: DocumentNode } | { errors: GraphQLError[] } {
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens: limits.maxTokens });
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    if (isTokenLimit(error)) {
      return { errors: [graphqlError('QUERY_TOO_COMPLEX', `The document has more than ${limits.maxTokens} tokens, the most this hub parses.`, { limit: 'tokens', max: limits.maxTokens })] };
    }
    return { errors: [withCode(error, 'BAD_USER_INPUT')] };
  }
  const invalid = validate(schema, document, rulesFor(limits, limits.introspection && !anonymous), { hideSuggestions: anonymous });
  if (invalid.length > 0) return { errors: invalid.map((e) => withCode(e, 'BAD_USER_INPUT')) };
  return { document };
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  if (error.extensions?.code) return error;
  return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { ...error.extensions, code } });
}

/**
 * Run a query or a subscription's selection on one event (the root value),
 * within the execution timeout: resolvers stop asking the hub at the deadline,
 * and the answer does not wait beyond it.
 */
export async function run(prepared: Prepared, context: GraphqlContext, rootValue?: unknown, hideSuggestions = false): Promise<ExecutionResult> {
  let timer: NodeJS.Timeout | undefined;
  const limit = context.deadline - Date.now();
  const execution = Promise.resolve(
    execute({ schema, document: prepared.document, operationName: prepared.operationName, variableValues: prepared.variables, contextValue: context, rootValue, hideSuggestions }),
  );
  const result = Number.isFinite(limit)
    ? await Promise.race([
        execution,
        new Promise<ExecutionResult>((resolve) => {
          timer = setTimeout(() => {
            try {
              context.checkDeadline();
            } catch (error) {
              resolve({ errors: [error as GraphQLError] });
            }
          }, Math.max(0, limit) + 1);
        }),
      ])
    : await execution;
  if (timer) clearTimeout(timer);
  const extensions = context.extensions();
  return extensions ? { ...result, extensions: { ...result.extensions, ...extensions } } : result;
}
