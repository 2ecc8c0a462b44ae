import { ADMIN_KEY, type TestHub, publishBatch } from '../helpers/hub.js';

/** An API key for `principal` with a grant on `list` (optionally filtered). */
export async function consumerKey(hub: TestHub, list: string, principal: string, grant: Record<string, unknown> = {}): Promise<string> {
  const key = await hub.fetch('/api-keys', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ principal }) });
  if (key.status !== 201) throw new Error(`POST /api-keys: ${key.status} ${await key.text()}`);
  const g = await hub.fetch(`/lists/${list}/grants`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ principal, ...grant }) });
  if (g.status !== 201) throw new Error(`POST grants: ${g.status} ${await g.text()}`);
  return ((await key.json()) as { key: string }).key;
}

/** Publish `events` as one batch; fails the test on anything but 201. */
export async function publishAll(hub: TestHub, list: string, events: Record<string, unknown>[]): Promise<string[]> {
  const res = await publishBatch(hub, list, events);
  if (res.status !== 201) throw new Error(`publish: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { results: { seq: string }[] }).results.map((r) => r.seq);
}

/** Take `n` items from an async iterable, then stop it. */
export async function take<T>(iterable: AsyncIterable<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  if (n <= 0) return out;
  for await (const item of iterable) {
    out.push(item);
    if (out.length >= n) break;
  }
  return out;
}

/** A fetch that records each request's URL and Accept header, and may rewrite the request or the response. */
export function recordingFetch(
  rewrite: { request?: (url: string, init: RequestInit) => [string, RequestInit]; response?: (url: string, res: Response) => Response } = {},
): { fetch: typeof fetch; requests: { url: string; accept: string | null }[] } {
  const requests: { url: string; accept: string | null }[] = [];
  const wrapped = (async (input: string | URL | Request, init: RequestInit = {}) => {
    let url = String(input);
    [url, init] = rewrite.request?.(url, init) ?? [url, init];
    requests.push({ url, accept: new Headers(init.headers).get('accept') });
    const res = await fetch(url, init);
    return rewrite.response ? rewrite.response(url, res) : res;
  }) as typeof fetch;
  return { fetch: wrapped, requests };
}

export const admin = { key: ADMIN_KEY };
