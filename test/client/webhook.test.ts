import express from 'express';
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSecret, signWebhook } from '../../src/delivery/sinks/webhook/signature.js';
import { WebhookVerificationError } from '../../src/client/errors.js';
import type { ServedEvent } from '../../src/client/types.js';
import { webhookHandler, webhookPlugin } from '../../src/client/webhook/handler.js';
import { verifyWebhook } from '../../src/client/webhook/verify.js';
import { type TestHub, createList, makeEvent, publishStructured, startTestHub } from '../helpers/hub.js';
import { serve } from './helpers-server.js';

describe('verifyWebhook', () => {
  const secret = generateSecret();
  const now = Math.floor(Date.now() / 1000);
  const body = '{"specversion":"1.0","id":"1","source":"/hr","type":"t"}';
  const headers = (over: Record<string, string> = {}) => ({ 'webhook-id': 'msg_1', 'webhook-timestamp': String(now), 'webhook-signature': signWebhook([secret], 'msg_1', now, body), ...over });

  it('accepts the hub’s signature over the raw body, as string, bytes or a Headers object', () => {
    expect(verifyWebhook(headers(), body, secret)).toEqual({ id: 'msg_1', timestamp: now });
    expect(verifyWebhook(new Headers(headers()), new TextEncoder().encode(body), [secret]).id).toBe('msg_1');
  });

  it('during a rotation: a request signed with either secret, a header with both signatures', () => {
    const next = generateSecret();
    const both = signWebhook([next, secret], 'msg_1', now, body);
    expect(verifyWebhook(headers({ 'webhook-signature': both }), body, [secret]).id).toBe('msg_1');
    expect(verifyWebhook(headers({ 'webhook-signature': both }), body, [next]).id).toBe('msg_1');
    expect(verifyWebhook(headers(), body, [next, secret]).id).toBe('msg_1');
  });

  it('refuses a tampered body, another secret, a replayed old request, missing headers', () => {
    const refuse = (h: Record<string, string>, b = body, s: string | string[] = secret) => () => verifyWebhook(h, b, s);
    expect(refuse(headers(), body.replace('/hr', '/hx'))).toThrow(WebhookVerificationError);
    expect(refuse(headers(), body, generateSecret())).toThrow(/no webhook-signature matches/);
    const old = now - 3600;
    expect(refuse(headers({ 'webhook-timestamp': String(old), 'webhook-signature': signWebhook([secret], 'msg_1', old, body) }))).toThrow(/more than 300 s/);
    expect(refuse({ 'webhook-id': 'msg_1', 'webhook-timestamp': String(now) })).toThrow(/missing/);
    expect(refuse(headers({ 'webhook-signature': 'v2,' + signWebhook([secret], 'msg_1', now, body).slice(3) }))).toThrow(/no webhook-signature matches/);
    expect(refuse(headers({ 'webhook-timestamp': '1e9' }))).toThrow(/number of seconds/);
  });
});

/** An Express app on a free port, closed with the test. */
async function listenExpress(app: express.Express): Promise<{ url: string; close(): Promise<void> }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * Real deliveries from a hub to a receiver built with the client, in both modes, for node:http,
 * Fastify and Express (mounted before the app's JSON parser, and behind `express.raw`).
 */
describe.each(['node:http', 'fastify', 'express', 'express-raw'] as const)('a %s receiver made with the client', (kind) => {
  let hub: TestHub;
  let receiver: { url: string; close(): Promise<void> };
  let secret = '';
  const received: { event: ServedEvent; webhookId: string }[] = [];
  let failNext = 0;
  let jsonUrl = '';
  const options = {
    secret: () => secret,
    handler: (event: ServedEvent, info: { webhookId: string }) => {
      if (failNext > 0) {
        failNext--;
        throw new Error('database is down');
      }
      received.push({ event, webhookId: info.webhookId });
    },
  };

  beforeAll(async () => {
    hub = await startTestHub({ egressAllow: '127.0.0.0/8' });
    if (kind === 'node:http') {
      const handle = webhookHandler(options);
      receiver = await serve((req, res) => void handle(req, res));
    } else if (kind === 'fastify') {
      const app = Fastify();
      await app.register(webhookPlugin({ ...options, path: '/hook' }), { prefix: '/hr' });
      // Other routes of the app keep their JSON parser.
      app.post('/json', async (req) => ({ echoed: req.body }));
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      receiver = { url: `${url}/hr/hook`, close: () => app.close() };
      jsonUrl = `${url}/json`;
    } else {
      const app = express();
      const receive = webhookHandler(options);
      if (kind === 'express') {
        // Before any body parser: the handler reads the raw bytes itself (OPTIONS and POST).
        app.all('/hr/hook', receive);
      } else {
        // Behind express.raw: the handler takes the Buffer it left in req.body.
        app.options('/hr/hook', receive);
        app.post('/hr/hook', express.raw({ type: '*/*' }), receive);
      }
      // Other routes of the app keep their JSON parser.
      app.post('/json', express.json(), (req, res) => void res.json({ echoed: req.body }));
      const listening = await listenExpress(app);
      receiver = { url: `${listening.url}/hr/hook`, close: listening.close };
      jsonUrl = `${listening.url}/json`;
    }
    await createList(hub, 'people');
  });
  afterAll(async () => {
    await receiver.close();
    await hub.close();
  });

  const waitFor = async <T>(probe: () => T | undefined): Promise<T> => {
    for (let i = 0; i < 200; i++) {
      const v = probe();
      if (v !== undefined) return v;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('timed out');
  };

  it.each(['structured', 'binary'] as const)('%s mode: the handshake is answered, deliveries are verified and decoded', async (mode) => {
    const res = await hub.fetch('/lists/people/subscriptions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sink: receiver.url, config: { mode, retry: [0.05, 0.05] } }),
    });
    const sub = await res.json();
    expect(res.status, JSON.stringify(sub)).toBe(201);
    secret = sub.secret;
    const published = makeEvent({ subject: 'person/123', data: { name: 'Kari Nordmann' }, extra: 'æøå 100%' });
    const { seq } = await (await publishStructured(hub, 'people', published)).json();
    const got = await waitFor(() => received.find((r) => r.event.id === published.id));
    expect(got.event).toMatchObject({ ...published, heroldseq: seq });
    expect(got.webhookId).toMatch(/^msg_/);
    // A handler that throws is a 500: the hub retries and the event arrives.
    failNext = 1;
    const second = makeEvent({ subject: 'person/456' });
    await publishStructured(hub, 'people', second);
    await waitFor(() => received.find((r) => r.event.id === second.id));
    await hub.fetch(`/subscriptions/${sub.id}`, { method: 'DELETE' });
  });

  if (kind !== 'node:http')
    it('raw bytes are read only where the receiver is mounted: other routes still parse JSON', async () => {
    const res = await fetch(jsonUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(await res.json()).toEqual({ echoed: { a: 1 } });
  });

  it('answers the CloudEvents validation handshake itself (OPTIONS), asked directly', async () => {
    const res = await fetch(receiver.url, { method: 'OPTIONS', headers: { 'webhook-request-origin': 'hub.example', 'webhook-request-rate': '120' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('webhook-allowed-origin')).toBe('hub.example');
    expect(res.headers.get('webhook-allowed-rate')).toBe('*');
    expect((await fetch(receiver.url, { method: 'OPTIONS' })).status).toBe(400);
  });

  it('an attacker without the secret gets 401 and the handler is not called; a replay of a real delivery is handled once', async () => {
    const before = received.length;
    const body = JSON.stringify(makeEvent());
    const now = Math.floor(Date.now() / 1000);
    const forged = await fetch(receiver.url, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json', 'webhook-id': 'msg_x', 'webhook-timestamp': String(now), 'webhook-signature': signWebhook([generateSecret()], 'msg_x', now, body) },
      body,
    });
    expect(forged.status).toBe(401);
    const unsigned = await fetch(receiver.url, { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body });
    expect(unsigned.status).toBe(401);
    expect(received.length).toBe(before);
    // The same genuine request twice (a retry after a lost answer): one call.
    const genuine = { 'content-type': 'application/cloudevents+json', 'webhook-id': 'msg_y', 'webhook-timestamp': String(now), 'webhook-signature': signWebhook([secret], 'msg_y', now, body) };
    expect((await fetch(receiver.url, { method: 'POST', headers: genuine, body })).status).toBe(204);
    expect((await fetch(receiver.url, { method: 'POST', headers: genuine, body })).status).toBe(204);
    expect(received.length).toBe(before + 1);
    // Signed but not a CloudEvent: 400.
    const junk = { 'content-type': 'text/plain', 'webhook-id': 'msg_z', 'webhook-timestamp': String(now), 'webhook-signature': signWebhook([secret], 'msg_z', now, 'hello') };
    expect((await fetch(receiver.url, { method: 'POST', headers: junk, body: 'hello' })).status).toBe(400);
  });
});

describe('an Express app that parses JSON before the receiver', () => {
  it('answers 500 saying how to mount it, and never calls the handler', async () => {
    const secret = generateSecret();
    const calls: ServedEvent[] = [];
    const app = express();
    app.use(express.json({ type: ['application/json', 'application/cloudevents+json'] }));
    app.post('/hook', webhookHandler({ secret, handler: (event) => void calls.push(event) }));
    const receiver = await listenExpress(app);
    try {
      const body = JSON.stringify(makeEvent());
      const now = Math.floor(Date.now() / 1000);
      const res = await fetch(`${receiver.url}/hook`, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json', 'webhook-id': 'msg_j', 'webhook-timestamp': String(now), 'webhook-signature': signWebhook([secret], 'msg_j', now, body) },
        body,
      });
      expect(res.status).toBe(500);
      expect(await res.text()).toMatch(/mount the webhook handler before body parsers, or use express\.raw/);
      expect(calls).toEqual([]);
    } finally {
      await receiver.close();
    }
  });
});
