import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { TestOidcProvider } from './oidc-provider.js';

/** The name=value pairs of a response's Set-Cookie headers. */
const cookiesOf = (res: Response) => Object.fromEntries(res.headers.getSetCookie().map((c) => c.split(';')[0].split('=') as [string, string]));

describe('console sign-in with OpenID Connect (authorization code + PKCE)', () => {
  let idp: TestOidcProvider;
  let hub: TestHub;
  const get = (url: string, cookie?: string) => fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });

  beforeAll(async () => {
    idp = await TestOidcProvider.start();
    hub = await startTestHub({
      jwtIssuers: JSON.stringify([{ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: 'herold', name: 'idp' }]),
      consoleOidc: JSON.stringify({ issuer: idp.issuer, clientId: idp.clientId }),
    });
  });
  afterAll(async () => {
    await hub?.close();
    idp?.close();
  });
  beforeEach(() => {
    idp.misbehave = 'none';
    idp.user = 'alice';
    idp.accessTokenSeconds = 300;
  });

  /** Start at the hub, pass the provider, and come back to the callback: the callback's answer. */
  async function signIn(options: { stateCookie?: (real: string) => string | undefined; tamper?: (callback: URL) => void } = {}) {
    const login = await get(`${hub.url}/console/login`);
    expect(login.status).toBe(302);
    const state = cookiesOf(login).herold_oidc_state;
    const atIdp = await get(login.headers.get('location')!);
    const callback = new URL(atIdp.headers.get('location')!);
    options.tamper?.(callback);
    const bound = options.stateCookie ? options.stateCookie(state) : state;
    return { login, callback, answer: await get(callback.toString(), bound === undefined ? undefined : `herold_oidc_state=${bound}`) };
  }

  it('offers the sign-in, sends S256 PKCE, state and nonce, and signs in as the issuer-namespaced principal', async () => {
    expect(await (await fetch(`${hub.url}/console/config`)).json()).toEqual({ oidc: true });
    const { login, callback, answer } = await signIn();
    const authorize = new URL(login.headers.get('location')!);
    expect(authorize.origin + authorize.pathname).toBe(`${idp.issuer}/authorize`);
    const q = authorize.searchParams;
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('redirect_uri')).toBe(`${hub.url}/console/callback`);
    expect(q.get('state')!.length).toBeGreaterThanOrEqual(32);
    expect(q.get('nonce')!.length).toBeGreaterThanOrEqual(32);
    expect(login.headers.getSetCookie()[0]).toMatch(/HttpOnly/i);
    expect(login.headers.getSetCookie()[0]).toMatch(/SameSite=Lax/i);
    // The verifier went to the token endpoint only, and matches the challenge.
    const verifier = idp.tokenRequests.at(-1)!.get('code_verifier')!;
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(q.get('code_challenge'));
    expect(callback.toString()).not.toContain(verifier);

    expect(answer.status).toBe(302);
    expect(answer.headers.get('location')).toBe('/console/');
    const session = cookiesOf(answer).herold_session;
    expect(session).toBeTruthy();
    expect(cookiesOf(answer).herold_oidc_state).toBe('');
    const me = await (await get(`${hub.url}/console/session`, `herold_session=${session}`)).json();
    expect(me).toMatchObject({ principal: 'idp:alice', admin: false, via: 'oidc' });
  });

  it('refuses a callback from a browser that did not start the sign-in (no state cookie: login CSRF)', async () => {
    const { answer } = await signIn({ stateCookie: () => undefined });
    expect(answer.headers.get('location')).toBe('/console/?signin=state');
    expect(cookiesOf(answer).herold_session).toBeUndefined();
  });

  it('refuses a state the hub did not issue, and a code used twice', async () => {
    const forged = await signIn({ tamper: (u) => u.searchParams.set('state', 'forged'), stateCookie: () => 'forged' });
    expect(forged.answer.headers.get('location')).toBe('/console/?signin=state');
    const first = await signIn();
    expect(cookiesOf(first.answer).herold_session).toBeTruthy();
    const again = await get(first.callback.toString(), `herold_oidc_state=${first.callback.searchParams.get('state')}`);
    expect(again.headers.get('location')).toBe('/console/?signin=state');
    expect(cookiesOf(again).herold_session).toBeUndefined();
  });

  it('refuses an ID token without the nonce of this sign-in', async () => {
    idp.misbehave = 'wrong-nonce';
    const { answer } = await signIn();
    expect(answer.headers.get('location')).toBe('/console/?signin=token');
    expect(cookiesOf(answer).herold_session).toBeUndefined();
  });

  it('refuses tokens HEROLD_JWT_ISSUERS does not accept (made for another audience)', async () => {
    idp.misbehave = 'wrong-audience';
    const { answer } = await signIn();
    expect(answer.headers.get('location')).toBe('/console/?signin=token');
    expect(cookiesOf(answer).herold_session).toBeUndefined();
  });

  it('the session ends when the token expires', async () => {
    idp.accessTokenSeconds = 2;
    idp.user = 'brief';
    const { answer } = await signIn();
    const cookie = `herold_session=${cookiesOf(answer).herold_session}`;
    expect((await get(`${hub.url}/lists`, cookie)).status).toBe(200);
    await expect.poll(async () => (await get(`${hub.url}/lists`, cookie)).status, { timeout: 6000, interval: 200 }).toBe(401);
  });
});
