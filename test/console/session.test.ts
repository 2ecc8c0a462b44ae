import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, createList, startTestHub, type TestHub } from '../helpers/hub.js';

/** The cookie pair from a Set-Cookie header, and its attributes. */
function sessionCookie(res: Response): { pair: string; attributes: string } {
  const header = res.headers.getSetCookie().find((c) => c.startsWith('herold_session='));
  if (!header) throw new Error(`no session cookie in ${res.status}`);
  const [pair, ...rest] = header.split(';');
  return { pair, attributes: rest.join(';') };
}

describe('console sessions', () => {
  let hub: TestHub;
  let origin: string;
  const signIn = async (key: string) => hub.fetch('/console/session', { auth: false, method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify({ key }) });
  const newKey = async (principal: string, extra: Record<string, unknown> = {}) => {
    const res = await hub.fetch('/api-keys', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ principal, ...extra }) });
    return (await res.json()) as { id: string; key: string };
  };
  const withCookie = (cookie: string, init: RequestInit = {}) => ({ ...init, auth: false, headers: { ...(init.headers as Record<string, string>), cookie } });

  beforeAll(async () => {
    hub = await startTestHub();
    origin = hub.url;
  });
  afterAll(() => hub.close());

  it('signs in with a key: 204, an HttpOnly SameSite=Strict cookie (not Secure over plain HTTP) that is not the key', async () => {
    const res = await signIn(ADMIN_KEY);
    expect(res.status).toBe(204);
    const { pair, attributes } = sessionCookie(res);
    expect(attributes).toMatch(/HttpOnly/i);
    expect(attributes).toMatch(/SameSite=Strict/i);
    expect(attributes).toMatch(/Path=\//);
    expect(attributes).not.toMatch(/Secure/i);
    expect(pair).not.toContain(ADMIN_KEY);
    expect(await res.text()).toBe('');
    const me = await hub.fetch('/console/session', withCookie(pair));
    expect(await me.json()).toMatchObject({ principal: 'admin', admin: true, via: 'key' });
  });

  it('refuses a wrong key with 401 and no cookie', async () => {
    const res = await signIn('not-a-key-at-all');
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('takes the cookie as credentials on every API route, with the grants of its principal', async () => {
    await createList(hub, 'cookie-a');
    await createList(hub, 'cookie-b');
    await hub.fetch('/lists/cookie-a/grants', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ principal: 'reader' }) });
    const { key } = await newKey('reader');
    const { pair } = sessionCookie(await signIn(key));
    const lists = (await (await hub.fetch('/lists', withCookie(pair))).json()) as { lists: { name: string }[] };
    expect(lists.lists.map((l) => l.name)).toEqual(['cookie-a']);
    expect((await hub.fetch('/lists/cookie-b/events', withCookie(pair))).status).toBe(404);
    expect((await hub.fetch('/api-keys', withCookie(pair))).status).toBe(403);
  });

  it('refuses a cookie write without this hub as Origin (403, nothing changed), accepts it with', async () => {
    const { pair } = sessionCookie(await signIn(ADMIN_KEY));
    const put = (name: string, headers: Record<string, string>) => hub.fetch(`/lists/${name}`, withCookie(pair, { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body: '{}' }));
    for (const [name, headers] of [
      ['csrf-none', {}],
      ['csrf-evil', { origin: 'https://evil.example' }],
      ['csrf-null', { origin: 'null' }],
      ['csrf-port', { origin: origin.replace(/:\d+$/, ':1') }],
    ] as const) {
      const res = await put(name, headers);
      expect(res.status, name).toBe(403);
      expect((await hub.fetch(`/lists/${name}`)).status, name).toBe(404);
    }
    expect((await put('csrf-same', { origin })).status).toBe(201);
    // A bearer caller (not a browser) needs no Origin.
    expect((await hub.fetch('/lists/bearer-no-origin', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(201);
  });

  it('a sign-in from another site is refused (login CSRF)', async () => {
    const res = await hub.fetch('/console/session', { auth: false, method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body: JSON.stringify({ key: ADMIN_KEY }) });
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('ends the session when its key is revoked, and it stays ended', async () => {
    const { id, key } = await newKey('soon-revoked');
    const { pair } = sessionCookie(await signIn(key));
    expect((await hub.fetch('/lists', withCookie(pair))).status).toBe(200);
    expect((await hub.fetch(`/api-keys/${id}`, { method: 'DELETE' })).status).toBe(204);
    const res = await hub.fetch('/lists', withCookie(pair));
    expect(res.status).toBe(401);
    expect((await hub.fetch('/console/session', withCookie(pair))).status).toBe(401);
  });

  it('ends the session when its key expires', async () => {
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const { key } = await newKey('short-lived', { expiresAt });
    const res = await signIn(key);
    const { pair, attributes } = sessionCookie(res);
    // The cookie itself expires with the key.
    const cookieExpires = Date.parse(/Expires=([^;]+)/i.exec(attributes)![1]);
    expect(Math.abs(cookieExpires - Date.parse(expiresAt))).toBeLessThan(1000);
    expect((await hub.fetch('/lists', withCookie(pair))).status).toBe(200);
    await expect.poll(async () => (await hub.fetch('/lists', withCookie(pair))).status, { timeout: 5000, interval: 100 }).toBe(401);
  });

  it('signs out: the cookie is cleared and the old session id no longer works', async () => {
    const { pair } = sessionCookie(await signIn(ADMIN_KEY));
    const out = await hub.fetch('/console/session', withCookie(pair, { method: 'DELETE', headers: { origin } }));
    expect(out.status).toBe(204);
    expect(sessionCookie(out).attributes).toMatch(/Max-Age=0/i);
    expect((await hub.fetch('/lists', withCookie(pair))).status).toBe(401);
  });

  it('a made-up session id is no credential', async () => {
    expect((await hub.fetch('/lists', withCookie('herold_session=forged-0123456789'))).status).toBe(401);
  });

  it('an Authorization header wins over a cookie', async () => {
    const { key } = await newKey('cookie-holder');
    const { pair } = sessionCookie(await signIn(key));
    const me = await hub.fetch('/console/session', { headers: { cookie: pair } });
    expect(await me.json()).toMatchObject({ principal: 'admin', via: 'header' });
  });
});

describe('console pages', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(() => hub.close());

  it('serves the app at /console and every screen address with a strict CSP, without credentials', async () => {
    for (const path of ['/console', '/console/', '/console/lists/x/tail', '/console/subscriptions']) {
      const res = await hub.fetch(path, { auth: false });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(/text\/html/);
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('serves the hashed assets immutable, and answers a missing one with 404 problem+json (not the app)', async () => {
    const html = await (await hub.fetch('/console/', { auth: false })).text();
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)![1];
    const res = await hub.fetch(script, { auth: false });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(res.headers.get('cache-control')).toMatch(/immutable/);
    const missing = await hub.fetch('/console/assets/nothing-here.js', { auth: false });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/problem\+json/);
    expect((await hub.fetch('/console/../package.json', { auth: false })).status).not.toBe(200);
    expect((await hub.fetch('/console/%2e%2e/%2e%2e/package.json', { auth: false })).status).not.toBe(200);
  });

  it('the app loads nothing from another origin and inlines no script', async () => {
    const html = await (await hub.fetch('/console/', { auth: false })).text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/style=/);
  });

  it('says whether OIDC sign-in is offered (not here)', async () => {
    expect(await (await hub.fetch('/console/config', { auth: false })).json()).toEqual({ oidc: false });
    expect((await hub.fetch('/console/login', { auth: false })).status).toBe(404);
  });
});

describe('console sessions in the store', () => {
  it('survive a restart of the hub, and end when the admin key they were made with changes', async () => {
    // SQLite in a data directory kept across the restarts (the PostgreSQL store is covered by the store contract and test/cluster).
    const first = await startTestHub({ databaseUrl: '' });
    const dataDir = first.dataDir;
    let second: TestHub | undefined;
    let third: TestHub | undefined;
    try {
      const res = await first.fetch('/console/session', { auth: false, method: 'POST', headers: { 'content-type': 'application/json', origin: first.url }, body: JSON.stringify({ key: ADMIN_KEY }) });
      expect(res.status).toBe(204);
      const cookie = sessionCookie(res).pair;
      await first.running.close();
      second = await startTestHub({ databaseUrl: '', dataDir });
      const me = await second.fetch('/console/session', { auth: false, headers: { cookie } });
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ principal: 'admin', admin: true, via: 'key' });
      await second.running.close();
      third = await startTestHub({ databaseUrl: '', dataDir, adminKey: 'another-admin-key-0123456789abcdef0123456' });
      const after = await third.fetch('/console/session', { auth: false, headers: { cookie } });
      expect(after.status).toBe(401);
      expect((await after.json()).detail).toMatch(/admin key .* changed/);
    } finally {
      await third?.close();
    }
  });
});
