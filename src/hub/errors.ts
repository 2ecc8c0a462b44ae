import type { Violation } from '../cloudevents/event.js';

/**
 * A failure the caller can act on. Doors turn it into their own error shape
 * (problem+json over HTTP); `type` is a stable slug for the problem type URI.
 */
export class HubError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly title: string,
    readonly detail: string,
    readonly errors: Violation[] = [],
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

export const notFound = (what: string) => new HubError(404, 'not-found', 'Not found', `${what} does not exist or is not visible to you.`);

export const invalid = (detail: string, errors: Violation[] = []) =>
  new HubError(400, 'invalid-request', 'Invalid request', detail, errors);
