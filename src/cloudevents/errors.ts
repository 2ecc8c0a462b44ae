import type { Violation } from './event.js';

/** HTTP status a CloudEvents decoding failure maps to. */
export type CloudEventsErrorStatus = 400 | 413 | 415;

/**
 * The one error the codec throws for bad input. It carries what an RFC 9457
 * problem+json answer needs: `status`, `title`, `detail` and, for 400/413,
 * every violation found, each addressed by a JSON pointer into the request.
 */
export class CloudEventsError extends Error {
  readonly status: CloudEventsErrorStatus;
  readonly title: string;
  readonly detail: string;
  readonly errors: Violation[];

  constructor(status: CloudEventsErrorStatus, title: string, detail: string, errors: Violation[] = []) {
    super(`${title}: ${detail}`);
    this.name = 'CloudEventsError';
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.errors = errors;
  }
}

export function isCloudEventsError(e: unknown): e is CloudEventsError {
  return e instanceof CloudEventsError;
}
