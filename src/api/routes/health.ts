import type { FastifyInstance } from 'fastify';
import { authorize } from '../authorize.js';
import { problem, sendProblem } from '../problem.js';

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  const { hub, access, metrics } = app.deps;

  app.get('/healthz', { schema: { tags: ['operations'], summary: 'The process is up.', security: [] } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { tags: ['operations'], summary: 'The store answers; the hub can take traffic.', security: [] } }, async (_request, reply) => {
    if (await hub.ping()) return { status: 'ready', store: hub.storeKind };
    return sendProblem(reply, problem(503, 'unavailable', 'Not ready', 'The event store does not answer.'));
  });

  app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics.' } }, async (request, reply) => {
    authorize(access, request, 'admin');
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
