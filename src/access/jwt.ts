import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';

/** One trusted token issuer (e.g. Maskinporten, an organisation's IdP). */
export interface JwtIssuer {
  issuer: string;
  jwksUri: string;
  audience?: string;
  /** A scope the token must carry (space-separated `scope` claim or `scp` array). */
  scope?: string;
  /** Claim naming the principal; dotted paths reach into objects (`consumer.ID`). Default `sub`. */
  principalClaim?: string;
}

/** Parse HEROLD_JWT_ISSUERS (a JSON array) with errors that say what to fix. */
export function parseJwtIssuers(text: string | undefined): JwtIssuer[] {
  if (!text) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('HEROLD_JWT_ISSUERS must be a JSON array of {issuer, jwksUri, audience?, scope?, principalClaim?}.');
  }
  if (!Array.isArray(value)) throw new Error('HEROLD_JWT_ISSUERS must be a JSON array.');
  return value.map((v, i) => {
    const o = v as Record<string, unknown>;
    if (typeof o?.issuer !== 'string' || typeof o.jwksUri !== 'string') {
      throw new Error(`HEROLD_JWT_ISSUERS[${i}] needs string 'issuer' and 'jwksUri'.`);
    }
    for (const k of ['audience', 'scope', 'principalClaim']) {
      if (o[k] !== undefined && typeof o[k] !== 'string') throw new Error(`HEROLD_JWT_ISSUERS[${i}].${k} must be a string.`);
    }
    return o as unknown as JwtIssuer;
  });
}

function claimAt(payload: JWTPayload, path: string): unknown {
  let v: unknown = payload;
  for (const part of path.split('.')) v = (v as Record<string, unknown> | undefined)?.[part];
  return v;
}

/** Verifies bearer JWTs against the configured issuers; JWKS are fetched and cached by jose. */
export class JwtVerifier {
  private readonly byIssuer = new Map<string, { config: JwtIssuer; keys: ReturnType<typeof createRemoteJWKSet> }>();

  constructor(issuers: JwtIssuer[]) {
    for (const config of issuers) {
      this.byIssuer.set(config.issuer, { config, keys: createRemoteJWKSet(new URL(config.jwksUri), { cooldownDuration: 30_000, cacheMaxAge: 600_000 }) });
    }
  }

  get enabled(): boolean {
    return this.byIssuer.size > 0;
  }

  /** The principal a token names, or a reason it is not accepted. */
  async verify(token: string): Promise<{ principal: string } | { error: string }> {
    let issuer: string | undefined;
    try {
      const payloadPart = token.split('.')[1];
      issuer = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8')).iss;
    } catch {
      return { error: 'not a JWT' };
    }
    const entry = issuer === undefined ? undefined : this.byIssuer.get(issuer);
    if (!entry) return { error: 'token from an issuer this hub does not trust' };
    try {
      const { payload } = await jwtVerify(token, entry.keys, { issuer: entry.config.issuer, audience: entry.config.audience });
      if (entry.config.scope) {
        const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : Array.isArray(payload.scp) ? (payload.scp as string[]) : [];
        if (!scopes.includes(entry.config.scope)) return { error: `token lacks the scope '${entry.config.scope}'` };
      }
      const principal = claimAt(payload, entry.config.principalClaim ?? 'sub');
      if (typeof principal !== 'string' || principal === '') return { error: `token has no '${entry.config.principalClaim ?? 'sub'}' claim naming the principal` };
      return { principal };
    } catch (error) {
      return { error: `token rejected: ${(error as Error).message}` };
    }
  }
}
