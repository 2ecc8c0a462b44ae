import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ListRemoval } from '../../hub/list-removal.js';
import { authorize } from '../authorize.js';
import { ListParams, problems } from '../schemas.js';

/** DELETE /lists/{list}: the domain is in hub/list-removal.ts. */
export async function listLifecycleRoutes(app: FastifyInstance): Promise<void> {
  const { hub, access, subscriptions, catalogue, logger } = app.deps;
  const removal = new ListRemoval(hub, access, subscriptions, catalogue, logger);

  app.delete<{ Params: ListParams; Querystring: { force?: boolean } }>(
    '/lists/:list',
    {
      schema: {
        tags: ['lists'],
        summary:
          'Delete a list with its events, grants, publishers, pending access requests and catalogue (owner or admin). 409 while it has subscriptions, unless ?force=true deletes them too. Re-created, the list continues after the deleted head: seqs are never reused.',
        params: ListParams,
        querystring: Type.Object({ force: Type.Optional(Type.Boolean({ default: false })) }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...problems(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      authorize(access, request, 'list.manage', request.params.list);
      await removal.remove(request.principal!, request.params.list, request.query.force === true);
      return reply.code(204).send();
    },
  );
}
