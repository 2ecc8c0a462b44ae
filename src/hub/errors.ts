import type { Violation } from '../cloudevents/event.js';

/**
 * What kind of failure it is, in the hub's terms. Each door maps a kind to
 * its own error shape; the HTTP statuses live in api/problem.ts.
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'too-large'
  | 'unsupported'
  | 'not-acceptable'
  | 'rate-limited'
  | 'unavailable';

/**
 * A failure the caller can act on. Doors turn it into their own error shape
 * (problem+json over HTTP); `type` is a stable slug for the problem type URI.
 */
export class HubError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly type: string,
    readonly title: string,
    readonly detail: string,
    readonly errors: Violation[] = [],
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

/**
 * The request itself is at fault, so sending it again fails again: every
 * kind but a missing thing (it may appear, e.g. a list declared later) and
 * an outage.
 */
export const isRequestFault = (error: HubError): boolean => error.kind !== 'not-found' && error.kind !== 'unavailable';

export const notFound = (what: string) => new HubError('not-found', 'not-found', 'Not found', `${what} does not exist or is not visible to you.`);

export const invalid = (detail: string, errors: Violation[] = []) =>
  new HubError('invalid', 'invalid-request', 'Invalid request', detail, errors);
