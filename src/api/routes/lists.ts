import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ListRecord } from '../../store/types.js';
import { authorize } from '../authorize.js';
import { DiscoveredListBody, ListBody, ListParams, problems } from '../schemas.js';
import { catalogueListView } from './catalogue.js';

const PutListBody = Type.Object(
  {
    title: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 4000 }), Type.Null()])),
    retentionDays: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 36500 }), Type.Null()])),
    owner: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()], { description: 'The principal that approves access to this list (admins only may set it).' })),
    validate: Type.Optional(Type.Union([Type.Literal('off'), Type.Literal('warn'), Type.Literal('enforce')], { description: 'Check published events against the declared types and attributes: off (default), warn (store, answer with warnings) or enforce (400).' })),
    discoverable: Type.Optional(Type.Boolean({ description: 'Let every authenticated principal find this list and ask for access (default false).' })),
  },
  { additionalProperties: false },
);

export function listView(list: ListRecord) {
  return {
    name: list.name,
    title: list.title,
    description: list.description,
    retentionDays: list.retentionDays,
    head: String(list.head),
    owner: list.owner,
    createdAt: list.createdAt,
    updatedAt: list.updatedAt,
  };
}

export async function listRoutes(app: FastifyInstance): Promise<void> {
  const { hub, access, catalogue } = app.deps;
  const view = catalogueListView(access, catalogue);

  app.get(
    '/lists',
    {
      schema: {
        tags: ['lists'],
        summary: 'The event lists you may see, with their heads.',
        response: { 200: Type.Object({ lists: Type.Array(Type.Union([ListBody, DiscoveredListBody])) }) },
      },
    },
    async (request) => {
      authorize(access, request, 'lists.list');
      const lists = await hub.lists();
      const visible = lists.filter((l) => access.canSee(request.principal!, l.name) || access.discovers(request.principal!, l.name));
      return { lists: visible.map((l) => view(request.principal!, listView({ ...l, head: Math.max(l.head, hub.head(l.name)) }))) };
    },
  );

  app.get<{ Params: ListParams }>(
    '/lists/:list',
    { schema: { tags: ['lists'], summary: 'Describe one list; head is its last sequence number.', params: ListParams, response: { 200: Type.Union([ListBody, DiscoveredListBody]), ...problems(404) } } },
    async (request) => {
      authorize(access, request, 'list.read', request.params.list);
      return view(request.principal!, listView(await hub.getList(request.params.list)));
    },
  );

  app.put<{ Params: ListParams; Body: Static<typeof PutListBody> }>(
    '/lists/:list',
    {
      schema: {
        tags: ['lists'],
        summary: 'Create (201) or update (200) a list.',
        params: ListParams,
        body: PutListBody,
        response: { 200: ListBody, 201: ListBody, ...problems(400, 401, 403) },
      },
      // An empty PUT creates the list with no title or description.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      // One answer for a list the caller may not see and one that does not exist.
      authorize(access, request, 'list.put', request.params.list);
      const { owner, validate, discoverable, ...fields } = request.body ?? {};
      if (owner !== undefined) authorize(access, request, 'admin');
      const { created, list } = await hub.putList({ name: request.params.list, ...fields });
      if (owner !== undefined) {
        await access.setOwner(list.name, owner);
        list.owner = owner;
      }
      if (validate !== undefined || discoverable !== undefined) await catalogue.putSettings(list.name, { validate, discoverable });
      reply.code(created ? 201 : 200);
      if (created) reply.header('location', `/lists/${list.name}`);
      return view(request.principal!, listView({ ...list, head: Math.max(list.head, hub.head(list.name)) }));
    },
  );
}
