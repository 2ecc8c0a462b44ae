import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Access, Principal } from '../../access/access.js';
import { asyncApiDocument } from '../../hub/catalogue/asyncapi.js';
import type { Catalogue } from '../../hub/catalogue/catalogue.js';
import { attributeView, declaredTypes, typesView, typeView, visibleAttributes } from '../../hub/catalogue/views.js';
import { catalogueViewer, fieldsOf, listAccessOf } from '../../hub/catalogue/viewer.js';
import { registryDocument } from '../../hub/catalogue/xregistry.js';
import { notFound } from '../../hub/errors.js';
import { serves } from '../../hub/project.js';
import { authorize } from '../authorize.js';
import { ListName, problems } from '../schemas.js';

const TypeParams = Type.Object({ list: ListName, type: Type.String({ minLength: 1, maxLength: 256, description: 'The event type (percent-encoded in the path).' }) });
const AttributeParams = Type.Object({ list: ListName, name: Type.String({ minLength: 1, maxLength: 64 }) });
const ListOnly = Type.Object({ list: ListName });
const Declaration = (description: string) => Type.Object({}, { additionalProperties: true, description });
const Loose = Type.Object({}, { additionalProperties: true });

const TYPE_BODY =
  'A declared event type: {title?, description?, schema?, examples?, deprecated?: {since, replacement?}}. Texts are a string or {nb?, nn?, en?}; schema is JSON Schema 2020-12 for data; examples are structured CloudEvents of this type.';
const ATTRIBUTE_BODY = "A declared extension attribute: {type: String | Integer | Boolean | Timestamp | URI, description?, personalData: none | identifier | special, legalBasis?} (legalBasis is required for personal data).";

/** A list view with the catalogue's part; for a principal who only discovers the list, just what it may know. */
export function catalogueListView(access: Access, catalogue: Catalogue) {
  return (principal: Principal, view: { name: string; title: string | null; description: string | null } & Record<string, unknown>): Record<string, unknown> => {
    const c = catalogue.of(view.name);
    const types = declaredTypes(c).map((t) => t.type);
    const role = listAccessOf(access, principal, view.name);
    if (role === 'none' && access.discovers(principal, view.name)) {
      return { name: view.name, title: view.title, description: view.description, discoverable: true, types, access: 'none' };
    }
    return { ...view, validate: c.validate, discoverable: c.discoverable, types, access: role };
  };
}

/** The hub's own address as the caller reached it, for documents that link back. */
function baseUrlOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

/**
 * The event type catalogue: declared types and attributes (managed by the
 * list's owner), and discovery as xRegistry and AsyncAPI, projected by the
 * caller's grant. Parse, call the catalogue, render.
 */
export async function catalogueRoutes(app: FastifyInstance): Promise<void> {
  const { hub, access, catalogue } = app.deps;

  /** A viewer who may read the list's catalogue; one who only discovers the list gets the answer for a missing one. */
  const viewerOf = (request: FastifyRequest, list: string) => {
    const viewer = catalogueViewer(access, request.principal, list);
    if (viewer.kind === 'discovers') throw notFound(`List '${list}'`);
    return viewer;
  };

  // ---- types -------------------------------------------------------------------

  app.get<{ Params: Static<typeof ListOnly> }>(
    '/lists/:list/types',
    { schema: { tags: ['catalogue'], summary: 'Declared event types; owners, publishers and admins also see every type seen, with counts.', params: ListOnly, response: { 200: Loose, ...problems(401, 404) } } },
    async (request) => {
      const { list } = request.params;
      const viewer = viewerOf(request, list);
      await hub.requireList(list);
      const seen = viewer.kind === 'full' ? await catalogue.seen(list) : undefined;
      return typesView(catalogue.of(list), viewer, seen);
    },
  );

  app.get<{ Params: Static<typeof TypeParams> }>(
    '/lists/:list/types/:type',
    { schema: { tags: ['catalogue'], summary: 'One declared event type, as your grant serves it.', params: TypeParams, response: { 200: Loose, ...problems(401, 404) } } },
    async (request) => {
      const { list, type } = request.params;
      const viewer = viewerOf(request, list);
      return typeView(catalogue.getType(list, type), viewer);
    },
  );

  app.get<{ Params: Static<typeof TypeParams> }>(
    '/lists/:list/types/:type/schema',
    { schema: { tags: ['catalogue'], summary: "The JSON Schema (2020-12) of a type's data (the xRegistry dataschemauri); absent when your grant does not serve data.", params: TypeParams, response: problems(401, 404) } },
    async (request, reply) => {
      const { list, type } = request.params;
      const viewer = viewerOf(request, list);
      const t = catalogue.getType(list, type);
      if (t.spec.schema === undefined || !serves(fieldsOf(viewer), 'data')) throw notFound(`The data schema of type '${type}' in list '${list}'`);
      return reply.type('application/schema+json').send(JSON.stringify(t.spec.schema));
    },
  );

  app.put<{ Params: Static<typeof TypeParams>; Body: Record<string, unknown> }>(
    '/lists/:list/types/:type',
    { schema: { tags: ['catalogue'], summary: 'Declare (201) or change (200) an event type (the list owner or an admin).', params: TypeParams, body: Declaration(TYPE_BODY), response: { 200: Loose, 201: Loose, ...problems(400, 401, 403, 404) } } },
    async (request, reply) => {
      const { list, type } = request.params;
      authorize(access, request, 'list.manage', list);
      await hub.requireList(list);
      const { created, declared } = await catalogue.putType(list, type, request.body);
      if (created) reply.code(201).header('location', `/lists/${list}/types/${encodeURIComponent(type)}`);
      return typeView(declared, { kind: 'full' });
    },
  );

  app.delete<{ Params: Static<typeof TypeParams> }>(
    '/lists/:list/types/:type',
    { schema: { tags: ['catalogue'], summary: 'Withdraw a declared type (the list owner or an admin). Its counts stay.', params: TypeParams, response: { 204: Type.Null(), ...problems(401, 403, 404) } } },
    async (request, reply) => {
      const { list, type } = request.params;
      authorize(access, request, 'list.manage', list);
      await catalogue.deleteType(list, type);
      return reply.code(204).send();
    },
  );

  // ---- attributes --------------------------------------------------------------

  app.get<{ Params: Static<typeof ListOnly> }>(
    '/lists/:list/attributes',
    { schema: { tags: ['catalogue'], summary: 'Declared extension attributes your grant serves (owners, publishers and admins see all).', params: ListOnly, response: { 200: Loose, ...problems(401, 404) } } },
    async (request) => {
      const { list } = request.params;
      const viewer = viewerOf(request, list);
      await hub.requireList(list);
      return { attributes: visibleAttributes(catalogue.of(list), viewer).map(attributeView) };
    },
  );

  app.get<{ Params: Static<typeof AttributeParams> }>(
    '/lists/:list/attributes/:name',
    { schema: { tags: ['catalogue'], summary: 'One declared extension attribute.', params: AttributeParams, response: { 200: Loose, ...problems(401, 404) } } },
    async (request) => {
      const { list, name } = request.params;
      const viewer = viewerOf(request, list);
      const a = catalogue.getAttribute(list, name);
      // An attribute the grant does not serve is absent, like a missing one.
      if (!serves(fieldsOf(viewer), name)) throw notFound(`Attribute '${name}' of list '${list}'`);
      return attributeView(a);
    },
  );

  app.put<{ Params: Static<typeof AttributeParams>; Body: Record<string, unknown> }>(
    '/lists/:list/attributes/:name',
    { schema: { tags: ['catalogue'], summary: 'Declare (201) or change (200) an extension attribute (the list owner or an admin).', params: AttributeParams, body: Declaration(ATTRIBUTE_BODY), response: { 200: Loose, 201: Loose, ...problems(400, 401, 403, 404) } } },
    async (request, reply) => {
      const { list, name } = request.params;
      authorize(access, request, 'list.manage', list);
      await hub.requireList(list);
      const { created, declared } = await catalogue.putAttribute(list, name, request.body);
      if (created) reply.code(201).header('location', `/lists/${list}/attributes/${name}`);
      return attributeView(declared);
    },
  );

  app.delete<{ Params: Static<typeof AttributeParams> }>(
    '/lists/:list/attributes/:name',
    { schema: { tags: ['catalogue'], summary: 'Withdraw a declared attribute (the list owner or an admin).', params: AttributeParams, response: { 204: Type.Null(), ...problems(401, 403, 404) } } },
    async (request, reply) => {
      const { list, name } = request.params;
      authorize(access, request, 'list.manage', list);
      await catalogue.deleteAttribute(list, name);
      return reply.code(204).send();
    },
  );

  // ---- discovery ---------------------------------------------------------------

  app.get(
    '/registry',
    { schema: { tags: ['catalogue'], summary: 'xRegistry: the lists you may read or discover as message groups, their declared types as messages, and endpoints for each way to receive them.', response: { 200: Loose, ...problems(401) } } },
    async (request) => {
      authorize(access, request, 'lists.list');
      const principal = request.principal!;
      const entries = (await hub.lists())
        .filter((l) => access.canSee(principal, l.name) || access.discovers(principal, l.name))
        .map((l) => ({ list: l, catalogue: catalogue.of(l.name), viewer: catalogueViewer(access, principal, l.name) }));
      return registryDocument(entries, baseUrlOf(request));
    },
  );

  app.get<{ Params: Static<typeof ListOnly> }>(
    '/lists/:list/asyncapi.json',
    { schema: { tags: ['catalogue'], summary: 'AsyncAPI 3.0 for this list as your grant serves it: attributes you may not see are absent.', params: ListOnly, response: { 200: Loose, ...problems(401, 404) } } },
    async (request) => {
      const { list } = request.params;
      const viewer = viewerOf(request, list);
      const record = await hub.getList(list);
      return asyncApiDocument(record, catalogue.of(list), viewer, baseUrlOf(request));
    },
  );
}
