/**
 * Sink URL validation, for subscription creation and update.
 *
 * Passing here does not make later connections safe — DNS can answer
 * differently at delivery time — so the delivery client checks again at
 * connect time ({@link safeLookup}, {@link checkLiteralHost}).
 */
import { EGRESS_REFUSED, checkLiteralHost, resolveChecked, systemResolver, type Resolver } from './lookup.js';
import type { EgressPolicy } from './policy.js';
import { unbracket } from './ip.js';

export interface SinkUrlOptions {
  /** Resolver to use instead of the system one (tests, custom DNS). */
  resolve?: Resolver;
  /** Refuse `http:` (the CloudEvents webhook spec requires HTTPS; Herold allows HTTP by default). */
  requireHttps?: boolean;
}

export type SinkUrlResult = { ok: true; url: URL } | { ok: false; reason: string };

const MAX_URL_LENGTH = 8192;

/**
 * The syntactic part of validation: an absolute `http:`/`https:` URL without
 * credentials and with a host. Does no I/O and never throws.
 */
export function parseSinkUrl(input: string, opts: { requireHttps?: boolean } = {}): SinkUrlResult {
  if (typeof input !== 'string') return { ok: false, reason: 'the sink must be a URL string' };
  if (input.length > MAX_URL_LENGTH) return { ok: false, reason: `the sink URL is longer than ${MAX_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return { ok: false, reason: 'the sink is not a valid absolute URL' };
  }
  if (url.protocol !== 'https:' && (url.protocol !== 'http:' || opts.requireHttps === true)) {
    const allowed = opts.requireHttps === true ? 'https' : 'http or https';
    return { ok: false, reason: `the sink URL scheme must be ${allowed}, not ${url.protocol.slice(0, -1).slice(0, 32)}` };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: 'the sink URL must not contain credentials (user:password@); use a bearer token instead' };
  }
  if (unbracket(url.hostname) === '') return { ok: false, reason: 'the sink URL has no host' };
  return { ok: true, url };
}

/**
 * Validate a sink URL: {@link parseSinkUrl}, then resolve the host (all A and
 * AAAA records) and refuse if ANY address is refused by the policy or if the
 * name does not resolve. IP-literal hosts (in any encoding the URL parser
 * normalises, e.g. `http://2130706433/`) are judged directly. Never throws.
 */
export async function validateSinkUrl(input: string, policy: EgressPolicy, opts: SinkUrlOptions = {}): Promise<SinkUrlResult> {
  try {
    const parsed = parseSinkUrl(input, opts);
    if (!parsed.ok) return parsed;
    const host = parsed.url.hostname;
    const literal = checkLiteralHost(host, policy);
    if (literal !== null) {
      return literal.allowed ? parsed : { ok: false, reason: `the sink address is not allowed: ${literal.reason}` };
    }
    const resolved = await resolveChecked(host, policy, opts.resolve ?? systemResolver);
    if (!resolved.ok) {
      const what = resolved.code === EGRESS_REFUSED ? 'the sink host is not allowed' : 'the sink host cannot be used';
      return { ok: false, reason: `${what}: ${resolved.reason}` };
    }
    return parsed;
  } catch (e) {
    return { ok: false, reason: `the sink URL could not be validated: ${(e as Error)?.message ?? String(e)}` };
  }
}
