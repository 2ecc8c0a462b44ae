import { parseSse } from './sse.js';

export { parseSse, type SseMessage } from './sse.js';

/** A served event: structured CloudEvent plus heroldseq, heroldprevseq, heroldtime. */
export type ServedEvent = Record<string, unknown> & { id: string; source: string; type: string; heroldseq: string };

export interface ClientOptions {
  url: string;
  key?: string;
}

export class HeroldError extends Error {
  constructor(
    readonly status: number,
    readonly problem: { title?: string; detail?: string; errors?: { pointer: string; message: string }[] } | undefined,
  ) {
    super(
      problem?.detail
        ? `${status} ${problem.title ?? ''}: ${problem.detail}${problem.errors?.length ? ' ' + problem.errors.map((e) => `[${e.pointer}] ${e.message}`).join('; ') : ''}`
        : `HTTP ${status}`,
    );
  }
}

export interface ReadOptions {
  after?: string;
  limit?: number;
  type?: string[];
  subject?: string[];
  source?: string[];
  since?: string;
  until?: string;
  filter?: string;
}

/** The Herold HTTP API, as `herold/client`. Everything goes through the public routes. */
export class HeroldClient {
  constructor(private readonly options: ClientOptions) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.options.key ? { authorization: `Bearer ${this.options.key}` } : {}), ...extra };
  }

  private url(path: string, query?: ReadOptions): string {
    const u = new URL(path, this.options.url);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined) continue;
      for (const item of Array.isArray(v) ? v : [v]) u.searchParams.append(k, String(item));
    }
    return u.toString();
  }

  private async json<T>(res: Response): Promise<T> {
    const text = await res.text();
    const body = text ? JSON.parse(text) : undefined;
    if (!res.ok) throw new HeroldError(res.status, body);
    return body as T;
  }

  async putList(name: string, body: { title?: string; description?: string; retentionDays?: number } = {}) {
    const res = await fetch(this.url(`/lists/${encodeURIComponent(name)}`), {
      method: 'PUT',
      headers: this.headers({ 'content-type': 'application/json' }),
      body: JSON.stringify(body),
    });
    return this.json<{ name: string; head: string }>(res);
  }

  async publish(list: string, event: Record<string, unknown>): Promise<{ seq: string; duplicate?: boolean }> {
    const res = await fetch(this.url(`/lists/${encodeURIComponent(list)}/events`), {
      method: 'POST',
      headers: this.headers({ 'content-type': 'application/cloudevents+json' }),
      body: JSON.stringify(event),
    });
    return this.json(res);
  }

  async publishBatch(list: string, events: Record<string, unknown>[]): Promise<{ results: { seq: string; duplicate: boolean }[] }> {
    const res = await fetch(this.url(`/lists/${encodeURIComponent(list)}/events`), {
      method: 'POST',
      headers: this.headers({ 'content-type': 'application/cloudevents-batch+json' }),
      body: JSON.stringify(events),
    });
    return this.json(res);
  }

  async read(list: string, options: ReadOptions = {}): Promise<{ events: ServedEvent[]; next: string; head: string }> {
    const res = await fetch(this.url(`/lists/${encodeURIComponent(list)}/events`, options), { headers: this.headers() });
    return this.json(res);
  }

  /**
   * Live events: replay after `after`, then new ones as they commit. Reconnects
   * with Last-Event-ID when the connection drops, so nothing is missed.
   */
  async *stream(list: string, options: ReadOptions & { signal?: AbortSignal; reconnect?: boolean } = {}): AsyncGenerator<ServedEvent> {
    let lastId = options.after;
    const { signal, reconnect = true, ...query } = options;
    for (;;) {
      const res = await fetch(this.url(`/lists/${encodeURIComponent(list)}/events`, { ...query, after: undefined }), {
        headers: this.headers({ accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) }),
        signal,
      });
      if (!res.ok || !res.body) await this.json(res);
      let ended: string | undefined;
      try {
        for await (const message of parseSse(res.body as unknown as AsyncIterable<Uint8Array>)) {
          if (message.id !== undefined) lastId = message.id;
          if (message.event === 'message' && message.data) yield JSON.parse(message.data) as ServedEvent;
          else if (message.event !== 'message') ended = message.event;
        }
      } catch (error) {
        if (signal?.aborted) return;
        if (!reconnect) throw error;
      }
      if (signal?.aborted || !reconnect || ended === 'end') return;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
