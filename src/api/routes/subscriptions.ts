import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseSeq } from '../../hub/cursor.js';
import { invalid } from '../../hub/errors.js';
import type { AttemptRow, DeadLetterRow } from '../../store/types.js';
import { authorize } from '../authorize.js';
import { ListParams, Seq, problems } from '../schemas.js';
import { parseTimestamp } from '../validation.js';

const IdParams = Type.Object({ id: Type.String({ pattern: '^sub_[0-9a-f]{32}$' }) });
type IdParams = Static<typeof IdParams>;

const SubscriptionBody = Type.Object(
  {
    types: Type.Optional(Type.Array(Type.String())),
    source: Type.Optional(Type.String()),
    filters: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
    sink: Type.String({ description: 'http(s):// URL for webhooks; amqp:// URL for AMQP.' }),
    protocol: Type.Optional(Type.Union([Type.Literal('HTTP'), Type.Literal('AMQP')], { default: 'HTTP' })),
    protocolsettings: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'HTTP: {token?, validate?}; AMQP: {exchange, routingkey} or {queue}.' })),
    config: Type.Optional(
      Type.Object(
        {
          start: Type.Optional(Type.Union([Type.Literal('head'), Seq])),
          ordering: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('subject')])),
          mode: Type.Optional(Type.Union([Type.Literal('structured'), Type.Literal('binary')])),
          retry: Type.Optional(Type.Array(Type.Number({ minimum: 0 }), { description: 'Delays in seconds between attempts; default: exponential backoff with full jitter over 24 h.' })),
          timeout: Type.Optional(Type.Number({ description: 'Seconds per attempt (default 15).' })),
          concurrency: Type.Optional(Type.Integer({ description: 'Deliveries in flight at once (default 16).' })),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: true, description: 'Shaped after the CloudEvents Subscriptions API; unknown properties are reported as errors.' },
);

const SubscriptionView = Type.Object(
  {
    id: Type.String(),
    list: Type.String(),
    owner: Type.String(),
    sink: Type.String(),
    protocol: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
    disabledReason: Type.Optional(Type.String()),
    position: { ...Seq, description: 'Every event up to here is delivered, dead-lettered, filtered out, or waiting for a retry.' },
    lag: { ...Seq, description: 'Events between the position and the head of the list.' },
    secret: Type.Optional(Type.String({ description: 'The signing secret (whsec_…), shown only when created or rotated.' })),
  },
  { additionalProperties: true },
);

const EventNames = Type.Union([
  Type.Object(
    { id: Type.Optional(Type.String()), type: Type.Optional(Type.String()), subject: Type.Optional(Type.String()) },
    { description: "The event's id, type and subject as the subscription's owner is served them (an attribute the owner's grant does not serve is absent)." },
  ),
  Type.Null({ description: "Null when the owner may no longer read the event (or it is gone)." }),
]);

const RequestHeaders = Type.Union([
  Type.Record(Type.String(), Type.String(), {
    description:
      'What was sent besides the body. Webhook: the HTTP request headers, `authorization` redacted (webhook-signature is shown: it signs this one request and is not the secret). AMQP: exchange and routing-key.',
  }),
  Type.Null({ description: 'Null when nothing was sent (a request that could not be built) or for attempts recorded before headers were kept.' }),
]);

const Attempt = Type.Object({
  id: Type.String(),
  seq: Seq,
  webhookId: Type.String(),
  at: Type.String({ format: 'date-time' }),
  outcome: Type.String(),
  status: Type.Union([Type.Integer(), Type.Null()]),
  latencyMs: Type.Number(),
  response: Type.Union([Type.String(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  requestHeaders: RequestHeaders,
  event: EventNames,
});

const DeadLetter = Type.Object({
  seq: Seq,
  event: EventNames,
  reason: Type.String(),
  failures: Type.Integer(),
  lastStatus: Type.Union([Type.Integer(), Type.Null()]),
  lastResponse: Type.Union([Type.String(), Type.Null()]),
  at: Type.String({ format: 'date-time' }),
});

const RedeliverBody = Type.Object(
  {
    seqs: Type.Optional(Type.Array(Seq, { minItems: 1, maxItems: 10_000 })),
    from: Type.Optional(Seq),
    to: Type.Optional(Seq),
    since: Type.Optional(Type.String({ description: 'RFC 3339: events committed at or after this time ...' })),
    until: Type.Optional(Type.String({ description: '... and before this time (commit time, heroldtime).' })),
    deadletters: Type.Optional(Type.Literal(true)),
  },
  { additionalProperties: false, description: 'Exactly one of: seqs; from (and optional to); since and/or until (commit time); deadletters: true.' },
);

const attemptView = (a: AttemptRow & { id: number; event: Static<typeof EventNames> }) => ({
  id: String(a.id),
  seq: String(a.seq),
  webhookId: a.webhookId,
  at: new Date(a.at).toISOString(),
  outcome: a.outcome,
  status: a.status,
  latencyMs: Math.round(a.latencyMs * 100) / 100,
  response: a.response,
  error: a.error,
  requestHeaders: a.requestHeaders,
  event: a.event,
});

const deadView = (d: DeadLetterRow & { event: Static<typeof EventNames> }) => ({
  seq: String(d.seq),
  event: d.event,
  reason: d.reason,
  failures: d.failures,
  lastStatus: d.lastStatus,
  lastResponse: d.lastResponse,
  at: new Date(d.createdAt).toISOString(),
});

export async function subscriptionRoutes(app: FastifyInstance): Promise<void> {
  const { access, subscriptions } = app.deps;
  const tags = ['subscriptions'];

  /** The authenticated caller; whether it may manage a given subscription is access's decision, in the service. */
  const caller = (request: FastifyRequest) => {
    authorize(access, request, 'lists.list');
    return request.principal!;
  };

  app.post<{ Params: ListParams; Body: Static<typeof SubscriptionBody> }>(
    '/lists/:list/subscriptions',
    {
      schema: {
        tags,
        summary: 'Subscribe a sink to a list. The sink is checked (egress policy, webhook handshake) before anything is stored.',
        params: ListParams,
        body: SubscriptionBody,
        response: { 201: SubscriptionView, ...problems(400, 401, 403, 404, 429) },
      },
      // The schema documents the body; the subscription domain checks it and names each problem.
      attachValidation: true,
    },
    async (request, reply) => {
      const scope = authorize(access, request, 'subscriptions.create', request.params.list);
      const { view, secret } = await subscriptions.create(scope, request.body);
      reply.code(201).header('location', `/subscriptions/${view.id}`);
      return secret ? { ...view, secret } : view;
    },
  );

  app.get<{ Querystring: { list?: string } }>(
    '/subscriptions',
    {
      schema: {
        tags,
        summary: 'The subscriptions you may see, optionally for one list.',
        querystring: Type.Object({ list: Type.Optional(Type.String()) }, { additionalProperties: false }),
        response: { 200: Type.Object({ subscriptions: Type.Array(SubscriptionView) }), ...problems(401, 403) },
      },
    },
    async (request) => {
      return { subscriptions: await subscriptions.list(caller(request), request.query.list) };
    },
  );

  app.get<{ Params: IdParams }>(
    '/subscriptions/:id',
    { schema: { tags, summary: 'One subscription with status, position and lag.', params: IdParams, response: { 200: SubscriptionView, ...problems(401, 403, 404) } } },
    async (request) => {
      return subscriptions.show(caller(request), request.params.id);
    },
  );

  app.put<{ Params: IdParams; Body: Static<typeof SubscriptionBody> }>(
    '/subscriptions/:id',
    {
      schema: { tags, summary: 'Replace a subscription; takes effect at once. Position, secrets and status are kept.', params: IdParams, body: SubscriptionBody, response: { 200: SubscriptionView, ...problems(400, 401, 403, 404) } },
      attachValidation: true,
    },
    async (request) => {
      return subscriptions.replace(caller(request), request.params.id, request.body);
    },
  );

  app.delete<{ Params: IdParams }>(
    '/subscriptions/:id',
    { schema: { tags, summary: 'Delete a subscription; deliveries stop at once.', params: IdParams, response: { 204: Type.Null(), ...problems(401, 403, 404) } } },
    async (request, reply) => {
      await subscriptions.delete(caller(request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: IdParams }>(
    '/subscriptions/:id/enable',
    { schema: { tags, summary: 'Enable a disabled subscription; delivery resumes from its position.', params: IdParams, response: { 200: SubscriptionView, ...problems(401, 403, 404) } } },
    async (request) => {
      return subscriptions.enable(caller(request), request.params.id);
    },
  );

  app.post<{ Params: IdParams }>(
    '/subscriptions/:id/test',
    {
      schema: {
        tags,
        summary: 'Send a `herold.test` event to the sink now, once, and answer with the attempt: outcome, status, latency, the start of the response. Not retried, not recorded.',
        params: IdParams,
        response: {
          200: Type.Object({
            id: Type.String({ description: "The test event's id (and webhook-id)." }),
            outcome: Type.String({ description: 'success, retry (a retryable failure), dead or gone, as for a delivery.' }),
            status: Type.Union([Type.Integer(), Type.Null()]),
            latencyMs: Type.Number(),
            response: Type.Union([Type.String(), Type.Null()]),
            error: Type.Union([Type.String(), Type.Null()]),
            requestHeaders: RequestHeaders,
          }),
          ...problems(401, 403, 404),
        },
      },
    },
    async (request) => {
      const a = await subscriptions.test(caller(request), request.params.id);
      return { id: a.id, outcome: a.outcome, status: a.status ?? null, latencyMs: a.latencyMs, response: a.responseSnippet ?? null, error: a.error ?? null, requestHeaders: a.requestHeaders ?? null };
    },
  );

  app.post<{ Params: IdParams; Body: { reason?: string } | undefined }>(
    '/subscriptions/:id/disable',
    {
      schema: {
        tags,
        summary: 'Disable a subscription with a reason; nothing is lost, delivery resumes on enable.',
        params: IdParams,
        body: Type.Optional(Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false })),
        response: { 200: SubscriptionView, ...problems(401, 403, 404) },
      },
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => {
      const p = caller(request);
      return subscriptions.disable(p, request.params.id, request.body?.reason ?? `Disabled by ${p.id}.`);
    },
  );

  app.post<{ Params: IdParams; Body: { graceSeconds?: number } | undefined }>(
    '/subscriptions/:id/secret/rotate',
    {
      schema: {
        tags,
        summary: 'A new signing secret (shown once). Old secrets stay valid for graceSeconds (default 86400) and deliveries carry both signatures meanwhile.',
        params: IdParams,
        body: Type.Optional(Type.Object({ graceSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 * 86400 })) }, { additionalProperties: false })),
        response: { 200: SubscriptionView, ...problems(401, 403, 404, 409) },
      },
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => {
      const { secret, view } = await subscriptions.rotateSecret(caller(request), request.params.id, request.body?.graceSeconds ?? 86_400);
      return { ...view, secret };
    },
  );

  app.get<{ Params: IdParams; Querystring: { before?: string; limit?: number } }>(
    '/subscriptions/:id/attempts',
    {
      schema: {
        tags,
        summary: "Delivery attempts, newest first: the event's id, type and subject (as the owner is served them), the request headers sent, time, status, latency and the first 1 KiB of the response.",
        params: IdParams,
        querystring: Type.Object({ before: Type.Optional(Seq), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ attempts: Type.Array(Attempt), next: Type.Optional(Type.String()) }), ...problems(401, 403, 404) },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 100;
      const rows = await subscriptions.attempts(caller(request), request.params.id, request.query.before === undefined ? undefined : parseSeq(request.query.before, 'before'), limit);
      const attempts = rows.map(attemptView);
      return rows.length === limit ? { attempts, next: String(rows[rows.length - 1].id) } : { attempts };
    },
  );

  app.get<{ Params: IdParams; Querystring: { after?: string; limit?: number } }>(
    '/subscriptions/:id/deadletters',
    {
      schema: {
        tags,
        summary: "Events that could not be delivered, with the event's id, type and subject (as the owner is served them), the reason and the last response.",
        params: IdParams,
        querystring: Type.Object({ after: Type.Optional(Seq), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ deadletters: Type.Array(DeadLetter) }), ...problems(401, 403, 404) },
      },
    },
    async (request) => {
      const p = caller(request);
      const after = request.query.after === undefined ? 0 : parseSeq(request.query.after, 'after');
      return { deadletters: (await subscriptions.deadLetters(p, request.params.id, after, request.query.limit ?? 100)).map(deadView) };
    },
  );

  app.post<{ Params: IdParams; Body: Static<typeof RedeliverBody> }>(
    '/subscriptions/:id/redeliver',
    {
      schema: {
        tags,
        summary: 'Deliver again: given seqs, a seq range, a commit-time window, or every dead letter. Each event keeps its webhook-id.',
        params: IdParams,
        body: RedeliverBody,
        response: { 202: Type.Object({ redelivering: Type.Integer() }), ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const p = caller(request);
      const b = request.body;
      const forms = [b.seqs !== undefined, b.from !== undefined, b.since !== undefined || b.until !== undefined, b.deadletters === true].filter(Boolean).length;
      if (forms !== 1 || (b.to !== undefined && b.from === undefined)) {
        throw invalid('Give exactly one of: seqs, from (with optional to), since and/or until, or deadletters: true.', [{ pointer: '/body', message: 'exactly one form' }]);
      }
      const result = await subscriptions.redeliver(p, request.params.id, {
        seqs: b.seqs?.map((s) => parseSeq(s, 'seqs')),
        from: b.from === undefined ? undefined : parseSeq(b.from, 'from'),
        to: b.to === undefined ? undefined : parseSeq(b.to, 'to'),
        since: b.since === undefined ? undefined : parseTimestamp(b.since, 'since', '/since'),
        until: b.until === undefined ? undefined : parseTimestamp(b.until, 'until', '/until'),
        deadletters: b.deadletters,
      });
      return reply.code(202).send(result);
    },
  );
}
