/**
 * One HTTP request/response exchange with a sink, safe against SSRF and with
 * bounded time and memory. The only way this module talks to the network.
 *
 * The client is undici: per-origin connection pools with keep-alive (and
 * optional HTTP/1.1 pipelining), which carries many deliveries per socket
 * where node:http spent most of its time in its agent and in one write per
 * request.
 *
 * - Egress: an IP-literal host is judged before anything else (Node skips
 *   `lookup` for literals); a name goes through `safeLookup`, given to
 *   undici's connector, so the addresses judged are the ones each socket
 *   connects to (defeats DNS rebinding). Either way a refusal happens before
 *   any packet is sent.
 * - Redirects are never followed (undici's `request` does not follow them
 *   unless a redirect interceptor is composed; the caller sees the 3xx).
 * - One deadline covers the whole exchange: lookup, connect, TLS, sending,
 *   waiting for the status line. Once the status and headers have arrived the
 *   outcome is known; reading the body snippet continues only until the same
 *   deadline.
 * - At most `snippetBytes` of the response body are kept; as soon as that much
 *   has arrived the body is destroyed, so the rest is never read, let alone
 *   buffered.
 * - Pools belong to one policy (with the system resolver): every pooled socket
 *   was opened through that policy's checks, so reusing it cannot reach an
 *   address the policy refuses. With a custom resolver or extra CA
 *   certificates, an exchange gets a client of its own, closed afterwards.
 *   TLS certificates are always verified against the host name.
 */
import { performance } from 'node:perf_hooks';
import { Agent, type Dispatcher } from 'undici';
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

/** Response headers, names in lower case. */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

export type ExchangeOutcome =
  | {
      kind: 'response';
      status: number;
      headers: ResponseHeaders;
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

/** How many connections and requests in flight per sink origin. */
export interface PoolSettings {
  /** Connections per origin (default 64). */
  connections?: number;
  /** Requests in flight per connection (HTTP/1.1 pipelining; default 1, none). */
  pipelining?: number;
}

let poolSettings: Required<PoolSettings> = { connections: 64, pipelining: 1 };

/** Set the pool sizes for clients made from now on (the hub's configuration). */
export function configurePools(settings: PoolSettings): void {
  poolSettings = { ...poolSettings, ...settings };
}

const agentsByPolicy = new WeakMap<EgressPolicy, Agent>();

/** A connection attempt is given up after this long (each exchange's own deadline is usually shorter). */
const CONNECT_TIMEOUT_MS = 30_000;

function newAgent(policy: EgressPolicy, resolve: Resolver, ca: ExchangeRequest['ca'], pooled: boolean): Agent {
  return new Agent({
    connections: pooled ? poolSettings.connections : 1,
    pipelining: pooled ? poolSettings.pipelining : 1,
    keepAliveTimeout: pooled ? 5000 : 1,
    // Passed to net.connect / tls.connect: every connection resolves through the policy.
    connect: { lookup: safeLookup(policy, resolve), timeout: CONNECT_TIMEOUT_MS, ...(ca !== undefined && { ca }) },
  });
}

/**
 * The pooled client reserved for one policy (with the system resolver), never
 * shared with other code.
 */
function agentFor(policy: EgressPolicy): Agent {
  let agent = agentsByPolicy.get(policy);
  if (agent === undefined) agentsByPolicy.set(policy, (agent = newAgent(policy, systemResolver, undefined, true)));
  return agent;
}

/** Close the pooled connections opened for a policy (e.g. when the policy is replaced, or at shutdown). */
export function closeIdleConnections(policy: EgressPolicy): void {
  const agent = agentsByPolicy.get(policy);
  agentsByPolicy.delete(policy);
  void agent?.destroy().catch(() => undefined);
}

/** Errors that mean no packet reached the sink. */
const NOT_SENT = new Set([EGRESS_REFUSED, 'ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'EINVALIDREQUEST', 'UND_ERR_INVALID_ARG']);

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
  const own = req.resolve !== undefined || req.ca !== undefined;
  const agent = own ? newAgent(req.policy, req.resolve ?? systemResolver, req.ca, false) : agentFor(req.policy);
  return run(agent, req, limit, elapsed).finally(() => {
    if (own) void agent.destroy().catch(() => undefined);
  });
}

async function run(agent: Agent, req: ExchangeRequest, limit: number, elapsed: () => number): Promise<ExchangeOutcome> {
  const deadline = AbortSignal.timeout(req.timeoutMs);
  let response: Dispatcher.ResponseData | undefined;
  // undici lets a connection attempt run to its own connect timeout even when the request is
  // aborted, so the deadline is raced here: it covers name resolution and connecting too.
  let onDeadline: (() => void) | undefined;
  const expired = new Promise<never>((_, reject) => {
    onDeadline = () => reject(deadline.reason);
    deadline.addEventListener('abort', onDeadline, { once: true });
  });
  expired.catch(() => undefined);
  try {
    response = await Promise.race([expired, agent.request({
      origin: req.url.origin,
      path: `${req.url.pathname}${req.url.search}`,
      method: req.method as Dispatcher.HttpMethod,
      headers: req.headers,
      body: req.body,
      signal: deadline,
      // The deadline is the signal's; these only keep undici's own from firing first.
      headersTimeout: req.timeoutMs + 1000,
      bodyTimeout: req.timeoutMs + 1000,
    })]);
  } catch (e) {
    const cause = (e as { cause?: unknown }).cause;
    const root = isEgressRefused(cause) ? cause : e;
    if (deadline.aborted && !isEgressRefused(root)) {
      return { kind: 'error', code: 'ETIMEDOUT', message: `no response within ${req.timeoutMs} ms`, latencyMs: elapsed(), sent: true };
    }
    const code = isEgressRefused(root) ? EGRESS_REFUSED : errorCode(root);
    const message = isEgressRefused(root) ? `egress refused: ${root.reason}` : errorMessage(root);
    return { kind: 'error', code, message, latencyMs: elapsed(), sent: !NOT_SENT.has(code) };
  } finally {
    deadline.removeEventListener('abort', onDeadline!);
  }
  const chunks: Buffer[] = [];
  let kept = 0;
  try {
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      const room = limit - kept;
      if (room > 0) {
        const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
        chunks.push(part);
        kept += part.length;
      }
      // Enough: do not read (or buffer) the rest of the body.
      if (kept >= limit) break;
    }
  } catch {
    // The deadline passed or the sink broke off while sending the body: the status is known.
  } finally {
    if (kept >= limit || deadline.aborted) response.body.destroy();
  }
  return { kind: 'response', status: response.statusCode, headers: response.headers as ResponseHeaders, snippet: Buffer.concat(chunks).toString('utf8'), latencyMs: elapsed() };
}
