import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Access } from '../access/access.js';
import type { Config } from '../config.js';
import type { Hub } from '../hub/hub.js';
import type { SubscriptionService } from '../hub/subscriptions/service.js';
import type { Agreements } from '../hub/agreements.js';
import type { Catalogue } from '../hub/catalogue/catalogue.js';
import type { AuditRecorder } from '../access/audit.js';
import type { AuditLog } from '../access/audit-log.js';
import type { RateLimiter } from '../access/rate-limit.js';
import { HubError } from '../hub/errors.js';
import type { Metrics } from '../metrics.js';
import { problem, sendProblem, toProblem, writeClientErrorProblem } from './problem.js';
import { authorize } from './authorize.js';
import { healthRoutes } from './routes/health.js';
import { listLifecycleRoutes } from './routes/list-lifecycle.js';
import { listRoutes } from './routes/lists.js';
import { publishRoutes } from './routes/publish.js';
import { readRoutes } from './routes/read.js';
import { subscriptionRoutes } from './routes/subscriptions.js';
import { accessRoutes } from './routes/access.js';
import type { ConsoleSessions } from '../access/console-sessions.js';
import { consoleDoor, consoleSessionOf, isPublicConsoleRoute } from './console/index.js';
import { catalogueRoutes } from './routes/catalogue.js';
import { graphqlRoutes } from './graphql/index.js';
import { StreamRegistry } from './streams/registry.js';
import { trackConnections } from './connections.js';
import { jsonBodyParser, validatorCompiler } from './validation.js';

export interface AppDeps {
  hub: Hub;
  access: Access;
  config: Config;
  metrics: Metrics;
  logger: Logger;
  subscriptions: SubscriptionService;
  agreements: Agreements;
  audit: AuditRecorder;
  auditLog: AuditLog;
  limits: { publish: RateLimiter; read: RateLimiter };
  catalogue: Catalogue;
  /** Web console sessions (in the store: every node serves them). */
  consoleSessions: ConsoleSessions;
}

declare module 'fastify' {
  interface FastifyInstance {
    deps: AppDeps;
    streams: StreamRegistry;
  }
}

/** The only routes that answer without credentials. */
const PUBLIC_ROUTES = new Set(['/healthz', '/readyz']);

/** The HTTP door: routes by resource, each a plugin with its schema beside it. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    // One line per request only when debugging: at 10,000 req/s request logs cost more than the work.
    logController: new LogController({ disableRequestLogging: deps.config.logLevel !== 'debug' && deps.config.logLevel !== 'trace' }),
    bodyLimit: deps.config.maxBatchBytes,
    routerOptions: { maxParamLength: 512 },
    forceCloseConnections: 'idle',
    // Every error body is problem+json, also those Fastify and Node would write themselves:
    // 503 while closing (the onRequest hook below), a URL that does not decode or a path
    // parameter that is too long (frameworkErrors), and 400/408/431 before a request
    // exists at all (clientErrorHandler).
    return503OnClosing: false,
    frameworkErrors: (error, request, reply) => sendProblem(reply, toProblem(error, request)),
    clientErrorHandler: writeClientErrorProblem,
  });
  app.setValidatorCompiler(validatorCompiler);
  // Bodies are JSON and nothing else (415 otherwise; the publish route has its own parsers),
  // and nest no deeper than the codec allows.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, jsonBodyParser(app.getDefaultJsonParser('error', 'error')));
  app.decorate('deps', deps);
  app.decorate('streams', new StreamRegistry(deps.metrics, deps.config.maxStreamsPerPrincipal));
  app.decorateRequest('principal', null);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Herold',
        version: '1',
        description: 'Event notification hub: CloudEvents event lists with pull, live streams and push delivery.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key or a JWT.' } },
      },
      tags: [
        {
          name: 'graphql',
          description:
            'The GraphQL door over the same lists: queries at POST|GET /graphql (application/graphql-response+json), subscriptions over graphql-sse at /graphql/stream and over WebSocket (graphql-transport-ws) at /graphql. The schema (SDL) is at GET /graphql/schema.graphql; docs/graphql.md describes it.',
        },
      ],
      security: [{ bearer: [] }],
    },
  });

  const { consoleSessions } = deps;
  // Every route needs credentials except health and readiness, and they come first: this
  // hook runs before the body is read and before anything is validated, so a caller without
  // valid credentials learns nothing but 401. Routes then ask `access` what the caller may do.
  let closing = false;
  app.addHook('onRequest', async (request) => {
    if (closing) throw new HubError('unavailable', 'unavailable', 'Shutting down', 'The hub is shutting down. Retry against another node or in a moment.');
    if ((request.routeOptions.url !== undefined && PUBLIC_ROUTES.has(request.routeOptions.url)) || isPublicConsoleRoute(request)) return;
    // Without an Authorization header, the console's session cookie is the credential (same-origin writes only).
    // A session whose key expired or was revoked has ended (and is gone): 401 with the reason.
    const session = request.headers.authorization === undefined ? await consoleSessionOf(request, consoleSessions) : undefined;
    if (session && 'ended' in session) throw new HubError('unauthorized', 'unauthorized', 'Unauthorized', session.ended);
    const principal = session ? session.principal : await deps.access.authenticate(request.headers.authorization);
    if (principal !== null && 'error' in principal) throw new HubError('unauthorized', 'unauthorized', 'Unauthorized', principal.error);
    request.principal = principal;
    // No credentials at all: `access` answers 401 for any action without a principal. A WebSocket
    // to the GraphQL door may bring them in its first message (connection_init); that door checks them.
    if (principal === null && !(request.routeOptions.url === '/graphql' && request.headers.upgrade?.toLowerCase() === 'websocket')) {
      authorize(deps.access, request, 'lists.list');
    }
  });

  app.setErrorHandler((error, request, reply) => {
    const p = toProblem(error, request);
    if (p.status === 401) reply.header('WWW-Authenticate', 'Bearer');
    // An answer before the body was read (401, 413, 503 ...) closes the connection instead of
    // reading the rest of the body only to throw it away.
    if (!request.raw.complete) reply.header('connection', 'close');
    return sendProblem(reply, p);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problem(404, 'not-found', 'Not found', `No route ${request.method} ${request.url.split('?')[0]}. See /openapi.json for the routes.`)),
  );

  // Close live streams first so that the server can finish in-flight requests and stop.
  // Connections that go idle after close() began (a stream just ended, a publish just
  // answered) are swept until the server has stopped, instead of lingering in keep-alive.
  // Node does not count a connection that never sent a request (a client's spare, a
  // browser's preconnect) as idle, so those are tracked here and swept with the idle ones.
  let sweeper: NodeJS.Timeout | null = null;
  const connections = trackConnections(app.server);
  app.addHook('preClose', async () => {
    closing = true;
    app.streams.closeAll('The hub is shutting down; reconnect with Last-Event-ID to resume.');
    // Keep-alive connections between requests, and ones that never sent a request, end now and as they become free.
    sweeper = setInterval(() => connections.closeUnused(), 50);
    connections.closeUnused();
  });
  app.addHook('onClose', async () => {
    if (sweeper) clearInterval(sweeper);
  });

  await app.register(healthRoutes);
  await app.register(listRoutes);
  await app.register(listLifecycleRoutes);
  await app.register(publishRoutes);
  await app.register(readRoutes);
  await app.register(subscriptionRoutes);
  await app.register(accessRoutes);
  await app.register(consoleDoor, { sessions: consoleSessions });
  await app.register(catalogueRoutes);
  await app.register(graphqlRoutes);

  app.get('/openapi.json', { schema: { hide: true } }, async (request) => {
    authorize(deps.access, request, 'docs.read');
    return app.swagger();
  });
  return app;
}
