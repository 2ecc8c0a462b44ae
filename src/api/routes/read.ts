import { Type, type Static } from '@sinclair/typebox';
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Scope } from '../../access/access.js';
import { invalid } from '../../hub/errors.js';
import { cursorText, parseSeq } from '../../hub/cursor.js';
import { queryRequirements, type EventPredicate, type ReadQuery } from '../../hub/hub.js';
import { CesqlParseError, compileCesql } from '../../cesql/index.js';
import { filterRequirements } from '../../cesql/index.js';
import { renderFor } from '../../hub/render.js';
import { auditScope } from '../../access/audit-scope.js';
import type { Channel } from '../../access/audit.js';
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

function compileQueryFilter(expression: string | undefined): EventPredicate | undefined {
  if (expression === undefined) return undefined;
  try {
    return compileCesql(expression).matches;
  } catch (error) {
    if (error instanceof CesqlParseError) {
      throw invalid(`filter is not a valid CESQL expression: ${error.message}.`, [{ pointer: '/querystring/filter', message: error.message }]);
    }
    throw error;
  }
}

/** The caller's filter and their grant's row filter: an event must pass both. */
function both(a: EventPredicate | undefined, b: EventPredicate | undefined): EventPredicate | undefined {
  if (!a) return b;
  if (!b) return a;
  return (event) => a(event) && b(event);
}

function toReadQuery(q: EventsQuery, after: number, scope: Scope): Omit<ReadQuery, 'limit'> {
  const query = {
    after,
    types: q.type,
    subjects: q.subject,
    sources: q.source,
    since: timeQuery(q.since, 'since'),
    until: timeQuery(q.until, 'until'),
    predicate: both(scope.predicate, compileQueryFilter(q.filter)),
  };
  // Live readers with filters skip whole commits they cannot match.
  return { ...query, requires: queryRequirements({ ...query, requires: q.filter === undefined ? undefined : filterRequirements([{ sql: q.filter }]) }) };
}

type Wants = 'json' | 'ndjson' | 'sse';

function negotiate(accept: string | undefined): Wants {
  if (!accept) return 'json';
  if (accept.includes('text/event-stream')) return 'sse';
  if (accept.includes('application/x-ndjson')) return 'ndjson';
  return 'json';
}

export async function readRoutes(app: FastifyInstance): Promise<void> {
  const { hub, access, metrics, audit, limits } = app.deps;

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
          ...problems(400, 401, 403, 404),
        },
      },
    },
    async (request: FastifyRequest<{ Params: ListParams; Querystring: EventsQuery }>, reply: FastifyReply) => {
      const started = process.hrtime.bigint();
      const { list } = request.params;
      const scope = authorize(access, request, 'events.read', list);
      limitRate(limits.read, request.principal!, reply);
      await hub.requireList(list);
      const q = request.query;
      const wants = negotiate(request.headers.accept);
      const lastEventId = request.headers['last-event-id'];
      const afterRaw = wants === 'sse' && typeof lastEventId === 'string' && lastEventId !== '' ? lastEventId : q.after;
      const after = afterRaw === undefined ? 0 : parseSeq(afterRaw, afterRaw === q.after ? 'after' : 'Last-Event-ID');
      const query = toReadQuery(q, after, scope);

      const principal = request.principal!;
      const scopeRecord = auditScope({ grants: scope.filters, types: q.type, subjects: q.subject, sources: q.source, filter: q.filter });
      const delivered = (channel: Channel) => (events: { seq: number }[]) =>
        audit.record(principal.id, list, channel, events.map((e) => e.seq), scopeRecord);
      const stream = { principal: principal.id, keyId: principal.keyId, list, fields: scope.fields };
      if (wants === 'sse') return serveSse(app, reply, list, query, stream, delivered('sse'));
      if (wants === 'ndjson') return serveNdjson(app, reply, list, query, stream, delivered('ndjson'));

      // A page is fully determined by the query, the caller and the head: same head, same page.
      const head = hub.head(list);
      const etag = `"${createHash('sha1').update(`${request.url}|${request.principal?.id ?? ''}|${head}`).digest('base64url').slice(0, 22)}"`;
      reply.header('etag', etag).header('cache-control', 'no-cache');
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      const page = await hub.read(list, { ...query, limit: q.limit ?? 100 });
      metrics.readDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
      let body = '{"events":[';
      for (let i = 0; i < page.events.length; i++) body += (i ? ',' : '') + renderFor(page.events[i], scope.fields);
      body += `],"next":"${cursorText(page.next, after, afterRaw)}","head":"${page.head}"}`;
      delivered('pull')(page.events);
      return reply.type('application/json; charset=utf-8').send(body);
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
      const { list } = request.params;
      const scope = authorize(access, request, 'events.read', list);
      await hub.requireList(list);
      limitRate(limits.read, request.principal!, reply);
      const event = await hub.getEvent(list, parseSeq(request.params.seq, 'seq'));
      if (scope.predicate && !scope.predicate(JSON.parse(event.body))) {
        return hub.getEvent(list, -1); // same 404 as a missing event: no existence leak
      }
      audit.record(request.principal!.id, list, 'event', [event.seq], auditScope({ grants: scope.filters }));
      reply.header('cache-control', 'private, max-age=31536000, immutable');
      return reply.type('application/cloudevents+json; charset=utf-8').send(renderFor(event, scope.fields));
    },
  );
}
