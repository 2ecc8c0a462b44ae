/**
 * The CloudEvents webhook validation handshake (OPTIONS + WebHook-Request-Origin)
 * against real receivers on 127.0.0.1.
 */
import type http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EgressPolicy, parseCidrList } from '../../../src/delivery/egress/index.js';
import { webhookHandshake } from '../../../src/delivery/sinks/webhook/index.js';
import { startReceiver, type Receiver } from './receiver.js';

const policy = new EgressPolicy(parseCidrList(['127.0.0.0/8']));
const ORIGIN = 'herold.example.com';

let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver();
});
afterAll(async () => {
  await rx.close();
});
afterEach(() => {
  rx.received.length = 0;
});

/** A receiver implementing the spec: grants the asked origin (or `*`), echoes the rate. */
const grant =
  (opts: { origin?: string; rate?: string | null; status?: number } = {}) =>
  (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.method !== 'OPTIONS') return res.writeHead(405).end();
    const headers: Record<string, string> = { allow: 'POST, OPTIONS' };
    const origin = opts.origin ?? String(req.headers['webhook-request-origin'] ?? '');
    if (origin !== '') headers['webhook-allowed-origin'] = origin;
    const rate = opts.rate === undefined ? req.headers['webhook-request-rate'] : opts.rate;
    if (typeof rate === 'string') headers['webhook-allowed-rate'] = rate;
    res.writeHead(opts.status ?? 200, headers).end();
  };

const shake = (over: Partial<Parameters<typeof webhookHandshake>[2]> = {}, url = rx.url()) =>
  webhookHandshake(url, policy, { origin: ORIGIN, timeoutMs: 2000, ...over });

describe('webhookHandshake', () => {
  it('sends OPTIONS with WebHook-Request-Origin to the exact sink URL; accepted when the origin is granted', async () => {
    rx.handle(grant());
    expect(await shake({}, rx.url('/hook?x=1'))).toEqual({ ok: true });
    const got = rx.received[0]!;
    expect(got.method).toBe('OPTIONS');
    expect(got.url).toBe('/hook?x=1');
    expect(got.headers['webhook-request-origin']).toBe(ORIGIN);
    expect(got.headers['webhook-request-rate']).toBeUndefined();
    expect(got.headers['user-agent']).toMatch(/Herold/);
    expect(got.body).toHaveLength(0);
  });

  it('sends WebHook-Request-Rate when asked and returns the granted rate', async () => {
    rx.handle(grant());
    expect(await shake({ rate: 120 })).toEqual({ ok: true, allowedRate: 120 });
    expect(rx.received[0]!.headers['webhook-request-rate']).toBe('120');
    rx.handle(grant({ rate: '*' }));
    expect(await shake({ rate: 120 })).toEqual({ ok: true, allowedRate: '*' });
  });

  it('accepts `*` and a case-different origin; 204 counts as 2xx', async () => {
    rx.handle(grant({ origin: '*' }));
    expect(await shake()).toEqual({ ok: true });
    rx.handle(grant({ origin: 'HEROLD.Example.COM', status: 204 }));
    expect(await shake()).toEqual({ ok: true });
  });

  it.each<[string, (req: http.IncomingMessage, res: http.ServerResponse) => void, object, string]>([
    ['no WebHook-Allowed-Origin (a 200 alone is not consent)', (_q, res) => res.writeHead(200).end(), {}, 'no WebHook-Allowed-Origin'],
    ['another origin granted', grant({ origin: 'someone-else.example' }), {}, '"someone-else.example", not to "herold.example.com"'],
    ['405 Method Not Allowed', (_q, res) => res.writeHead(405).end(), {}, 'with 405'],
    ['404', (_q, res) => res.writeHead(404).end(), {}, 'with 404'],
    ['a grant with a non-2xx status', grant({ status: 500 }), {}, 'with 500'],
    ['a redirect', (_q, res) => res.writeHead(307, { location: '/elsewhere' }).end(), {}, 'redirect'],
    ['rate requested but WebHook-Allowed-Rate missing', grant({ rate: null }), { rate: 60 }, 'WebHook-Allowed-Rate is missing'],
    ['an invalid WebHook-Allowed-Rate', grant({ rate: 'lots' }), {}, 'invalid WebHook-Allowed-Rate'],
    ['a zero WebHook-Allowed-Rate', grant({ rate: '0' }), {}, 'invalid WebHook-Allowed-Rate'],
  ])('refused: %s', async (_what, handler, over, reason) => {
    rx.handle(handler);
    const r = await shake(over);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });

  it('refused: a receiver that never answers (timeout)', async () => {
    rx.handle(() => {});
    const r = await shake({ timeoutMs: 200 });
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('no response within 200 ms') });
  });

  it('refused by egress policy before any request', async () => {
    rx.handle(grant());
    const r = await webhookHandshake(rx.url(), new EgressPolicy([]), { origin: ORIGIN, timeoutMs: 2000 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain('127.0.0.1 is a loopback address');
    expect(rx.received).toHaveLength(0);
  });

  it.each<[string, Partial<Parameters<typeof webhookHandshake>[2]>, string, string]>([
    ['an empty origin', { origin: '' }, '', 'origin'],
    ['an origin with a line break', { origin: 'a\r\nb' }, '', 'origin'],
    ['a zero rate', { rate: 0 }, '', 'positive integer'],
    ['a fractional rate', { rate: 1.5 }, '', 'positive integer'],
    ['a non-http URL', {}, 'ftp://127.0.0.1/', 'scheme'],
  ])('invalid input: %s', async (_what, over, url, reason) => {
    const r = await shake(over, url || rx.url());
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
    expect(rx.received).toHaveLength(0);
  });
});
