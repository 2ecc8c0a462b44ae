import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Violation } from '../cloudevents/event.js';
import { type ErrorKind, HubError } from '../hub/errors.js';

export const PROBLEM_TYPE_PREFIX = 'urn:herold:problem:';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: Violation[];
  [extra: string]: unknown;
}

export function problem(status: number, slug: string, title: string, detail: string, errors?: Violation[]): Problem {
  const p: Problem = { type: PROBLEM_TYPE_PREFIX + slug, title, status, detail };
  if (errors && errors.length > 0) p.errors = errors;
  return p;
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type('application/problem+json').send(p);
}

/** Errors from the codec carry status, title, detail and violations. */
interface StatusError {
  status: number;
  title: string;
  detail: string;
  errors?: Violation[];
}

function isStatusError(e: unknown): e is StatusError {
  return typeof e === 'object' && e !== null && typeof (e as StatusError).status === 'number' && typeof (e as StatusError).detail === 'string';
}

const SLUG_BY_STATUS: Record<number, string> = {
  400: 'invalid-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  406: 'not-acceptable',
  408: 'timeout',
  409: 'conflict',
  413: 'too-large',
  414: 'too-large',
  415: 'unsupported-media-type',
  429: 'rate-limited',
  431: 'too-large',
  503: 'unavailable',
};

/**
 * Node's `clientError`: the bytes on a connection are not a request we can
 * route (headers too large, a malformed request line, a request too slow).
 * There is no request or reply yet, so the problem is written on the socket,
 * and the connection is closed.
 */
export function writeClientErrorProblem(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return;
  const p =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? problem(431, 'too-large', 'Request headers too large', 'The request headers are larger than this hub accepts (by default 16 KiB in all). Send fewer or shorter headers.')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? problem(408, 'timeout', 'Request timeout', 'The request did not arrive in time.')
        : problem(400, 'invalid-request', 'Bad request', 'The request is not valid HTTP/1.1.');
  const body = JSON.stringify(p);
  socket.end(
    `HTTP/1.1 ${p.status} ${STATUS_CODES[p.status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** The HTTP status of each kind of hub error: the one place the hub's errors meet HTTP. */
export const STATUS_OF_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'too-large': 413,
  unsupported: 415,
  'not-acceptable': 406,
  'rate-limited': 429,
  unavailable: 503,
};

/** Every error leaves as problem+json (RFC 9457), with the offending fields named. */
export function toProblem(error: unknown, request: FastifyRequest): Problem {
  if (error instanceof HubError) {
    return { ...problem(STATUS_OF_KIND[error.kind], error.type, error.title, error.detail, error.errors), ...error.extra };
  }
  const fe = error as FastifyError;
  if (fe.validation) {
    const where = fe.validationContext ?? 'body';
    const errors: Violation[] = [];
    const seen = new Set<string>();
    for (const v of fe.validation) {
      const params = v.params as { missingProperty?: string; additionalProperty?: string };
      const extra = params?.missingProperty ?? params?.additionalProperty;
      // Pointers into the body are relative to the body document, like the publish route's.
      const path = `${v.instancePath}${extra ? `/${extra}` : ''}`;
      const pointer = where === 'body' ? path : `/${where}${path}`;
      // A union reports each failed branch; one message per field is enough.
      if (seen.has(pointer)) continue;
      seen.add(pointer);
      const message = params?.additionalProperty ? 'is not a known property' : (v.message ?? 'invalid');
      errors.push({ pointer, message });
    }
    return problem(400, 'invalid-request', 'Invalid request', `The request ${where} is not valid: ${errors.map((e) => `${e.pointer} ${e.message}`).join('; ')}.`, errors);
  }
  if (isStatusError(error) && error.status >= 400 && error.status < 500) {
    return problem(error.status, SLUG_BY_STATUS[error.status] ?? 'invalid-request', error.title, error.detail, error.errors);
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem(413, 'too-large', 'Request too large', 'The request body is larger than this hub accepts. Split it into smaller batches.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem(415, 'unsupported-media-type', 'Unsupported media type', `Content-Type '${request.headers['content-type'] ?? ''}' is not accepted here; send application/json.`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return problem(400, 'invalid-request', 'Invalid JSON', 'The request body is not valid JSON.', [{ pointer: '', message: fe.message }]);
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return problem(fe.statusCode, SLUG_BY_STATUS[fe.statusCode] ?? 'invalid-request', STATUS_CODES[fe.statusCode] ?? 'Bad request', fe.message);
  }
  request.log.error({ err: error }, 'unhandled error');
  if (fe.code === 'SQLITE_BUSY' || fe.code === 'ECONNREFUSED' || /database|connection/i.test(fe.message ?? '')) {
    return problem(503, 'unavailable', 'Store unavailable', 'The event store did not answer. Retry with backoff; nothing was stored.');
  }
  return problem(500, 'internal', 'Internal error', 'The hub failed to answer this request; it has been logged. Retry later.');
}
