import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import type { ConsoleOidcConfig } from './oidc-config.js';

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
}

interface Pending {
  verifier: string;
  nonce: string;
  redirectUri: string;
  expiresAt: number;
}

/** How long a browser may take at the identity provider. */
const PENDING_MS = 10 * 60_000;
const MAX_PENDING = 10_000;

/** Why a sign-in did not complete; the console shows a message for each. */
export class OidcError extends Error {
  constructor(readonly code: 'state' | 'provider' | 'token' | 'denied', message: string) {
    super(message);
  }
}

/**
 * The authorization-code flow with PKCE (RFC 7636, S256) against the
 * configured issuer. The hub is the OIDC client: the browser only carries
 * `state` and `code` through redirects, and the tokens never leave the hub.
 * The token the flow yields is then authenticated exactly like a bearer token
 * from any client (HEROLD_JWT_ISSUERS decides whether it is accepted).
 */
export class OidcSignIn {
  private discovery: Promise<Discovery> | null = null;
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly config: ConsoleOidcConfig) {}

  /** The URL to send the browser to, and the state to bind to it (in a cookie). */
  async start(defaultRedirectUri: string, now = Date.now()): Promise<{ url: string; state: string }> {
    const d = await this.discover();
    for (const [s, p] of this.pending) if (p.expiresAt <= now) this.pending.delete(s);
    while (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
    const state = randomBytes(24).toString('base64url');
    const verifier = randomBytes(48).toString('base64url');
    const nonce = randomBytes(24).toString('base64url');
    const redirectUri = this.config.redirectUri ?? defaultRedirectUri;
    this.pending.set(state, { verifier, nonce, redirectUri, expiresAt: now + PENDING_MS });
    const url = new URL(d.authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.config.clientId,
      redirect_uri: redirectUri,
      scope: this.config.scope,
      state,
      nonce,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    return { url: url.toString(), state };
  }

  /**
   * Finish a sign-in: the state must be one this hub issued to this browser
   * (`boundState`, from its cookie), the code is exchanged with the verifier,
   * and the ID token must carry the nonce. Returns the tokens to try, best first.
   */
  async finish(query: { state?: string; code?: string; error?: string }, boundState: string | undefined): Promise<string[]> {
    const pending = query.state === undefined ? undefined : this.pending.get(query.state);
    if (query.state !== undefined) this.pending.delete(query.state);
    if (!pending || query.state !== boundState || pending.expiresAt <= Date.now()) throw new OidcError('state', 'The sign-in was not started here, or took too long.');
    if (query.error !== undefined) throw new OidcError('denied', `The identity provider answered ${query.error}.`);
    if (!query.code) throw new OidcError('provider', 'The identity provider sent no code.');
    const d = await this.discover();
    const body = new URLSearchParams({ grant_type: 'authorization_code', code: query.code, redirect_uri: pending.redirectUri, client_id: this.config.clientId, code_verifier: pending.verifier });
    if (this.config.clientSecret) body.set('client_secret', this.config.clientSecret);
    const res = await fetch(d.token_endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body, redirect: 'error', signal: AbortSignal.timeout(10_000) }).catch(
      (error: Error) => {
        throw new OidcError('provider', `The token endpoint did not answer: ${error.message}.`);
      },
    );
    if (!res.ok) throw new OidcError('token', `The token endpoint answered ${res.status}.`);
    const tokens = (await res.json().catch(() => ({}))) as { access_token?: unknown; id_token?: unknown };
    const idToken = typeof tokens.id_token === 'string' ? tokens.id_token : undefined;
    if (idToken !== undefined) {
      // Received straight from the token endpoint: its signature is checked when it is authenticated below.
      let nonce: unknown;
      try {
        nonce = decodeJwt(idToken).nonce;
      } catch {
        throw new OidcError('token', 'The ID token is not a JWT.');
      }
      if (nonce !== pending.nonce) throw new OidcError('token', 'The ID token does not carry the nonce of this sign-in.');
    }
    const candidates = [tokens.access_token, idToken].filter((t): t is string => typeof t === 'string' && t.split('.').length === 3);
    if (candidates.length === 0) throw new OidcError('token', 'The token endpoint gave no JWT.');
    return candidates;
  }

  private discover(): Promise<Discovery> {
    this.discovery ??= (async () => {
      const url = `${this.config.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
      const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`${url} answered ${res.status}`);
      const d = (await res.json()) as Partial<Discovery>;
      if (d.issuer !== this.config.issuer || typeof d.authorization_endpoint !== 'string' || typeof d.token_endpoint !== 'string') {
        throw new Error(`${url} does not describe the issuer '${this.config.issuer}' with an authorization and a token endpoint`);
      }
      return d as Discovery;
    })().catch((error: Error) => {
      this.discovery = null; // try again on the next sign-in
      throw new OidcError('provider', `The identity provider's discovery document could not be read: ${error.message}.`);
    });
    return this.discovery;
  }
}
