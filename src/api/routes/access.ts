import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { generateApiKey } from '../../access/keys.js';
import { isReservedPrincipal, RESERVED_PRINCIPAL_RULE } from '../../access/principal-names.js';
import { invalid, notFound } from '../../hub/errors.js';
import type { AccessRequestRecord, GrantRecord } from '../../store/types.js';
import { authorize } from '../authorize.js';
import { ListParams, problems } from '../schemas.js';
import { parseTimestamp, timeQuery } from '../validation.js';

const Principal = Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\s]+$', description: 'A principal name, e.g. an organisation number 0192:987654321.' });
const Filter = Type.Unknown({ description: 'A CESQL expression (string) or Subscriptions API filter dialects (array).' });
const Fields = Type.Array(Type.String(), { description: 'Attributes the consumer may see; others are removed on every channel. `data` only if listed.' });

const grantView = (g: GrantRecord) => ({
  id: g.id,
  list: g.list,
  principal: g.principal,
  filter: g.filter,
  fields: g.fields,
  createdBy: g.createdBy,
  createdAt: new Date(g.createdAt).toISOString(),
  expiresAt: iso(g.expiresAt),
  // Ended by itself at expiresAt: kept for the record, applies to nothing.
  active: g.expiresAt === null || g.expiresAt > Date.now(),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** An optional RFC 3339 time in a body: absent stays absent, null stays null. */
const bodyTime = (value: string | null | undefined, name: string): number | null | undefined =>
  value === undefined || value === null ? value : parseTimestamp(value, name, `/${name}`);

const EndsAt = (what: string) => Type.Union([Type.String({ description: `RFC 3339. ${what}` }), Type.Null()]);

const requestView = (r: AccessRequestRecord) => ({
  id: r.id,
  list: r.list,
  principal: r.principal,
  purpose: r.purpose,
  legalBasis: r.legalBasis,
  filter: r.filter,
  fields: r.fields,
  until: iso(r.until),
  status: r.status,
  decidedBy: r.decidedBy,
  reason: r.reason,
  grantId: r.grantId,
  createdAt: new Date(r.createdAt).toISOString(),
  decidedAt: r.decidedAt === null ? null : new Date(r.decidedAt).toISOString(),
});

const IdParams = (prefix: string) => Type.Object({ id: Type.String({ pattern: `^${prefix}_[0-9a-f]{32}$` }) });

export async function accessRoutes(app: FastifyInstance): Promise<void> {
  const { access, agreements, auditLog, hub } = app.deps;

  // ---- API keys (admin) ----------------------------------------------------
  app.post<{ Body: { principal: string; admin?: boolean; expiresAt?: string } }>(
    '/api-keys',
    {
      schema: {
        tags: ['access'],
        summary: 'Create an API key for a principal. The key is shown once; only its hash is stored.',
        body: Type.Object({ principal: Principal, admin: Type.Optional(Type.Boolean()), expiresAt: Type.Optional(Type.String({ description: 'RFC 3339' })) }, { additionalProperties: false }),
        response: { 201: Type.Object({ id: Type.String(), key: Type.String(), prefix: Type.String(), principal: Type.String(), admin: Type.Boolean(), expiresAt: Type.Union([Type.String(), Type.Null()]) }), ...problems(400, 401, 403) },
      },
    },
    async (request, reply) => {
      authorize(access, request, 'admin');
      const { principal, admin = false, expiresAt } = request.body;
      if (isReservedPrincipal(principal)) throw invalid(`The principal '${principal}' is reserved: ${RESERVED_PRINCIPAL_RULE}.`, [{ pointer: '/principal', message: 'reserved name' }]);
      const expires = expiresAt === undefined ? null : parseTimestamp(expiresAt, 'expiresAt', '/expiresAt');
      if (expires !== null && expires <= Date.now()) throw invalid('expiresAt must be a time in the future.', [{ pointer: '/expiresAt', message: 'not a future time' }]);
      const k = generateApiKey();
      await access.createApiKey({ id: k.id, principal, admin, prefix: k.prefix, hash: k.hash, expiresAt: expires, revokedAt: null, createdAt: Date.now() });
      reply.code(201);
      return { id: k.id, key: k.key, prefix: k.prefix, principal, admin, expiresAt: expires === null ? null : new Date(expires).toISOString() };
    },
  );

  app.get('/api-keys', { schema: { tags: ['access'], summary: 'Every API key (never the key itself).', response: problems(401, 403) } }, async (request) => {
    authorize(access, request, 'admin');
    return {
      keys: access.listApiKeys().map((k) => ({
        id: k.id,
        principal: k.principal,
        admin: k.admin,
        prefix: k.prefix,
        expiresAt: k.expiresAt === null ? null : new Date(k.expiresAt).toISOString(),
        revokedAt: k.revokedAt === null ? null : new Date(k.revokedAt).toISOString(),
        createdAt: new Date(k.createdAt).toISOString(),
      })),
    };
  });

  app.delete<{ Params: { id: string } }>(
    '/api-keys/:id',
    { schema: { tags: ['access'], summary: "Revoke a key at once: its holder's open streams are closed.", params: IdParams('key'), response: { 204: Type.Null(), ...problems(401, 403, 404) } } },
    async (request, reply) => {
      authorize(access, request, 'admin');
      if (!(await access.revokeApiKey(request.params.id))) throw notFound(`API key '${request.params.id}'`);
      return reply.code(204).send();
    },
  );

  // ---- publishers (admin or owner) -----------------------------------------
  app.post<{ Params: ListParams; Body: { principal: string; source?: string } }>(
    '/lists/:list/publishers',
    {
      schema: {
        tags: ['access'],
        summary: 'Let a principal publish to the list, optionally only events whose source starts with `source`.',
        params: ListParams,
        body: Type.Object({ principal: Principal, source: Type.Optional(Type.String({ minLength: 1 })) }, { additionalProperties: false }),
        response: { 201: Type.Object({ list: Type.String(), principal: Type.String(), source: Type.Union([Type.String(), Type.Null()]) }), ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      authorize(access, request, 'list.manage', request.params.list);
      await hub.requireList(request.params.list);
      await access.addPublisher({ list: request.params.list, principal: request.body.principal, source: request.body.source ?? '', createdAt: Date.now() });
      reply.code(201);
      return { list: request.params.list, principal: request.body.principal, source: request.body.source ?? null };
    },
  );

  app.get<{ Params: ListParams }>(
    '/lists/:list/publishers',
    { schema: { tags: ['access'], summary: "The list's publishers.", params: ListParams, response: problems(401, 403, 404) } },
    async (request) => {
      authorize(access, request, 'list.manage', request.params.list);
      await hub.requireList(request.params.list);
      return { publishers: access.publishersOf(request.params.list).map((p) => ({ principal: p.principal, source: p.source || null })) };
    },
  );

  app.delete<{ Params: ListParams & { principal: string } }>(
    '/lists/:list/publishers/:principal',
    { schema: { tags: ['access'], summary: 'Stop a principal publishing to the list.', params: Type.Object({ list: ListParams.properties.list, principal: Principal }), response: { 204: Type.Null(), ...problems(401, 403, 404) } } },
    async (request, reply) => {
      authorize(access, request, 'list.manage', request.params.list);
      if (!(await access.removePublisher(request.params.list, request.params.principal))) throw notFound(`Publisher '${request.params.principal}'`);
      return reply.code(204).send();
    },
  );

  // ---- grants (admin or owner) ---------------------------------------------
  app.post<{ Params: ListParams; Body: { principal: string; filter?: unknown; fields?: string[]; expiresAt?: string | null } }>(
    '/lists/:list/grants',
    {
      schema: {
        tags: ['access'],
        summary: 'Grant a consumer read access: `filter` limits which events it sees, `fields` which attributes, `expiresAt` when it ends by itself. In force at once on every channel.',
        params: ListParams,
        body: Type.Object({ principal: Principal, filter: Type.Optional(Filter), fields: Type.Optional(Fields), expiresAt: Type.Optional(EndsAt('The grant ends by itself then.')) }, { additionalProperties: false }),
        response: { 201: Type.Object({ id: Type.String() }, { additionalProperties: true }), ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      authorize(access, request, 'list.manage', request.params.list);
      const { expiresAt, ...rest } = request.body;
      const grant = await agreements.createGrant(request.params.list, { ...rest, expiresAt: bodyTime(expiresAt, 'expiresAt') }, request.principal!.id);
      reply.code(201).header('location', `/grants/${grant.id}`);
      return grantView(grant);
    },
  );

  app.get<{ Params: ListParams }>(
    '/lists/:list/grants',
    { schema: { tags: ['access'], summary: "The list's grants.", params: ListParams, response: problems(401, 403, 404) } },
    async (request) => {
      authorize(access, request, 'list.manage', request.params.list);
      await hub.requireList(request.params.list);
      return { grants: access.grantsOf({ list: request.params.list }).map(grantView) };
    },
  );

  app.get('/grants', { schema: { tags: ['access'], summary: 'Your own grants (an admin sees all).', response: problems(401) } }, async (request) => {
    authorize(access, request, 'access.request');
    const p = request.principal!;
    return { grants: access.grantsOf(p.admin ? {} : { principal: p.id }).map(grantView) };
  });

  /** A grant the caller may know of (admin, the list's owner, the consumer); any other answers like a missing one. */
  const knownGrant = (request: FastifyRequest<{ Params: { id: string } }>): GrantRecord => {
    authorize(access, request, 'access.request');
    const grant = access.findGrant(request.params.id);
    if (!grant || !access.mayKnow(request.principal!, grant)) throw notFound(`Grant '${request.params.id}'`);
    return grant;
  };

  app.get<{ Params: { id: string } }>(
    '/grants/:id',
    { schema: { tags: ['access'], summary: 'One grant: for an admin, the owner of its list, or the consumer it is for.', params: IdParams('grant'), response: problems(401, 404) } },
    async (request) => grantView(knownGrant(request)),
  );

  app.patch<{ Params: { id: string }; Body: { filter?: unknown; fields?: string[] | null; expiresAt?: string | null } }>(
    '/grants/:id',
    {
      schema: {
        tags: ['access'],
        summary: "Change a grant's filter, fields or end (null clears one). In force at once: the consumer's open streams close and its subscriptions follow.",
        params: IdParams('grant'),
        body: Type.Object(
          { filter: Type.Optional(Filter), fields: Type.Optional(Type.Union([Fields, Type.Null()])), expiresAt: Type.Optional(EndsAt('null: never.')) },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: problems(400, 401, 403, 404),
      },
    },
    async (request) => {
      const grant = knownGrant(request);
      authorize(access, request, 'list.manage', grant.list);
      const { expiresAt, ...rest } = request.body;
      return grantView(await agreements.updateGrant(grant, { ...rest, expiresAt: bodyTime(expiresAt, 'expiresAt') }));
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/grants/:id',
    { schema: { tags: ['access'], summary: "Revoke a grant: the consumer's open streams close and its subscriptions stop at once.", params: IdParams('grant'), response: { 204: Type.Null(), ...problems(401, 403, 404) } } },
    async (request, reply) => {
      const grant = knownGrant(request);
      authorize(access, request, 'list.manage', grant.list);
      await access.deleteGrant(grant.id);
      return reply.code(204).send();
    },
  );

  // ---- access requests -------------------------------------------------------
  app.post<{ Params: ListParams; Body: { purpose: string; legalBasis?: string; filter?: unknown; fields?: string[]; until?: string } }>(
    '/lists/:list/access-requests',
    {
      schema: {
        tags: ['access'],
        summary: 'Ask for read access to a list (one you may see or discover), with a purpose, the legal basis, the events (filter) and attributes (fields) you wish, and until when. The list owner or an admin decides.',
        params: ListParams,
        body: Type.Object(
          {
            purpose: Type.String({ minLength: 3, maxLength: 2000 }),
            legalBasis: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'The legal basis for processing the events (hjemmel).' })),
            filter: Type.Optional(Filter),
            fields: Type.Optional(Fields),
            until: Type.Optional(Type.String({ description: 'RFC 3339: the wished end of the access; approval makes it the grant\'s expiresAt unless narrowed.' })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ id: Type.String(), status: Type.String() }, { additionalProperties: true }), ...problems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      authorize(access, request, 'access.request');
      const { until, ...wish } = request.body;
      const r = await agreements.request(request.params.list, request.principal!, { ...wish, until: bodyTime(until, 'until') ?? undefined });
      reply.code(201).header('location', `/access-requests/${r.id}`);
      return requestView(r);
    },
  );

  app.get<{ Querystring: { list?: string; status?: string } }>(
    '/access-requests',
    {
      schema: {
        tags: ['access'],
        summary: 'Access requests: your own, those for lists you own, or (admin) all.',
        querystring: Type.Object({ list: Type.Optional(Type.String()), status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('approved'), Type.Literal('denied')])) }, { additionalProperties: false }),
        response: problems(401),
      },
    },
    async (request) => {
      authorize(access, request, 'access.request');
      const visible = await agreements.list(request.principal!, { list: request.query.list, status: request.query.status });
      return { requests: visible.map(requestView) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/access-requests/:id',
    { schema: { tags: ['access'], summary: 'One access request: for the consumer who filed it, the owner of its list, or an admin.', params: IdParams('areq'), response: problems(401, 404) } },
    async (request) => {
      authorize(access, request, 'access.request');
      const r = await agreements.get(request.params.id);
      // Someone else's request answers exactly like one that does not exist.
      if (!access.mayKnow(request.principal!, r)) throw notFound(`Access request '${request.params.id}'`);
      return requestView(r);
    },
  );

  const decideRoute = (what: 'approve' | 'deny') =>
    app.post<{ Params: { id: string }; Body: { filter?: unknown; fields?: string[]; expiresAt?: string | null; reason?: string } | undefined }>(
      `/access-requests/:id/${what}`,
      {
        schema: {
          tags: ['access'],
          summary: what === 'approve' ? 'Approve as asked, or narrowed (filter, fields, expiresAt: null for no end); creates the grant.' : 'Deny with a reason.',
          params: IdParams('areq'),
          body:
            what === 'approve'
              ? Type.Optional(Type.Object({ filter: Type.Optional(Filter), fields: Type.Optional(Fields), expiresAt: Type.Optional(EndsAt('The grant ends by itself then; default: the request\'s until.')) }, { additionalProperties: false }))
              : Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false }),
          response: problems(400, 401, 403, 404, 409),
        },
      },
      async (request) => {
        const p = request.principal!;
        const r = await agreements.forDecision(p, request.params.id);
        authorize(access, request, 'list.manage', r.list);
        if (what === 'approve') {
          const { request: decided, grant } = await agreements.approve(r.id, p!.id, { filter: request.body?.filter, fields: request.body?.fields, expiresAt: bodyTime(request.body?.expiresAt, 'expiresAt') });
          return { ...requestView(decided), grant: grantView(grant) };
        }
        return requestView(await agreements.deny(r.id, p!.id, request.body!.reason!));
      },
    );
  decideRoute('approve');
  decideRoute('deny');

  // ---- usage ---------------------------------------------------------------
  app.get<{ Querystring: { list?: string; principal?: string; since?: string; until?: string } }>(
    '/usage',
    {
      schema: {
        tags: ['access'],
        summary: 'Events delivered per UTC day, principal, list and channel, from the audit log. Admins see all; owners their lists.',
        querystring: Type.Object(
          { list: Type.Optional(Type.String()), principal: Type.Optional(Type.String()), since: Type.Optional(Type.String()), until: Type.Optional(Type.String()) },
          { additionalProperties: false },
        ),
        response: problems(400, 401, 403, 404),
      },
    },
    async (request) => {
      authorize(access, request, 'audit.read');
      const q = request.query;
      const rows = await auditLog.usage(request.principal!, { list: q.list, principal: q.principal, since: timeQuery(q.since, 'since'), until: timeQuery(q.until, 'until') });
      return { usage: rows };
    },
  );

  // ---- audit ---------------------------------------------------------------
  app.get<{ Querystring: { principal?: string; list?: string; since?: string; until?: string; limit?: number } }>(
    '/audit/searches',
    {
      schema: {
        tags: ['access'],
        summary: 'Who searched the audit log for which subject (GET /audit?list=&subject=), when, over which window, and how many deliveries it found; newest first. Admins only.',
        querystring: Type.Object(
          {
            principal: Type.Optional(Type.String({ description: 'Only searches made by this principal.' })),
            list: Type.Optional(Type.String()),
            since: Type.Optional(Type.String({ description: 'RFC 3339: searches made at or after this time.' })),
            until: Type.Optional(Type.String({ description: 'RFC 3339: searches made before this time.' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            searches: Type.Array(
              Type.Object({
                at: Type.String({ format: 'date-time' }),
                principal: Type.String({ description: 'Who searched.' }),
                list: Type.String(),
                subject: Type.String({ description: 'The subject searched for.' }),
                since: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'The window searched (null: open).' }),
                until: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
                results: Type.Integer({ description: 'Deliveries the search found.' }),
              }),
            ),
          }),
          ...problems(400, 401, 403),
        },
      },
    },
    async (request) => {
      authorize(access, request, 'admin');
      const q = request.query;
      const rows = await auditLog.searches(request.principal!, { principal: q.principal, list: q.list, since: timeQuery(q.since, 'since'), until: timeQuery(q.until, 'until'), limit: q.limit ?? 1000 });
      const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
      return { searches: rows.map((r) => ({ at: iso(r.at)!, principal: r.principal, list: r.list, subject: r.subject, since: iso(r.since), until: iso(r.until), results: r.results })) };
    },
  );

  app.get<{ Querystring: { list?: string; subject?: string; principal?: string; since?: string; until?: string; limit?: number } }>(
    '/audit',
    {
      schema: {
        tags: ['access'],
        summary: 'Who received which events. With list+subject: every delivery of an event about that subject; the search itself is recorded (GET /audit/searches). Admins see all; owners their lists.',
        querystring: Type.Object(
          {
            list: Type.Optional(Type.String()),
            subject: Type.Optional(Type.String()),
            principal: Type.Optional(Type.String()),
            since: Type.Optional(Type.String()),
            until: Type.Optional(Type.String()),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 })),
          },
          { additionalProperties: false },
        ),
        response: problems(400, 401, 403),
      },
    },
    async (request) => {
      authorize(access, request, 'audit.read');
      const p = request.principal!;
      const q = request.query;
      const filter = { list: q.list, principal: q.principal, since: timeQuery(q.since, 'since'), until: timeQuery(q.until, 'until'), limit: q.limit ?? 1000 };
      if (q.subject !== undefined) {
        if (q.list === undefined) throw invalid('A subject query needs the list too.', [{ pointer: '/querystring/list', message: 'required with subject' }]);
        const deliveries = await auditLog.deliveriesAbout(p, q.list, q.subject, filter);
        return {
          subject: q.subject,
          list: q.list,
          deliveries: deliveries.map((d) => ({ principal: d.principal, channel: d.channel, at: new Date(d.at).toISOString(), seq: String(d.seq), type: d.type })),
        };
      }
      const rows = await auditLog.records(p, filter);
      return {
        records: rows.map((r) => ({ principal: r.principal, list: r.list, channel: r.channel, firstSeq: String(r.firstSeq), lastSeq: String(r.lastSeq), count: r.count, at: new Date(r.at).toISOString() })),
      };
    },
  );
}
