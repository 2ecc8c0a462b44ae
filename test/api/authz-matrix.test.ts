import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, type TestHub, createList, makeEvent, publishBatch, startTestHub } from '../helpers/hub.js';
import { Receiver } from '../helpers/receiver.js';

/**
 * The authorisation matrix (issue 4, point 7): every route × every role with
 * the expected status, plus cross-list and cross-principal probes on every
 * channel. A 404 means "you may not know this exists"; a 403 means "you know
 * it, but may not do this".
 */
type Role = 'none' | 'stranger' | 'consumer' | 'publisher' | 'owner' | 'admin';
const ROLES: Role[] = ['none', 'stranger', 'consumer', 'publisher', 'owner', 'admin'];

interface Row {
  name: string;
  method: string;
  path: () => string;
  body?: () => unknown;
  contentType?: string;
  accept?: string;
  expect: Record<Role, number>;
}

const json = 'application/json';
let n = 0;
const uniq = () => `${Date.now().toString(36)}${++n}`;

describe('authorisation matrix', () => {
  let hub: TestHub;
  const keys = {} as Record<Role, string | undefined>;
  let adminSub = '';
  let ownerSub = '';
  let rx: Receiver;
  const sink = () => ({ sink: rx.url }); // the receiver answers the handshake (validate: false is for admins only)

  beforeAll(async () => {
    rx = await Receiver.start();
    hub = await startTestHub({ readRate: '0', publishRate: '0', egressAllow: '127.0.0.0/8' });
    const key = async (principal: string) => (await (await hub.fetch('/api-keys', { method: 'POST', headers: { 'content-type': json }, body: JSON.stringify({ principal }) })).json()).key as string;
    keys.none = undefined;
    keys.admin = ADMIN_KEY;
    keys.stranger = await key('org:stranger');
    keys.consumer = await key('org:consumer');
    keys.publisher = await key('org:publisher');
    keys.owner = await key('org:owner');
    await createList(hub, 'mx', { owner: 'org:owner' });
    await createList(hub, 'other', { owner: 'org:someone-else' });
    await hub.fetch('/lists/mx/publishers', { method: 'POST', headers: { 'content-type': json }, body: JSON.stringify({ principal: 'org:publisher', source: '/pub' }) });
    await hub.fetch('/lists/mx/grants', { method: 'POST', headers: { 'content-type': json }, body: JSON.stringify({ principal: 'org:consumer', filter: "source = '/pub'" }) });
    await publishBatch(hub, 'mx', [makeEvent({ source: '/pub' })]);
    await publishBatch(hub, 'other', [makeEvent({ source: '/pub' })]);
    const sub = (k: string, list: string) =>
      hub.fetch(`/lists/${list}/subscriptions`, {
        method: 'POST',
        headers: { 'content-type': json, authorization: `Bearer ${k}` },
        body: JSON.stringify(sink()),
      });
    const a = await sub(ADMIN_KEY, 'mx');
    adminSub = (await a.json()).id;
    ownerSub = (await (await sub(keys.owner!, 'mx')).json()).id;
  });
  afterAll(async () => {
    await hub.close();
    await rx.close();
  });

  const rows: Row[] = [
    { name: 'GET /healthz', method: 'GET', path: () => '/healthz', expect: { none: 200, stranger: 200, consumer: 200, publisher: 200, owner: 200, admin: 200 } },
    { name: 'GET /readyz', method: 'GET', path: () => '/readyz', expect: { none: 200, stranger: 200, consumer: 200, publisher: 200, owner: 200, admin: 200 } },
    { name: 'GET /metrics', method: 'GET', path: () => '/metrics', expect: { none: 401, stranger: 403, consumer: 403, publisher: 403, owner: 403, admin: 200 } },
    { name: 'GET /openapi.json', method: 'GET', path: () => '/openapi.json', expect: { none: 401, stranger: 200, consumer: 200, publisher: 200, owner: 200, admin: 200 } },
    { name: 'GET /lists', method: 'GET', path: () => '/lists', expect: { none: 401, stranger: 200, consumer: 200, publisher: 200, owner: 200, admin: 200 } },
    { name: 'GET /lists/{list}', method: 'GET', path: () => '/lists/mx', expect: { none: 401, stranger: 404, consumer: 200, publisher: 200, owner: 200, admin: 200 } },
    { name: 'PUT /lists/{list} (update)', method: 'PUT', path: () => '/lists/mx', body: () => ({ title: 'T' }), expect: { none: 401, stranger: 403, consumer: 403, publisher: 403, owner: 200, admin: 200 } },
    { name: 'PUT /lists/{list} (create)', method: 'PUT', path: () => `/lists/new-${uniq()}`, body: () => ({}), expect: { none: 401, stranger: 403, consumer: 403, publisher: 403, owner: 403, admin: 201 } },
    { name: 'PUT /lists/{list} (set owner)', method: 'PUT', path: () => '/lists/mx', body: () => ({ owner: 'org:owner' }), expect: { none: 401, stranger: 403, consumer: 403, publisher: 403, owner: 403, admin: 200 } },
    {
      name: 'POST /lists/{list}/events',
      method: 'POST',
      path: () => '/lists/mx/events',
      contentType: 'application/cloudevents+json',
      body: () => makeEvent({ source: '/pub/x' }),
      expect: { none: 401, stranger: 404, consumer: 403, publisher: 201, owner: 403, admin: 201 },
    },
    { name: 'GET /lists/{list}/events', method: 'GET', path: () => '/lists/mx/events', expect: { none: 401, stranger: 404, consumer: 200, publisher: 403, owner: 200, admin: 200 } },
    { name: 'GET /lists/{list}/events (NDJSON)', method: 'GET', path: () => '/lists/mx/events', accept: 'application/x-ndjson', expect: { none: 401, stranger: 404, consumer: 200, publisher: 403, owner: 200, admin: 200 } },
    { name: 'GET /lists/{list}/events/{seq}', method: 'GET', path: () => '/lists/mx/events/1', expect: { none: 401, stranger: 404, consumer: 200, publisher: 403, owner: 200, admin: 200 } },
    {
      name: 'POST /lists/{list}/subscriptions',
      method: 'POST',
      path: () => '/lists/mx/subscriptions',
      body: sink,
      expect: { none: 401, stranger: 404, consumer: 201, publisher: 403, owner: 201, admin: 201 },
    },
    { name: 'GET /subscriptions', method: 'GET', path: () => '/subscriptions', expect: { none: 401, stranger: 200, consumer: 200, publisher: 200, owner: 200, admin: 200 } },
    { name: "GET /subscriptions/{id} (admin's)", method: 'GET', path: () => `/subscriptions/${adminSub}`, expect: { none: 401, stranger: 404, consumer: 404, publisher: 404, owner: 404, admin: 200 } },
    { name: "GET /subscriptions/{id} (owner's)", method: 'GET', path: () => `/subscriptions/${ownerSub}`, expect: { none: 401, stranger: 404, consumer: 404, publisher: 404, owner: 200, admin: 200 } },
    { name: 'GET /subscriptions/{id}/attempts', method: 'GET', path: () => `/subscriptions/${ownerSub}/attempts`, expect: { none: 401, stranger: 404, consumer: 404, publisher: 404, owner: 200, admin: 200 } },
    { name: 'GET /subscriptions/{id}/deadletters', method: 'GET', path: () => `/subscriptions/${ownerSub}/deadletters`, expect: { none: 401, stranger: 404, consumer: 404, publisher: 404, owner: 200, admin: 200 } },
    { name: 'POST /subscriptions/{id}/redeliver', method: 'POST', path: () => `/subscriptions/${ownerSub}/redeliver`, body: () => ({ seqs: ['1'] }), expect: { none: 401, stranger: 404, consumer: 404, publisher: 404, owner: 202, admin: 202 } },
    { name: 'PUT /subscriptions/{id}', method: 'PUT', path: () => `/subscriptions/${adminSub}`, body: sink, expect: { none: 401, stranger: 404, consumer: 404, publisher: 404, owner: 404, admin: 200 } },
    { name: 'GET /lists/{list}/grants', method: 'GET', path: () => '/lists/mx/grants', expect: { none: 401, stranger: 404, consumer: 403, publisher: 403, owner: 200, admin: 200 } },
    { name: 'POST /lists/{list}/grants', method: 'POST', path: () => '/lists/mx/grants', body: () => ({ principal: `org:g${uniq()}` }), expect: { none: 401, stranger: 404, consumer: 403, publisher: 403, owner: 201, admin: 201 } },
    { name: 'GET /lists/{list}/publishers', method: 'GET', path: () => '/lists/mx/publishers', expect: { none: 401, stranger: 404, consumer: 403, publisher: 403, owner: 200, admin: 200 } },
    { name: 'POST /lists/{list}/publishers', method: 'POST', path: () => '/lists/mx/publishers', body: () => ({ principal: `org:p${uniq()}` }), expect: { none: 401, stranger: 404, consumer: 403, publisher: 403, owner: 201, admin: 201 } },
    { name: 'GET /grants', method: 'GET', path: () => '/grants', expect: { none: 401, stranger: 200, consumer: 200, publisher: 200, owner: 200, admin: 200 } },
    { name: 'POST /lists/{list}/access-requests', method: 'POST', path: () => '/lists/mx/access-requests', body: () => ({ purpose: 'matrix' }), expect: { none: 401, stranger: 404, consumer: 201, publisher: 201, owner: 201, admin: 201 } },
    { name: 'GET /access-requests', method: 'GET', path: () => '/access-requests', expect: { none: 401, stranger: 200, consumer: 200, publisher: 200, owner: 200, admin: 200 } },
    { name: 'POST /api-keys', method: 'POST', path: () => '/api-keys', body: () => ({ principal: `org:k${uniq()}` }), expect: { none: 401, stranger: 403, consumer: 403, publisher: 403, owner: 403, admin: 201 } },
    { name: 'GET /api-keys', method: 'GET', path: () => '/api-keys', expect: { none: 401, stranger: 403, consumer: 403, publisher: 403, owner: 403, admin: 200 } },
    { name: 'GET /audit', method: 'GET', path: () => '/audit', expect: { none: 401, stranger: 403, consumer: 403, publisher: 403, owner: 200, admin: 200 } },
    { name: 'GET /lists/herold.system/events', method: 'GET', path: () => '/lists/herold.system/events', expect: { none: 401, stranger: 404, consumer: 404, publisher: 404, owner: 404, admin: 200 } },
  ];

  for (const row of rows) {
    it(row.name, async () => {
      const got: Record<string, number> = {};
      for (const role of ROLES) {
        const headers: Record<string, string> = {};
        if (row.body) headers['content-type'] = row.contentType ?? json;
        if (row.accept) headers.accept = row.accept;
        if (keys[role]) headers.authorization = `Bearer ${keys[role]}`;
        const res = await hub.fetch(row.path(), { method: row.method, headers, auth: false, body: row.body ? JSON.stringify(row.body()) : undefined });
        got[role] = res.status;
        if (res.status >= 400) expect(res.headers.get('content-type'), `${row.name} as ${role}`).toContain('application/problem+json');
        await res.arrayBuffer();
      }
      expect(got).toEqual(row.expect);
    });
  }

  it('cross-list probes: no channel of a list you have no grant for answers with anything but 404', async () => {
    const k = keys.consumer!;
    const h = { authorization: `Bearer ${k}` };
    const probes: [string, RequestInit][] = [
      ['/lists/other', {}],
      ['/lists/other/events', {}],
      ['/lists/other/events', { headers: { accept: 'application/x-ndjson' } }],
      ['/lists/other/events', { headers: { accept: 'text/event-stream' } }],
      ['/lists/other/events/1', {}],
      ['/lists/other/events', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(makeEvent()) }],
      ['/lists/other/subscriptions', { method: 'POST', headers: { 'content-type': json }, body: JSON.stringify(sink()) }],
      ['/lists/other/grants', {}],
      ['/lists/nonexistent/events', {}],
    ];
    for (const [path, init] of probes) {
      const res = await hub.fetch(path, { ...init, auth: false, headers: { ...(init.headers as Record<string, string>), ...h } });
      expect(res.status, `${init.method ?? 'GET'} ${path}`).toBe(404);
      // A missing list and a hidden one answer alike.
      const body = await res.json();
      expect(body.detail).toMatch(/does not exist or is not visible to you/);
    }
  });

  it('no leak of list names, subscription details or secrets', async () => {
    const lists = async (role: Role) => (await (await hub.fetch('/lists', { auth: false, headers: { authorization: `Bearer ${keys[role]}` } })).json()).lists.map((l: { name: string }) => l.name);
    expect(await lists('stranger')).toEqual([]);
    expect(await lists('consumer')).toEqual(['mx']);
    expect(await lists('publisher')).toEqual(['mx']);
    expect((await lists('admin')).sort()).toEqual(expect.arrayContaining(['herold.system', 'mx', 'other']));
    const subs = async (role: Role) => (await (await hub.fetch('/subscriptions', { auth: false, headers: { authorization: `Bearer ${keys[role]}` } })).json()).subscriptions;
    expect((await subs('stranger')).length).toBe(0);
    expect((await subs('owner')).every((s: { owner: string }) => s.owner === 'org:owner')).toBe(true);
    // Secrets are shown once at creation and never again, to anyone.
    const view = await (await hub.fetch(`/subscriptions/${adminSub}`)).json();
    expect(view.secret).toBeUndefined();
    expect(JSON.stringify(await (await hub.fetch('/subscriptions')).json())).not.toMatch(/whsec_/);
    expect(JSON.stringify(await (await hub.fetch('/api-keys')).json())).not.toMatch(/"key"/);
    // Audit for a list you do not own is invisible.
    expect((await hub.fetch('/audit?list=other', { auth: false, headers: { authorization: `Bearer ${keys.owner}` } })).status).toBe(404);
  });
});
