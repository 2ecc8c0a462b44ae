/**
 * Transport details of the sink client: HTTPS (certificate checked against the
 * sink's host name, reached through the safe lookup) and IPv6 literals.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EgressPolicy, parseCidrList, type Resolver } from '../../../src/delivery/egress/index.js';
import { deliverWebhook, generateSecret } from '../../../src/delivery/sinks/webhook/index.js';
import { exchange } from '../../../src/delivery/sinks/webhook/exchange.js';
import { SINK_TEST_CERT, SINK_TEST_KEY } from './tls-fixture.js';

const policy = new EgressPolicy(parseCidrList(['127.0.0.0/8', '::1/128']));
const toLoopback: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];
const EVENT = { specversion: '1.0', id: '1', source: '/s', type: 't' };

describe('HTTPS', () => {
  let server: https.Server;
  let port = 0;
  const sni: (string | false | null)[] = [];

  beforeAll(async () => {
    server = https.createServer({ key: SINK_TEST_KEY, cert: SINK_TEST_CERT }, (req, res) => {
      sni.push((req.socket as TLSSocket).servername);
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end('tls ok'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('verifies the certificate: an untrusted one is a retry with the TLS error code', async () => {
    const r = await deliverWebhook({
      url: `https://sink.test:${port}/hook`,
      event: EVENT,
      mode: 'structured',
      webhookId: 'msg_1',
      secrets: [generateSecret()],
      timeoutMs: 3000,
      policy,
      resolve: toLoopback,
    });
    expect(r).toMatchObject({ outcome: 'retry' });
    expect(r.errorCode).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
    expect(r.status).toBeUndefined();
  });

  it('connects by name through the safe lookup, sends SNI and checks the name', async () => {
    const ok = await exchange({
      url: new URL(`https://sink.test:${port}/hook`),
      method: 'POST',
      headers: { 'content-length': '2' },
      body: Buffer.from('{}'),
      timeoutMs: 3000,
      policy,
      resolve: toLoopback,
      ca: SINK_TEST_CERT,
    });
    expect(ok).toMatchObject({ kind: 'response', status: 200, snippet: 'tls ok' });
    expect(sni.at(-1)).toBe('sink.test');
    // The same certificate does not fit another name.
    const wrongName = await exchange({
      url: new URL(`https://other.test:${port}/hook`),
      method: 'POST',
      headers: {},
      timeoutMs: 3000,
      policy,
      resolve: toLoopback,
      ca: SINK_TEST_CERT,
    });
    expect(wrongName).toMatchObject({ kind: 'error', code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });
});

describe('IPv6 literal sinks', () => {
  let server: http.Server;
  let port = 0;
  let available = true;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => {
      server.once('error', () => {
        available = false;
        resolve();
      });
      server.listen(0, '::1', resolve);
    });
    if (available) port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    if (!available) return;
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('[::1] is delivered to when ::1/128 is allowed and refused otherwise', async (ctx) => {
    if (!available) ctx.skip();
    const base = {
      url: `http://[::1]:${port}/hook`,
      event: EVENT,
      mode: 'binary' as const,
      webhookId: 'msg_1',
      secrets: [generateSecret()],
      timeoutMs: 3000,
    };
    expect(await deliverWebhook({ ...base, policy })).toMatchObject({ outcome: 'success', status: 204 });
    const refused = await deliverWebhook({ ...base, policy: new EgressPolicy(parseCidrList(['127.0.0.0/8'])) });
    expect(refused).toMatchObject({ outcome: 'retry', errorCode: 'EGRESS_REFUSED' });
    expect(refused.error).toContain('::1 is the loopback address');
  });
});
