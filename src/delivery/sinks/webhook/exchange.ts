/**
 * One HTTP request/response exchange with a sink, safe against SSRF and with
 * bounded time and memory. The only way this module talks to the network.
 *
 * - Egress: an IP-literal host is judged before anything else (Node skips
 *   `lookup` for literals); a name goes through `safeLookup`, so the addresses
 *   judged are the ones the socket connects to (defeats DNS rebinding).
 *   Either way a refusal happens before any packet is sent.
 * - Redirects are never followed (node:http does not follow them; the caller
 *   sees the 3xx).
 * - One deadline covers the whole exchange: lookup, connect, TLS, sending,
 *   waiting for the status line. Once the status and headers have arrived the
 *   outcome is known; reading the body snippet continues only until the same
 *   deadline.
 * - At most `snippetBytes` of the response body are kept; as soon as that much
 *   has arrived the response is destroyed, so the rest is never read, let
 *   alone buffered. A body that ends within the snippet leaves the connection
 *   reusable.
 * - Connections are pooled (keep-alive) per policy: every pooled socket was
 *   opened through that policy's checks, so reusing it cannot reach an address
 *   the policy refuses. (With a custom resolver, each exchange opens its own
 *   connection.) TLS certificates are always verified against the host name.
 */
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import {
  EGRESS_REFUSED,
  checkLiteralHost,
  isEgressRefused,
  safeLookup,
  systemResolver,
  type EgressPolicy,
  type Resolver,
} from '../../egress/index.js';

export const SNIPPET_BYTES = 1024;

export interface ExchangeRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
  timeoutMs: number;
  policy: EgressPolicy;
  resolve?: Resolver;
  snippetBytes?: number;
  /** Extra trusted CA certificates for HTTPS (PEM), replacing the default set like `tls.connect`'s `ca`. */
  ca?: string | Buffer | Array<string | Buffer>;
}

export type ExchangeOutcome =
  | {
      kind: 'response';
      status: number;
      headers: http.IncomingHttpHeaders;
      /** The first `snippetBytes` of the body, as UTF-8 (a split character becomes U+FFFD). */
      snippet: string;
      latencyMs: number;
    }
  | {
      kind: 'error';
      /** `EGRESS_REFUSED`, `ETIMEDOUT`, `ECONNREFUSED`, `ECONNRESET`, `ENOTFOUND`, `EINVALIDREQUEST`, … */
      code: string;
      message: string;
      latencyMs: number;
      /** Whether a packet may have reached the sink (false for egress refusals and invalid requests). */
      sent: boolean;
    };

interface Agents {
  http: http.Agent;
  https: https.Agent;
}

const agentsByPolicy = new WeakMap<EgressPolicy, Agents>();

/**
 * Keep-alive agents reserved for one policy (with the system resolver), never
 * shared with other code. Requests with a custom resolver get a fresh
 * connection each time instead (no pooling keyed by arbitrary functions).
 */
function agentsFor(policy: EgressPolicy): Agents {
  let agents = agentsByPolicy.get(policy);
  if (agents === undefined) {
    // Many subscriptions often share one receiver: keep enough idle sockets to avoid reconnecting.
    const options = { keepAlive: true, scheduling: 'lifo' as const, timeout: 5000, maxFreeSockets: 4096 };
    agents = { http: new http.Agent(options), https: new https.Agent(options) };
    agentsByPolicy.set(policy, agents);
  }
  return agents;
}

/** Close the pooled connections opened for a policy (e.g. when the policy is replaced, or at shutdown). */
export function closeIdleConnections(policy: EgressPolicy): void {
  const agents = agentsByPolicy.get(policy);
  agents?.http.destroy();
  agents?.https.destroy();
  agentsByPolicy.delete(policy);
}

const errorCode = (e: unknown): string => {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'EREQUEST';
};
const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Perform the exchange. Never rejects. */
export function exchange(req: ExchangeRequest): Promise<ExchangeOutcome> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  const host = req.url.hostname;

  const literal = checkLiteralHost(host, req.policy);
  if (literal !== null && !literal.allowed) {
    return Promise.resolve({
      kind: 'error',
      code: EGRESS_REFUSED,
      message: `egress refused: ${literal.reason}`,
      latencyMs: elapsed(),
      sent: false,
    });
  }
  if (!Number.isFinite(req.timeoutMs) || req.timeoutMs <= 0) {
    return Promise.resolve({
      kind: 'error',
      code: 'EINVALIDREQUEST',
      message: `the timeout must be a positive number of milliseconds, not ${String(req.timeoutMs)}`,
      latencyMs: elapsed(),
      sent: false,
    });
  }

  const limit = req.snippetBytes ?? SNIPPET_BYTES;
  const resolve = req.resolve ?? systemResolver;
  const secure = req.url.protocol === 'https:';
  const agents = req.resolve === undefined ? agentsFor(req.policy) : undefined;

  return new Promise<ExchangeOutcome>((done) => {
    let settled = false;
    let response: http.IncomingMessage | undefined;
    let connected = false;
    const chunks: Buffer[] = [];
    let kept = 0;

    const settle = (outcome: ExchangeOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done(outcome);
    };
    const settleResponse = (): void => {
      if (response === undefined) return;
      settle({
        kind: 'response',
        status: response.statusCode ?? 0,
        headers: response.headers,
        snippet: Buffer.concat(chunks).toString('utf8'),
        latencyMs: elapsed(),
      });
    };
    const settleError = (e: unknown): void => {
      const code = isEgressRefused(e) ? EGRESS_REFUSED : errorCode(e);
      const message = isEgressRefused(e) ? `egress refused: ${e.reason}` : errorMessage(e);
      settle({ kind: 'error', code, message, latencyMs: elapsed(), sent: connected });
    };

    let request: http.ClientRequest | undefined;
    const timer = setTimeout(() => {
      if (response !== undefined) {
        // The status is known; stop reading the body.
        settleResponse();
        response.destroy();
      } else {
        const e = Object.assign(new Error(`no response within ${req.timeoutMs} ms`), { code: 'ETIMEDOUT' });
        settleError(e);
        request?.destroy(e);
      }
    }, req.timeoutMs);

    try {
      const options: http.RequestOptions = {
        hostname: host.startsWith('[') ? host.slice(1, -1) : host,
        port: req.url.port === '' ? undefined : Number(req.url.port),
        path: `${req.url.pathname}${req.url.search}`,
        method: req.method,
        headers: req.headers,
        lookup: safeLookup(req.policy, resolve),
        agent: agents === undefined ? false : secure ? agents.https : agents.http,
      };
      request = secure ? https.request(req.ca === undefined ? options : { ...options, ca: req.ca }) : http.request(options);
    } catch (e) {
      // Invalid header names or values, invalid method, …: nothing was sent.
      settle({ kind: 'error', code: 'EINVALIDREQUEST', message: errorMessage(e), latencyMs: elapsed(), sent: false });
      return;
    }

    request.on('socket', (socket) => {
      // A reused socket is already connected; a new one reports 'connect' (after the safe lookup).
      if (!socket.connecting) connected = true;
      else socket.once('connect', () => (connected = true));
    });
    request.on('error', (e) => {
      if (response !== undefined) settleResponse();
      else settleError(e);
    });
    request.on('response', (res) => {
      response = res;
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        const room = limit - kept;
        if (room > 0) {
          const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
          chunks.push(part);
          kept += part.length;
        }
        if (kept >= limit && !res.complete) {
          // Enough: do not read (or buffer) the rest of the body.
          settleResponse();
          res.destroy();
        }
      });
      res.on('end', settleResponse);
      res.on('error', settleResponse);
      res.on('close', settleResponse);
    });
    request.end(req.body);
  });
}
