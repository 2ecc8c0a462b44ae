import { GraphQLError, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import { HubError } from '../../hub/errors.js';
import { PROBLEM_TYPE_PREFIX, STATUS_OF_KIND } from '../problem.js';

/** The codes this door answers with (extensions.code). */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'QUERY_TOO_COMPLEX'
  | 'RATE_LIMITED'
  | 'CONSUMER_TOO_SLOW'
  | 'INTERNAL_SERVER_ERROR';

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'BAD_USER_INPUT',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  413: 'QUERY_TOO_COMPLEX',
  429: 'RATE_LIMITED',
};

/** An error of this door with its code, and the problem fields a REST client would get. */
export function graphqlError(code: ErrorCode, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

/** The code for an HTTP status of a refusal. */
export function codeForStatus(status: number): ErrorCode {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_USER_INPUT');
}

/** The extensions a hub refusal carries: code, HTTP status, problem type, and the pointers at fault. */
function hubExtensions(e: HubError): Record<string, unknown> {
  const status = STATUS_OF_KIND[e.kind];
  return { code: codeForStatus(status), status, type: PROBLEM_TYPE_PREFIX + e.type, ...(e.errors.length > 0 && { errors: e.errors }), ...e.extra };
}

export function fromHubError(e: HubError): GraphQLError {
  return new GraphQLError(e.detail, { extensions: hubExtensions(e) });
}

/**
 * Every error as the spec shapes it, with extensions.code. Resolver errors
 * keep their path; a hub refusal carries its problem fields; anything
 * unexpected is logged and answered without its message (it may hold internals).
 */
export function formatError(error: GraphQLError, log: (error: unknown) => void): GraphQLFormattedError {
  const original = error.originalError;
  if (original instanceof HubError) {
    return new GraphQLError(original.detail, { nodes: error.nodes, path: error.path, extensions: hubExtensions(original) }).toJSON();
  }
  if (original && !(original instanceof GraphQLError)) {
    log(original);
    return new GraphQLError('The hub failed to answer this; it has been logged. Retry later.', { path: error.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } }).toJSON();
  }
  const source = original instanceof GraphQLError ? original : error;
  const code = (source.extensions?.code as string | undefined) ?? 'BAD_USER_INPUT';
  return { ...error.toJSON(), extensions: { ...source.extensions, code } };
}

/** A result as sent: errors formatted, and `extensions` kept. */
export function formatResult(result: ExecutionResult, log: (error: unknown) => void): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (result.errors && result.errors.length > 0) out.errors = result.errors.map((e) => formatError(e, log));
  if ('data' in result) out.data = result.data;
  if (result.extensions && Object.keys(result.extensions).length > 0) out.extensions = result.extensions;
  return out;
}
