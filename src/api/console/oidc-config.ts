/** The console's OpenID Connect sign-in, as written in HEROLD_CONSOLE_OIDC. */
export interface ConsoleOidcConfig {
  /** The issuer URL; its discovery document is at `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  /** For confidential clients; public clients rely on PKCE alone. */
  clientSecret?: string;
  /** Default `openid`. */
  scope: string;
  /** Default: `<the hub's origin>/console/callback`, as the browser reached the hub. */
  redirectUri?: string;
}

const KEYS = ['issuer', 'clientId', 'clientSecret', 'scope', 'redirectUri'];
const SHAPE = '{issuer, clientId, clientSecret?, scope?, redirectUri?}';

/**
 * Parse HEROLD_CONSOLE_OIDC (a JSON object). The tokens the issuer hands out
 * must also be accepted by HEROLD_JWT_ISSUERS: the console signs in with them
 * exactly as any other client would call the API.
 */
export function parseConsoleOidc(text: string | undefined): ConsoleOidcConfig | undefined {
  if (!text) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`HEROLD_CONSOLE_OIDC must be a JSON object ${SHAPE}.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`HEROLD_CONSOLE_OIDC must be a JSON object ${SHAPE}.`);
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) throw new Error(`HEROLD_CONSOLE_OIDC has an unknown key '${k}'; the keys are ${KEYS.join(', ')}.`);
  for (const k of KEYS) if (o[k] !== undefined && (typeof o[k] !== 'string' || o[k] === '')) throw new Error(`HEROLD_CONSOLE_OIDC.${k} must be a non-empty string.`);
  if (o.issuer === undefined || o.clientId === undefined) throw new Error(`HEROLD_CONSOLE_OIDC needs 'issuer' and 'clientId' ${SHAPE}.`);
  for (const k of ['issuer', 'redirectUri'] as const) {
    const v = o[k] as string | undefined;
    if (v !== undefined && (!/^https?:\/\//.test(v) || !URL.canParse(v))) throw new Error(`HEROLD_CONSOLE_OIDC.${k} must be an http:// or https:// URL.`);
  }
  return {
    issuer: o.issuer as string,
    clientId: o.clientId as string,
    clientSecret: o.clientSecret as string | undefined,
    scope: (o.scope as string | undefined) ?? 'openid',
    redirectUri: o.redirectUri as string | undefined,
  };
}
