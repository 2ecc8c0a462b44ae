import { createServer } from 'node:http';
import { once } from 'node:events';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSse, type SseMessage } from '../../src/client/sse.js';
import { type TestHub, createList, makeEvent, publishBatch, startTestHub } from '../helpers/hub.js';
import { Receiver } from '../helpers/receiver.js';

const json = { 'content-type': 'application/json' };
const as = (key: string) => ({ authorization: `Bearer ${key}` });

async function newKey(hub: TestHub, principal: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await hub.fetch('/api-keys', { method: 'POST', headers: json, body: JSON.stringify({ principal, ...extra }) });
  expect(res.status).toBe(201);
  return (await res.json()).key;
}

describe('access control', () => {
  let hub: TestHub;
  let ownerKey: string;
  let pubKey: string;
  let consumerKey: string;
  let strangerKey: string;
  beforeAll(async () => {
    hub = await startTestHub({ egressAllow: '127.0.0.0/8', readRate: '0', publishRate: '0' });
    ownerKey = await newKey(hub, 'org:owner');
    pubKey = await newKey(hub, 'org:hr');
    consumerKey = await newKey(hub, 'org:cms');
    strangerKey = await newKey(hub, 'org:stranger');
    await createList(hub, 'people', { owner: 'org:owner', title: 'People' });
    await hub.fetch('/lists/people/publishers', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:hr', source: '/hr' }) });
  });
  afterAll(() => hub.close());

  const fetchAs = (key: string, path: string, init: RequestInit = {}) => hub.fetch(path, { ...init, headers: { ...(init.headers as Record<string, string>), ...as(key) } });
  const publishAs = (key: string, events: Record<string, unknown>[]) =>
    fetchAs(key, '/lists/people/events', { method: 'POST', headers: { 'content-type': 'application/cloudevents-batch+json' }, body: JSON.stringify(events) });

  it('API keys: shown once, listed by prefix only, and revoked at once', async () => {
    const res = await hub.fetch('/api-keys', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:temp' }) });
    const created = await res.json();
    expect(created.key).toMatch(/^hk_/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    const listed = await (await hub.fetch('/api-keys')).json();
    const entry = listed.keys.find((k: { id: string }) => k.id === created.id);
    expect(entry).toMatchObject({ principal: 'org:temp', prefix: created.prefix, revokedAt: null });
    expect(JSON.stringify(listed)).not.toContain(created.key);
    expect((await fetchAs(created.key, '/lists')).status).toBe(200);
    expect((await hub.fetch(`/api-keys/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    const after = await fetchAs(created.key, '/lists');
    expect(after.status).toBe(401);
    expect((await after.json()).detail).toMatch(/revoked/);
    // Only admins manage keys.
    expect((await fetchAs(ownerKey, '/api-keys', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'x' }) })).status).toBe(403);
    const past = await hub.fetch('/api-keys', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'x', expiresAt: '2000-01-01T00:00:00Z' }) });
    expect(past.status).toBe(400);
  });

  it('publishers may publish only under their source prefix; others may not publish', async () => {
    expect((await publishAs(pubKey, [makeEvent({ source: '/hr/payroll' })])).status).toBe(201);
    const wrong = await publishAs(pubKey, [makeEvent({ source: '/hr/x' }), makeEvent({ source: '/finance' })]);
    expect(wrong.status).toBe(403);
    expect((await wrong.json()).errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/1/source']);
    expect((await publishAs(consumerKey, [makeEvent({ source: '/hr' })])).status).toBe(404);
    expect((await publishAs(ownerKey, [makeEvent({ source: '/hr' })])).status).toBe(403);
  });

  it('grants: the row filter is applied inside the read (full pages) and fields are minimised on every channel', async () => {
    await createList(hub, 'grantlist', { owner: 'org:owner' });
    const events = Array.from({ length: 300 }, (_, i) =>
      makeEvent({ source: '/hr', subject: `person/${i}`, kommune: i % 10 === 0 ? '0301' : '4601', secretext: 'do-not-leak', data: { n: i } }),
    );
    await publishBatch(hub, 'grantlist', events);
    const grant = await hub.fetch('/lists/grantlist/grants', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ principal: 'org:cms', filter: "kommune = '0301'", fields: ['subject', 'kommune'] }),
    });
    expect(grant.status).toBe(201);
    // Pull: a full page of 10 matching events, though 90 % of the list is hidden.
    const page = await (await fetchAs(consumerKey, '/lists/grantlist/events?limit=10')).json();
    expect(page.events).toHaveLength(10);
    for (const e of page.events) {
      expect(e.kommune).toBe('0301');
      expect(e.data).toBeUndefined();
      expect(e.secretext).toBeUndefined();
      expect(e.time).toBeUndefined();
      expect(Object.keys(e).sort()).toEqual(['heroldprevseq', 'heroldseq', 'heroldtime', 'id', 'kommune', 'source', 'specversion', 'subject', 'type'].filter((k) => k in e).sort());
    }
    const all = await (await fetchAs(consumerKey, '/lists/grantlist/events?limit=1000')).json();
    expect(all.events).toHaveLength(30);
    expect(all.next).toBe('300');
    // NDJSON
    const nd = (await (await fetchAs(consumerKey, '/lists/grantlist/events', { headers: { accept: 'application/x-ndjson' } })).text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(nd).toHaveLength(30);
    expect(nd.every((e) => e.data === undefined && e.secretext === undefined && e.kommune === '0301')).toBe(true);
    // SSE
    const sse = await fetchAs(consumerKey, '/lists/grantlist/events', { headers: { accept: 'text/event-stream' } });
    const got: SseMessage[] = [];
    for await (const m of parseSse(sse.body as unknown as AsyncIterable<Uint8Array>)) {
      if (m.data) got.push(m);
      if (got.length === 30) break;
    }
    expect(got.map((m) => JSON.parse(m.data)).every((e) => e.data === undefined && e.kommune === '0301')).toBe(true);
    // One event: hidden ones are 404, visible ones minimised.
    expect((await fetchAs(consumerKey, '/lists/grantlist/events/2')).status).toBe(404);
    const one = await (await fetchAs(consumerKey, '/lists/grantlist/events/1')).json();
    expect(one.secretext).toBeUndefined();
    // Webhook: the same scope.
    const rx = await Receiver.start();
    try {
      const sub = await fetchAs(consumerKey, '/lists/grantlist/subscriptions', { method: 'POST', headers: json, body: JSON.stringify({ sink: rx.url, config: { start: '0' } }) });
      expect(sub.status).toBe(201);
      await rx.waitFor((r) => r.received.length === 30);
      expect(rx.events().every((e) => e.kommune === '0301' && e.data === undefined && e.secretext === undefined)).toBe(true);
    } finally {
      await rx.close();
    }
  });

  it('access requests: filed by a consumer, approved (narrowed) by the owner, which creates the grant; or denied with a reason', async () => {
    await createList(hub, 'requests', { owner: 'org:owner' });
    await publishBatch(hub, 'requests', [makeEvent({ kommune: '0301', data: { a: 1 } }), makeEvent({ kommune: '4601' })]);
    // Requests are for lists the caller may see: here org:cms publishes to the list but may not read it.
    await hub.fetch('/lists/requests/publishers', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:cms', source: '/cms' }) });
    expect((await fetchAs(consumerKey, '/lists/requests/events')).status).toBe(403);
    const filed = await fetchAs(consumerKey, '/lists/requests/access-requests', { method: 'POST', headers: json, body: JSON.stringify({ purpose: 'Keep our CMS up to date', filter: "kommune IN ('0301', '4601')" }) });
    expect(filed.status).toBe(201);
    const req = await filed.json();
    expect(req).toMatchObject({ status: 'pending', principal: 'org:cms', list: 'requests' });
    // Someone else cannot approve it, nor even see it.
    expect((await fetchAs(strangerKey, `/access-requests/${req.id}/approve`, { method: 'POST', headers: json, body: '{}' })).status).toBe(404);
    expect((await (await fetchAs(strangerKey, '/access-requests')).json()).requests).toHaveLength(0);
    expect((await (await fetchAs(ownerKey, '/access-requests?status=pending')).json()).requests.map((r: { id: string }) => r.id)).toContain(req.id);
    const approved = await fetchAs(ownerKey, `/access-requests/${req.id}/approve`, { method: 'POST', headers: json, body: JSON.stringify({ filter: "kommune = '0301'", fields: ['kommune'] }) });
    expect(approved.status).toBe(200);
    const decided = await approved.json();
    expect(decided).toMatchObject({ status: 'approved', decidedBy: 'org:owner', grant: { principal: 'org:cms', filter: "kommune = '0301'", fields: ['kommune'] } });
    const events = (await (await fetchAs(consumerKey, '/lists/requests/events')).json()).events;
    expect(events).toHaveLength(1);
    expect(events[0].data).toBeUndefined();
    expect((await fetchAs(ownerKey, `/access-requests/${req.id}/deny`, { method: 'POST', headers: json, body: JSON.stringify({ reason: 'x' }) })).status).toBe(409);

    const second = await (await fetchAs(consumerKey, '/lists/requests/access-requests', { method: 'POST', headers: json, body: JSON.stringify({ purpose: 'We also need the data' }) })).json();
    const denied = await (await fetchAs(ownerKey, `/access-requests/${second.id}/deny`, { method: 'POST', headers: json, body: JSON.stringify({ reason: 'No legal basis' }) })).json();
    expect(denied).toMatchObject({ status: 'denied', reason: 'No legal basis' });
    expect((await (await fetchAs(consumerKey, '/lists/requests/events')).json()).events).toHaveLength(1);
    // A list the caller may not see answers like one that does not exist, and nothing is filed.
    for (const list of ['requests', 'no-such-list']) {
      expect((await fetchAs(strangerKey, `/lists/${list}/access-requests`, { method: 'POST', headers: json, body: JSON.stringify({ purpose: 'probe' }) })).status).toBe(404);
    }
    expect((await (await fetchAs(strangerKey, '/access-requests')).json()).requests).toHaveLength(0);
  });

  it('revoking a grant cuts open streams and stops subscriptions at once', async () => {
    await createList(hub, 'revoke', { owner: 'org:owner' });
    const grant = await (await hub.fetch('/lists/revoke/grants', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:cms' }) })).json();
    const rx = await Receiver.start();
    try {
      const sub = await (await fetchAs(consumerKey, '/lists/revoke/subscriptions', { method: 'POST', headers: json, body: JSON.stringify({ sink: rx.url }) })).json();
      const sse = await fetchAs(consumerKey, '/lists/revoke/events', { headers: { accept: 'text/event-stream' } });
      const messages: SseMessage[] = [];
      const reading = (async () => {
        for await (const m of parseSse(sse.body as unknown as AsyncIterable<Uint8Array>)) messages.push(m);
      })();
      await publishBatch(hub, 'revoke', [makeEvent({ id: 'before' })]);
      await rx.waitFor((r) => r.received.length === 1);
      expect((await hub.fetch(`/grants/${grant.id}`, { method: 'DELETE' })).status).toBe(204);
      await reading;
      expect(messages.some((m) => m.event === 'close' && /access/.test(m.data))).toBe(true);
      await expect.poll(async () => (await (await hub.fetch(`/subscriptions/${sub.id}`)).json()).status).toBe('disabled');
      await publishBatch(hub, 'revoke', [makeEvent({ id: 'after' })]);
      await new Promise((r) => setTimeout(r, 300));
      expect(rx.events().map((e) => e.id)).toEqual(['before']);
      expect((await fetchAs(consumerKey, '/lists/revoke/events')).status).toBe(404);
    } finally {
      await rx.close();
    }
  });

  it('revoking an API key closes the streams opened with it', async () => {
    await createList(hub, 'keyrevoke', { owner: 'org:owner' });
    const res = await (await hub.fetch('/api-keys', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:tmp2' }) })).json();
    await hub.fetch('/lists/keyrevoke/grants', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:tmp2' }) });
    const sse = await fetchAs(res.key, '/lists/keyrevoke/events', { headers: { accept: 'text/event-stream' } });
    expect(sse.status).toBe(200);
    const messages: SseMessage[] = [];
    const reading = (async () => {
      for await (const m of parseSse(sse.body as unknown as AsyncIterable<Uint8Array>)) messages.push(m);
    })();
    await new Promise((r) => setTimeout(r, 100));
    await hub.fetch(`/api-keys/${res.id}`, { method: 'DELETE' });
    await reading;
    expect(messages.some((m) => m.event === 'close')).toBe(true);
  });

  it('audit: who received events about a subject, and what a principal received', async () => {
    await createList(hub, 'audited', { owner: 'org:owner' });
    await hub.fetch('/lists/audited/grants', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:cms', filter: "subject = 'person/42'" }) });
    await publishBatch(hub, 'audited', [makeEvent({ subject: 'person/42' }), makeEvent({ subject: 'person/7' }), makeEvent({ subject: 'person/42' })]);
    await fetchAs(consumerKey, '/lists/audited/events');
    await fetchAs(ownerKey, '/lists/audited/events?type=test.changed');
    await hub.running.app.deps.audit.flush();
    const about42 = await (await fetchAs(ownerKey, '/audit?list=audited&subject=person/42')).json();
    const who42 = new Set(about42.deliveries.map((d: { principal: string }) => d.principal));
    expect(who42).toEqual(new Set(['org:cms', 'org:owner']));
    expect(about42.deliveries.filter((d: { principal: string }) => d.principal === 'org:cms').map((d: { seq: string }) => d.seq).sort()).toEqual(['1', '3']);
    const about7 = await (await fetchAs(ownerKey, '/audit?list=audited&subject=person/7')).json();
    expect(about7.deliveries.map((d: { principal: string }) => d.principal)).toEqual(['org:owner']);
    const byCms = await (await hub.fetch('/audit?principal=org:cms&list=audited')).json();
    expect(byCms.records[0]).toMatchObject({ principal: 'org:cms', list: 'audited', channel: 'pull', count: 2 });
    expect((await fetchAs(consumerKey, '/audit')).status).toBe(403);
    expect((await fetchAs(strangerKey, '/audit?list=audited')).status).toBe(403);
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After when a principal reads too fast', async () => {
    const hub = await startTestHub({ readRate: '2' });
    try {
      await createList(hub, 'rl', { owner: 'org:o' });
      const key = await newKey(hub, 'org:o');
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 8; i++) {
        const res = await hub.fetch('/lists/rl/events', { headers: as(key) });
        statuses.push(res.status);
        if (res.status === 429) retryAfter = res.headers.get('retry-after');
      }
      expect(statuses.slice(0, 4)).toEqual([200, 200, 200, 200]);
      expect(statuses).toContain(429);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    } finally {
      await hub.close();
    }
  });
});

describe('JWT principals', () => {
  it('accepts tokens from a configured issuer (JWKS) with the required scope, naming the principal by a claim', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' };
    const jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    jwks.listen(0, '127.0.0.1');
    await once(jwks, 'listening');
    const issuer = 'https://maskinporten.example/';
    const jwksUri = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/jwks`;
    const hub = await startTestHub({ jwtIssuers: JSON.stringify([{ issuer, jwksUri, audience: 'herold', scope: 'herold:read', principalClaim: 'consumer.ID' }]) });
    try {
      await createList(hub, 'jwt', { owner: 'org:o' });
      await hub.fetch('/lists/jwt/grants', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'maskinporten.example:0192:987654321' }) });
      const sign = (claims: Record<string, unknown>, opts: { aud?: string; iss?: string } = {}) =>
        new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(opts.iss ?? issuer).setAudience(opts.aud ?? 'herold').setIssuedAt().setExpirationTime('5m').sign(privateKey);
      const good = await sign({ scope: 'herold:read other', consumer: { ID: '0192:987654321' } });
      expect((await hub.fetch('/lists/jwt/events', { auth: false, headers: as(good) })).status).toBe(200);
      const noScope = await sign({ scope: 'other', consumer: { ID: '0192:987654321' } });
      const r1 = await hub.fetch('/lists/jwt/events', { auth: false, headers: as(noScope) });
      expect(r1.status).toBe(401);
      expect((await r1.json()).detail).toMatch(/scope/);
      expect((await hub.fetch('/lists/jwt/events', { auth: false, headers: as(await sign({ scope: 'herold:read', consumer: { ID: '0192:987654321' } }, { aud: 'x' })) })).status).toBe(401);
      expect((await hub.fetch('/lists/jwt/events', { auth: false, headers: as(await sign({ scope: 'herold:read', consumer: { ID: '0192:111' } })) })).status).toBe(404);
    } finally {
      await hub.close();
      jwks.close();
    }
  });
});

describe('insecure mode', () => {
  it('lets requests without credentials act as admin only when asked', async () => {
    const secure = await startTestHub();
    const insecure = await startTestHub({ insecure: 'true' });
    try {
      expect((await secure.fetch('/lists', { auth: false })).status).toBe(401);
      expect((await insecure.fetch('/lists/demo', { method: 'PUT', auth: false })).status).toBe(201);
    } finally {
      await secure.close();
      await insecure.close();
    }
  });
});
