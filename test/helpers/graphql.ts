import { createClient as createSseClient, type Client as SseClient, type ClientOptions as SseOptions } from 'graphql-sse';
import { createClient as createWsClient, type Client as WsClient, type ClientOptions as WsOptions } from 'graphql-ws';
import WebSocket from 'ws';
import { ADMIN_KEY } from './hub.js';

/** A GraphQL response as the tests read it. */
export interface GqlResult {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
}

/** POST /graphql as `key` (the admin key unless given; null sends no credentials). */
export async function gql(url: string, query: string, variables?: Record<string, unknown>, key: string | null = ADMIN_KEY): Promise<{ status: number; type: string | null; body: GqlResult }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as GqlResult };
}

/** What a subscription received, as it arrives. */
export class Received {
  readonly results: GqlResult[] = [];
  completed = false;
  error: unknown;
  private waiters: (() => void)[] = [];

  readonly sink = {
    next: (r: unknown) => this.push(() => this.results.push(r as GqlResult)),
    error: (e: unknown) => this.push(() => (this.error = e)),
    complete: () => this.push(() => (this.completed = true)),
  };

  private push(f: () => void): void {
    f();
    this.waiters.splice(0).forEach((w) => w());
  }

  /** The eventids of the events received (results with data). */
  eventids(): string[] {
    return this.results.flatMap((r) => {
      const e = (r.data as { events?: { eventid?: string } } | null | undefined)?.events;
      return e?.eventid ? [e.eventid] : [];
    });
  }

  errors(): NonNullable<GqlResult['errors']> {
    return this.results.flatMap((r) => r.errors ?? []);
  }

  /** Wait until `pred` holds (no sleeps: woken by each message). */
  async until(pred: () => boolean, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out; received ${JSON.stringify(this.results).slice(0, 800)} completed=${this.completed} error=${String(this.error)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }
}

export function sseClient(url: string, opts: Partial<SseOptions<boolean>> & { key?: string } = {}): SseClient {
  const { key = ADMIN_KEY, ...rest } = opts;
  return createSseClient({ url: `${url}/graphql/stream`, headers: { authorization: `Bearer ${key}` }, retryAttempts: 0, ...rest } as SseOptions);
}

export function wsClient(url: string, opts: Partial<WsOptions> & { key?: string | null } = {}): WsClient {
  const { key = ADMIN_KEY, ...rest } = opts;
  return createWsClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: key === null ? undefined : { authorization: `Bearer ${key}` },
    retryAttempts: 0,
    lazy: true,
    ...rest,
  });
}

export type Transport = 'sse-distinct' | 'sse-single' | 'ws';
export const TRANSPORTS: Transport[] = ['sse-distinct', 'sse-single', 'ws'];

/** Subscribe through one transport with the stock client; dispose() ends it. */
export function subscribeWith(transport: Transport, url: string, query: string, variables: Record<string, unknown>, key: string = ADMIN_KEY): { received: Received; dispose: () => Promise<void> } {
  const received = new Received();
  if (transport === 'ws') {
    const client = wsClient(url, { key });
    const stop = client.subscribe({ query, variables }, received.sink);
    return {
      received,
      dispose: async () => {
        stop();
        await client.dispose();
      },
    };
  }
  const client = sseClient(url, { key, singleConnection: transport === 'sse-single' });
  const stop = client.subscribe({ query, variables }, received.sink);
  return {
    received,
    dispose: async () => {
      stop();
      client.dispose();
    },
  };
}
