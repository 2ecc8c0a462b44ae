import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toProblem } from '../problem.js';
import { HubError } from '../../hub/errors.js';
import { codeForStatus } from './errors.js';
import { httpRoutes, responseType } from './http.js';
import { limitsOf } from './limits.js';
import { sseRoutes } from './sse.js';
import type { SubscriptionHost } from './subscription.js';
import { wsHandler } from './ws.js';

/** A WebSocket upgrade: its credentials may come later, in connection_init. */
function isUpgrade(request: FastifyRequest): boolean {
  return request.headers.upgrade?.toLowerCase() === 'websocket';
}

/**
 * The GraphQL door: queries over HTTP at /graphql, subscriptions over
 * graphql-sse at /graphql/stream and graphql-ws at /graphql, the SDL at
 * /graphql/schema.graphql. A thin adapter over the hub's scoped reads; its
 * errors are GraphQL responses with extensions.code.
 */
export async function graphqlRoutes(app: FastifyInstance): Promise<void> {
  const { hub, access, catalogue, config, limits } = app.deps;
  const host: SubscriptionHost = { hub, access, catalogue, limits: limitsOf(config), streams: app.streams, readRate: limits.read, heartbeatMs: config.heartbeatSeconds * 1000 };
  await app.register(websocket, { options: { maxPayload: 1024 * 1024 } });

  // Authentication first: without credentials, 401 before the body is read.
  app.addHook('onRequest', async (request) => {
    if (!request.principal && !isUpgrade(request)) {
      throw new HubError('unauthorized', 'unauthorized', 'Unauthorized', 'This needs credentials: send Authorization: Bearer <API key or token>.');
    }
  });

  app.setErrorHandler((error, request, reply: FastifyReply) => {
    const p = toProblem(error, request);
    if (p.status === 401) reply.header('WWW-Authenticate', 'Bearer');
    const code = codeForStatus(p.status);
    // A request error: no `data`, the HTTP status says what went wrong (GraphQL over HTTP).
    const body = { errors: [{ message: p.detail, extensions: { code, status: p.status, type: p.type, ...(p.errors && { errors: p.errors }) } }] };
    return reply.code(p.status).type(`${responseType(request.headers.accept)}; charset=utf-8`).send(body);
  });

  await httpRoutes(app, host, wsHandler(host, config.streamStallSeconds * 1000));
  await sseRoutes(app, host);
}
