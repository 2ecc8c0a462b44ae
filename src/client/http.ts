import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { HeroldError, type Problem } from './errors.js';

/** An API key or JWT, or a function that returns a current one (called for every request, so tokens can be refreshed). */
export type Credential = string | (() => string | Promise<string>);

export interface ConnectionOptions {
  /** The hub, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** API key or JWT; a function is asked again on every request. */
  key?: Credential;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** Per-request timeout for non-streaming requests, ms (default 30,000). */
  timeoutMs?: number;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
}

export type QueryValue = string | number | boolean | undefined | null | readonly (string | number)[];
export type Query = Record<string, QueryValue>;

export interface RequestOptions {
  query?: Query;
  /** A JSON body (serialised) or a string sent as is. */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Return the response whatever its status (the caller reads it); no timeout. */
  raw?: boolean;
}

/** HTTP to the hub's public API: credentials, URLs, problem+json errors. */
export class Transport {
  private readonly fetchImpl: typeof fetch;
  readonly baseUrl: string;

  constructor(readonly options: ConnectionOptions) {
    if (!options?.url) throw new TypeError("herold/client: 'url' is required, e.g. { url: 'http://127.0.0.1:8080' }");
    this.baseUrl = options.url.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? globalThis.fetch;
  }

  async headers(extra: Record<string, string> = {}): Promise<Record<string, string>> {
    const key = typeof this.options.key === 'function' ? await this.options.key() : this.options.key;
    return { ...this.options.headers, ...(key ? { authorization: `Bearer ${key}` } : {}), ...extra };
  }

  url(path: string, query?: Query): string {
    const u = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined || v === null) continue;
      for (const item of Array.isArray(v) ? v : [v]) u.searchParams.append(k, String(item));
    }
    return u.toString();
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const { query, body, contentType, signal, raw } = options;
    const headers = await this.headers(options.headers);
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      headers['content-type'] = contentType ?? 'application/json';
    }
    const timeout = raw ? undefined : AbortSignal.timeout(this.options.timeoutMs ?? 30_000);
    const res = await this.fetchImpl(this.url(path, query), {
      method,
      headers,
      body: payload,
      signal: signal && timeout ? AbortSignal.any([signal, timeout]) : (signal ?? timeout),
    });
    if (!raw && !res.ok) throw await errorOf(res);
    return res;
  }

  /**
   * A GET whose answer is read as a stream of bytes (Server-Sent Events), whatever its status.
   * With the default fetch, it is made with node:http(s): a long stream read through fetch's web
   * streams costs the consumer about a third more CPU per event. With a `fetch` of your own, that is used.
   */
  async stream(path: string, options: Pick<RequestOptions, 'query' | 'headers' | 'signal'> = {}): Promise<StreamAnswer> {
    if (this.options.fetch) {
      const res = await this.request('GET', path, { ...options, raw: true });
      return {
        status: res.status,
        ok: res.ok,
        headers: res.headers,
        body: (res.body ?? emptyBody()) as unknown as AsyncIterable<Uint8Array>,
        cancel: async () => void (await res.body?.cancel()),
        text: () => res.text(),
      };
    }
    const headers = await this.headers(options.headers);
    const url = new URL(this.url(path, options.query));
    const signal = options.signal;
    signal?.throwIfAborted();
    const message = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: 'GET', headers }, resolve);
      // Destroyed without an error: the reader of the body stops, and nothing emits an 'error' nobody listens to.
      const onAbort = () => {
        req.destroy();
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      req.once('close', () => signal?.removeEventListener('abort', onAbort));
      // Before the answer: the request fails; after it, a broken connection is seen by the body's reader.
      req.on('error', reject);
      req.end();
    });
    const cancel = async () => void message.destroy();
    return {
      status: message.statusCode ?? 0,
      ok: (message.statusCode ?? 0) >= 200 && (message.statusCode ?? 0) < 300,
      headers: { get: (name) => headerValue(message, name) },
      body: message,
      cancel,
      text: async () => {
        const parts: Buffer[] = [];
        for await (const part of message) parts.push(part as Buffer);
        return Buffer.concat(parts).toString('utf8');
      },
    };
  }

  /** A request whose answer is JSON (or empty: undefined). */
  async json<T>(method: string, path: string, options: Omit<RequestOptions, 'raw'> = {}): Promise<T> {
    const res = await this.request(method, path, options);
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

/** An answer read as a stream (Transport.stream). */
export interface StreamAnswer {
  status: number;
  ok: boolean;
  headers: { get(name: string): string | null };
  body: AsyncIterable<Uint8Array>;
  /** Stop reading and close the connection. */
  cancel(): Promise<void>;
  text(): Promise<string>;
}

const headerValue = (message: IncomingMessage, name: string): string | null => {
  const value = message.headers[name.toLowerCase()];
  return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
};

async function* emptyBody(): AsyncGenerator<Uint8Array> {}

/** The HeroldError for a non-2xx answer (its problem body when it has one). */
export async function errorOf(res: Pick<Response, 'status' | 'text'> & { headers: { get(name: string): string | null } }): Promise<HeroldError> {
  const text = await res.text().catch(() => '');
  let problem: Problem | undefined;
  try {
    problem = text ? (JSON.parse(text) as Problem) : undefined;
  } catch {
    problem = { detail: text.slice(0, 500) };
  }
  const retryAfter = Number(res.headers.get('retry-after'));
  return new HeroldError(res.status, problem, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined);
}
