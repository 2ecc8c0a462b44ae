import { describe, expect, it } from 'vitest';
import { parseConsoleOidc } from '../../src/api/console/oidc-config.js';
import { ConfigError, resolveConfig } from '../../src/config.js';

describe('HEROLD_CONSOLE_OIDC', () => {
  it('takes issuer and clientId, with scope openid by default', () => {
    expect(parseConsoleOidc(undefined)).toBeUndefined();
    expect(parseConsoleOidc('{"issuer":"https://login.example.no","clientId":"herold"}')).toEqual({ issuer: 'https://login.example.no', clientId: 'herold', clientSecret: undefined, scope: 'openid', redirectUri: undefined });
  });

  it.each([
    ['not json', /must be a JSON object/],
    ['[]', /must be a JSON object/],
    ['{"issuer":"https://x"}', /needs 'issuer' and 'clientId'/],
    ['{"issuer":"https://x","clientId":"c","secret":"s"}', /unknown key 'secret'/],
    ['{"issuer":"ftp://x","clientId":"c"}', /issuer must be an http/],
    ['{"issuer":"https://x","clientId":""}', /clientId must be a non-empty string/],
    ['{"issuer":"https://x","clientId":"c","redirectUri":"javascript:alert(1)"}', /redirectUri must be an http/],
  ])('refuses %s at start, naming the setting', (text, message) => {
    expect(() => resolveConfig({ consoleOidc: text })).toThrow(ConfigError);
    expect(() => resolveConfig({ consoleOidc: text })).toThrow(message);
  });
});
