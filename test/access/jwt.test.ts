import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config.js';
import { startHub } from '../../src/server.js';
import { CLI } from '../helpers/child-hub.js';
import { ADMIN_KEY, type TestHub, createList, makeEvent, publishBatch, startTestHub } from '../helpers/hub.js';
import { bearer, type TestIssuer, TestIssuers } from './issuers.js';

const json = { 'content-type': 'application/json' };
const now = () => Math.floor(Date.now() / 1000);

/** The 401 a rejected token gets, as problem+json with the reason in `detail`. */
async function rejection(res: Response): Promise<string> {
  expect(res.status).toBe(401);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.headers.get('www-authenticate')).toBe('Bearer');
  return (await res.json()).detail;
}

describe('JWT principals on a hub with three issuers', () => {
  const idps = new TestIssuers();
  let hub: TestHub;
  let a: TestIssuer;
  let b: TestIssuer;
  let partner: TestIssuer;
  const read = (token: string, list = 'payroll') => hub.fetch(`/lists/${list}/events`, { auth: false, headers: bearer(token) });

  beforeAll(async () => {
    await idps.start();
    a = await idps.add('https://idp-a.example/');
    b = await idps.add('https://idp-b.example/realms/b');
    partner = await idps.add('https://partner.example/');
    hub = await startTestHub({
      readRate: '0',
      jwtMaxLifetimeSeconds: '3600',
      jwtIssuers: JSON.stringify([
        { issuer: a.issuer, jwksUri: a.jwksUri, audience: 'herold' },
        { issuer: b.issuer, jwksUri: b.jwksUri, audience: 'herold', name: 'org-b' },
        { issuer: partner.issuer, jwksUri: partner.jwksUri, audience: 'herold', sharedNamespace: true },
      ]),
    });
    await createList(hub, 'payroll', { owner: 'org:owner' });
    await publishBatch(hub, 'payroll', [makeEvent({ subject: 'person/1' })]);
    // Issuer A's alice gets a grant; so does the API-key principal org:cms.
    for (const principal of ['idp-a.example:alice', 'org:cms']) {
      const res = await hub.fetch('/lists/payroll/grants', { method: 'POST', headers: json, body: JSON.stringify({ principal }) });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    await hub?.close();
    idps.close();
  });

  it("names a token's principal within its issuer's namespace, as the audit log shows", async () => {
    const res = await read(await a.sign({ sub: 'alice' }));
    expect(res.status).toBe(200);
    expect((await res.json()).events).toHaveLength(1);
    await hub.running.app.deps.audit.flush();
    const audit = await (await hub.fetch('/audit?list=payroll')).json();
    expect(audit.records.map((r: { principal: string }) => r.principal)).toContain('idp-a.example:alice');
    expect(audit.records.map((r: { principal: string }) => r.principal)).not.toContain('alice');
  });

  it("does not let a second issuer mint the first issuer's principal", async () => {
    // Issuer B is trusted and signs properly, but its alice is not A's alice.
    expect((await read(await b.sign({ sub: 'alice' }))).status).toBe(404);
    // Nor can it write A's full name into the claim: that is 'org-b:idp-a.example:alice'.
    expect((await read(await b.sign({ sub: 'idp-a.example:alice' }))).status).toBe(404);
    const lists = await (await hub.fetch('/lists', { auth: false, headers: bearer(await b.sign({ sub: 'alice' })) })).json();
    expect(JSON.stringify(lists)).not.toContain('payroll');
  });

  it('gives an explicitly shared issuer the plain names that API keys have', async () => {
    expect((await read(await partner.sign({ sub: 'org:cms' }))).status).toBe(200);
    expect((await read(await partner.sign({ sub: 'alice' }))).status).toBe(404);
  });

  it("refuses a shared issuer's token that names the admin or a hub principal", async () => {
    expect(await rejection(await hub.fetch('/lists', { auth: false, headers: bearer(await partner.sign({ sub: 'admin' })) }))).toMatch(/'admin'.*reserved/);
    expect(await rejection(await hub.fetch('/lists', { auth: false, headers: bearer(await partner.sign({ sub: 'herold.system' })) }))).toMatch(/reserved/);
  });

  it('refuses a token without exp', async () => {
    expect(await rejection(await read(await a.sign({ sub: 'alice', exp: null })))).toMatch(/no 'exp'/);
  });

  it('refuses a token valid for longer than HEROLD_JWT_MAX_LIFETIME_SECONDS, however its iat is set', async () => {
    expect(await rejection(await read(await a.sign({ sub: 'alice', exp: 32_503_680_000 })))).toMatch(/longer than the 3600 s/);
    // Issued two hours ago, valid for another half hour: a 2.5 h token.
    expect(await rejection(await read(await a.sign({ sub: 'alice', iat: now() - 7200, exp: now() + 1800 })))).toMatch(/longer than the 3600 s/);
    // An iat in the future cannot stretch the lifetime.
    const future = now() + 10 * 365 * 86_400;
    expect(await rejection(await read(await a.sign({ sub: 'alice', iat: future, exp: future + 600 })))).toMatch(/longer than the 3600 s/);
    // No iat: measured from now.
    expect(await rejection(await read(await a.sign({ sub: 'alice', iat: null, exp: now() + 7200 })))).toMatch(/longer than the 3600 s/);
    // Exactly the maximum is accepted, with or without iat.
    expect((await read(await a.sign({ sub: 'alice', exp: now() + 3600 }))).status).toBe(200);
    expect((await read(await a.sign({ sub: 'alice', iat: null, exp: now() + 3000 }))).status).toBe(200);
  });

  it('refuses an expired token', async () => {
    expect(await rejection(await read(await a.sign({ sub: 'alice', iat: now() - 600, exp: now() - 300 })))).toMatch(/expired/);
  });

  it('refuses a token meant for another API, or for no API', async () => {
    expect(await rejection(await read(await a.sign({ sub: 'alice', aud: 'https://other-api.example' })))).toMatch(/not meant for this hub.*'herold'/);
    expect(await rejection(await read(await a.sign({ sub: 'alice', aud: null })))).toMatch(/not meant for this hub/);
  });

  it('gives the authenticated principal its credential and expiry', async () => {
    const { access } = hub.running.app.deps;
    const exp = now() + 600;
    expect(await access.authenticate(`Bearer ${await a.sign({ sub: 'alice', exp })}`)).toEqual({
      id: 'idp-a.example:alice',
      admin: false,
      expiresAt: exp * 1000,
      credential: { kind: 'jwt', issuer: 'https://idp-a.example/' },
    });
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const created = await (await hub.fetch('/api-keys', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:cms', expiresAt }) })).json();
    expect(await access.authenticate(`Bearer ${created.key}`)).toEqual({
      id: 'org:cms',
      admin: false,
      keyId: created.id,
      expiresAt: Date.parse(expiresAt),
      credential: { kind: 'api-key', id: created.id },
    });
    const forever = await (await hub.fetch('/api-keys', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:cms' }) })).json();
    expect(await access.authenticate(`Bearer ${forever.key}`)).toMatchObject({ expiresAt: undefined, credential: { kind: 'api-key', id: forever.id } });
    expect(await access.authenticate(`Bearer ${ADMIN_KEY}`)).toMatchObject({ id: 'admin', admin: true, credential: { kind: 'admin-key' } });
  });
});

describe('reserved principal names', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(async () => hub?.close());

  it("POST /api-keys refuses 'admin' and names starting with 'herold', naming /principal", async () => {
    for (const principal of ['admin', 'Admin', 'herold', 'herold.system', 'HEROLD-ops']) {
      const res = await hub.fetch('/api-keys', { method: 'POST', headers: json, body: JSON.stringify({ principal, admin: false }) });
      expect(res.status, principal).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const body = await res.json();
      expect(body.errors).toEqual([{ pointer: '/principal', message: 'reserved name' }]);
      expect(body.detail).toMatch(/reserved/);
    }
    const keys = (await (await hub.fetch('/api-keys')).json()).keys;
    expect(keys).toEqual([]);
    for (const principal of ['administrator', 'org:admin', 'my-herold']) {
      expect((await hub.fetch('/api-keys', { method: 'POST', headers: json, body: JSON.stringify({ principal }) })).status, principal).toBe(201);
    }
  });
});

describe('insecure mode', () => {
  it("marks the anonymous admin's credential as insecure", async () => {
    const hub = await startTestHub({ insecure: 'true' });
    try {
      expect(await hub.running.app.deps.access.authenticate(undefined)).toEqual({ id: 'anonymous', admin: true, credential: { kind: 'insecure' } });
    } finally {
      await hub.close();
    }
  });
});

describe('issuer configuration at start', () => {
  const noAudience = JSON.stringify([{ issuer: 'https://idp.example/', jwksUri: 'https://idp.example/jwks' }]);
  const message = /HEROLD_JWT_ISSUERS\[0\] \('https:\/\/idp\.example\/'\) has no 'audience': set it to the 'aud' value/;

  it('startHub refuses an issuer without an audience before it opens anything', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'herold-jwt-'));
    try {
      await expect(startHub({ ...DEFAULTS, port: 0, dataDir, logLevel: 'silent', jwtIssuers: noAudience }, pino({ level: 'silent' }))).rejects.toThrow(message);
      expect(readdirSync(dataDir)).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('`herold serve` exits 2 with the message', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'herold-jwt-'));
    try {
      const run = promisify(execFile)(process.execPath, [CLI, 'serve', '--port', '0', '--data-dir', dataDir], { env: { ...process.env, HEROLD_JWT_ISSUERS: noAudience } });
      await expect(run).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(new RegExp(`^herold: ${message.source}`)) });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
