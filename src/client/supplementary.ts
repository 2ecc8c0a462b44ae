import { Limiter } from './limiter.js';

/**
 * Step 5 of the seed flow: a thin notification says *that* something changed;
 * the data is fetched from the provider's API. `dataref` (CloudEvents
 * extension) names the resource; without it, `subject` is a path under
 * `baseUrl`. Answers are cached by URL with their ETag and revalidated with
 * If-None-Match, and at most `concurrency` requests run at once.
 */
export interface SupplementaryOptions {
  /** The provider's API, e.g. `https://hr.example/api`: `subject` is resolved under it, and `dataref` must stay on it. */
  baseUrl: string;
  /** Headers for the provider (credentials): an object, or a function asked on every request. */
  headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  /** Other origins a `dataref` may point at (credentials are sent there too). */
  allowOrigins?: string[];
  /** Requests at once (default 8). */
  concurrency?: number;
  /** Cached answers (default 1000). */
  cacheSize?: number;
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

export interface Supplementary<T = unknown> {
  url: string;
  /** 200, or 404/410 when the resource is gone (body undefined): a deletion is news too. */
  status: number;
  etag?: string;
  body: T;
  /** Answered from the cache after a 304. */
  cached: boolean;
}

/** The provider answered with something other than 2xx, 304, 404 or 410. */
export class SupplementaryError extends Error {
  override readonly name = 'SupplementaryError';
  constructor(
    readonly url: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`GET ${url} answered ${status}: ${body.slice(0, 200)}`);
  }
}

/** A fetcher with its own cache and concurrency limit; reuse one per provider. */
export class SupplementaryFetcher {
  private readonly cache = new Map<string, { etag: string; body: unknown }>();
  private readonly limiter: Limiter;
  private readonly base: URL;

  constructor(readonly options: SupplementaryOptions) {
    if (!options?.baseUrl) throw new TypeError("fetchSupplementary: 'baseUrl' is required");
    this.base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : options.baseUrl + '/');
    this.limiter = new Limiter(options.concurrency ?? 8);
  }

  /**
   * The URL the event points at. A `subject` stays under `baseUrl` (no `..`,
   * no other host); a `dataref` must be on `baseUrl`'s origin or one allowed:
   * the provider's credentials never go where an event says.
   */
  urlOf(event: { subject?: unknown; dataref?: unknown }): string {
    if (typeof event.dataref === 'string' && event.dataref !== '') {
      const url = new URL(event.dataref, this.base);
      const allowed = [this.base.origin, ...(this.options.allowOrigins ?? []).map((o) => new URL(o).origin)];
      if (!allowed.includes(url.origin)) throw new Error(`fetchSupplementary: dataref ${url.origin} is not ${this.base.origin} or an allowed origin; refusing to send credentials there`);
      return url.toString();
    }
    if (typeof event.subject !== 'string' || event.subject === '') throw new Error('fetchSupplementary: the event has neither dataref nor subject to follow');
    const path = event.subject.replace(/^\/+/, '');
    const url = new URL(path, this.base);
    if (url.origin !== this.base.origin || !url.pathname.startsWith(this.base.pathname) || /(^|\/)\.\.?(\/|$)/.test(decodeURIComponent(path))) {
      throw new Error(`fetchSupplementary: subject '${event.subject}' leads outside ${this.base.href}; refusing it`);
    }
    return url.toString();
  }

  /** GET what the event points at; `headers` replace the fetcher's for this call. */
  async fetch<T = unknown>(event: { subject?: unknown; dataref?: unknown }, call: Pick<SupplementaryOptions, 'headers'> = {}): Promise<Supplementary<T>> {
    const url = this.urlOf(event);
    return this.limiter.run(async () => {
      const given = call.headers ?? this.options.headers;
      const extra = typeof given === 'function' ? await given() : given;
      const hit = this.cache.get(url);
      const res = await (this.options.fetch ?? fetch)(url, {
        headers: { accept: 'application/json', ...extra, ...(hit ? { 'if-none-match': hit.etag } : {}) },
        signal: this.options.signal,
      });
      if (res.status === 304 && hit) {
        await res.body?.cancel();
        this.remember(url, hit);
        return { url, status: 200, etag: hit.etag, body: hit.body as T, cached: true };
      }
      if (res.status === 404 || res.status === 410) {
        await res.body?.cancel();
        this.cache.delete(url);
        return { url, status: res.status, body: undefined as T, cached: false };
      }
      if (!res.ok) throw new SupplementaryError(url, res.status, await res.text().catch(() => ''));
      const text = await res.text();
      const body = /json/.test(res.headers.get('content-type') ?? '') && text ? JSON.parse(text) : text;
      const etag = res.headers.get('etag') ?? undefined;
      if (etag) this.remember(url, { etag, body });
      else this.cache.delete(url);
      return { url, status: res.status, etag, body: body as T, cached: false };
    });
  }

  private remember(url: string, entry: { etag: string; body: unknown }): void {
    this.cache.delete(url);
    this.cache.set(url, entry);
    if (this.cache.size > (this.options.cacheSize ?? 1000)) this.cache.delete(this.cache.keys().next().value as string);
  }
}

const shared = new Map<string, SupplementaryFetcher>();

/**
 * Fetch what an event points at. Calls with the same `baseUrl` share one
 * cache and one concurrency limit (the first call's settings); make a
 * SupplementaryFetcher for settings of your own.
 */
export function fetchSupplementary<T = unknown>(event: { subject?: unknown; dataref?: unknown }, options: SupplementaryOptions): Promise<Supplementary<T>> {
  let fetcher = shared.get(options.baseUrl);
  if (!fetcher) shared.set(options.baseUrl, (fetcher = new SupplementaryFetcher(options)));
  return fetcher.fetch<T>(event, { headers: options.headers });
}
