/**
 * Delivering one CloudEvent to an HTTP webhook sink, and classifying the
 * result for the dispatcher.
 *
 * Request: `POST` to the sink URL (redirects never followed), the event in
 * structured mode (`application/cloudevents+json; charset=utf-8`, body is the
 * JSON event) or binary mode (`ce-*` headers, body is the data), plus the
 * Standard Webhooks headers `webhook-id`, `webhook-timestamp` and
 * `webhook-signature` over the exact body bytes, `authorization: Bearer …`
 * when a token is configured, `webhook-request-origin` when an origin is
 * given (the CloudEvents webhook spec asks for it after a handshake), and a
 * `user-agent` naming Herold.
 *
 * Classification ({@link classifyStatus}):
 * | result                                            | outcome |
 * |---------------------------------------------------|---------|
 * | 2xx                                               | success |
 * | 410 Gone                                          | gone (disable the subscription) |
 * | 429, 503 (Retry-After honoured, capped)           | retry   |
 * | 408, any other 5xx (Retry-After honoured if sent) | retry   |
 * | timeout, connection error, DNS failure            | retry   |
 * | egress refused at connect time (EGRESS_REFUSED)   | retry, see below |
 * | 3xx (redirects are not followed)                  | dead    |
 * | any other 4xx, and statuses outside 200–599       | dead    |
 * | unusable request: bad URL, secret, mode, timeout  | dead    |
 *
 * Egress refusals are `retry`, not `dead`: nothing was sent, so retrying costs
 * the sink nothing and cannot be abused, while the cause is often transient
 * or operator-fixable — a split-horizon or rebinding DNS answer that changes
 * back, or HEROLD_EGRESS_ALLOW being widened — and dead-lettering at once
 * would turn such a hiccup into lost deliveries. The retry schedule still ends
 * in the dead-letter queue, and `errorCode: 'EGRESS_REFUSED'` lets the
 * dispatcher surface the reason (or disable the subscription) if it prefers.
 *
 * `deliverWebhook` never rejects.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { STRUCTURED_CONTENT_TYPE, toHttpBinary, toHttpStructured, type CloudEvent } from '../../../cloudevents/index.js';
import { parseSinkUrl, type EgressPolicy, type Resolver } from '../../egress/index.js';
import { exchange } from './exchange.js';
import { parseRetryAfter } from './retry-after.js';
import { signWebhook } from './signature.js';

export const USER_AGENT = 'Herold/0.1 (event notification hub; webhook delivery)';

/** Retry-After values beyond this are cut to it (the default retry schedule spans about this long). */
export const DEFAULT_MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

export type DeliveryOutcome = 'success' | 'retry' | 'dead' | 'gone';

export interface DeliveryResult {
  outcome: DeliveryOutcome;
  /** The response status, when a response arrived. */
  status?: number;
  /** How long the sink asked us to wait (Retry-After), capped; only with `retry`. */
  retryAfterMs?: number;
  /** From the start of the attempt until the response was read (or the failure). */
  latencyMs: number;
  /** The first 1 KiB of the response body (UTF-8), when it had one. */
  responseSnippet?: string;
  /**
   * What was sent besides the body, for the attempt log: the HTTP request
   * headers (`authorization` redacted: a bearer token is a credential of the
   * receiver's), or an AMQP message's exchange and routing key. Absent when
   * nothing was sent.
   */
  requestHeaders?: Record<string, string>;
  /** Why it was not a success, in words. */
  error?: string;
  /** Machine-readable cause for failures without a usable response: `EGRESS_REFUSED`, `ETIMEDOUT`, `ECONNREFUSED`, `EINVALIDREQUEST`, … */
  errorCode?: string;
}

export interface WebhookDelivery {
  url: string;
  /** The structured CloudEvent, already minimised for the subscriber. */
  event: CloudEvent;
  /**
   * `event` as structured JSON, when the caller has it (the hub's rendering,
   * the bytes a pull reader gets): sent as is in structured mode, and then
   * `event` is read only in binary mode.
   */
  json?: string;
  mode: 'structured' | 'binary';
  /** Stable per (subscription, event) across retries. */
  webhookId: string;
  /** Signing secrets (`whsec_…`); all current ones during rotation. */
  secrets: readonly string[];
  bearerToken?: string;
  /** Deadline for the whole exchange (connect, send, response). */
  timeoutMs: number;
  policy: EgressPolicy;
  /** `WebHook-Request-Origin` to send (the origin granted by the handshake). */
  origin?: string;
  /** Resolver instead of the system one (tests, custom DNS). */
  resolve?: Resolver;
  /** Signing time; defaults to now. */
  timestampSeconds?: number;
  /** Cap for Retry-After; default {@link DEFAULT_MAX_RETRY_AFTER_MS}. */
  maxRetryAfterMs?: number;
  userAgent?: string;
  /** Subscriber's own headers (Subscriptions API `protocolsettings.headers`); the hub's own headers win. */
  extraHeaders?: Readonly<Record<string, string>>;
  /** POST (default) or PUT (Subscriptions API `protocolsettings.method`). */
  method?: 'POST' | 'PUT';
}

/** The outcome for a response status (and its headers, for Retry-After). */
export function classifyStatus(
  status: number,
  headers: IncomingHttpHeaders,
  nowMs: number = Date.now(),
  maxRetryAfterMs: number = DEFAULT_MAX_RETRY_AFTER_MS,
): { outcome: DeliveryOutcome; retryAfterMs?: number; error?: string } {
  if (status >= 200 && status <= 299) return { outcome: 'success' };
  if (status === 410) return { outcome: 'gone', error: 'the sink answered 410 Gone: it has been retired' };
  if (status === 408 || status === 429 || (status >= 500 && status <= 599)) {
    const retryAfterMs = parseRetryAfter(headers['retry-after'], nowMs, maxRetryAfterMs);
    const error = `the sink answered ${status}${status === 408 ? ' Request Timeout' : status === 429 ? ' Too Many Requests' : ''}`;
    return retryAfterMs === undefined ? { outcome: 'retry', error } : { outcome: 'retry', retryAfterMs, error };
  }
  if (status >= 300 && status <= 399) {
    const location = typeof headers.location === 'string' ? ` to ${JSON.stringify(headers.location.slice(0, 200))}` : '';
    return { outcome: 'dead', error: `the sink redirected (${status})${location}; redirects are not followed, update the sink URL` };
  }
  if (status >= 400 && status <= 499) return { outcome: 'dead', error: `the sink rejected the event with ${status}` };
  return { outcome: 'dead', error: `the sink answered with an unexpected status ${status}` };
}

const dead = (error: string, errorCode = 'EINVALIDREQUEST'): DeliveryResult => ({ outcome: 'dead', latencyMs: 0, error, errorCode });

/**
 * Structured bodies of recent events. Every subscription that sees an event
 * whole is handed the same JSON string (the hub renders it once), so a fan-out
 * to many subscriptions encodes it once; the lookup hashes the string once too.
 */
const bodies = new Map<string, Buffer>();
const MAX_SHARED_BODIES = 4096;

function structuredBody(json: string): { headers: Record<string, string>; body: Buffer } {
  let body = bodies.get(json);
  if (body === undefined) {
    if (bodies.size >= MAX_SHARED_BODIES) bodies.clear();
    bodies.set(json, (body = Buffer.from(json, 'utf8')));
  }
  return { headers: { 'content-type': STRUCTURED_CONTENT_TYPE }, body };
}

/** Build the request body and headers (exported for tests and for logging what would be sent). */
export function buildWebhookRequest(req: WebhookDelivery, timestampSeconds: number): { headers: Record<string, string>; body: Buffer } {
  const encoded = req.mode === 'binary' ? toHttpBinary(req.event) : req.json !== undefined ? structuredBody(req.json) : toHttpStructured(req.event);
  const headers: Record<string, string> = {
    ...req.extraHeaders,
    ...encoded.headers,
    'content-length': String(encoded.body.length),
    'user-agent': req.userAgent ?? USER_AGENT,
    'webhook-id': req.webhookId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signWebhook(req.secrets, req.webhookId, timestampSeconds, encoded.body),
  };
  if (req.bearerToken !== undefined) headers.authorization = `Bearer ${req.bearerToken}`;
  if (req.origin !== undefined) headers['webhook-request-origin'] = req.origin;
  return { headers, body: encoded.body };
}

/**
 * The request headers as the attempt log keeps them. `authorization` carries
 * the receiver's bearer token (`protocolsettings.token`, which the subscription
 * view shows as `[set]` too), so its value is redacted. `webhook-signature` is
 * kept: it is an HMAC of this one request, not the secret, the owner who reads
 * the log can compute it from the secret and the body anyway, and it is what a
 * receiver debugging a failed verification needs to compare.
 */
export function loggedHeaders(headers: Record<string, string>): Record<string, string> {
  if (headers.authorization === undefined) return headers;
  const scheme = /^\S+ /.exec(headers.authorization)?.[0] ?? '';
  return { ...headers, authorization: `${scheme}[redacted]` };
}

/**
 * Parsed sink URLs: every delivery of a subscription names the same sink, and
 * parsing it (a WHATWG URL) each time showed in the fan-out profile. The URL
 * objects are shared read-only; the checks of {@link parseSinkUrl} depend on
 * the text alone. Egress is still judged per exchange and per connect.
 */
const sinkUrls = new Map<string, ReturnType<typeof parseSinkUrl>>();
const MAX_SINK_URLS = 4096;

function sinkUrl(url: string): ReturnType<typeof parseSinkUrl> {
  let parsed = sinkUrls.get(url);
  if (parsed === undefined) {
    parsed = parseSinkUrl(url);
    if (typeof url !== 'string') return parsed;
    if (sinkUrls.size >= MAX_SINK_URLS) sinkUrls.clear();
    sinkUrls.set(url, parsed);
  }
  return parsed;
}

/** Deliver one event. Never rejects; see the module comment for the classification. */
export async function deliverWebhook(req: WebhookDelivery): Promise<DeliveryResult> {
  try {
    const parsed = sinkUrl(req.url);
    if (!parsed.ok) return dead(parsed.reason, 'EINVALIDURL');
    if (req.mode !== 'structured' && req.mode !== 'binary') return dead(`unknown delivery mode ${JSON.stringify(req.mode)}`);
    if (req.bearerToken !== undefined && (typeof req.bearerToken !== 'string' || !/^[\x21-\x7e]+$/.test(req.bearerToken))) {
      return dead('the bearer token must be visible ASCII characters without spaces');
    }

    let built: { headers: Record<string, string>; body: Buffer };
    try {
      built = buildWebhookRequest(req, req.timestampSeconds ?? Math.floor(Date.now() / 1000));
    } catch (e) {
      return dead(`cannot build the request: ${(e as Error).message}`);
    }

    const result = await exchange({
      url: parsed.url,
      method: req.method ?? 'POST',
      headers: built.headers,
      body: built.body,
      timeoutMs: req.timeoutMs,
      policy: req.policy,
      resolve: req.resolve,
    });

    const requestHeaders = loggedHeaders(built.headers);
    if (result.kind === 'error') {
      const outcome = result.code === 'EINVALIDREQUEST' ? 'dead' : 'retry';
      return { outcome, latencyMs: result.latencyMs, error: result.message, errorCode: result.code, requestHeaders };
    }
    const c = classifyStatus(result.status, result.headers, Date.now(), req.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS);
    const out: DeliveryResult = { outcome: c.outcome, status: result.status, latencyMs: result.latencyMs, requestHeaders };
    if (c.retryAfterMs !== undefined) out.retryAfterMs = c.retryAfterMs;
    if (result.snippet !== '') out.responseSnippet = result.snippet;
    if (c.error !== undefined) out.error = c.error;
    return out;
  } catch (e) {
    // Defensive: nothing above should throw.
    return { outcome: 'retry', latencyMs: 0, error: `delivery failed unexpectedly: ${(e as Error)?.message ?? String(e)}`, errorCode: 'EINTERNAL' };
  }
}
