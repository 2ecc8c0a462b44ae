import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

interface Issued {
  challenge: string;
  method: string;
  nonce: string;
  redirectUri: string;
  sub: string;
  used: boolean;
}

/**
 * A tiny OpenID Connect provider for tests: discovery, an authorization
 * endpoint that signs `user` in at once and redirects back with a code, a
 * token endpoint that checks the code, redirect URI and PKCE verifier, and a
 * JWKS. `misbehave` makes it hand out tokens a careful client must refuse.
 */
export class TestOidcProvider {
  readonly clientId = 'herold-console';
  issuer = '';
  /** Who the next sign-in is. */
  user = 'alice';
  /** Seconds the access token lives. */
  accessTokenSeconds = 300;
  misbehave: 'none' | 'wrong-nonce' | 'wrong-audience' = 'none';
  readonly authorizeRequests: URLSearchParams[] = [];
  readonly tokenRequests: URLSearchParams[] = [];
  private readonly codes = new Map<string, Issued>();
  private server!: Server;
  private key!: CryptoKey;
  private jwk!: JWK;

  static async start(): Promise<TestOidcProvider> {
    const p = new TestOidcProvider();
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    p.key = privateKey;
    p.jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    p.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        p.handle(req.method!, new URL(req.url!, p.issuer), Buffer.concat(chunks).toString('utf8')).then(
          ({ status, headers, body }) => res.writeHead(status, headers).end(body),
          (error: Error) => res.writeHead(500).end(error.message),
        );
      });
    });
    p.server.listen(0, '127.0.0.1');
    await once(p.server, 'listening');
    p.issuer = `http://127.0.0.1:${(p.server.address() as { port: number }).port}`;
    return p;
  }

  get jwksUri(): string {
    return `${this.issuer}/jwks`;
  }

  private async handle(method: string, url: URL, body: string): Promise<{ status: number; headers?: Record<string, string>; body?: string }> {
    const json = (status: number, value: unknown) => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, { issuer: this.issuer, authorization_endpoint: `${this.issuer}/authorize`, token_endpoint: `${this.issuer}/token`, jwks_uri: this.jwksUri, code_challenge_methods_supported: ['S256'] });
    }
    if (url.pathname === '/jwks') return json(200, { keys: [this.jwk] });
    if (url.pathname === '/authorize' && method === 'GET') {
      const q = url.searchParams;
      this.authorizeRequests.push(q);
      if (q.get('response_type') !== 'code' || q.get('client_id') !== this.clientId || !q.get('code_challenge')) return json(400, { error: 'invalid_request' });
      const code = randomBytes(16).toString('base64url');
      this.codes.set(code, { challenge: q.get('code_challenge')!, method: q.get('code_challenge_method') ?? 'plain', nonce: q.get('nonce') ?? '', redirectUri: q.get('redirect_uri')!, sub: this.user, used: false });
      const back = new URL(q.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state') ?? '');
      return { status: 302, headers: { location: back.toString() } };
    }
    if (url.pathname === '/token' && method === 'POST') {
      const f = new URLSearchParams(body);
      this.tokenRequests.push(f);
      const issued = this.codes.get(f.get('code') ?? '');
      if (!issued || issued.used || f.get('grant_type') !== 'authorization_code' || f.get('client_id') !== this.clientId || f.get('redirect_uri') !== issued.redirectUri) return json(400, { error: 'invalid_grant' });
      const verifier = f.get('code_verifier') ?? '';
      if (issued.method !== 'S256' || createHash('sha256').update(verifier).digest('base64url') !== issued.challenge) return json(400, { error: 'invalid_grant', error_description: 'PKCE' });
      issued.used = true;
      const now = Math.floor(Date.now() / 1000);
      const sign = (claims: Record<string, unknown>, seconds: number) =>
        new SignJWT({ ...claims, iss: this.issuer, sub: issued.sub, iat: now, exp: now + seconds }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(this.key);
      const audience = this.misbehave === 'wrong-audience' ? 'another-api' : 'herold';
      return json(200, {
        token_type: 'Bearer',
        expires_in: this.accessTokenSeconds,
        access_token: await sign({ aud: audience }, this.accessTokenSeconds),
        id_token: await sign({ aud: this.clientId, nonce: this.misbehave === 'wrong-nonce' ? 'not-yours' : issued.nonce }, 300),
      });
    }
    return { status: 404 };
  }

  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }
}
