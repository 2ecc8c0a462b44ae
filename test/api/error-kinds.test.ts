import { describe, expect, it } from 'vitest';
import { STATUS_OF_KIND, toProblem } from '../../src/api/problem.js';
import { type ErrorKind, HubError, invalid, isRequestFault, notFound } from '../../src/hub/errors.js';

/**
 * Hub errors carry a kind, not an HTTP status; api/problem.ts is the one
 * place a kind becomes a status (and AMQP ingest asks isRequestFault).
 */
const request = { log: { error: () => undefined }, headers: {} } as unknown as Parameters<typeof toProblem>[1];

describe('error kinds', () => {
  it('each kind leaves HTTP with its status, slug, detail, pointers and extra members', () => {
    const want: Record<ErrorKind, number> = { invalid: 400, unauthorized: 401, forbidden: 403, 'not-found': 404, conflict: 409, 'too-large': 413, unsupported: 415, 'not-acceptable': 406, 'rate-limited': 429, unavailable: 503 };
    expect(STATUS_OF_KIND).toEqual(want);
    for (const [kind, status] of Object.entries(want) as [ErrorKind, number][]) {
      const e = new HubError(kind, `slug-${kind}`, 'Title', 'What happened.', [{ pointer: '/x', message: 'bad' }], { seq: '7' });
      expect(e).not.toHaveProperty('status');
      expect(toProblem(e, request)).toEqual({ type: `urn:herold:problem:slug-${kind}`, title: 'Title', status, detail: 'What happened.', errors: [{ pointer: '/x', message: 'bad' }], seq: '7' });
    }
    expect(toProblem(notFound("List 'x'"), request)).toMatchObject({ status: 404, type: 'urn:herold:problem:not-found' });
    expect(toProblem(invalid('No.'), request)).toMatchObject({ status: 400, type: 'urn:herold:problem:invalid-request' });
  });

  it('a request fault is every kind but a missing thing and an outage (AMQP ingest dead-letters those, retries the rest)', () => {
    const faults = (Object.keys(STATUS_OF_KIND) as ErrorKind[]).filter((k) => isRequestFault(new HubError(k, k, k, k)));
    expect(faults).toEqual(['invalid', 'unauthorized', 'forbidden', 'conflict', 'too-large', 'unsupported', 'not-acceptable', 'rate-limited']);
  });
});
