import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { DEFAULT_JWT_MAX_LIFETIME_SECONDS, type JwtIssuer } from './jwt-config.js';
import { isReservedPrincipal, RESERVED_PRINCIPAL_RULE } from './principal-names.js';

export { parseJwtIssuers, type JwtIssuer, type JwtIssuerInput } from './jwt-config.js';

/** Clocks of the issuer and the hub may differ by this much before a token counts as too long-lived. */
const CLOCK_SKEW_SECONDS = 60;

/** A token that was accepted: the namespaced principal, its issuer and when it stops being valid. */
export interface VerifiedToken {
  principal: string;
  issuer: string;
  /** The token's `exp`, in epoch milliseconds. */
  expiresAt: number;
}

function claimAt(payload: JWTPayload, path: string): unknown {
  let v: unknown = payload;
  for (const part of path.split('.')) v = (v as Record<string, unknown> | undefined)?.[part];
  return v;
}

/**
 * Verifies bearer JWTs against the configured issuers; JWKS are fetched and cached by jose. A token must
 * name this hub in `aud` and expire (`exp`) within the maximum lifetime, so a leaked token is of use for a
 * bounded time only. The principal is the claim within the issuer's namespace.
 */
export class JwtVerifier {
  private readonly byIssuer = new Map<string, { config: JwtIssuer; keys: ReturnType<typeof createRemoteJWKSet> }>();
  private readonly maxLifetimeSeconds: number;

  constructor(issuers: JwtIssuer[], options: { maxLifetimeSeconds?: number } = {}) {
    this.maxLifetimeSeconds = options.maxLifetimeSeconds ?? DEFAULT_JWT_MAX_LIFETIME_SECONDS;
    for (const config of issuers) {
      this.byIssuer.set(config.issuer, { config, keys: createRemoteJWKSet(new URL(config.jwksUri), { cooldownDuration: 30_000, cacheMaxAge: 600_000 }) });
    }
  }

  /** Whether tokens of this issuer are accepted (a console session made with one ends when it no longer is). */
  trusts(issuer: string): boolean {
    return this.byIssuer.has(issuer);
  }

  get enabled(): boolean {
    return this.byIssuer.size > 0;
  }

  /** The principal a token names, or a reason it is not accepted. */
  async verify(token: string): Promise<VerifiedToken | { error: string }> {
    let issuer: string | undefined;
    try {
      const payloadPart = token.split('.')[1];
      issuer = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8')).iss;
    } catch {
      return { error: 'not a JWT' };
    }
    const entry = issuer === undefined ? undefined : this.byIssuer.get(issuer);
    if (!entry) return { error: 'token from an issuer this hub does not trust' };
    const { config } = entry;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, entry.keys, { issuer: config.issuer, audience: config.audience, requiredClaims: ['exp'] }));
    } catch (error) {
      return { error: rejection(error, config) };
    }
    const lifetimeError = this.lifetimeError(payload);
    if (lifetimeError) return { error: lifetimeError };
    if (config.scope) {
      const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : Array.isArray(payload.scp) ? (payload.scp as string[]) : [];
      if (!scopes.includes(config.scope)) return { error: `token lacks the scope '${config.scope}'` };
    }
    const claim = claimAt(payload, config.principalClaim);
    if (typeof claim !== 'string' || claim === '') return { error: `token has no '${config.principalClaim}' claim naming the principal` };
    const principal = config.prefix + claim;
    if (isReservedPrincipal(principal)) return { error: `token names the principal '${principal}': ${RESERVED_PRINCIPAL_RULE}` };
    return { principal, issuer: config.issuer, expiresAt: payload.exp! * 1000 };
  }

  /** Why the token lives too long, measured from its `iat` and from now (an `iat` in the future must not stretch it). */
  private lifetimeError(payload: JWTPayload): string | undefined {
    const exp = payload.exp!;
    const now = Math.floor(Date.now() / 1000);
    const lifetime = Math.max(exp - (payload.iat ?? now), exp - now - CLOCK_SKEW_SECONDS);
    if (lifetime <= this.maxLifetimeSeconds) return undefined;
    return `token is valid for ${lifetime} s, longer than the ${this.maxLifetimeSeconds} s this hub accepts; ask the issuer for a shorter-lived token`;
  }
}

/** jose's reason in words an integrator can act on. */
function rejection(error: unknown, config: JwtIssuer): string {
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return `token is not meant for this hub: its 'aud' must include '${config.audience}'`;
    if (error.claim === 'exp' && error.reason === 'missing') return "token has no 'exp': this hub accepts only tokens that expire";
  }
  if (error instanceof errors.JWTExpired) return 'token has expired';
  return `token rejected: ${(error as Error).message}`;
}
