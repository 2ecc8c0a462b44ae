import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { binaryPointers, parseHttpEvents, structuredPointers, type HttpMode } from '../../cloudevents/index.js';
import type { PointersAt } from '../../hub/catalogue/check.js';
import { describePrefixes, sourceAllowed } from '../../access/source-prefix.js';
import { authorize } from '../authorize.js';
import { HubError } from '../../hub/errors.js';
import { limitRate } from '../rate-limit.js';
import { ListParams, Seq, problems } from '../schemas.js';

const Warnings = Type.Optional(
  Type.Array(Type.Object({ pointer: Type.String(), message: Type.String() }), { description: "What the list's catalogue found under validate: warn (the events were stored)." }),
);
const SingleResult = Type.Object({ seq: Seq, duplicate: Type.Optional(Type.Boolean()), warnings: Warnings });
const BatchResult = Type.Object({ results: Type.Array(Type.Object({ seq: Seq, duplicate: Type.Boolean() })), warnings: Warnings });

/**
 * POST /lists/{list}/events in every CloudEvents HTTP mode. The body is taken
 * raw (any content type) and decoded by the CloudEvents codec.
 */
export async function publishRoutes(app: FastifyInstance): Promise<void> {
  const { hub, access, config, metrics, limits } = app.deps;
  const codecLimits = {
    maxEventBytes: config.maxEventBytes,
    maxBatchEvents: config.maxBatchEvents,
    maxBatchBytes: config.maxBatchBytes,
  };

  // This plugin's own parsers: binary mode accepts any media type as the event's data.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: config.maxBatchBytes }, (_req, body, done) => done(null, body));

  app.post<{ Params: ListParams }>(
    '/lists/:list/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Publish CloudEvents: binary (ce-* headers), structured (application/cloudevents+json) or batch (application/cloudevents-batch+json).',
        params: ListParams,
        response: {
          200: { ...SingleResult, description: 'The same event was already stored: its original seq, duplicate true.' },
          201: Type.Union([SingleResult, BatchResult], { description: 'Stored durably. One event: {seq}; a batch: {results}.' }),
          ...problems(400, 401, 403, 404, 409, 413, 415),
        },
      },
    },
    async (request: FastifyRequest<{ Params: ListParams }>, reply) => {
      const started = process.hrtime.bigint();
      const { list } = request.params;
      reply.raw.once('finish', () => {
        metrics.publishRequests.inc({ status: String(reply.statusCode) });
        metrics.publishDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
      });
      const scope = authorize(access, request, 'events.publish', list);
      limitRate(limits.publish, request.principal!, reply);
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const { mode, events, serialized } = parseHttpEvents(request.headers, body, codecLimits);
      const prefixes = scope.sources;
      if (prefixes) {
        const rule = describePrefixes(prefixes);
        const errors = events
          .map((e, i) => ({ e, i }))
          .filter(({ e }) => !sourceAllowed(e.source, prefixes))
          .map(({ i }) => ({ pointer: mode === 'batch' ? `/${i}/source` : mode === 'binary' ? '/headers/ce-source' : '/source', message: `must be ${rule}` }));
        if (errors.length > 0) {
          throw new HubError('forbidden', 'forbidden', 'Forbidden source', `You may publish to '${list}' only events whose source is ${rule}.`, errors);
        }
      }
      const { results, warnings } = await hub.publish(list, events, serialized, pointersIn(mode));
      const warned = warnings ? { warnings } : {};
      if (mode === 'batch') {
        reply.code(201);
        return { results: results.map((r) => ({ seq: String(r.seq), duplicate: r.duplicate })), ...warned };
      }
      const [r] = results;
      reply.header('location', `/lists/${list}/events/${r.seq}`);
      if (r.duplicate) return reply.code(200).send({ seq: String(r.seq), duplicate: true, ...warned });
      return reply.code(201).send({ seq: String(r.seq), ...warned });
    },
  );
}

/** Where each event of a request is, for the catalogue's pointers: `/3/data/x` in a batch, headers in binary mode. */
function pointersIn(mode: HttpMode): PointersAt {
  if (mode === 'batch') return (i) => structuredPointers(`/${i}`);
  const one = mode === 'binary' ? binaryPointers : structuredPointers('');
  return () => one;
}
