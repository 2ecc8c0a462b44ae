/**
 * A hostile filter is a fast 400 on every door that takes one, and stores
 * nothing (issue 10, "CESQL bombs"): a read's `?filter=`, a subscription's
 * `sql` filter and filter set, a grant's filter, an access request's filter
 * (from a principal with no role at all) and an approval's narrowing filter.
 * Each request runs against a real hub; the bound on wall time is generous
 * for a loaded two-core machine, where the bombs used to take seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, createList, makeEvent, publishStructured, startTestHub } from '../helpers/hub.js';
import { CONSTANT_BOMBS, FILTER_SET_BOMBS, filtersJson } from './hostile.js';

const FAST_MS = 500;
const json = { 'content-type': 'application/json' };
const LIST = 'hostile';

interface Problem {
  status: number;
  detail: string;
  errors: { pointer: string; message: string }[];
}

/** Sends the request; expects a 400 problem naming `pointer` (or a pointer under it), within FAST_MS. */
async function refusedFast(send: () => Promise<Response>, pointer: RegExp): Promise<Problem> {
  const started = performance.now();
  const res = await send();
  const body = (await res.json()) as Problem;
  const ms = performance.now() - started;
  expect(res.status, JSON.stringify(body).slice(0, 300)).toBe(400);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(body.errors.length).toBeGreaterThan(0);
  for (const e of body.errors) expect(e.pointer).toMatch(pointer);
  expect(ms).toBeLessThan(FAST_MS);
  return body;
}

describe('a hostile filter is a fast 400 on every door', () => {
  let hub: TestHub;
  let strangerKey: string;
  const bombs = Object.entries(CONSTANT_BOMBS);
  const filterSets = Object.entries(FILTER_SET_BOMBS);
  const asStranger = (path: string, init: RequestInit) => hub.fetch(path, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${strangerKey}` } });

  beforeAll(async () => {
    hub = await startTestHub({ readRate: '0', publishRate: '0' });
    await createList(hub, LIST, { owner: 'org:owner' });
    expect((await publishStructured(hub, LIST, makeEvent())).status).toBe(201);
    const key = await hub.fetch('/api-keys', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:stranger' }) });
    strangerKey = (await key.json()).key;
    // Access requests are taken only for lists the caller can see: a publisher sees the list but may not read it.
    const pub = await hub.fetch(`/lists/${LIST}/publishers`, { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:stranger', source: '/elsewhere' }) });
    expect(pub.status).toBeLessThan(300);
  });
  afterAll(() => hub.close());

  it.each(bombs)('GET /lists/{list}/events?filter=: %s', async (_name, expression) => {
    const problem = await refusedFast(() => hub.fetch(`/lists/${LIST}/events?filter=${encodeURIComponent(expression)}`), /^\/querystring\/filter$/);
    expect(problem.errors[0]!.message).toMatch(/the limit is|more work than one evaluation/);
  });

  it.each(bombs)('POST /lists/{list}/subscriptions with a sql filter: %s', async (_name, expression) => {
    const body = { sink: 'http://127.0.0.1:9/hook', filters: [{ sql: expression }] };
    const problem = await refusedFast(() => hub.fetch(`/lists/${LIST}/subscriptions`, { method: 'POST', headers: json, body: JSON.stringify(body) }), /^\/filters\/0\/sql$/);
    expect(problem.errors[0]!.message).toMatch(/^invalid CESQL expression: .*(the limit is|more work than one evaluation)/);
  });

  it.each(filterSets)('POST /lists/{list}/subscriptions with a filter set: %s', async (_name, filters) => {
    const body = `{"sink":"http://127.0.0.1:9/hook","filters":${filtersJson(filters)}}`;
    await refusedFast(() => hub.fetch(`/lists/${LIST}/subscriptions`, { method: 'POST', headers: json, body }), /^\/filters\//);
  });

  it.each(bombs)('POST /lists/{list}/grants: %s', async (_name, expression) => {
    const body = { principal: 'org:cms', filter: expression };
    await refusedFast(() => hub.fetch(`/lists/${LIST}/grants`, { method: 'POST', headers: json, body: JSON.stringify(body) }), /^\/filter$/);
  });

  it.each(filterSets)('POST /lists/{list}/grants with a filter set: %s', async (_name, filters) => {
    const body = `{"principal":"org:cms","filter":${filtersJson(filters)}}`;
    await refusedFast(() => hub.fetch(`/lists/${LIST}/grants`, { method: 'POST', headers: json, body }), /^\/filter\//);
  });

  it.each(bombs)('POST /lists/{list}/access-requests from a principal with no role: %s', async (_name, expression) => {
    const body = { purpose: 'A bomb in a wish', filter: expression };
    await refusedFast(() => asStranger(`/lists/${LIST}/access-requests`, { method: 'POST', headers: json, body: JSON.stringify(body) }), /^\/filter$/);
  });

  it('POST /access-requests/{id}/approve with a hostile narrowing filter: 400, and the request stays pending', async () => {
    const filed = await asStranger(`/lists/${LIST}/access-requests`, { method: 'POST', headers: json, body: JSON.stringify({ purpose: 'An honest wish' }) });
    expect(filed.status).toBe(201);
    const { id } = await filed.json();
    for (const [, expression] of bombs) {
      await refusedFast(() => hub.fetch(`/access-requests/${id}/approve`, { method: 'POST', headers: json, body: JSON.stringify({ filter: expression }) }), /^\/filter$/);
    }
    const requests = (await (await hub.fetch(`/access-requests?list=${LIST}`)).json()).requests as { id: string; status: string }[];
    expect(requests).toEqual([expect.objectContaining({ id, status: 'pending' })]);
  });

  it('stored nothing: no subscription, no grant, no access request with a hostile filter', async () => {
    expect((await (await hub.fetch(`/subscriptions?list=${LIST}`)).json()).subscriptions).toEqual([]);
    expect((await (await hub.fetch(`/lists/${LIST}/grants`)).json()).grants).toEqual([]);
    const requests = (await (await hub.fetch(`/access-requests?list=${LIST}`)).json()).requests as { filter: unknown }[];
    expect(requests.every((r) => r.filter === null || r.filter === undefined)).toBe(true);
    // And the hub still answers a well-formed filter.
    const ok = await hub.fetch(`/lists/${LIST}/events?filter=${encodeURIComponent("type = 'test.changed'")}`);
    expect(ok.status).toBe(200);
    expect((await ok.json()).events).toHaveLength(1);
  });
});
