/**
 * deliverWebhook against real HTTP receivers on 127.0.0.1 (the policy opens
 * 127.0.0.0/8): what is sent, how receivers verify it, and how each kind of
 * answer is classified.
 */
import { HTTP, type CloudEvent as SdkEvent } from 'cloudevents';
import type http from 'node:http';
import net from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CloudEvent } from '../../../src/cloudevents/index.js';
import { EgressPolicy, parseCidrList } from '../../../src/delivery/egress/index.js';
import {
  deliverWebhook,
  generateSecret,
  USER_AGENT,
  type WebhookDelivery,
} from '../../../src/delivery/sinks/webhook/index.js';
import { startReceiver, type Receiver } from './receiver.js';

const policy = new EgressPolicy(parseCidrList(['127.0.0.0/8']));
const secret = generateSecret();

const EVENT: CloudEvent = {
  specversion: '1.0',
  id: 'evt-1',
  source: 'urn:herold:test',
  type: 'no.example.thing.created',
  subject: 'thing/42',
  time: '2025-01-01T12:00:00.123456789+01:00',
  datacontenttype: 'application/json',
  data: { name: 'Ærlig', n: 1 },
  heroldseq: '17',
};

let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver();
});
afterAll(async () => {
  await rx.close();
});
afterEach(() => {
  rx.received.length = 0;
  rx.handle((_q, res) => res.writeHead(204).end());
});

const deliver = (over: Partial<WebhookDelivery> = {}) =>
  deliverWebhook({
    url: rx.url(),
    event: EVENT,
    mode: 'structured',
    webhookId: 'msg_evt1_sub1',
    secrets: [secret],
    timeoutMs: 5000,
    policy,
    ...over,
  });

/** Header values as a receiver framework would hand them to a verifier. */
const flat = (h: http.IncomingHttpHeaders): Record<string, string> =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]));

describe('the request', () => {
  it('structured mode: POST, CloudEvents JSON body, Standard Webhooks headers a receiver verifies', async () => {
    const r = await deliver();
    expect(r).toMatchObject({ outcome: 'success', status: 204 });
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(rx.received).toHaveLength(1);
    const got = rx.received[0]!;
    expect(got.method).toBe('POST');
    expect(got.url).toBe('/hook');
    expect(got.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    expect(got.headers['content-length']).toBe(String(got.body.length));
    expect(got.headers['webhook-id']).toBe('msg_evt1_sub1');
    expect(Number(got.headers['webhook-timestamp'])).toBeCloseTo(Date.now() / 1000, -1);
    expect(got.headers['user-agent']).toBe(USER_AGENT);
    expect(got.headers['user-agent']).toMatch(/Herold/);
    expect(got.headers.authorization).toBeUndefined();
    // Exactly as a receiver would verify:
    const payload = new Webhook(secret).verify(got.body.toString('utf8'), flat(got.headers));
    expect(payload).toEqual(EVENT);
    // The body is the event exactly (no invented or reformatted attributes).
    expect(JSON.parse(got.body.toString('utf8'))).toEqual(EVENT);
    // And the CloudEvents SDK reads it as structured mode.
    const sdk = HTTP.toEvent({ headers: got.headers, body: got.body.toString('utf8') }) as SdkEvent<unknown>;
    expect(sdk.id).toBe('evt-1');
    expect(sdk.type).toBe(EVENT.type);
  });

  it('the same webhook-id on a redelivery, with a fresh signature', async () => {
    await deliver({ timestampSeconds: Math.floor(Date.now() / 1000) - 10 });
    await deliver();
    const [a, b] = rx.received;
    expect(a!.headers['webhook-id']).toBe(b!.headers['webhook-id']);
    expect(a!.headers['webhook-signature']).not.toBe(b!.headers['webhook-signature']);
    for (const x of [a!, b!]) expect(() => new Webhook(secret).verify(x.body, flat(x.headers))).not.toThrow();
  });

  it('two secrets during rotation: both verify', async () => {
    const next = generateSecret();
    await deliver({ secrets: [secret, next] });
    const got = rx.received[0]!;
    expect(String(got.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const s of [secret, next]) expect(new Webhook(s).verify(got.body, flat(got.headers))).toEqual(EVENT);
    expect(() => new Webhook(generateSecret()).verify(got.body, flat(got.headers))).toThrow();
  });

  it('binary mode: ce- headers the CloudEvents SDK parses, data as the body, signed', async () => {
    const r = await deliver({ mode: 'binary' });
    expect(r.outcome).toBe('success');
    const got = rx.received[0]!;
    expect(got.headers['ce-id']).toBe('evt-1');
    expect(got.headers['ce-specversion']).toBe('1.0');
    expect(got.headers['ce-heroldseq']).toBe('17');
    expect(got.headers['content-type']).toBe('application/json');
    expect(JSON.parse(got.body.toString('utf8'))).toEqual(EVENT.data);
    const sdk = HTTP.toEvent({ headers: got.headers, body: got.body.toString('utf8') }) as SdkEvent<unknown>;
    expect(sdk.id).toBe('evt-1');
    expect(sdk.source).toBe(EVENT.source);
    expect(sdk.type).toBe(EVENT.type);
    expect(sdk.subject).toBe(EVENT.subject);
    expect(sdk.heroldseq).toBe('17');
    expect(sdk.data).toEqual(EVENT.data);
    expect(new Webhook(secret).verify(got.body, flat(got.headers))).toEqual(EVENT.data);
  });

  it('binary mode with base64 data sends the bytes and signs them', async () => {
    const bytes = Buffer.from('plain text, not JSON');
    await deliver({
      mode: 'binary',
      event: { specversion: '1.0', id: 'b', source: '/s', type: 't', datacontenttype: 'application/octet-stream', data_base64: bytes.toString('base64') },
    });
    const got = rx.received[0]!;
    expect(got.body.equals(bytes)).toBe(true);
    expect(got.headers['content-type']).toBe('application/octet-stream');
    expect(() => new Webhook(secret).verify(got.body, flat(got.headers), { jsonParse: false })).not.toThrow();
  });

  it('sends the bearer token and the request origin when given', async () => {
    await deliver({ bearerToken: 'mF_9.B5f-4.1JqM', origin: 'herold.example.com' });
    const got = rx.received[0]!;
    expect(got.headers.authorization).toBe('Bearer mF_9.B5f-4.1JqM');
    expect(got.headers['webhook-request-origin']).toBe('herold.example.com');
  });

  it('reuses connections for consecutive deliveries (keep-alive, per policy)', async () => {
    const before = rx.connections();
    for (let i = 0; i < 5; i++) expect((await deliver()).outcome).toBe('success');
    expect(rx.received).toHaveLength(5);
    expect(rx.connections() - before).toBeLessThanOrEqual(1);
  });

  it('keeps the path and query of the sink URL', async () => {
    await deliver({ url: rx.url('/a/b?access_token=x&p=q') });
    expect(rx.received[0]!.url).toBe('/a/b?access_token=x&p=q');
  });
});

describe('classification of answers', () => {
  const answer =
    (status: number, headers: Record<string, string> = {}, body = '') =>
    (_q: http.IncomingMessage, res: http.ServerResponse) =>
      res.writeHead(status, headers).end(body);

  it.each([
    [200, 'success'],
    [201, 'success'],
    [202, 'success'],
    [204, 'success'],
    [400, 'dead'],
    [401, 'dead'],
    [404, 'dead'],
    [408, 'retry'],
    [410, 'gone'],
    [413, 'dead'],
    [415, 'dead'],
    [429, 'retry'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
  ])('%d → %s', async (status, outcome) => {
    rx.handle(answer(status, { 'content-type': 'text/plain' }, status === 204 ? '' : `answer ${status}`));
    const r = await deliver();
    expect(r.outcome).toBe(outcome);
    expect(r.status).toBe(status);
    if (status !== 204) expect(r.responseSnippet).toBe(`answer ${status}`);
    if (outcome !== 'success') expect(r.error).toContain(String(status));
    else expect(r.error).toBeUndefined();
  });

  it.each([301, 302, 307, 308])('%d is dead and the redirect is not followed', async (status) => {
    rx.handle((req, res) => {
      if (req.url === '/hook') res.writeHead(status, { location: '/elsewhere' }).end();
      else res.writeHead(200).end();
    });
    const r = await deliver();
    expect(r).toMatchObject({ outcome: 'dead', status });
    expect(r.error).toContain('redirects are not followed');
    expect(r.error).toContain('/elsewhere');
    await new Promise((res) => setTimeout(res, 30));
    expect(rx.received.map((x) => x.url)).toEqual(['/hook']);
  });

  it('429 with Retry-After in seconds', async () => {
    rx.handle(answer(429, { 'retry-after': '30' }));
    expect(await deliver()).toMatchObject({ outcome: 'retry', status: 429, retryAfterMs: 30_000 });
  });

  it('429 with Retry-After as an HTTP-date', async () => {
    const when = new Date(Math.floor(Date.now() / 1000) * 1000 + 120_000);
    rx.handle(answer(429, { 'retry-after': when.toUTCString() }));
    const r = await deliver();
    expect(r).toMatchObject({ outcome: 'retry', status: 429 });
    expect(r.retryAfterMs).toBeGreaterThan(115_000);
    expect(r.retryAfterMs).toBeLessThanOrEqual(120_000);
  });

  it('503 with Retry-After, capped', async () => {
    rx.handle(answer(503, { 'retry-after': '9999999' }));
    expect(await deliver()).toMatchObject({ outcome: 'retry', status: 503, retryAfterMs: 24 * 3600 * 1000 });
    expect(await deliver({ maxRetryAfterMs: 60_000 })).toMatchObject({ retryAfterMs: 60_000 });
  });

  it('429 without a readable Retry-After leaves the delay to the schedule', async () => {
    rx.handle(answer(429, { 'retry-after': 'later' }));
    const r = await deliver();
    expect(r.outcome).toBe('retry');
    expect(r).not.toHaveProperty('retryAfterMs');
  });

  it('a receiver that never answers: retry after the timeout', async () => {
    rx.handle(() => {
      /* never answer */
    });
    const started = Date.now();
    const r = await deliver({ timeoutMs: 300 });
    const took = Date.now() - started;
    expect(r).toMatchObject({ outcome: 'retry', errorCode: 'ETIMEDOUT' });
    expect(r.status).toBeUndefined();
    expect(r.error).toContain('300 ms');
    expect(took).toBeGreaterThanOrEqual(280);
    expect(took).toBeLessThan(2000);
  });

  it('the timeout covers name resolution and connecting (a resolver that never answers)', async () => {
    const started = Date.now();
    const r = await deliver({ url: `http://sink.test:${rx.port}/hook`, timeoutMs: 250, resolve: () => new Promise(() => {}) });
    expect(r).toMatchObject({ outcome: 'retry', errorCode: 'ETIMEDOUT' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(rx.received).toHaveLength(0);
  });

  it('a server that accepts the connection but never reads: retry after the timeout', async () => {
    const silent = net.createServer(() => {
      /* accept and hold */
    });
    const held = new Set<net.Socket>();
    silent.on('connection', (s) => held.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const r = await deliver({ url: `http://127.0.0.1:${port}/`, timeoutMs: 250 });
      expect(r).toMatchObject({ outcome: 'retry', errorCode: 'ETIMEDOUT' });
    } finally {
      for (const s of held) s.destroy();
      silent.close();
    }
  });

  it('connection refused: retry', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const r = await deliver({ url: `http://127.0.0.1:${port}/` });
    expect(r).toMatchObject({ outcome: 'retry', errorCode: 'ECONNREFUSED' });
  });

  it('connection reset before any answer: retry', async () => {
    rx.handle((req) => req.socket.destroy());
    const r = await deliver();
    expect(r.outcome).toBe('retry');
    expect(r.status).toBeUndefined();
    expect(r.errorCode).toBeDefined();
  });

  it('a status once sent decides, even if the body then stalls past the deadline', async () => {
    rx.handle((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
    });
    const r = await deliver({ timeoutMs: 300 });
    expect(r).toMatchObject({ outcome: 'success', status: 200, responseSnippet: 'partial' });
  });

  it('a huge streamed body: snippet is 1 KiB, the rest is not read, memory stays flat', async () => {
    let sent = 0;
    let stopped = false;
    rx.handle((_q, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = (): void => {
        while (!stopped && sent < 1024 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      res.on('close', () => (stopped = true));
      pump();
    });
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const r = await deliver({ timeoutMs: 5000 });
    const heapAfter = process.memoryUsage().heapUsed;
    expect(r.outcome).toBe('retry');
    expect(r.status).toBe(500);
    expect(r.responseSnippet).toBe('x'.repeat(1024));
    await new Promise((res) => setTimeout(res, 50));
    expect(stopped).toBe(true);
    // The receiver could push only what the socket buffers held before we hung up.
    expect(sent).toBeLessThan(64 * 1024 * 1024);
    expect(heapAfter - heapBefore).toBeLessThan(32 * 1024 * 1024);
  });

  it('the snippet is cut at 1 KiB of a small multi-chunk body', async () => {
    rx.handle((_q, res) => {
      res.writeHead(400);
      res.write('a'.repeat(700));
      setTimeout(() => res.end('b'.repeat(700)), 10);
    });
    const r = await deliver();
    expect(r.responseSnippet).toBe('a'.repeat(700) + 'b'.repeat(324));
  });
});

describe('unusable requests are dead without sending anything', () => {
  it.each<[string, Partial<WebhookDelivery>, string]>([
    ['a non-http URL', { url: 'ftp://127.0.0.1/' }, 'scheme'],
    ['credentials in the URL', { url: 'http://u:p@127.0.0.1/' }, 'credentials'],
    ['a malformed URL', { url: 'http://' }, 'not a valid absolute URL'],
    ['no secret', { secrets: [] }, 'at least one webhook secret'],
    ['a malformed secret', { secrets: ['whsec_'] }, 'base64'],
    ['an unknown mode', { mode: 'batch' as 'binary' }, 'unknown delivery mode'],
    ['a bearer token with a line break', { bearerToken: 'a\r\nx-injected: 1' }, 'bearer token'],
    ['a non-positive timeout', { timeoutMs: 0 }, 'timeout'],
  ])('%s', async (_what, over, message) => {
    const r = await deliver(over);
    expect(r.outcome).toBe('dead');
    expect(r.error).toContain(message);
    expect(rx.received).toHaveLength(0);
  });

  it('an egress refusal is retry, not dead (nothing sent; the cause may be transient)', async () => {
    const r = await deliver({ policy: new EgressPolicy([]) });
    expect(r).toMatchObject({ outcome: 'retry', errorCode: 'EGRESS_REFUSED' });
    expect(rx.received).toHaveLength(0);
  });
});
