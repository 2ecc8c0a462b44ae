/**
 * The CloudEvents HTTP webhook abuse-protection handshake (HTTP 1.1 Web Hooks
 * for Event Delivery, section 4), run when a subscription's sink is
 * registered.
 *
 * Request: `OPTIONS <sink URL>` with `WebHook-Request-Origin: <origin>` and,
 * when a rate is given, `WebHook-Request-Rate: <requests per minute>`. Same
 * egress checks, deadline and no-redirect rule as deliveries.
 *
 * Accepted when the response is 2xx and `WebHook-Allowed-Origin` is the
 * origin (DNS names compare case-insensitively) or `*`; when a rate was
 * requested, `WebHook-Allowed-Rate` must also be present (the spec says MUST),
 * and when present it must be `*` or a positive integer; it is returned so the
 * caller can throttle. The spec notes that consent cannot be read from status
 * codes alone — a 200 without the header is a refusal.
 *
 * Not supported: the asynchronous `WebHook-Request-Callback` grant (section
 * 4.1.3). Herold never sends that header, so a target that would grant by
 * callback withholds the response headers and is refused; the operator can
 * create the subscription with `protocolsettings.validate: false` instead.
 */
import { parseSinkUrl, type EgressPolicy, type Resolver } from '../../egress/index.js';
import { USER_AGENT } from './deliver.js';
import { exchange } from './exchange.js';

export interface HandshakeOptions {
  /** DNS-name expression identifying this hub, e.g. `herold.example.com`. */
  origin: string;
  /** Requested rate in requests per minute (a positive integer). */
  rate?: number;
  timeoutMs: number;
  resolve?: Resolver;
  userAgent?: string;
}

export type HandshakeResult = { ok: true; allowedRate?: number | '*' } | { ok: false; reason: string };

const header = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(', ') : v)?.trim();

/** Run the validation handshake against a sink. Never rejects. */
export async function webhookHandshake(url: string, policy: EgressPolicy, opts: HandshakeOptions): Promise<HandshakeResult> {
  try {
    const origin = typeof opts.origin === 'string' ? opts.origin.trim() : '';
    if (origin === '' || !/^[\x21-\x7e]+$/.test(origin)) {
      return { ok: false, reason: 'the handshake origin must be a non-empty DNS name' };
    }
    if (opts.rate !== undefined && (!Number.isSafeInteger(opts.rate) || opts.rate <= 0)) {
      return { ok: false, reason: 'the requested rate must be a positive integer (requests per minute)' };
    }
    const parsed = parseSinkUrl(url);
    if (!parsed.ok) return parsed;

    const headers: Record<string, string> = {
      'user-agent': opts.userAgent ?? USER_AGENT,
      'webhook-request-origin': origin,
    };
    if (opts.rate !== undefined) headers['webhook-request-rate'] = String(opts.rate);

    const r = await exchange({
      url: parsed.url,
      method: 'OPTIONS',
      headers,
      timeoutMs: opts.timeoutMs,
      policy,
      resolve: opts.resolve,
    });
    if (r.kind === 'error') return { ok: false, reason: `the webhook handshake failed: ${r.message}` };
    if (r.status >= 300 && r.status <= 399) {
      return { ok: false, reason: `the sink answered the webhook handshake with a redirect (${r.status}); redirects are not followed` };
    }
    if (r.status < 200 || r.status > 299) {
      return { ok: false, reason: `the sink answered the webhook handshake (OPTIONS) with ${r.status}` };
    }
    const allowedOrigin = header(r.headers['webhook-allowed-origin']);
    if (allowedOrigin === undefined || allowedOrigin === '') {
      return {
        ok: false,
        reason:
          'the sink did not grant delivery: the handshake response has no WebHook-Allowed-Origin header ' +
          '(callback grants are not supported)',
      };
    }
    if (allowedOrigin !== '*' && allowedOrigin.toLowerCase() !== origin.toLowerCase()) {
      return {
        ok: false,
        reason: `the sink granted delivery to ${JSON.stringify(allowedOrigin.slice(0, 200))}, not to ${JSON.stringify(origin)}`,
      };
    }
    const allowedRate = header(r.headers['webhook-allowed-rate']);
    if (allowedRate === undefined || allowedRate === '') {
      if (opts.rate !== undefined) {
        return { ok: false, reason: 'the sink did not answer the requested rate: WebHook-Allowed-Rate is missing' };
      }
      return { ok: true };
    }
    if (allowedRate === '*') return { ok: true, allowedRate: '*' };
    if (/^[1-9][0-9]{0,15}$/.test(allowedRate) && Number.isSafeInteger(Number(allowedRate))) {
      return { ok: true, allowedRate: Number(allowedRate) };
    }
    return { ok: false, reason: `the sink answered an invalid WebHook-Allowed-Rate ${JSON.stringify(allowedRate.slice(0, 100))}` };
  } catch (e) {
    return { ok: false, reason: `the webhook handshake failed: ${(e as Error)?.message ?? String(e)}` };
  }
}
