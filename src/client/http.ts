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

  /** A request whose answer is JSON (or empty: undefined). */
  async json<T>(method: string, path: string, options: Omit<RequestOptions, 'raw'> = {}): Promise<T> {
    const res = await this.request(method, path, options);
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

/** The HeroldError for a non-2xx answer (its problem body when it has one). */
export async function errorOf(res: Response): Promise<HeroldError> {
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
