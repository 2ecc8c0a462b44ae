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

/**
 * The policy's decision on an IP-literal host (null for a name), remembered per
 * policy: a policy is immutable (its allow list is frozen), so the decision for
 * a host never changes, and judging it is parsing plus bigint CIDR tests on
 * every delivery. Still asked before every exchange, as before.
 */
const literalDecisions = new WeakMap<EgressPolicy, Map<string, ReturnType<typeof checkLiteralHost>>>();
const MAX_LITERAL_DECISIONS = 1024;

function literalDecision(host: string, policy: EgressPolicy): ReturnType<typeof checkLiteralHost> {
  let decisions = literalDecisions.get(policy);
  if (decisions === undefined) literalDecisions.set(policy, (decisions = new Map()));
  let decision = decisions.get(host);
  if (decision === undefined) {
    decision = checkLiteralHost(host, policy);
    if (decisions.size >= MAX_LITERAL_DECISIONS) decisions.clear();
    decisions.set(host, decision);
  }
  return decision;
}

/** A URL's origin and request target, read once per URL object (the sink's URL is parsed once and reused). */
const targets = new WeakMap<URL, { origin: string; path: string }>();

function targetOf(url: URL): { origin: string; path: string } {
  let t = targets.get(url);
  if (t === undefined) targets.set(url, (t = { origin: url.origin, path: `${url.pathname}${url.search}` }));
  return t;
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

  const literal = literalDecision(host, req.policy);
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

/**
 * One exchange on undici's dispatch interface: a handler object instead of a
 * response stream, a promise, an AbortSignal and its listeners per request
 * (together most of the client's cost per delivery in the fan-out profile).
 */
function run(agent: Agent, req: ExchangeRequest, limit: number, elapsed: () => number): Promise<ExchangeOutcome> {
  return new Promise((resolve) => {
    const handler = new ExchangeHandler(req, limit, elapsed, resolve);
    const target = targetOf(req.url);
    agent.dispatch(
      {
        origin: target.origin,
        path: target.path,
        method: req.method as Dispatcher.HttpMethod,
        headers: req.headers,
        body: req.body,
        // The deadline is the handler's; these only keep undici's own from firing first.
        headersTimeout: req.timeoutMs + 1000,
        bodyTimeout: req.timeoutMs + 1000,
      },
      handler,
    );
  });
}

/** Why an exchange was cut short by the hub itself (never reported: the outcome is settled first). */
const DEADLINE = new Error('the delivery deadline passed');
const ENOUGH = new Error('the response snippet is complete');

/**
 * Follows one request through undici (its legacy handler interface, which the
 * client calls directly). One timer is the deadline for the whole exchange:
 * undici lets a connection attempt run to its own connect timeout, so on
 * expiry the outcome is settled at once and the request aborted when undici
 * hands it the abort function (before anything is written, if it had not yet
 * started).
 */
class ExchangeHandler {
  private settled = false;
  private abort: ((reason?: Error) => void) | undefined;
  private status = 0;
  private headers: ResponseHeaders | undefined;
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly req: ExchangeRequest,
    private readonly limit: number,
    private readonly elapsed: () => number,
    private readonly resolve: (outcome: ExchangeOutcome) => void,
  ) {
    this.timer = setTimeout(() => this.expire(), req.timeoutMs);
    // Like AbortSignal.timeout: the deadline alone does not keep the process alive.
    this.timer.unref();
  }

  onConnect(abort: (reason?: Error) => void): void {
    if (this.settled) abort(DEADLINE);
    else this.abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    // 1xx informational answers are not the response.
    if (statusCode < 200 || this.settled) return true;
    this.status = statusCode;
    this.headers = headersOf(rawHeaders);
    if (this.limit <= 0) this.respond(true);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return true;
    const room = this.limit - this.kept;
    if (room > 0) {
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
      this.chunks.push(part);
      this.kept += part.length;
    }
    // Enough: do not read (or buffer) the rest of the body.
    if (this.kept >= this.limit) this.respond(true);
    return true;
  }

  onComplete(): void {
    this.respond(false);
  }

  onError(error: Error): void {
    if (this.settled) return;
    // The sink broke off while sending the body: the status is known.
    if (this.headers !== undefined) return this.respond(false);
    const cause = (error as { cause?: unknown }).cause;
    const root = isEgressRefused(cause) ? cause : error;
    if (isEgressRefused(root)) {
      this.settle({ kind: 'error', code: EGRESS_REFUSED, message: `egress refused: ${root.reason}`, latencyMs: this.elapsed(), sent: false });
      return;
    }
    const code = errorCode(root);
    this.settle({ kind: 'error', code, message: errorMessage(root), latencyMs: this.elapsed(), sent: !NOT_SENT.has(code) });
  }

  /** The deadline passed: with the status known, what arrived of the body is the snippet. */
  private expire(): void {
    if (this.settled) return;
    if (this.headers !== undefined) this.respond(true);
    else {
      this.settle({ kind: 'error', code: 'ETIMEDOUT', message: `no response within ${this.req.timeoutMs} ms`, latencyMs: this.elapsed(), sent: true });
      this.abort?.(DEADLINE);
    }
  }

  private respond(cut: boolean): void {
    if (this.settled) return;
    const snippet = this.chunks.length === 0 ? '' : (this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks)).toString('utf8');
    this.settle({ kind: 'response', status: this.status, headers: this.headers ?? {}, snippet, latencyMs: this.elapsed() });
    if (cut) this.abort?.(ENOUGH);
  }

  private settle(outcome: ExchangeOutcome): void {
    this.settled = true;
    clearTimeout(this.timer);
    this.resolve(outcome);
  }
}

/** Response headers as undici's request API gives them: names in lower case, repeated ones as arrays. */
function headersOf(raw: Buffer[]): ResponseHeaders {
  const out: ResponseHeaders = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toString('latin1').toLowerCase();
    const value = raw[i + 1].toString('latin1');
    const had = Object.hasOwn(out, name) ? out[name] : undefined;
    if (had === undefined) {
      if (name === '__proto__') Object.defineProperty(out, name, { value, enumerable: true, configurable: true, writable: true });
      else out[name] = value;
    }
    else if (typeof had === 'string') out[name] = [had, value];
    else had.push(value);
  }
  return out;
}
