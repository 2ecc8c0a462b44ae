import { describe, expect, it } from 'vitest';
import { parseJwtIssuers } from '../../src/access/jwt-config.js';
import { ConfigError, resolveConfig } from '../../src/config.js';

const base = { jwksUri: 'https://idp.example/jwks', audience: 'herold' };
const parse = (...issuers: Record<string, unknown>[]) => parseJwtIssuers(JSON.stringify(issuers));

describe('HEROLD_JWT_ISSUERS', () => {
  it("namespaces each issuer's principals by its host name, or by the name it is given", () => {
    expect(parse({ ...base, issuer: 'https://maskinporten.no/', scope: 'herold:read', principalClaim: 'consumer.ID' })).toEqual([
      { issuer: 'https://maskinporten.no/', jwksUri: base.jwksUri, audience: 'herold', scope: 'herold:read', principalClaim: 'consumer.ID', prefix: 'maskinporten.no:' },
    ]);
    expect(parse({ ...base, issuer: 'https://login.example.com:8443/realms/x', name: 'acme' })[0]).toMatchObject({ prefix: 'acme:', principalClaim: 'sub' });
    expect(parse({ ...base, issuer: 'internal-idp' })[0].prefix).toBe('internal-idp:');
  });

  it('puts an issuer in the shared namespace only when asked', () => {
    expect(parse({ ...base, issuer: 'https://partner.example/', sharedNamespace: true })[0].prefix).toBe('');
    expect(parse({ ...base, issuer: 'https://partner.example/', sharedNamespace: false })[0].prefix).toBe('partner.example:');
    // Two shared issuers are each an explicit opt-in; named ones never collide with them.
    expect(parse({ ...base, issuer: 'https://a.example/', sharedNamespace: true }, { ...base, issuer: 'https://b.example/', sharedNamespace: true }).map((i) => i.prefix)).toEqual(['', '']);
  });

  it('requires an audience, saying what to set', () => {
    expect(() => parse({ issuer: 'https://idp.example/', jwksUri: base.jwksUri })).toThrow(
      "HEROLD_JWT_ISSUERS[0] ('https://idp.example/') has no 'audience': set it to the 'aud' value the issuer puts in tokens meant for this hub (for example the hub's URL), so that tokens it made for other APIs are refused.",
    );
    expect(() => parse({ ...base, issuer: 'https://idp.example/', audience: '' })).toThrow("HEROLD_JWT_ISSUERS[0].audience must be a non-empty string.");
  });

  it('refuses issuers whose namespaces would collide', () => {
    const realms = [
      { ...base, issuer: 'https://kc.example/realms/a' },
      { ...base, issuer: 'https://kc.example/realms/b' },
    ];
    expect(() => parse(...realms)).toThrow(/HEROLD_JWT_ISSUERS\[1\] \('https:\/\/kc\.example\/realms\/b'\) would name its principals 'kc\.example:…', like HEROLD_JWT_ISSUERS\[0\]: give each issuer a distinct 'name'/);
    expect(parse({ ...realms[0], name: 'kc-a' }, { ...realms[1], name: 'kc-b' }).map((i) => i.prefix)).toEqual(['kc-a:', 'kc-b:']);
    expect(() => parse({ ...base, issuer: 'https://a.example/', name: 'idp' }, { ...base, issuer: 'https://b.example/', name: 'idp' })).toThrow(/distinct 'name'/);
    expect(() => parse({ ...base, issuer: 'https://a.example/' }, { ...base, issuer: 'https://a.example/' })).toThrow(/repeats the issuer 'https:\/\/a\.example\/'/);
  });

  it('refuses names that could overlap another prefix or pass for the hub', () => {
    expect(() => parse({ ...base, issuer: 'https://a.example/', name: 'a:b' })).toThrow(/\.name must be 1 to 63 lower-case letters/);
    expect(() => parse({ ...base, issuer: 'https://a.example/', name: 'Acme' })).toThrow(/\.name must be/);
    expect(() => parse({ ...base, issuer: 'https://herold.example.no/' })).toThrow(/name 'herold\.example\.no' is reserved for the hub.*set another 'name'/);
    expect(() => parse({ ...base, issuer: 'https://a.example/', name: 'admin' })).toThrow(/reserved/);
    // An issuer whose host cannot be a name must be given one.
    expect(() => parse({ ...base, issuer: 'https://[::1]:8443/' })).toThrow(/needs a 'name'/);
    expect(() => parse({ ...base, issuer: 'urn:Example:IdP' })).toThrow(/needs a 'name'/);
  });

  it('refuses malformed entries with the key at fault', () => {
    expect(() => parseJwtIssuers('not json')).toThrow(/must be a JSON array/);
    expect(() => parseJwtIssuers('{}')).toThrow(/must be a JSON array/);
    expect(() => parseJwtIssuers('[1]')).toThrow(/HEROLD_JWT_ISSUERS\[0\] must be an object/);
    expect(() => parse({ ...base, issuer: 'https://a.example/', audiance: 'x' })).toThrow("HEROLD_JWT_ISSUERS[0] has an unknown key 'audiance'");
    expect(() => parse({ audience: 'herold', issuer: 'https://a.example/' })).toThrow(/needs 'issuer' .* and 'jwksUri'/);
    expect(() => parse({ ...base, issuer: 'https://a.example/', jwksUri: 'file:///etc/keys' })).toThrow(/jwksUri must be an http:\/\/ or https:\/\/ URL/);
    expect(() => parse({ ...base, issuer: 'https://a.example/', sharedNamespace: 'yes' })).toThrow(/sharedNamespace must be true or false/);
    expect(() => parse({ ...base, issuer: 'https://a.example/', scope: 3 })).toThrow(/scope must be a non-empty string/);
    expect(parseJwtIssuers(undefined)).toEqual([]);
  });
});

describe('JWT settings in resolveConfig', () => {
  it('checks HEROLD_JWT_ISSUERS at once, as a configuration error', () => {
    expect(() => resolveConfig({ jwtIssuers: JSON.stringify([{ issuer: 'https://a.example/', jwksUri: base.jwksUri }]) })).toThrow(ConfigError);
    expect(resolveConfig({ jwtIssuers: JSON.stringify([{ ...base, issuer: 'https://a.example/' }]) }).jwtIssuers).toContain('a.example');
  });

  it('HEROLD_JWT_MAX_LIFETIME_SECONDS defaults to a day and takes 60 s to 30 days', () => {
    expect(resolveConfig({}).jwtMaxLifetimeSeconds).toBe(86_400);
    expect(resolveConfig({ jwtMaxLifetimeSeconds: '600' }).jwtMaxLifetimeSeconds).toBe(600);
    expect(resolveConfig({ jwtMaxLifetimeSeconds: '2592000' }).jwtMaxLifetimeSeconds).toBe(2_592_000);
    for (const bad of ['59', '2592001', '1.5', 'day']) {
      expect(() => resolveConfig({ jwtMaxLifetimeSeconds: bad })).toThrow(`HEROLD_JWT_MAX_LIFETIME_SECONDS must be an integer from 60 to 2592000, got '${bad}'.`);
    }
  });
});
