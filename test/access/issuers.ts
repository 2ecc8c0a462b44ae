import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';

/** A claim set for a test token: `exp`/`iat` in epoch seconds; `null` leaves the claim out. */
export interface TokenClaims {
  sub?: string;
  aud?: string | null;
  exp?: number | null;
  iat?: number | null;
  [claim: string]: unknown;
}

export interface TestIssuer {
  issuer: string;
  jwksUri: string;
  /** A signed RS256 token from this issuer: by default `aud: herold`, issued now, valid 5 minutes. */
  sign(claims?: TokenClaims): Promise<string>;
}

/**
 * Local identity providers for tests: one JWKS server on 127.0.0.1 serving each issuer's public key at
 * its own path, and a signer per issuer holding the private key.
 */
export class TestIssuers {
  private readonly keys = new Map<string, object>();
  private readonly server: Server = createServer((req, res) => {
    const key = this.keys.get(req.url ?? '');
    if (!key) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [key] }));
  });

  async start(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
  }

  async add(issuer: string): Promise<TestIssuer> {
    const path = `/jwks/${this.keys.size}`;
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    this.keys.set(path, { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' });
    const jwksUri = `http://127.0.0.1:${(this.server.address() as { port: number }).port}${path}`;
    return { issuer, jwksUri, sign: (claims) => signToken(privateKey, issuer, claims) };
  }

  close(): void {
    this.server.close();
  }
}

async function signToken(privateKey: CryptoKey, issuer: string, claims: TokenClaims = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const { aud = 'herold', exp = now + 300, iat = now, ...rest } = claims;
  const payload: Record<string, unknown> = { ...rest, iss: issuer };
  if (aud !== null) payload.aud = aud;
  if (exp !== null) payload.exp = exp;
  if (iat !== null) payload.iat = iat;
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(privateKey);
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
