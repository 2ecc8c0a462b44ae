/**
 * The hardening rules of ../shared/API.md "Contract additions (v1.1)", each
 * probed through the real HTTP interface of a real hub the way an attacker
 * (or a careless client) would.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../src/cloudevents/index.js';
import { type TestHub, createList, makeEvent, publishBatch, publishStructured, startTestHub } from '../helpers/hub.js';
import { Receiver } from '../helpers/receiver.js';

const json = { 'content-type': 'application/json' };
const PROBLEM = /^application\/problem\+json/;

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Bytes of the request the client had written when the hub answered and closed. */
  sentBeforeClose: number;
}

/**
 * Sends `head` (request line and headers) and then `body` in slow chunks on a
 * raw socket, and resolves with the response once the hub has closed the
 * connection (or rejects after `timeoutMs`, which would mean the hub waits
 * for the whole body).
 */
function rawRequest(url: string, head: string, body: { chunk: Buffer; total: number; everyMs: number } | null, timeoutMs = 5000): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const received: Buffer[] = [];
    let sent = 0;
    let pump: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms after sending ${sent} bytes of the body`));
    }, timeoutMs);
    socket.on('error', () => undefined);
    socket.on('data', (d) => received.push(d));
    socket.on('close', () => {
      clearTimeout(timer);
      clearInterval(pump);
      const text = Buffer.concat(received).toString('latin1');
      const [rawHead, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...lines] = rawHead.split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n'), sentBeforeClose: sent });
    });
    socket.on('connect', () => {
      socket.write(head);
      if (!body) return;
      pump = setInterval(() => {
        if (sent >= body.total || socket.destroyed) return clearInterval(pump);
        socket.write(body.chunk);
        sent += body.chunk.length;
      }, body.everyMs);
    });
  });
}

/** `depth` nested objects around `1`: {"a":{"a":...1...}}. */
const nested = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

describe('hardening rules on every route', () => {
  let hub: TestHub;
  const keys: Record<string, string> = {};
  const as = (who: string, init: RequestInit = {}): RequestInit & { auth: boolean } => ({
    ...init,
    auth: false,
    headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${keys[who]}` },
  });

  beforeAll(async () => {
    hub = await startTestHub({ readRate: '0', publishRate: '0', maxBatchBytes: '2000000', egressAllow: '127.0.0.0/8' });
    for (const who of ['owner', 'other', 'consumer', 'stranger', 'publisher']) {
      const res = await hub.fetch('/api-keys', { method: 'POST', headers: json, body: JSON.stringify({ principal: `org:${who}` }) });
      keys[who] = (await res.json()).key;
    }
    await createList(hub, 'people', { owner: 'org:owner' });
    await createList(hub, 'finance', { owner: 'org:other' });
    await hub.fetch('/lists/people/grants', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:consumer' }) });
  });
  afterAll(() => hub.close());

  it('authentication comes first: 401 before the body or parameters are validated', async () => {
    const probes: [string, RequestInit][] = [
      ['/api-keys', { method: 'POST', headers: json, body: '{"nonsense":true}' }],
      ['/api-keys', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }],
      ['/lists/people/grants', { method: 'POST', headers: json, body: '{' }],
      ['/lists/people/events?after=not-a-seq&limit=0', {}],
      ['/lists/BAD NAME/events', {}],
      ['/lists/people/events', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: '{}' }],
      ['/access-requests/areq_00000000000000000000000000000000/approve', { method: 'POST', headers: json, body: '{}' }],
      ['/no/such/route', {}],
      ['/metrics', {}],
    ];
    for (const [path, init] of probes) {
      for (const authorization of [undefined, 'Bearer not-a-key', 'Basic abc']) {
        const res = await hub.fetch(path, { ...init, auth: false, headers: { ...(init.headers as Record<string, string>), ...(authorization ? { authorization } : {}) } });
        expect(res.status, `${init.method ?? 'GET'} ${path} with ${authorization}`).toBe(401);
        expect(res.headers.get('content-type')).toMatch(PROBLEM);
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
        expect((await res.json()).errors).toBeUndefined();
      }
    }
    // Health and readiness stay public.
    expect((await hub.fetch('/healthz', { auth: false })).status).toBe(200);
    expect((await hub.fetch('/readyz', { auth: false })).status).toBe(200);
    expect((await hub.fetch('/healthz?probe=1', { auth: false })).status).toBe(200);
  });

  it('authentication comes first: an unauthenticated body is not read beyond what the 401 needs', async () => {
    const { host } = new URL(hub.url);
    // Just under the body limit of this hub (2,000,000 bytes), so that only authentication can stop it early.
    const total = 1_900_000;
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    for (const path of ['/api-keys', '/lists/people/events']) {
      const head = `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${total}\r\n\r\n`;
      const res = await rawRequest(hub.url, head, { chunk, total, everyMs: 20 });
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.headers['connection']).toBe('close');
      expect(JSON.parse(res.body)).toMatchObject({ status: 401 });
      // The hub answered and closed the connection with almost all of the body unsent.
      expect(res.sentBeforeClose).toBeLessThan(total / 10);
    }
    // With credentials the same connection handling reads the body as usual.
    const ok = await hub.fetch('/api-keys', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:late' }) });
    expect(ok.status).toBe(201);
  });

  it(`data nested deeper than ${MAX_JSON_DEPTH} levels is a 400 with a pointer, not a stack overflow`, async () => {
    const deep = nested(20_000);
    const base = JSON.stringify(makeEvent()).replace(/"data":\{[^}]*\}/, '"data":DATA');
    const structured = await hub.fetch('/lists/people/events', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: base.replace('DATA', deep) });
    expect(structured.status).toBe(400);
    expect(structured.headers.get('content-type')).toMatch(PROBLEM);
    const sp = await structured.json();
    expect(sp.errors[0].pointer).toMatch(/^\/data(\/a)*$/);
    expect(sp.errors[0].message).toContain(String(MAX_JSON_DEPTH));

    const batch = await hub.fetch('/lists/people/events', { method: 'POST', headers: { 'content-type': 'application/cloudevents-batch+json' }, body: `[${JSON.stringify(makeEvent())},${base.replace('DATA', deep)}]` });
    expect(batch.status).toBe(400);
    expect((await batch.json()).errors[0].pointer).toMatch(/^\/1\/data(\/a)*$/);

    const binary = await hub.fetch('/lists/people/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-id': 'deep-1', 'ce-source': '/deep', 'ce-type': 't' },
      body: deep,
    });
    expect(binary.status).toBe(400);
    expect((await binary.json()).errors[0].pointer).toMatch(/^\/data(\/a)*$/);

    // Every other JSON body has the same limit: a grant's filter nested 20,000 deep.
    const deepFilter = '[' + '{"all":['.repeat(10_000) + '{"exact":{"type":"x"}}' + ']}'.repeat(10_000) + ']';
    const grant = await hub.fetch('/lists/people/grants', { method: 'POST', headers: json, body: `{"principal":"org:x","filter":${deepFilter}}` });
    expect(grant.status).toBe(400);
    expect(grant.headers.get('content-type')).toMatch(PROBLEM);
    expect((await grant.json()).errors[0].pointer).toMatch(/^\/filter\//);

    // At the limit, data is accepted; nothing deeper was stored.
    const atLimit = await publishStructured(hub, 'people', makeEvent({ data: JSON.parse(nested(MAX_JSON_DEPTH)) }));
    expect(atLimit.status).toBe(201);
    const over = await publishStructured(hub, 'people', makeEvent({ data: JSON.parse(nested(MAX_JSON_DEPTH + 1)) }));
    expect(over.status).toBe(400);
    const page = await (await hub.fetch('/lists/people/events?limit=1000')).json();
    expect(page.events).toHaveLength(1);
  });

  it('every error body, including 413, 415 and 431, is problem+json', async () => {
    const { host } = new URL(hub.url);
    // 431: headers larger than the server takes.
    const big = await rawRequest(hub.url, `GET /lists HTTP/1.1\r\nHost: ${host}\r\nX-Filler: ${'a'.repeat(40_000)}\r\n\r\n`, null);
    expect(big.status).toBe(431);
    expect(big.headers['content-type']).toMatch(PROBLEM);
    expect(JSON.parse(big.body)).toMatchObject({ status: 431, type: expect.stringMatching(/^urn:herold:problem:/) });
    // 400: a request line that is not HTTP.
    const garbage = await rawRequest(hub.url, 'NOT HTTP AT ALL\r\n\r\n', null);
    expect(garbage.status).toBe(400);
    expect(garbage.headers['content-type']).toMatch(PROBLEM);
    expect(JSON.parse(garbage.body)).toMatchObject({ status: 400 });
    // 413 on publish and on an admin route (the hub here takes 2,000,000 bytes).
    const huge = 'x'.repeat(2_100_000);
    for (const [path, type] of [['/lists/people/events', 'application/cloudevents+json'], ['/lists/people/grants', 'application/json']]) {
      const res = await hub.fetch(path, { method: 'POST', headers: { 'content-type': type }, body: JSON.stringify({ principal: huge }) });
      expect(res.status, path).toBe(413);
      expect(res.headers.get('content-type')).toMatch(PROBLEM);
      expect(await res.json()).toMatchObject({ status: 413 });
    }
    // 415 on publish (no CloudEvents mode).
    const plain = await hub.fetch('/lists/people/events', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(plain.status).toBe(415);
    expect(plain.headers.get('content-type')).toMatch(PROBLEM);
    // 400 for a URL that does not decode, and for a path parameter that is too long.
    for (const path of ['/lists/%E0%A4%A/events', `/lists/${'a'.repeat(600)}/events`]) {
      const res = await hub.fetch(path);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.headers.get('content-type'), path).toMatch(PROBLEM);
    }
  });

  it('content types a route does not take are 415 problem+json', async () => {
    const routes: [string, string][] = [
      ['POST', '/api-keys'],
      ['POST', '/lists/people/grants'],
      ['POST', '/lists/people/publishers'],
      ['PUT', '/lists/people'],
      ['POST', '/lists/people/access-requests'],
      ['POST', '/lists/people/subscriptions'],
    ];
    for (const [method, path] of routes) {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
        const res = await hub.fetch(path, { method, headers: { 'content-type': type }, body: 'principal=org:x' });
        expect(res.status, `${method} ${path} ${type}`).toBe(415);
        expect(res.headers.get('content-type')).toMatch(PROBLEM);
        expect(await res.json()).toMatchObject({ status: 415, type: 'urn:herold:problem:unsupported-media-type' });
      }
    }
    // application/json with parameters is still JSON.
    const ok = await hub.fetch('/lists/people/publishers', { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ principal: 'org:publisher' }) });
    expect(ok.status).toBe(201);
  });

  it('a publisher source prefix matches only at a /, ?, # or : boundary, and no dot segment climbs out of it', async () => {
    await createList(hub, 'registry', { owner: 'org:owner' });
    const add = (source: string) => hub.fetch('/lists/registry/publishers', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:publisher', source }) });
    expect((await add('/folkeregister')).status).toBe(201);
    expect((await add('/hr/')).status).toBe(201);
    expect((await add('urn:org:')).status).toBe(201);
    const publish = (source: string) =>
      hub.fetch('/lists/registry/events', as('publisher', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(makeEvent({ source })) }));
    for (const source of ['/folkeregister', '/folkeregister/person', '/folkeregister?v=2', '/folkeregister#x', '/folkeregister:8', '/hr/', '/hr/payroll', '/hr/a/b', 'urn:org:hr', '/hr/..x']) {
      expect((await publish(source)).status, source).toBe(201);
    }
    for (const source of ['/folkeregisterEVIL', '/folkeregister.evil', '/hr', '/hrx/', '/hr/../finance', '/hr/./../finance', '/hr/%2e%2e/finance', '/hr/%2E%2e', '/folkeregister/../finance', '/hr/a/../../finance', 'urn:org', '/finance']) {
      const res = await publish(source);
      expect(res.status, source).toBe(403);
      expect((await res.json()).errors).toEqual([{ pointer: '/source', message: expect.stringContaining('/folkeregister') }]);
    }
  });

  it('list names beginning with herold. are reserved for the hub; nobody publishes into them', async () => {
    for (const name of ['herold.mine', 'herold.system']) {
      const put = await hub.fetch(`/lists/${name}`, { method: 'PUT', headers: json, body: JSON.stringify({ title: 'mine now' }) });
      expect(put.status, name).toBe(403);
      expect(put.headers.get('content-type')).toMatch(PROBLEM);
      expect((await put.json()).detail).toMatch(/reserved for the hub/);
    }
    expect((await hub.fetch('/lists/herold.mine')).status).toBe(404);
    expect((await (await hub.fetch('/lists/herold.system')).json()).title).toBe('Herold system events');
    // Not even an admin, nor a publisher an admin added, publishes into the system list.
    await hub.fetch('/lists/herold.system/publishers', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:publisher' }) });
    const forged = makeEvent({ type: 'herold.subscription.disabled', source: '/herold' });
    for (const init of [{}, as('publisher')] as RequestInit[]) {
      const res = await hub.fetch('/lists/herold.system/events', { ...init, method: 'POST', headers: { ...(init.headers as Record<string, string>), 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(forged) });
      expect(res.status).toBe(403);
      expect((await res.json()).detail).toMatch(/reserved for the hub/);
    }
    const forgedSeen = await (await hub.fetch(`/lists/herold.system/events?limit=1000`)).json();
    expect(forgedSeen.events.some((e: { id: string }) => e.id === forged.id)).toBe(false);
    // The hub's own system events still arrive.
    const rx = await Receiver.start();
    try {
      rx.respond = () => ({ status: 410 });
      await createList(hub, 'gone');
      const sub = await (await hub.fetch('/lists/gone/subscriptions', { method: 'POST', headers: json, body: JSON.stringify({ sink: rx.url }) })).json();
      await publishStructured(hub, 'gone', makeEvent());
      await expect
        .poll(async () => (await (await hub.fetch('/lists/herold.system/events?type=herold.subscription.disabled&limit=1000')).json()).events.some((e: { subject: string }) => e.subject === sub.id))
        .toBe(true);
    } finally {
      await rx.close();
    }
  });

  it('an access request for a list the caller cannot see answers like a missing list, and stores nothing', async () => {
    const ask = (who: string, list: string) => hub.fetch(`/lists/${list}/access-requests`, as(who, { method: 'POST', headers: json, body: JSON.stringify({ purpose: 'probe' }) }));
    const hidden = await ask('stranger', 'finance');
    const missing = await ask('stranger', 'no-such-list');
    expect(hidden.status).toBe(404);
    expect(missing.status).toBe(404);
    const [h, m] = [await hidden.json(), await missing.json()];
    expect(h).toEqual({ ...m, detail: m.detail.replace('no-such-list', 'finance') });
    // An admin asking for a list that does not exist gets the same 404.
    const byAdmin = await hub.fetch('/lists/no-such-list/access-requests', { method: 'POST', headers: json, body: JSON.stringify({ purpose: 'probe' }) });
    expect(byAdmin.status).toBe(404);
    expect(await byAdmin.json()).toEqual(m);
    // Nothing was stored.
    const all = await (await hub.fetch('/access-requests')).json();
    expect(all.requests.filter((r: { list: string }) => r.list === 'finance' || r.list === 'no-such-list')).toEqual([]);
    // A caller who may see the list can ask (here for wider access).
    expect((await ask('consumer', 'people')).status).toBe(201);
  });

  it('since and until must be real RFC 3339 timestamps on every route', async () => {
    const impossible = ['2026-02-30T00:00:00Z', '2025-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T00:00:00+25:00', '2026-01-01', 'yesterday'];
    for (const value of impossible) {
      for (const [route, param] of [['/lists/people/events', 'since'], ['/lists/people/events', 'until'], ['/audit', 'since'], ['/audit', 'until']]) {
        const res = await hub.fetch(`${route}?${param}=${encodeURIComponent(value)}`);
        expect(res.status, `${route} ${param}=${value}`).toBe(400);
        expect(res.headers.get('content-type')).toMatch(PROBLEM);
        expect((await res.json()).errors).toEqual([{ pointer: `/querystring/${param}`, message: expect.any(String) }]);
      }
    }
    const future = await hub.fetch('/api-keys', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:x', expiresAt: '2099-02-30T00:00:00Z' }) });
    expect(future.status).toBe(400);
    expect((await future.json()).errors).toEqual([{ pointer: '/expiresAt', message: expect.any(String) }]);
    for (const value of ['2028-02-29T00:00:00Z', '2026-01-01t00:00:00.123456z', '2026-01-01T01:00:00+01:00']) {
      expect((await hub.fetch(`/lists/people/events?since=${encodeURIComponent(value)}`)).status, value).toBe(200);
      expect((await hub.fetch(`/audit?until=${encodeURIComponent(value)}`)).status, value).toBe(200);
    }
    // An offset is honoured: the same instant written two ways selects the same events.
    await publishStructured(hub, 'people', makeEvent());
    const a = await (await hub.fetch(`/lists/people/events?since=${encodeURIComponent('2000-01-01T01:00:00+01:00')}`)).json();
    const b = await (await hub.fetch('/lists/people/events?since=2000-01-01T00:00:00Z')).json();
    expect(a.events.length).toBeGreaterThan(0);
    expect(a.events.map((e: { id: string }) => e.id)).toEqual(b.events.map((e: { id: string }) => e.id));
  });

  it('sequence numbers are exact 64-bit values: nothing is clamped, a 400 beyond 2^63-1', async () => {
    for (const after of ['9007199254740993', '9007199254740992', '18014398509481985', '9223372036854775807']) {
      const res = await hub.fetch(`/lists/people/events?after=${after}`);
      expect(res.status, after).toBe(200);
      const page = await res.json();
      expect(page.events).toEqual([]);
      // A cursor beyond the head gives an empty page whose next is exactly the cursor sent.
      expect(page.next, after).toBe(after);
    }
    for (const after of ['9223372036854775808', '18446744073709551615', '99999999999999999999']) {
      const res = await hub.fetch(`/lists/people/events?after=${after}`);
      expect(res.status, after).toBe(400);
      expect((await res.json()).errors[0].pointer).toMatch(/after$/);
    }
    const seq = await hub.fetch('/lists/people/events/9223372036854775808');
    expect(seq.status).toBe(400);
    // Routes that take a seq into the store (dead letters, attempts) take the largest one too.
    const rx = await Receiver.start();
    try {
      const sub = await (await hub.fetch('/lists/people/subscriptions', { method: 'POST', headers: json, body: JSON.stringify({ sink: rx.url }) })).json();
      const dead = await hub.fetch(`/subscriptions/${sub.id}/deadletters?after=9223372036854775807`);
      expect(dead.status).toBe(200);
      expect((await dead.json()).deadletters).toEqual([]);
      expect((await hub.fetch(`/subscriptions/${sub.id}/attempts?before=9223372036854775807`)).status).toBe(200);
      expect((await hub.fetch(`/subscriptions/${sub.id}/deadletters?after=9223372036854775808`)).status).toBe(400);
      expect((await hub.fetch(`/subscriptions/${sub.id}`, { method: 'DELETE' })).status).toBe(204);
    } finally {
      await rx.close();
    }
    // Below 2^53 the cursor is followed as usual.
    expect((await publishStructured(hub, 'people', makeEvent())).status).toBe(201);
    const head = (await (await hub.fetch('/lists/people')).json()).head;
    const page = await (await hub.fetch(`/lists/people/events?after=${Number(head) - 1}`)).json();
    expect(page.events.map((e: { heroldseq: string }) => e.heroldseq)).toEqual([head]);
    expect(page.next).toBe(head);
  });

  it('/audit applies its limit after the caller’s visibility', async () => {
    await createList(hub, 'mine', { owner: 'org:owner' });
    await createList(hub, 'theirs', { owner: 'org:other' });
    await publishBatch(hub, 'mine', [makeEvent(), makeEvent()]);
    await publishBatch(hub, 'theirs', [makeEvent(), makeEvent()]);
    // Older rows on the owner's list, then many newer rows on a list of someone else.
    for (let i = 0; i < 3; i++) {
      await hub.fetch(`/lists/mine/events?after=${i % 2}`, as('owner'));
      await hub.running.app.deps.audit.flush();
    }
    for (let i = 0; i < 5; i++) {
      await hub.fetch(`/lists/theirs/events?after=${i % 2}`, as('other'));
      await hub.running.app.deps.audit.flush();
    }
    const mine = await (await hub.fetch('/audit?limit=3', as('owner'))).json();
    expect(mine.records).toHaveLength(3);
    expect(mine.records.every((r: { list: string }) => r.list === 'mine' || r.list === 'people' || r.list === 'registry')).toBe(true);
    expect(mine.records.some((r: { list: string }) => r.list === 'mine')).toBe(true);
    const theirs = await (await hub.fetch('/audit?limit=3', as('other'))).json();
    expect(theirs.records.map((r: { list: string }) => r.list)).toEqual(['theirs', 'theirs', 'theirs']);
    // The admin sees everything, newest first.
    const all = await (await hub.fetch('/audit?limit=3')).json();
    expect(all.records.map((r: { list: string }) => r.list)).toEqual(['theirs', 'theirs', 'theirs']);
    // Another owner's list is not there for the owner, like a list that does not exist.
    expect((await hub.fetch('/audit?list=theirs', as('owner'))).status).toBe(404);
  });
});
