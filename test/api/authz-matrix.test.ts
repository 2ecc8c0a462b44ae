import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSse } from '../../src/client/sse.js';
import { type Answer, answer, expectSameAnswer } from '../helpers/attacker.js';
import { type GqlResult, wsClient } from '../helpers/graphql.js';
import { ADMIN_KEY, type TestHub, createList, makeEvent, publishBatch, startTestHub } from '../helpers/hub.js';
import { Receiver } from '../helpers/receiver.js';

/**
 * The authorisation matrix (issue 4 point 7, issue 10 point 3), generated from
 * ONE table of (door or route × role × expected status). A 404 means "you may
 * not know this exists"; a 403 means "you know it, but may not do this".
 *
 * Every row that names a list, event, subscription, grant or access request
 * also gets the hidden-vs-missing probe: for each role, the answer about a
 * thing that role may not see equals the answer about a thing that does not
 * exist (same status, problem type and detail apart from the name sent).
 *
 * A new door (a console) is covered by adding rows: a row is a
 * `send(world, role, target)` that returns an Answer, whatever the door. The
 * GraphQL rows (query, graphql-sse, graphql-ws) read GraphQL responses into
 * an Answer (`gqlAnswer`): GraphQL answers refusals in its own shape.
 */
type Role = 'none' | 'stranger' | 'consumer' | 'publisher' | 'owner' | 'admin';
const ROLES: Role[] = ['none', 'stranger', 'consumer', 'publisher', 'owner', 'admin'];

/** Which door a row goes through; later: 'console'. */
type Door = 'route' | 'pull' | 'ndjson' | 'sse' | 'event' | 'subscription' | 'graphql' | 'graphql-sse' | 'graphql-ws';
/** What a row names, for the hidden-vs-missing probe. */
type Kind = 'list' | 'event' | 'subscription' | 'grant' | 'access-request';

/** The thing a request is about. */
interface Target {
  list: string;
  seq: string;
  sub: string;
  grant: string;
  areq: string;
}

interface World {
  hub: TestHub;
  keys: Record<Role, string | undefined>;
  rx: Receiver;
  /** The things every row is about unless it says otherwise. */
  target: Target;
  adminSub: string;
  ownerSub: string;
  /** Things made anew for one request (for rows that delete or change them). */
  fresh: { ownerSub(): Promise<string>; grant(principal: string): Promise<string>; areq(): Promise<string>; publisher(): Promise<string>; apiKey(): Promise<string> };
  /** Pairs of (hidden from this role, missing) for each kind, with the name each request sends. */
  hiddenVsMissing(kind: Kind, role: Role): { hidden: Partial<Target>; missing: Partial<Target>; sent: [string, string] }[];
}

interface Row {
  door: Door;
  name: string;
  names?: Kind;
  send(w: World, role: Role, target: Target): Promise<Answer>;
  /** The target for the expected-status check, when the row needs a fresh one. */
  target?(w: World, role: Role): Promise<Partial<Target>>;
  expect: Record<Role, number>;
  /** The media type a refusal comes in (problem+json unless said). */
  refusedAs?: RegExp;
}

const json = 'application/json';
let n = 0;
const uniq = () => `${Date.now().toString(36)}${++n}`;
// The receiver answers the handshake (validate: false is for admins only).
const sinkBody = (w: World) => ({ sink: w.rx.url });

/** An HTTP request as a row's `send`. */
function http(method: string, path: (t: Target) => string, opts: { body?: (w: World) => unknown; contentType?: string; accept?: string } = {}): Row['send'] {
  return async (w, role, t) => {
    const headers: Record<string, string> = {};
    if (opts.body) headers['content-type'] = opts.contentType ?? json;
    if (opts.accept) headers.accept = opts.accept;
    const key = w.keys[role];
    if (key) headers.authorization = `Bearer ${key}`;
    return answer(await w.hub.fetch(path(t), { method, headers, auth: false, body: opts.body ? JSON.stringify(opts.body(w)) : undefined }));
  };
}

/**
 * A GraphQL response as an Answer. GraphQL answers refusals in its own shape,
 * so its "status" is the one the hub gave the error (`extensions.status`), the
 * HTTP status when the request was refused as a whole (401), 404 for a root
 * field that is null (hidden or missing: `list`, `event`), else 200. The
 * hidden-vs-missing probe compares `extensions.code` and `type`, the message,
 * the pointers, and the data.
 */
function gqlAnswer(httpStatus: number, contentType: string, body: GqlResult, field: string): Answer {
  const error = body.errors?.[0];
  const ext = (error?.extensions ?? {}) as { code?: string; type?: string; status?: number; errors?: { pointer: string; message: string }[] };
  const status = httpStatus !== 200 ? httpStatus : error ? (ext.status ?? 400) : body.data?.[field] === null ? 404 : 200;
  const problem = { type: ext.type, title: ext.code, detail: `${error?.message ?? ''} data=${JSON.stringify(body.data ?? null)}`, errors: ext.errors };
  return { status, contentType, body: JSON.stringify(body), problem };
}

const GRAPHQL_RESPONSE = /^application\/graphql-response\+json/;
/** graphql-sse: refused before the stream (401) as a GraphQL response, after it started as a `next` message in it. */
const GRAPHQL_SSE = /^(application\/graphql-response\+json|text\/event-stream)/;

/** A query through POST /graphql, answered about its root `field`. */
function graphql(field: string, query: (t: Target) => string): Row['send'] {
  return async (w, role, t) => {
    const headers: Record<string, string> = { 'content-type': json };
    const key = w.keys[role];
    if (key) headers.authorization = `Bearer ${key}`;
    const res = await w.hub.fetch('/graphql', { method: 'POST', headers, auth: false, body: JSON.stringify({ query: query(t) }) });
    return gqlAnswer(res.status, res.headers.get('content-type') ?? '', (await res.json()) as GqlResult, field);
  };
}

/** Subscribe from the start of the list: a subscription that started answers with event 1 at once, a refused one with its error. */
const SUBSCRIBE = (t: Target) => `subscription { events(list: ${JSON.stringify(t.list)}, after: "0") { eventid } }`;

/** A subscription over graphql-sse, distinct-connections mode: the first `next` says whether it started. */
function graphqlSse(query: (t: Target) => string): Row['send'] {
  return async (w, role, t) => {
    const headers: Record<string, string> = { 'content-type': json, accept: 'text/event-stream' };
    const key = w.keys[role];
    if (key) headers.authorization = `Bearer ${key}`;
    const abort = new AbortController();
    const res = await w.hub.fetch('/graphql/stream', { method: 'POST', headers, auth: false, body: JSON.stringify({ query: query(t) }), signal: abort.signal });
    const contentType = res.headers.get('content-type') ?? '';
    if (!contentType.includes('text/event-stream')) return gqlAnswer(res.status, contentType, (await res.json()) as GqlResult, 'events');
    try {
      for await (const m of parseSse(res.body as unknown as AsyncIterable<Uint8Array>)) {
        if (m.event === 'next') return gqlAnswer(res.status, contentType, JSON.parse(m.data) as GqlResult, 'events');
        if (m.event === 'complete') break;
      }
    } finally {
      abort.abort();
    }
    throw new Error('the stream ended without a next message');
  };
}

const GRAPHQL_WS = 'graphql-transport-ws';

/** A subscription over graphql-ws with the stock client: its first event, its errors, or the close code (4401: 401). */
function graphqlWs(query: (t: Target) => string): Row['send'] {
  return async (w, role, t) => {
    const client = wsClient(w.hub.url, { key: w.keys[role] ?? null });
    try {
      const outcome = await new Promise<{ result: GqlResult } | { error: unknown }>((resolve) => {
        client.subscribe({ query: query(t) }, { next: (result) => resolve({ result: result as GqlResult }), error: (error) => resolve({ error }), complete: () => resolve({ error: new Error('complete before any message') }) });
      });
      if ('result' in outcome) return gqlAnswer(200, GRAPHQL_WS, outcome.result, 'events');
      const { error } = outcome;
      if (Array.isArray(error)) return gqlAnswer(200, GRAPHQL_WS, { errors: error }, 'events');
      const close = error as { code?: number; reason?: string };
      if (close.code === 4401) return { status: 401, contentType: GRAPHQL_WS, body: close.reason ?? '', problem: { title: 'close 4401', detail: close.reason } };
      throw error;
    } finally {
      await client.dispose();
    }
  };
}

const all = (status: number): Record<Role, number> => ({ none: status, stranger: status, consumer: status, publisher: status, owner: status, admin: status });
const authed = (status: number): Record<Role, number> => ({ ...all(status), none: 401 });
const adminOnly: Record<Role, number> = { none: 401, stranger: 403, consumer: 403, publisher: 403, owner: 403, admin: 200 };
/** A subscription's routes: its owner and admins; to anyone else it does not exist. */
const ownerSubRoute = (ok: number): Record<Role, number> => ({ none: 401, stranger: 404, consumer: 404, publisher: 404, owner: ok, admin: ok });
const read: Record<Role, number> = { none: 401, stranger: 404, consumer: 200, publisher: 403, owner: 200, admin: 200 };
const manage = (ok: number): Record<Role, number> => ({ none: 401, stranger: 404, consumer: 403, publisher: 403, owner: ok, admin: ok });

const ROWS: Row[] = [
  // ---- health, docs, metrics ---------------------------------------------------
  { door: 'route', name: 'GET /healthz', send: http('GET', () => '/healthz'), expect: all(200) },
  { door: 'route', name: 'GET /readyz', send: http('GET', () => '/readyz'), expect: all(200) },
  { door: 'route', name: 'GET /metrics', send: http('GET', () => '/metrics'), expect: adminOnly },
  { door: 'route', name: 'GET /openapi.json', send: http('GET', () => '/openapi.json'), expect: authed(200) },
  // ---- lists ---------------------------------------------------------------------
  { door: 'route', name: 'GET /lists', send: http('GET', () => '/lists'), expect: authed(200) },
  { door: 'route', name: 'GET /lists/{list}', names: 'list', send: http('GET', (t) => `/lists/${t.list}`), expect: { none: 401, stranger: 404, consumer: 200, publisher: 200, owner: 200, admin: 200 } },
  {
    door: 'route',
    name: 'PUT /lists/{list} (update)',
    names: 'list',
    send: http('PUT', (t) => `/lists/${t.list}`, { body: () => ({ title: 'T' }) }),
    expect: { none: 401, stranger: 403, consumer: 403, publisher: 403, owner: 200, admin: 200 },
  },
  {
    door: 'route',
    name: 'PUT /lists/{list} (create)',
    names: 'list',
    send: http('PUT', (t) => `/lists/${t.list}`, { body: () => ({}) }),
    target: async () => ({ list: `new-${uniq()}` }),
    expect: { none: 401, stranger: 403, consumer: 403, publisher: 403, owner: 403, admin: 201 },
  },
  {
    door: 'route',
    name: 'PUT /lists/{list} (set owner)',
    names: 'list',
    send: http('PUT', (t) => `/lists/${t.list}`, { body: () => ({ owner: 'org:owner' }) }),
    expect: { none: 401, stranger: 403, consumer: 403, publisher: 403, owner: 403, admin: 200 },
  },
  // ---- events: publish, and every read door ---------------------------------------
  {
    door: 'route',
    name: 'POST /lists/{list}/events',
    names: 'list',
    send: http('POST', (t) => `/lists/${t.list}/events`, { contentType: 'application/cloudevents+json', body: () => makeEvent({ source: '/pub/x' }) }),
    expect: { none: 401, stranger: 404, consumer: 403, publisher: 201, owner: 403, admin: 201 },
  },
  { door: 'pull', name: 'GET /lists/{list}/events', names: 'list', send: http('GET', (t) => `/lists/${t.list}/events`), expect: read },
  { door: 'ndjson', name: 'GET /lists/{list}/events (NDJSON)', names: 'list', send: http('GET', (t) => `/lists/${t.list}/events`, { accept: 'application/x-ndjson' }), expect: read },
  { door: 'sse', name: 'GET /lists/{list}/events (SSE)', names: 'list', send: http('GET', (t) => `/lists/${t.list}/events`, { accept: 'text/event-stream' }), expect: read },
  { door: 'event', name: 'GET /lists/{list}/events/{seq}', names: 'event', send: http('GET', (t) => `/lists/${t.list}/events/${t.seq}`), expect: read },
  // ---- GraphQL: queries over HTTP, subscriptions over graphql-sse and graphql-ws ---------------
  {
    door: 'graphql',
    name: 'GraphQL { list(name) }',
    names: 'list',
    send: graphql('list', (t) => `{ list(name: ${JSON.stringify(t.list)}) { name head } }`),
    refusedAs: GRAPHQL_RESPONSE,
    // null (404 here) for a list the caller may not see, exactly like a missing one; publishers see it.
    expect: { none: 401, stranger: 404, consumer: 200, publisher: 200, owner: 200, admin: 200 },
  },
  { door: 'graphql', name: 'GraphQL { events(list) }', names: 'list', send: graphql('events', (t) => `{ events(list: ${JSON.stringify(t.list)}) { nodes { eventid } } }`), refusedAs: GRAPHQL_RESPONSE, expect: read },
  {
    door: 'graphql',
    name: 'GraphQL { event(list, eventid) }',
    names: 'event',
    send: graphql('event', (t) => `{ event(list: ${JSON.stringify(t.list)}, eventid: ${JSON.stringify(t.seq)}) { eventid } }`),
    refusedAs: GRAPHQL_RESPONSE,
    expect: read,
  },
  { door: 'graphql-sse', name: 'GraphQL subscription (graphql-sse, distinct connections)', names: 'list', send: graphqlSse(SUBSCRIBE), refusedAs: GRAPHQL_SSE, expect: read },
  { door: 'graphql-ws', name: 'GraphQL subscription (graphql-ws)', names: 'list', send: graphqlWs(SUBSCRIBE), refusedAs: new RegExp(GRAPHQL_WS), expect: read },
  {
    door: 'pull',
    name: 'GET /lists/herold.system/events',
    names: 'list',
    send: http('GET', (t) => `/lists/${t.list}/events`),
    target: async () => ({ list: 'herold.system' }),
    expect: { none: 401, stranger: 404, consumer: 404, publisher: 404, owner: 404, admin: 200 },
  },
  // ---- subscriptions: the push doors (webhook, AMQP) are made and managed here ----------
  {
    door: 'subscription',
    name: 'POST /lists/{list}/subscriptions',
    names: 'list',
    send: http('POST', (t) => `/lists/${t.list}/subscriptions`, { body: sinkBody }),
    expect: { none: 401, stranger: 404, consumer: 201, publisher: 403, owner: 201, admin: 201 },
  },
  { door: 'subscription', name: 'GET /subscriptions', send: http('GET', () => '/subscriptions'), expect: authed(200) },
  {
    door: 'subscription',
    name: "GET /subscriptions/{id} (admin's)",
    names: 'subscription',
    send: http('GET', (t) => `/subscriptions/${t.sub}`),
    target: async (w) => ({ sub: w.adminSub }),
    expect: { none: 401, stranger: 404, consumer: 404, publisher: 404, owner: 404, admin: 200 },
  },
  { door: 'subscription', name: "GET /subscriptions/{id} (owner's)", names: 'subscription', send: http('GET', (t) => `/subscriptions/${t.sub}`), expect: ownerSubRoute(200) },
  {
    door: 'subscription',
    name: "PUT /subscriptions/{id} (admin's)",
    names: 'subscription',
    send: http('PUT', (t) => `/subscriptions/${t.sub}`, { body: sinkBody }),
    target: async (w) => ({ sub: w.adminSub }),
    expect: { none: 401, stranger: 404, consumer: 404, publisher: 404, owner: 404, admin: 200 },
  },
  { door: 'subscription', name: "PUT /subscriptions/{id} (owner's)", names: 'subscription', send: http('PUT', (t) => `/subscriptions/${t.sub}`, { body: sinkBody }), expect: ownerSubRoute(200) },
  {
    door: 'subscription',
    name: 'DELETE /subscriptions/{id}',
    names: 'subscription',
    send: http('DELETE', (t) => `/subscriptions/${t.sub}`),
    target: async (w) => ({ sub: await w.fresh.ownerSub() }),
    expect: ownerSubRoute(204),
  },
  { door: 'subscription', name: 'POST /subscriptions/{id}/enable', names: 'subscription', send: http('POST', (t) => `/subscriptions/${t.sub}/enable`), expect: ownerSubRoute(200) },
  {
    door: 'subscription',
    name: 'POST /subscriptions/{id}/disable',
    names: 'subscription',
    send: http('POST', (t) => `/subscriptions/${t.sub}/disable`, { body: () => ({ reason: 'matrix' }) }),
    target: async (w) => ({ sub: await w.fresh.ownerSub() }),
    expect: ownerSubRoute(200),
  },
  { door: 'subscription', name: 'POST /subscriptions/{id}/secret/rotate', names: 'subscription', send: http('POST', (t) => `/subscriptions/${t.sub}/secret/rotate`, { body: () => ({}) }), expect: ownerSubRoute(200) },
  { door: 'subscription', name: 'GET /subscriptions/{id}/attempts', names: 'subscription', send: http('GET', (t) => `/subscriptions/${t.sub}/attempts`), expect: ownerSubRoute(200) },
  { door: 'subscription', name: 'GET /subscriptions/{id}/deadletters', names: 'subscription', send: http('GET', (t) => `/subscriptions/${t.sub}/deadletters`), expect: ownerSubRoute(200) },
  { door: 'subscription', name: 'POST /subscriptions/{id}/redeliver', names: 'subscription', send: http('POST', (t) => `/subscriptions/${t.sub}/redeliver`, { body: () => ({ seqs: ['1'] }) }), expect: ownerSubRoute(202) },
  // ---- grants and publishers ------------------------------------------------------------
  { door: 'route', name: 'GET /lists/{list}/grants', names: 'list', send: http('GET', (t) => `/lists/${t.list}/grants`), expect: manage(200) },
  { door: 'route', name: 'POST /lists/{list}/grants', names: 'list', send: http('POST', (t) => `/lists/${t.list}/grants`, { body: () => ({ principal: `org:g${uniq()}` }) }), expect: manage(201) },
  { door: 'route', name: 'GET /grants', send: http('GET', () => '/grants'), expect: authed(200) },
  {
    door: 'route',
    name: "DELETE /grants/{id} (another principal's)",
    names: 'grant',
    send: http('DELETE', (t) => `/grants/${t.grant}`),
    target: async (w) => ({ grant: await w.fresh.grant(`org:g${uniq()}`) }),
    expect: { none: 401, stranger: 404, consumer: 404, publisher: 404, owner: 204, admin: 204 },
  },
  {
    door: 'route',
    name: "DELETE /grants/{id} (the consumer's own)",
    names: 'grant',
    send: http('DELETE', (t) => `/grants/${t.grant}`),
    target: async (w) => ({ grant: await w.fresh.grant('org:consumer') }),
    expect: { none: 401, stranger: 404, consumer: 403, publisher: 404, owner: 204, admin: 204 },
  },
  { door: 'route', name: 'GET /lists/{list}/publishers', names: 'list', send: http('GET', (t) => `/lists/${t.list}/publishers`), expect: manage(200) },
  { door: 'route', name: 'POST /lists/{list}/publishers', names: 'list', send: http('POST', (t) => `/lists/${t.list}/publishers`, { body: () => ({ principal: `org:p${uniq()}` }) }), expect: manage(201) },
  {
    door: 'route',
    name: 'DELETE /lists/{list}/publishers/{principal}',
    names: 'list',
    // The principal travels in `seq` here: one fresh publisher per request.
    send: http('DELETE', (t) => `/lists/${t.list}/publishers/${t.seq}`),
    target: async (w) => ({ seq: await w.fresh.publisher() }),
    expect: manage(204),
  },
  // ---- access requests ------------------------------------------------------------------
  {
    door: 'route',
    name: 'POST /lists/{list}/access-requests',
    names: 'list',
    send: http('POST', (t) => `/lists/${t.list}/access-requests`, { body: () => ({ purpose: 'matrix' }) }),
    // Only for a list the requester may see (it has some role there).
    expect: { ...authed(201), stranger: 404 },
  },
  { door: 'route', name: 'GET /access-requests', send: http('GET', () => '/access-requests'), expect: authed(200) },
  {
    door: 'route',
    name: 'POST /access-requests/{id}/approve',
    names: 'access-request',
    send: http('POST', (t) => `/access-requests/${t.areq}/approve`, { body: () => ({}) }),
    target: async (w) => ({ areq: await w.fresh.areq() }),
    expect: ownerSubRoute(200),
  },
  {
    door: 'route',
    name: 'POST /access-requests/{id}/deny',
    names: 'access-request',
    send: http('POST', (t) => `/access-requests/${t.areq}/deny`, { body: () => ({ reason: 'matrix' }) }),
    target: async (w) => ({ areq: await w.fresh.areq() }),
    expect: ownerSubRoute(200),
  },
  // ---- keys and audit ---------------------------------------------------------------------
  { door: 'route', name: 'POST /api-keys', send: http('POST', () => '/api-keys', { body: () => ({ principal: `org:k${uniq()}` }) }), expect: { ...adminOnly, admin: 201 } },
  { door: 'route', name: 'GET /api-keys', send: http('GET', () => '/api-keys'), expect: adminOnly },
  { door: 'route', name: 'DELETE /api-keys/{id}', send: http('DELETE', (t) => `/api-keys/${t.seq}`), target: async (w) => ({ seq: await w.fresh.apiKey() }), expect: { ...adminOnly, admin: 204 } },
  { door: 'route', name: 'GET /audit', send: http('GET', () => '/audit'), expect: { none: 401, stranger: 403, consumer: 403, publisher: 403, owner: 200, admin: 200 } },
  { door: 'route', name: 'GET /audit/searches', send: http('GET', () => '/audit/searches'), expect: adminOnly },
  { door: 'route', name: 'GET /audit?list={list}', names: 'list', send: http('GET', (t) => `/audit?list=${t.list}`), expect: { none: 401, stranger: 403, consumer: 403, publisher: 403, owner: 200, admin: 200 } },
];

describe('authorisation matrix', () => {
  const w = {} as World;

  beforeAll(async () => {
    w.rx = await Receiver.start();
    w.hub = await startTestHub({ readRate: '0', publishRate: '0', egressAllow: '127.0.0.0/8' });
    const hub = w.hub;
    const post = async (path: string, body: unknown, key = ADMIN_KEY) => {
      const res = await hub.fetch(path, { method: 'POST', auth: false, headers: { 'content-type': json, authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
      const out = await res.json();
      if (res.status >= 300) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(out)}`);
      return out;
    };
    const key = async (principal: string) => (await post('/api-keys', { principal })).key as string;
    w.keys = { none: undefined, admin: ADMIN_KEY, stranger: await key('org:stranger'), consumer: await key('org:consumer'), publisher: await key('org:publisher'), owner: await key('org:owner') };
    const asker = await key('org:asker');
    await createList(hub, 'mx', { owner: 'org:owner' });
    await createList(hub, 'other', { owner: 'org:someone-else' });
    // Access requests need a list the requester may see: the asker publishes to both.
    for (const list of ['mx', 'other']) await post(`/lists/${list}/publishers`, { principal: 'org:asker' });
    await post('/lists/mx/publishers', { principal: 'org:publisher', source: '/pub' });
    await post('/lists/mx/grants', { principal: 'org:consumer', filter: "source = '/pub'" });
    // mx: seq 1 is in the consumer's grant, seq 2 is not.
    await publishBatch(hub, 'mx', [makeEvent({ source: '/pub' }), makeEvent({ source: '/elsewhere' })]);
    await publishBatch(hub, 'other', [makeEvent({ source: '/pub' })]);
    const subscribe = async (k: string, list: string) => (await post(`/lists/${list}/subscriptions`, sinkBody(w), k)).id as string;
    w.adminSub = await subscribe(ADMIN_KEY, 'mx');
    w.ownerSub = await subscribe(w.keys.owner!, 'mx');
    const otherSub = await subscribe(ADMIN_KEY, 'other');
    // Things nobody but the admin (and, on mx, its owner) may know of.
    const otherGrant = (await post('/lists/other/grants', { principal: 'org:someone' })).id as string;
    const mxGrant = (await post('/lists/mx/grants', { principal: 'org:another-consumer' })).id as string;
    const otherAreq = (await post('/lists/other/access-requests', { purpose: 'hidden' }, asker)).id as string;
    const mxAreq = (await post('/lists/mx/access-requests', { purpose: 'hidden from all but the owner' }, asker)).id as string;
    w.target = { list: 'mx', seq: '1', sub: w.ownerSub, grant: mxGrant, areq: mxAreq };
    w.fresh = {
      ownerSub: () => subscribe(w.keys.owner!, 'mx'),
      grant: async (principal) => (await post('/lists/mx/grants', { principal, filter: "source = '/pub'" })).id as string,
      areq: async () => (await post('/lists/mx/access-requests', { purpose: 'matrix' }, asker)).id as string,
      publisher: async () => {
        const principal = `org:p${uniq()}`;
        await post('/lists/mx/publishers', { principal });
        return principal;
      },
      apiKey: async () => (await post('/api-keys', { principal: `org:k${uniq()}` })).id as string,
    };
    const missingId = (prefix: string) => `${prefix}_${'0'.repeat(32)}`;
    w.hiddenVsMissing = (kind, role) => {
      if (role === 'admin') return []; // nothing is hidden from an admin
      // A missing list of the same kind of name: `herold.*` names are refused for writes by name alone.
      const lists = [
        ['other', 'no-such-list'],
        ['herold.system', 'herold.no-such-list'],
      ].map(([list, missing]) => ({ hidden: { list }, missing: { list: missing }, sent: [list, missing] as [string, string] }));
      switch (kind) {
        case 'list':
          return lists;
        case 'event':
          return [
            ...lists.map((p) => ({ ...p, hidden: { ...p.hidden, seq: '1' }, missing: { ...p.missing, seq: '1' } })),
            // In a list the role may see, an event outside its grant (the owner sees every event).
            ...(role === 'owner' ? [] : [{ hidden: { seq: '2' }, missing: { seq: '999999' }, sent: ['2', '999999'] as [string, string] }]),
          ];
        case 'subscription':
          return [w.adminSub, otherSub, ...(role === 'owner' ? [] : [w.ownerSub])].map((sub) => ({ hidden: { sub }, missing: { sub: missingId('sub') }, sent: [sub, missingId('sub')] as [string, string] }));
        case 'grant':
          return [otherGrant, ...(role === 'owner' ? [] : [mxGrant])].map((grant) => ({ hidden: { grant }, missing: { grant: missingId('grant') }, sent: [grant, missingId('grant')] as [string, string] }));
        case 'access-request':
          return [otherAreq, ...(role === 'owner' ? [] : [mxAreq])].map((areq) => ({ hidden: { areq }, missing: { areq: missingId('areq') }, sent: [areq, missingId('areq')] as [string, string] }));
      }
    };
  });
  afterAll(async () => {
    await w.hub.close();
    await w.rx.close();
  });

  for (const row of ROWS) {
    it(`[${row.door}] ${row.name}`, async () => {
      const got: Record<string, number> = {};
      for (const role of ROLES) {
        const target = { ...w.target, ...(await row.target?.(w, role)) };
        const a = await row.send(w, role, target);
        got[role] = a.status;
        if (a.status >= 400) expect(a.contentType, `${row.name} as ${role}`).toMatch(row.refusedAs ?? /application\/problem\+json/);
      }
      expect(got).toEqual(row.expect);
    });

    if (row.names) {
      const kind = row.names;
      it(`[${row.door}] ${row.name}: hidden equals missing, for every role`, async () => {
        let probes = 0;
        for (const role of ROLES) {
          for (const { hidden, missing, sent } of w.hiddenVsMissing(kind, role)) {
            const h = await row.send(w, role, { ...w.target, ...hidden });
            const m = await row.send(w, role, { ...w.target, ...missing });
            expectSameAnswer(h, m, sent, `${row.name} as ${role}: ${JSON.stringify(hidden)} vs ${JSON.stringify(missing)}`);
            probes++;
          }
        }
        expect(probes).toBeGreaterThan(0);
      });
    }
  }

  it('covers every door, and every kind of named thing', () => {
    expect(new Set(ROWS.map((r) => r.door))).toEqual(new Set<Door>(['route', 'pull', 'ndjson', 'sse', 'event', 'subscription', 'graphql', 'graphql-sse', 'graphql-ws']));
    expect(new Set(ROWS.map((r) => r.names).filter(Boolean))).toEqual(new Set<Kind>(['list', 'event', 'subscription', 'grant', 'access-request']));
  });

  it('cross-list probes: no channel of a list you have no grant for answers with anything but 404', async () => {
    const h = { authorization: `Bearer ${w.keys.consumer}` };
    const probes: [string, RequestInit][] = [
      ['/lists/other', {}],
      ['/lists/other/events', {}],
      ['/lists/other/events', { headers: { accept: 'application/x-ndjson' } }],
      ['/lists/other/events', { headers: { accept: 'text/event-stream' } }],
      ['/lists/other/events/1', {}],
      ['/lists/other/events', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(makeEvent()) }],
      ['/lists/other/subscriptions', { method: 'POST', headers: { 'content-type': json }, body: JSON.stringify(sinkBody(w)) }],
      ['/lists/other/grants', {}],
      ['/lists/nonexistent/events', {}],
    ];
    for (const [path, init] of probes) {
      const res = await w.hub.fetch(path, { ...init, auth: false, headers: { ...(init.headers as Record<string, string>), ...h } });
      expect(res.status, `${init.method ?? 'GET'} ${path}`).toBe(404);
      // A missing list and a hidden one answer alike.
      const body = await res.json();
      expect(body.detail).toMatch(/does not exist or is not visible to you/);
    }
  });

  it('no leak of list names, subscription details or secrets', async () => {
    const { hub, keys } = w;
    const as = (role: Role, path: string) => hub.fetch(path, { auth: false, headers: { authorization: `Bearer ${keys[role]}` } });
    const lists = async (role: Role) => (await (await as(role, '/lists')).json()).lists.map((l: { name: string }) => l.name);
    expect(await lists('stranger')).toEqual([]);
    expect(await lists('consumer')).toEqual(['mx']);
    expect(await lists('publisher')).toEqual(['mx']);
    expect((await lists('admin')).sort()).toEqual(expect.arrayContaining(['herold.system', 'mx', 'other']));
    const subs = async (role: Role) => (await (await as(role, '/subscriptions')).json()).subscriptions;
    expect((await subs('stranger')).length).toBe(0);
    expect((await subs('owner')).every((s: { owner: string }) => s.owner === 'org:owner')).toBe(true);
    // Secrets are shown once at creation and never again, to anyone.
    const view = await (await hub.fetch(`/subscriptions/${w.adminSub}`)).json();
    expect(view.secret).toBeUndefined();
    expect(JSON.stringify(await (await hub.fetch('/subscriptions')).json())).not.toMatch(/whsec_/);
    expect(JSON.stringify(await (await hub.fetch('/api-keys')).json())).not.toMatch(/"key"/);
    // Audit for a list you do not own is invisible.
    expect((await as('owner', '/audit?list=other')).status).toBe(404);
  });
});
