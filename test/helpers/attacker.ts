import { expect } from 'vitest';
import { parseSse, type SseMessage } from '../../src/client/sse.js';
import type { TestHub } from './hub.js';

/**
 * What an attacker's probes share: callers with their own credentials, the
 * answer of every door reduced to what a caller can compare, and the
 * "hidden equals missing" check (docs/security.md, "Threat model").
 */

const json = 'application/json';

export interface Caller {
  principal: string;
  key: string;
  keyId: string;
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

/** A new API key (created by the admin) for `principal`, and fetch as it. */
export async function caller(hub: TestHub, principal: string, opts: { admin?: boolean; expiresAt?: number } = {}): Promise<Caller> {
  const res = await hub.fetch('/api-keys', {
    method: 'POST',
    headers: { 'content-type': json },
    body: JSON.stringify({ principal, admin: opts.admin, expiresAt: opts.expiresAt === undefined ? undefined : new Date(opts.expiresAt).toISOString() }),
  });
  const body = await res.json();
  if (res.status !== 201) throw new Error(`POST /api-keys: ${res.status} ${JSON.stringify(body)}`);
  return {
    principal,
    key: body.key,
    keyId: body.id,
    fetch: (path, init = {}) => hub.fetch(path, { ...init, auth: false, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${body.key}` } }),
  };
}

/** POST as the admin (or an owner's caller) with a JSON body; throws unless 2xx. */
export async function post(hub: TestHub | Caller, path: string, body: unknown, method = 'POST'): Promise<Record<string, unknown>> {
  const res = await hub.fetch(path, { method, headers: { 'content-type': json }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

/** Everything a caller can compare of an answer: status, content type and the whole body. */
export interface Answer {
  status: number;
  contentType: string;
  body: string;
  problem?: { type?: string; title?: string; detail?: string; errors?: { pointer: string; message: string }[] };
}

/**
 * Read an answer. A 200 stream (SSE, NDJSON) is cut after its head: only
 * refusals are compared, and a stream that started is what `status` says.
 */
export async function answer(res: Response): Promise<Answer> {
  const contentType = res.headers.get('content-type') ?? '';
  if (res.status === 200 && /event-stream|ndjson/.test(contentType)) {
    await res.body?.cancel();
    return { status: res.status, contentType, body: '' };
  }
  const body = await res.text();
  const problem = contentType.includes('application/problem+json') ? JSON.parse(body) : undefined;
  return { status: res.status, contentType, body, problem };
}

/**
 * Hidden equals missing: the same status, problem type and detail (apart from
 * the name or number sent, which each answer may echo).
 */
export function expectSameAnswer(hidden: Answer, missing: Answer, sent: [hidden: string, missing: string], what: string): void {
  const blind = (a: Answer, name: string) => ({
    status: a.status,
    contentType: a.contentType,
    type: a.problem?.type,
    title: a.problem?.title,
    detail: a.problem?.detail?.split(name).join('<sent>'),
    errors: JSON.stringify(a.problem?.errors ?? []).split(name).join('<sent>'),
  });
  expect(blind(hidden, sent[0]), what).toEqual(blind(missing, sent[1]));
}

/** Poll a condition until a deadline (no fixed sleeps): resolves with the time it took. */
export async function until(pred: () => boolean | Promise<boolean>, ms: number, what: string): Promise<number> {
  const started = Date.now();
  while (!(await pred())) {
    if (Date.now() - started > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - started;
}

/** An open SSE stream as `who`, collecting its messages. */
export async function openSse(who: Caller, path: string) {
  const abort = new AbortController();
  const res = await who.fetch(path, { headers: { accept: 'text/event-stream' }, signal: abort.signal });
  expect(res.status, `SSE ${path}`).toBe(200);
  const messages: (SseMessage & { at: number })[] = [];
  let ended: number | undefined;
  const done = (async () => {
    try {
      for await (const m of parseSse(res.body as unknown as AsyncIterable<Uint8Array>)) messages.push({ ...m, at: Date.now() });
    } catch {
      // aborted
    }
    ended = Date.now();
  })();
  return {
    messages,
    events: () => messages.filter((m) => m.event === 'message' && m.data).map((m) => JSON.parse(m.data) as Record<string, unknown>),
    ended: () => ended,
    close: () => abort.abort(),
    done,
  };
}

/** A whole NDJSON export as `who`: one event per line. */
export async function ndjson(who: Caller, path: string): Promise<Record<string, unknown>[]> {
  const res = await who.fetch(path, { headers: { accept: 'application/x-ndjson' } });
  expect(res.status, `NDJSON ${path}`).toBe(200);
  return (await res.text())
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

/** A pull page's events as `who`. */
export async function pull(who: Caller, path: string): Promise<Record<string, unknown>[]> {
  const res = await who.fetch(path);
  const body = await res.json();
  expect(res.status, `GET ${path}: ${JSON.stringify(body)}`).toBe(200);
  return body.events;
}
