import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../../access/scope.js';
import { HubError } from '../../hub/errors.js';
import { parseSeq } from '../../hub/cursor.js';
import { GraphqlContext } from './context.js';
import { formatResult } from './errors.js';
import { DISTINCT, EventStreamWriter, pump, singleConnection, type Framing } from './event-stream.js';
import { isAnonymous, requirePrincipal } from './http.js';
import { prepare, run, type GraphqlRequest } from './operation.js';
import { subscribe, type SubscriptionHost } from './subscription.js';

const TOKEN_HEADER = 'x-graphql-event-stream-token';
/** A reserved single-connection stream that nobody connects to is dropped after this long. */
const RESERVATION_MS = 30_000;

/** A single-connection stream (PUT reserves it; GET connects; POST and DELETE run and stop operations on it). */
interface Reservation {
  principal: Principal;
  writer: EventStreamWriter | null;
  operations: Map<string, AbortController>;
  expiry: NodeJS.Timeout;
}

/**
 * The graphql-sse transport at /graphql/stream, in both of its modes:
 * distinct connections (one SSE response per operation) and single
 * connection (one SSE response, operations posted to it by id). Each `next`
 * of a subscription carries the event's eventid as the SSE `id:`, and
 * Last-Event-ID raises `after`, so a reconnecting client resumes exactly.
 */
export async function sseRoutes(app: FastifyInstance, host: SubscriptionHost): Promise<void> {
  const rule = app.deps.config;
  const reservations = new Map<string, Reservation>();
  const logOf = (request: FastifyRequest) => (error: unknown) => request.log.error({ err: error }, 'GraphQL subscription failed');

  /** Run one operation onto a stream; errors, too, travel as `next` (graphql-sse), then `complete`. */
  const operate = async (request: FastifyRequest, principal: Principal, body: GraphqlRequest, writer: EventStreamWriter, framing: Framing, signal: AbortSignal) => {
    const log = logOf(request);
    const anonymous = isAnonymous(principal);
    const prepared = prepare(body, host.limits, { anonymous });
    const fail = async (result: Record<string, unknown>) => {
      (await writer.send(framing.next(result))) && (await writer.send(framing.complete()));
      return 'complete' as const;
    };
    if ('errors' in prepared) return fail(formatResult(prepared, log));
    if (prepared.operation.operation === 'query') {
      const result = await run(prepared, new GraphqlContext(host, principal, Date.now() + host.limits.timeoutMs), undefined, anonymous);
      return fail(formatResult(result, log));
    }
    const lastEventId = request.headers['last-event-id'];
    let resumeAfter: number | undefined;
    try {
      resumeAfter = typeof lastEventId === 'string' && lastEventId !== '' ? parseSeq(lastEventId, 'Last-Event-ID') : undefined;
    } catch (error) {
      if (error instanceof HubError) return fail({ errors: [{ message: error.detail, extensions: { code: 'BAD_USER_INPUT' } }] });
      throw error;
    }
    const sub = await subscribe(host, { principal, authorization: request.headers.authorization, prepared, kind: 'graphql-sse', resumeAfter, signal });
    if ('errors' in sub) return fail(formatResult(sub, log));
    return pump(writer, sub, framing, log);
  };

  const paramsOf = (request: FastifyRequest): GraphqlRequest => {
    if (request.method !== 'GET') return (request.body ?? {}) as GraphqlRequest;
    const q = request.query as Record<string, string | undefined>;
    let variables: unknown;
    try {
      variables = q.variables ? JSON.parse(q.variables) : undefined;
    } catch {
      throw new HubError('invalid', 'invalid-request', 'Invalid request', '`variables` must be JSON.', [{ pointer: '/querystring/variables', message: 'not JSON' }]);
    }
    return { query: q.query, variables, operationName: q.operationName, extensions: q.extensions ? JSON.parse(q.extensions) : undefined };
  };

  const tokenOf = (request: FastifyRequest): string | undefined => {
    const header = request.headers[TOKEN_HEADER];
    if (typeof header === 'string' && header !== '') return header;
    const q = (request.query as Record<string, string | undefined>).token;
    return q || undefined;
  };

  /** The caller's own reservation; anyone else's answers like one that does not exist. */
  const reservationOf = (request: FastifyRequest, principal: Principal): Reservation => {
    const token = tokenOf(request)!;
    const r = reservations.get(token);
    if (!r || r.principal.id !== principal.id) throw new HubError('not-found', 'not-found', 'Not found', 'No such event stream: reserve one with PUT /graphql/stream.');
    return r;
  };

  // Shutdown: single-connection streams end with their connection (their subscriptions end as streams do).
  app.addHook('preClose', async () => {
    for (const r of reservations.values()) r.writer?.end();
  });

  const wantsStream = (request: FastifyRequest) => (request.headers.accept ?? '').includes('text/event-stream');

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const principal = requirePrincipal(request);
    const token = tokenOf(request);
    if (token === undefined) {
      // Distinct connections: this request is the operation, and its response the stream.
      if (!wantsStream(request)) throw new HubError('not-acceptable', 'not-acceptable', 'Not acceptable', 'Ask for Accept: text/event-stream, or reserve a single-connection stream with PUT first.');
      const body = paramsOf(request);
      const writer = new EventStreamWriter(reply, rule);
      await operate(request, principal, body, writer, DISTINCT, writer.signal);
      writer.end();
      return;
    }
    const r = reservationOf(request, principal);
    if (wantsStream(request)) {
      if (r.writer) throw new HubError('conflict', 'conflict', 'Conflict', 'This event stream is already open.');
      clearTimeout(r.expiry);
      const writer = (r.writer = new EventStreamWriter(reply, rule));
      const heartbeat = setInterval(() => void writer.send(':\n\n'), host.heartbeatMs);
      writer.signal.addEventListener('abort', () => {
        clearInterval(heartbeat);
        for (const op of r.operations.values()) op.abort();
        reservations.delete(token);
      });
      return;
    }
    // Single connection: an operation to run on the open stream.
    const body = paramsOf(request);
    const operationId = (body.extensions as { operationId?: unknown } | undefined)?.operationId;
    if (typeof operationId !== 'string' || operationId === '') {
      throw new HubError('invalid', 'invalid-request', 'Invalid request', 'A single-connection operation needs extensions.operationId.', [{ pointer: '/extensions/operationId', message: 'required' }]);
    }
    if (r.operations.has(operationId)) throw new HubError('conflict', 'conflict', 'Conflict', `Operation '${operationId}' is already running on this stream.`);
    const writer = r.writer;
    if (!writer) throw new HubError('conflict', 'conflict', 'Conflict', 'Connect to the event stream (GET with Accept: text/event-stream) before posting operations to it.');
    const op = new AbortController();
    writer.signal.addEventListener('abort', () => op.abort(), { once: true });
    r.operations.set(operationId, op);
    void operate(request, principal, body, writer, singleConnection(operationId), op.signal)
      .then((end) => {
        // The hub is stopping (or the stream failed): end the connection so the client reconnects.
        if (end === 'interrupted' && !op.signal.aborted) writer.end();
      })
      .catch(logOf(request))
      .finally(() => r.operations.delete(operationId));
    return reply.code(202).send();
  };

  const route = { schema: { tags: ['graphql'], summary: 'GraphQL subscriptions over Server-Sent Events (graphql-sse, both modes).' }, bodyLimit: 1024 * 1024 };
  app.post('/graphql/stream', route, handle);
  app.get('/graphql/stream', route, handle);

  app.put('/graphql/stream', route, async (request, reply) => {
    const principal = requirePrincipal(request);
    const token = randomBytes(24).toString('base64url');
    const expiry = setTimeout(() => {
      if (!reservations.get(token)?.writer) reservations.delete(token);
    }, RESERVATION_MS);
    expiry.unref();
    reservations.set(token, { principal, writer: null, operations: new Map(), expiry });
    return reply.code(201).type('text/plain; charset=utf-8').send(token);
  });

  app.delete('/graphql/stream', route, async (request, reply) => {
    const principal = requirePrincipal(request);
    if (tokenOf(request) === undefined) throw new HubError('not-found', 'not-found', 'Not found', 'No such event stream: send its token in x-graphql-event-stream-token.');
    const r = reservationOf(request, principal);
    const operationId = (request.query as Record<string, string | undefined>).operationId;
    if (!operationId) throw new HubError('invalid', 'invalid-request', 'Invalid request', 'Name the operation to stop with ?operationId=.', [{ pointer: '/querystring/operationId', message: 'required' }]);
    r.operations.get(operationId)?.abort();
    return reply.code(200).send();
  });
}
