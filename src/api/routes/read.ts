import { Type, type Static } from '@sinclair/typebox';
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Scope } from '../../access/access.js';
import { cursorText, parseSeq } from '../../hub/cursor.js';
import { cesqlFilter, type EventQuery } from '../../hub/caller-query.js';
import { limitRate } from '../rate-limit.js';
import { authorize } from '../authorize.js';
import { ListName, ListParams, Seq, ServedEvent, problems } from '../schemas.js';
import { serveNdjson } from '../streams/ndjson.js';
import { serveSse } from '../streams/sse.js';
import { timeQuery } from '../validation.js';

const EventsQuery = Type.Object(
  {
    after: Type.Optional(Seq),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    type: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 100, description: 'Exact match; repeat for any of several.' })),
    subject: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 100 })),
    source: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 100 })),
    since: Type.Optional(Type.String({ description: 'RFC 3339: commit time at or after.' })),
    until: Type.Optional(Type.String({ description: 'RFC 3339: commit time before.' })),
    filter: Type.Optional(Type.String({ maxLength: 4096, description: 'A CESQL v1 expression; an event is returned only when it evaluates to true without error.' })),
  },
  { additionalProperties: false },
);
type EventsQuery = Static<typeof EventsQuery>;

const Page = Type.Object({
  events: Type.Array(ServedEvent),
  next: { ...Seq, description: 'Pass as `after` for the next page; moves past filtered-out events.' },
  head: { ...Seq, description: 'The last sequence number of the list.' },
});

/** The request's query as the hub's: exact filters, a time window and the caller's CESQL filter. */
function toEventQuery(q: EventsQuery, after: number): EventQuery {
  return {
    after,
    types: q.type,
    subjects: q.subject,
    sources: q.source,
    since: timeQuery(q.since, 'since'),
    until: timeQuery(q.until, 'until'),
    filter: q.filter === undefined ? undefined : cesqlFilter(q.filter, '/querystring/filter'),
  };
}

/**
 * A page is fully determined by the query, the caller, what the caller's
 * scope serves, and the head: the same tag means the same page. A changed
 * grant changes the scope's fingerprint, so it never answers 304.
 */
function pageTag(url: string, scope: Scope, head: number): string {
  const key = `${url}|${scope.principal.id}|${scope.fingerprint}|${(scope.fields ?? ['*']).join(',')}|${head}`;
  return `"${createHash('sha1').update(key).digest('base64url').slice(0, 22)}"`;
}

type Wants = 'json' | 'ndjson' | 'sse';

function negotiate(accept: string | undefined): Wants {
  if (!accept) return 'json';
  if (accept.includes('text/event-stream')) return 'sse';
  if (accept.includes('application/x-ndjson')) return 'ndjson';
  return 'json';
}

export async function readRoutes(app: FastifyInstance): Promise<void> {
  const { hub, access, metrics, limits } = app.deps;

  app.get<{ Params: ListParams; Querystring: EventsQuery }>(
    '/lists/:list/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Read events after a cursor. Accept: application/json (pages), application/x-ndjson (whole range, streamed) or text/event-stream (replay, then live).',
        params: ListParams,
        querystring: EventsQuery,
        headers: Type.Object({ 'last-event-id': Type.Optional(Type.String()) }),
        response: {
          200: {
            description: 'A page (JSON), or a stream (NDJSON / SSE: each event a structured CloudEvent).',
            content: {
              'application/json': { schema: Page },
              'application/x-ndjson': { schema: { type: 'string' } },
              'text/event-stream': { schema: { type: 'string' } },
            },
          },
          304: { description: 'Not modified: nothing new since the ETag in If-None-Match.', type: 'null' },
          ...problems(400, 401, 403, 404, 429),
        },
      },
    },
    async (request: FastifyRequest<{ Params: ListParams; Querystring: EventsQuery }>, reply: FastifyReply) => {
      const started = process.hrtime.bigint();
      const { list } = request.params;
      const scope = authorize(access, request, 'events.read', list);
      limitRate(limits.read, request.principal!, reply);
      const q = request.query;
      const wants = negotiate(request.headers.accept);
      const lastEventId = request.headers['last-event-id'];
      const afterRaw = wants === 'sse' && typeof lastEventId === 'string' && lastEventId !== '' ? lastEventId : q.after;
      const after = afterRaw === undefined ? 0 : parseSeq(afterRaw, afterRaw === q.after ? 'after' : 'Last-Event-ID');
      const query = toEventQuery(q, after);
      if (wants === 'sse') return serveSse(app, reply, scope, query);
      if (wants === 'ndjson') return serveNdjson(app, reply, scope, query);

      await hub.requireList(list);
      const etag = pageTag(request.url, scope, hub.head(list));
      reply.header('etag', etag).header('cache-control', 'no-cache');
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      const page = await hub.read(scope, { ...query, limit: q.limit ?? 100 }, 'pull');
      metrics.readDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
      const next = cursorText(page.next, after, afterRaw);
      let body = '{"events":[';
      for (let i = 0; i < page.events.length; i++) body += (i ? ',' : '') + page.events[i].json;
      body += `],"next":"${next}","head":"${page.head}"}`;
      // `next` and `head` again as headers: a client can ask for the following page before it has read this one's body.
      reply.header('herold-next', next).header('herold-head', String(page.head));
      return reply.type('application/json; charset=utf-8').send(body);
    },
  );

  const ActivityQuery = Type.Object(
    { minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 1440, default: 60, description: 'How many minutes back, one count per minute.' })) },
    { additionalProperties: false },
  );
  app.get<{ Params: ListParams; Querystring: Static<typeof ActivityQuery> }>(
    '/lists/:list/activity',
    {
      schema: {
        tags: ['events'],
        summary: 'Events per minute you may read, oldest minute first (counts only: not audited as a read of events).',
        params: ListParams,
        querystring: ActivityQuery,
        response: {
          200: Type.Object({
            since: Type.String({ format: 'date-time', description: 'Start of the first minute.' }),
            perMinute: Type.Array(Type.Integer({ minimum: 0 })),
            partial: Type.Boolean({ description: 'True when the window held more than the 10,000 newest events counted.' }),
          }),
          ...problems(400, 401, 403, 404, 429),
        },
      },
    },
    async (request, reply) => {
      const scope = authorize(access, request, 'events.read', request.params.list);
      limitRate(limits.read, request.principal!, reply);
      const minutes = request.query.minutes ?? 60;
      const since = Math.floor(Date.now() / 60_000) * 60_000 - (minutes - 1) * 60_000;
      const { buckets, partial } = await hub.activity(scope, since, 60_000);
      return { since: new Date(since).toISOString(), perMinute: buckets.slice(0, minutes), partial };
    },
  );

  const EventParams = Type.Object({ list: ListName, seq: Seq });
  app.get<{ Params: Static<typeof EventParams> }>(
    '/lists/:list/events/:seq',
    {
      schema: {
        tags: ['events'],
        summary: 'One event by sequence number.',
        params: EventParams,
        response: { 200: { description: 'A structured CloudEvent.', content: { 'application/cloudevents+json': { schema: ServedEvent } } }, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const scope = authorize(access, request, 'events.read', request.params.list);
      limitRate(limits.read, request.principal!, reply);
      // A hidden event answers exactly like a missing one (the hub decides).
      const event = await hub.getEvent(scope, parseSeq(request.params.seq, 'seq'), 'event', request.params.seq);
      // Private and revalidated: what the caller may see of it changes with the grant.
      reply.header('cache-control', 'private, no-cache');
      return reply.type('application/cloudevents+json; charset=utf-8').send(event.json);
    },
  );
}
