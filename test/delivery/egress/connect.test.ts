/**
 * Egress with real sockets: sink URL validation, the connect-time lookup, and
 * proof that refusals happen before any packet reaches the target.
 */
import fc from 'fast-check';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EGRESS_REFUSED,
  EgressPolicy,
  checkLiteralHost,
  parseCidrList,
  safeLookup,
  validateSinkUrl,
  type Resolver,
} from '../../../src/delivery/egress/index.js';
import { deliverWebhook } from '../../../src/delivery/sinks/webhook/index.js';

const strict = new EgressPolicy([]);
const loopbackOpen = new EgressPolicy(parseCidrList(['127.0.0.0/8', '::1/128']));

/** A resolver answering from a table, never touching DNS. */
const table =
  (answers: Record<string, string[]>): Resolver =>
  async (host) => {
    const a = answers[host];
    if (a === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

/** A TCP server on 127.0.0.1 that counts connections (and answers HTTP 200 to anything). */
let tripwire: net.Server;
let tripPort = 0;
let connections = 0;
const open = new Set<net.Socket>();

beforeAll(async () => {
  tripwire = net.createServer((socket) => {
    connections++;
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => {});
    socket.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
  });
  await new Promise<void>((r) => tripwire.listen(0, '127.0.0.1', r));
  tripPort = (tripwire.address() as net.AddressInfo).port;
});
afterAll(async () => {
  for (const s of open) s.destroy();
  await new Promise<void>((r) => tripwire.close(() => r()));
});

/** Run fn and assert the tripwire saw no connection from it. */
async function expectNoConnection(fn: () => Promise<void>): Promise<void> {
  const before = connections;
  await fn();
  await new Promise((r) => setTimeout(r, 50));
  expect(connections - before).toBe(0);
}

describe('validateSinkUrl', () => {
  const resolve = table({
    'public.test': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
    'mixed.test': ['93.184.216.34', '10.0.0.7'],
    'mixed6.test': ['2606:2800:220:1::1', 'fe80::1'],
    'metadata.test': ['169.254.169.254'],
    'mapped.test': ['::ffff:127.0.0.1'],
    'odd.test': ['2130706433'],
    'empty.test': [],
  });

  it.each([
    ['https://public.test/hook', true],
    ['http://public.test:8080/hook?x=1', true],
    ['https://8.8.8.8/', true],
    ['https://[2606:4700:4700::1111]/', true],
  ])('accepts %s', async (url, _ok) => {
    const r = await validateSinkUrl(url, strict, { resolve });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.url.href).toBe(new URL(url).href);
  });

  it.each([
    ['not a url', 'not a valid absolute URL'],
    ['/relative', 'not a valid absolute URL'],
    ['ftp://public.test/', 'scheme must be http or https, not ftp'],
    ['file:///etc/passwd', 'scheme must be http or https'],
    ['gopher://public.test/', 'scheme must be http or https'],
    ['javascript:alert(1)', 'scheme must be http or https'],
    ['https://user:pw@public.test/', 'must not contain credentials'],
    ['https://user@public.test/', 'must not contain credentials'],
    ['http://127.0.0.1/', '127.0.0.1 is a loopback address'],
    ['http://2130706433/', '127.0.0.1 is a loopback address'],
    ['http://0x7f.1/', '127.0.0.1 is a loopback address'],
    ['http://0177.0.0.1/', '127.0.0.1 is a loopback address'],
    ['http://127.1:8080/', '127.0.0.1 is a loopback address'],
    ['http://[::1]/', '::1 is the loopback address'],
    ['http://[::ffff:127.0.0.1]/', 'IPv4-mapped'],
    ['http://[::ffff:7f00:1]/', 'IPv4-mapped'],
    ['http://[fe80::1]/', 'link-local'],
    ['http://169.254.169.254/latest/meta-data/', 'link-local'],
    ['http://0.0.0.0/', 'unspecified'],
    ['http://[::]/', 'unspecified'],
    ['http://10.0.0.1/', 'private'],
    ['http://mixed.test/', 'mixed.test resolves to a refused address: 10.0.0.7 is a private address'],
    ['http://mixed6.test/', 'fe80::1 is a link-local address'],
    ['http://metadata.test/', '169.254.169.254 is a link-local address'],
    ['http://mapped.test/', 'IPv4-mapped'],
    ['http://odd.test/', '127.0.0.1 is a loopback address'],
    ['http://empty.test/', 'empty.test has no addresses'],
    ['http://nowhere.test/', 'cannot be used: cannot resolve nowhere.test'],
  ])('refuses %s', async (url, reason) => {
    const r = await validateSinkUrl(url, strict, { resolve });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });

  it('requireHttps refuses http', async () => {
    const r = await validateSinkUrl('http://public.test/', strict, { resolve, requireHttps: true });
    expect(r).toEqual({ ok: false, reason: 'the sink URL scheme must be https, not http' });
  });

  it('uses the system resolver by default: localhost is loopback', async () => {
    const r = await validateSinkUrl('http://localhost:9/', strict);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/localhost resolves to a refused address: (127\.0\.0\.1|::1) is (a|the) loopback address/);
    expect((await validateSinkUrl('http://localhost:9/', loopbackOpen)).ok).toBe(true);
  });

  it('the allow list opens loopback, in every encoding', async () => {
    for (const url of ['http://127.0.0.1:1/', 'http://2130706433/', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/']) {
      expect((await validateSinkUrl(url, loopbackOpen)).ok, url).toBe(true);
    }
    expect((await validateSinkUrl('http://10.0.0.1/', loopbackOpen)).ok).toBe(false);
  });

  it('never rejects and never throws, whatever the URL and whatever the resolver answers (fast-check)', async () => {
    const answer = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.string(),
      fc.constantFrom('127.0.0.1', '::1', '10.0.0.1', '8.8.8.8', '0x7f.1', ''),
    );
    const resolverBehaviour = fc.oneof(
      fc.array(answer, { maxLength: 4 }).map((as): Resolver => async () => as.map((address) => ({ address }))),
      fc.constant<Resolver>(async () => {
        throw new Error('boom');
      }),
      fc.constant<Resolver>(async () => {
        throw 'not an error';
      }),
      fc.constant<Resolver>(async () => null as unknown as []),
      fc.constant<Resolver>(async () => [{ address: 42 }] as unknown as []),
    );
    const url = fc.oneof(
      fc.string(),
      fc.webUrl(),
      fc.webUrl({ withQueryParameters: true, withFragments: true, validSchemes: ['http', 'https', 'ftp', 'ws'] }),
      fc.tuple(fc.constantFrom('http://', 'https://'), fc.oneof(fc.ipV4Extended(), fc.ipV6().map((a) => `[${a}]`), fc.domain(), fc.string())).map(
        ([s, h]) => s + h,
      ),
    );
    await fc.assert(
      fc.asyncProperty(url, resolverBehaviour, async (u, resolve) => {
        for (const policy of [strict, loopbackOpen]) {
          const r = await validateSinkUrl(u, policy, { resolve });
          expect(typeof r.ok).toBe('boolean');
          if (!r.ok) expect(r.reason.length).toBeGreaterThan(0);
          else expect(['http:', 'https:']).toContain(r.url.protocol);
        }
      }),
      { numRuns: 1500 },
    );
  });
});

describe('connect-time checks', () => {
  it('safeLookup refuses a name resolving to loopback with EGRESS_REFUSED, and net.connect never connects', async () => {
    await expectNoConnection(async () => {
      const lookup = safeLookup(strict, table({ 'sink.test': ['127.0.0.1'] }));
      const err = await new Promise<NodeJS.ErrnoException>((resolve, reject) => {
        const socket = net.connect({ host: 'sink.test', port: tripPort, lookup });
        socket.on('connect', () => reject(new Error('connected')));
        socket.on('error', resolve);
      });
      expect(err.code).toBe(EGRESS_REFUSED);
      expect(err.message).toContain('127.0.0.1 is a loopback address');
    });
  });

  it('safeLookup refuses for http.request, with the system resolver (localhost)', async () => {
    await expectNoConnection(async () => {
      const err = await new Promise<NodeJS.ErrnoException>((resolve, reject) => {
        const req = http.request({ host: 'localhost', port: tripPort, lookup: safeLookup(strict), agent: false });
        req.on('response', () => reject(new Error('got a response')));
        req.on('error', resolve);
        req.end();
      });
      expect(err.code).toBe(EGRESS_REFUSED);
    });
  });

  it('safeLookup refuses when any one answer is refused, even if a public one comes first', async () => {
    await expectNoConnection(async () => {
      const lookup = safeLookup(strict, table({ 'sink.test': ['93.184.216.34', '127.0.0.1'] }));
      const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
        net.connect({ host: 'sink.test', port: tripPort, lookup }).on('error', resolve);
      });
      expect(err.code).toBe(EGRESS_REFUSED);
    });
  });

  it('safeLookup hands out allowed addresses (canonical) and the connection works', async () => {
    const before = connections;
    const lookup = safeLookup(loopbackOpen, table({ 'sink.test': ['2130706433'] }));
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: 'sink.test', port: tripPort, lookup, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    expect(connections).toBe(before + 1);
  });

  it('safeLookup honours options.all and options.family like dns.lookup', async () => {
    const lookup = safeLookup(loopbackOpen, table({ 'two.test': ['127.0.0.1', '::1'] }));
    const call = (options: object) =>
      new Promise<{ err: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) =>
        lookup('two.test', options, (err, address, family) => resolve({ err, address, family })),
      );
    expect(await call({ all: true })).toMatchObject({ err: null, address: [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }] });
    expect(await call({})).toMatchObject({ err: null, address: '127.0.0.1', family: 4 });
    expect(await call({ family: 6 })).toMatchObject({ err: null, address: '::1', family: 6 });
    expect(await call({ family: 'IPv6', all: true })).toMatchObject({ err: null, address: [{ address: '::1', family: 6 }] });
    const only4 = safeLookup(loopbackOpen, table({ 'v4.test': ['127.0.0.1'] }));
    const r = await new Promise<NodeJS.ErrnoException | null>((resolve) => only4('v4.test', { family: 6 }, (err) => resolve(err)));
    expect(r?.code).toBe('ENOTFOUND');
  });

  it('Node skips lookup for IP literals, which is why checkLiteralHost exists', async () => {
    // Demonstrate the trap: a literal host connects although the lookup would refuse it.
    const before = connections;
    let lookupCalled = false;
    const lookup = ((...args: Parameters<ReturnType<typeof safeLookup>>) => {
      lookupCalled = true;
      return safeLookup(strict)(...args);
    }) as ReturnType<typeof safeLookup>;
    await new Promise<void>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port: tripPort, lookup });
      s.on('connect', () => {
        s.destroy();
        resolve();
      });
      s.on('error', reject);
    });
    expect(lookupCalled).toBe(false);
    await new Promise((r) => setTimeout(r, 20));
    expect(connections).toBe(before + 1);
    // Hence: literal hosts are judged explicitly.
    expect(checkLiteralHost('127.0.0.1', strict)).toMatchObject({ allowed: false, kind: 'loopback' });
    expect(checkLiteralHost('[::1]', strict)).toMatchObject({ allowed: false, kind: 'loopback' });
    expect(checkLiteralHost('sink.test', strict)).toBeNull();
  });

  it('the webhook client refuses a literal loopback sink before any packet is sent', async () => {
    await expectNoConnection(async () => {
      for (const host of ['127.0.0.1', '2130706433', '127.1', '0x7f.0.0.1', '[::ffff:127.0.0.1]']) {
        const r = await deliverWebhook({
          url: `http://${host}:${tripPort}/hook`,
          event: { specversion: '1.0', id: '1', source: '/s', type: 't' },
          mode: 'structured',
          webhookId: 'msg_1',
          secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
          timeoutMs: 2000,
          policy: strict,
        });
        expect(r.outcome, host).toBe('retry');
        expect(r.errorCode, host).toBe(EGRESS_REFUSED);
        expect(r.error, host).toContain('127.0.0.1 is');
        expect(r.status).toBeUndefined();
      }
    });
  });

  it('DNS rebinding: validated with a public answer, refused at connect when the name now answers 127.0.0.1', async () => {
    let calls = 0;
    const rebinding: Resolver = async () => {
      calls++;
      return [{ address: calls === 1 ? '93.184.216.34' : '127.0.0.1', family: 4 }];
    };
    const url = `http://rebind.test:${tripPort}/hook`;
    const validated = await validateSinkUrl(url, strict, { resolve: rebinding });
    expect(validated.ok).toBe(true);

    await expectNoConnection(async () => {
      const r = await deliverWebhook({
        url,
        event: { specversion: '1.0', id: '1', source: '/s', type: 't' },
        mode: 'structured',
        webhookId: 'msg_1',
        secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
        timeoutMs: 2000,
        policy: strict,
        resolve: rebinding,
      });
      expect(r).toMatchObject({ outcome: 'retry', errorCode: EGRESS_REFUSED });
      expect(r.error).toContain('rebind.test resolves to a refused address: 127.0.0.1 is a loopback address');
    });
    expect(calls).toBe(2);
  });
});
