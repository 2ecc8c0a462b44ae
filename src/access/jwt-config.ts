import { isReservedPrincipal } from './principal-names.js';

/** The default HEROLD_JWT_MAX_LIFETIME_SECONDS: a day, which admits the usual IdPs' access tokens (minutes to 24 h). */
export const DEFAULT_JWT_MAX_LIFETIME_SECONDS = 86_400;

/** One trusted token issuer as written in HEROLD_JWT_ISSUERS (e.g. Maskinporten, an organisation's IdP). */
export interface JwtIssuerInput {
  issuer: string;
  jwksUri: string;
  /** Required: the `aud` this hub's tokens carry, so tokens the issuer made for other APIs are refused. */
  audience: string;
  /** A scope the token must carry (space-separated `scope` claim or `scp` array). */
  scope?: string;
  /** Claim naming the principal; dotted paths reach into objects (`consumer.ID`). Default `sub`. */
  principalClaim?: string;
  /** The namespace of this issuer's principals (`<name>:<claim>`). Default: the issuer URL's host name. */
  name?: string;
  /**
   * Opt-in, with risk: principals are the bare claim, the same names as API keys and other shared issuers,
   * so this issuer can mint a principal that holds grants given to someone else's key or token.
   */
  sharedNamespace?: boolean;
}

/** An issuer as the verifier uses it: every default applied. */
export interface JwtIssuer {
  issuer: string;
  jwksUri: string;
  audience: string;
  scope?: string;
  principalClaim: string;
  /** Prepended to the claim to make the principal name (`<name>:`), or '' for a shared-namespace issuer. */
  prefix: string;
}

const KEYS = ['issuer', 'jwksUri', 'audience', 'scope', 'principalClaim', 'name', 'sharedNamespace'];
const STRING_KEYS = ['issuer', 'jwksUri', 'audience', 'scope', 'principalClaim', 'name'];
/** No ':' in a name, so that two different names can never make overlapping prefixes. */
const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const SHAPE = '[{issuer, jwksUri, audience, scope?, principalClaim?, name?, sharedNamespace?}]';

/**
 * Parse HEROLD_JWT_ISSUERS (a JSON array) with errors that say what to set. Each issuer's principals get
 * their own namespace, and configurations in which two issuers would share one are refused.
 */
export function parseJwtIssuers(text: string | undefined): JwtIssuer[] {
  if (!text) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`HEROLD_JWT_ISSUERS must be a JSON array ${SHAPE}.`);
  }
  if (!Array.isArray(value)) throw new Error(`HEROLD_JWT_ISSUERS must be a JSON array ${SHAPE}.`);
  const byIssuer = new Map<string, number>();
  const byName = new Map<string, number>();
  return value.map((v, i) => {
    const at = `HEROLD_JWT_ISSUERS[${i}]`;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${at} must be an object ${SHAPE.slice(1, -1)}.`);
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!KEYS.includes(k)) throw new Error(`${at} has an unknown key '${k}'; the keys are ${KEYS.join(', ')}.`);
    for (const k of STRING_KEYS) if (o[k] !== undefined && (typeof o[k] !== 'string' || o[k] === '')) throw new Error(`${at}.${k} must be a non-empty string.`);
    if (o.sharedNamespace !== undefined && typeof o.sharedNamespace !== 'boolean') throw new Error(`${at}.sharedNamespace must be true or false.`);
    const input = o as unknown as JwtIssuerInput;
    if (input.issuer === undefined || input.jwksUri === undefined) throw new Error(`${at} needs 'issuer' (the tokens' iss) and 'jwksUri' (where its signing keys are).`);
    const named = `${at} ('${input.issuer}')`;
    if (!/^https?:\/\//.test(input.jwksUri) || !URL.canParse(input.jwksUri)) throw new Error(`${at}.jwksUri must be an http:// or https:// URL (issuer '${input.issuer}').`);
    if (input.audience === undefined) {
      throw new Error(`${named} has no 'audience': set it to the 'aud' value the issuer puts in tokens meant for this hub (for example the hub's URL), so that tokens it made for other APIs are refused.`);
    }
    const earlier = byIssuer.get(input.issuer);
    if (earlier !== undefined) throw new Error(`${at} repeats the issuer '${input.issuer}' of HEROLD_JWT_ISSUERS[${earlier}]; configure each issuer once.`);
    byIssuer.set(input.issuer, i);
    return { issuer: input.issuer, jwksUri: input.jwksUri, audience: input.audience, scope: input.scope, principalClaim: input.principalClaim ?? 'sub', prefix: prefixOf(input, i, byName) };
  });
}

/** The issuer's namespace prefix, refusing names that collide with another issuer's or look reserved. */
function prefixOf(input: JwtIssuerInput, index: number, byName: Map<string, number>): string {
  if (input.sharedNamespace === true) return '';
  const at = `HEROLD_JWT_ISSUERS[${index}]`;
  const named = `${at} ('${input.issuer}')`;
  const name = input.name ?? defaultName(input.issuer);
  if (name === undefined) throw new Error(`${named} needs a 'name' (lower-case letters, digits, '.', '_', '-'): its principals are named '<name>:<claim>'.`);
  if (!NAME.test(name)) throw new Error(`${at}.name must be 1 to 63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit; got '${name}'.`);
  if (isReservedPrincipal(name)) throw new Error(`${at}.name '${name}' is reserved for the hub (issuer '${input.issuer}'); set another 'name'.`);
  const other = byName.get(name);
  if (other !== undefined) {
    throw new Error(`${named} would name its principals '${name}:…', like HEROLD_JWT_ISSUERS[${other}]: give each issuer a distinct 'name', so that neither can mint the other's principals.`);
  }
  byName.set(name, index);
  return `${name}:`;
}

/** The host name of a URL issuer, or the issuer itself when it already is a valid name. */
function defaultName(issuer: string): string | undefined {
  if (NAME.test(issuer)) return issuer;
  if (!URL.canParse(issuer)) return undefined;
  const host = new URL(issuer).hostname;
  return NAME.test(host) ? host : undefined;
}
