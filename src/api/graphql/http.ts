import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebsocketHandler } from '@fastify/websocket';
import type { Principal } from '../../access/scope.js';
import { HubError } from '../../hub/errors.js';
import { limitRate } from '../rate-limit.js';
import { GraphqlContext, type GraphqlDeps } from './context.js';
import { formatResult, graphqlError } from './errors.js';
import { prepare, run, type GraphqlRequest } from './operation.js';
import { printedSchema } from './schema.js';
import { Splices } from './fast-nodes.js';

export const GRAPHQL_RESPONSE = 'application/graphql-response+json';

/**
 * A caller without credentials. Only a hub running --insecure lets one
 * through (as admin); it gets no introspection and no field suggestions.
 */
export function isAnonymous(principal: Principal): boolean {
  return principal.credential.kind === 'insecure';
}

/** The authenticated caller, or 401 before anything of the request is read. */
export function requirePrincipal(request: FastifyRequest): Principal {
  if (request.principal) return request.principal;
  throw new HubError('unauthorized', 'unauthorized', 'Unauthorized', 'This needs credentials: send Authorization: Bearer <API key or token>.');
}

/** application/graphql-response+json unless the client only takes application/json (GraphQL over HTTP). */
export function responseType(accept: string | undefined): string {
  if (!accept || accept.includes(GRAPHQL_RESPONSE) || accept.includes('*/*') || !accept.includes('application/json')) return GRAPHQL_RESPONSE;
  return 'application/json';
}

/** GraphQL over HTTP: queries by POST (JSON body) or GET (query string); subscriptions have their own transports. */
export async function httpRoutes(app: FastifyInstance, deps: GraphqlDeps, wsHandler: WebsocketHandler): Promise<void> {
  const { limits } = app.deps;

  const answer = async (request: FastifyRequest, reply: FastifyReply, body: GraphqlRequest) => {
    const principal = requirePrincipal(request);
    limitRate(limits.read, principal, reply);
    const type = responseType(request.headers.accept);
    reply.type(`${type}; charset=utf-8`).header('cache-control', 'private, no-store');
    const anonymous = isAnonymous(principal);
    const prepared = prepare(body, deps.limits, { anonymous });
    const log = (error: unknown) => request.log.error({ err: error }, 'GraphQL resolver failed');
    if ('errors' in prepared) return reply.code(type === GRAPHQL_RESPONSE ? 400 : 200).send(formatResult(prepared, log));
    if (prepared.operation.operation !== 'query') {
      const error = graphqlError('BAD_USER_INPUT', 'Subscriptions are served over graphql-sse at /graphql/stream and over WebSocket (graphql-transport-ws) at /graphql.');
      return reply.code(type === GRAPHQL_RESPONSE ? 400 : 200).send(formatResult({ errors: [error] }, log));
    }
    const context = new GraphqlContext(deps, principal, Date.now() + deps.limits.timeoutMs);
    const splices = (context.splices = new Splices());
    const result = await run(prepared, context, undefined, anonymous);
    const response = formatResult(result, log);
    return reply.code(200).send(splices.size > 0 ? splices.serialize(response) : response);
  };

  app.post<{ Body: GraphqlRequest }>(
    '/graphql',
    { schema: { tags: ['graphql'], summary: 'GraphQL query (GraphQL over HTTP). The SDL is at /graphql/schema.graphql; docs/graphql.md describes it.' }, bodyLimit: 1024 * 1024 },
    async (request, reply) => {
      if (typeof request.body !== 'object' || request.body === null || Array.isArray(request.body)) {
        requirePrincipal(request);
        throw new HubError('invalid', 'invalid-request', 'Invalid request', 'The body must be a JSON object {query, variables?, operationName?}.');
      }
      return answer(request, reply, request.body);
    },
  );

  app.route<{ Querystring: Record<string, string | undefined> }>({
    method: 'GET',
    url: '/graphql',
    schema: { tags: ['graphql'], summary: 'GraphQL query by GET (?query=&variables=&operationName=), or a WebSocket upgrade (graphql-transport-ws) for subscriptions.' },
    // The WebSocket door (ws.ts) takes the upgrade requests to the same path.
    wsHandler,
    handler: async (request, reply) => {
      const q = request.query;
      let variables: unknown;
      if (q.variables !== undefined && q.variables !== '') {
        requirePrincipal(request);
        try {
          variables = JSON.parse(q.variables);
        } catch {
          throw new HubError('invalid', 'invalid-request', 'Invalid request', '`variables` must be JSON.', [{ pointer: '/querystring/variables', message: 'not JSON' }]);
        }
      }
      return answer(request, reply, { query: q.query, variables, operationName: q.operationName || undefined });
    },
  });

  app.get('/graphql/schema.graphql', { schema: { tags: ['graphql'], summary: 'The GraphQL schema (SDL).' } }, async (request, reply) => {
    const principal = requirePrincipal(request);
    if (isAnonymous(principal)) throw new HubError('unauthorized', 'unauthorized', 'Unauthorized', 'The schema is served to authenticated callers: send Authorization: Bearer <API key or token>.');
    return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-cache').send(printedSchema);
  });
}
