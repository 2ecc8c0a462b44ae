import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeroldClient } from '../../src/client/index.js';
import { ADMIN_KEY, type TestHub, createList, makeEvent, publishBatch, startTestHub } from '../helpers/hub.js';

const json = { 'content-type': 'application/json' };

/** Searching the audit log for a person is processing personal data too: every search is recorded, and admins can read the record. */
describe('audit searches are recorded', () => {
  let hub: TestHub;
  let ownerKey: string;
  let otherOwnerKey: string;
  beforeAll(async () => {
    hub = await startTestHub({ readRate: '0', publishRate: '0' });
    const key = async (principal: string) => (await (await hub.fetch('/api-keys', { method: 'POST', headers: json, body: JSON.stringify({ principal }) })).json()).key as string;
    ownerKey = await key('org:owner');
    otherOwnerKey = await key('org:other');
    await createList(hub, 'people', { owner: 'org:owner' });
    await createList(hub, 'others', { owner: 'org:other' });
    await publishBatch(hub, 'people', [makeEvent({ subject: 'person/42' }), makeEvent({ subject: 'person/7' })]);
    await hub.fetch('/lists/people/events');
    await hub.running.app.deps.audit.flush();
  });
  afterAll(() => hub.close());

  const as = (key: string, path: string) => hub.fetch(path, { headers: { authorization: `Bearer ${key}` } });
  const searches = async (query = '') => {
    const res = await hub.fetch(`/audit/searches${query}`);
    expect(res.status).toBe(200);
    return (await res.json()).searches as Record<string, unknown>[];
  };

  it('records who searched for which subject, when, over which window and what it found; newest first', async () => {
    const before = Date.now();
    const first = await as(ownerKey, '/audit?list=people&subject=person/42');
    expect(first.status).toBe(200);
    expect((await first.json()).deliveries).toHaveLength(1);
    const windowed = await as(ownerKey, '/audit?list=people&subject=person/7&since=2026-01-01T00:00:00Z&until=2099-01-01T00:00:00Z');
    expect(windowed.status).toBe(200);
    expect((await hub.fetch('/audit?list=people&subject=person/404')).status).toBe(200);
    const after = Date.now();

    const all = await searches();
    expect(all.map((s) => [s.principal, s.list, s.subject, s.since, s.until, s.results])).toEqual([
      ['admin', 'people', 'person/404', null, null, 0],
      ['org:owner', 'people', 'person/7', '2026-01-01T00:00:00.000Z', '2099-01-01T00:00:00.000Z', 1],
      ['org:owner', 'people', 'person/42', null, null, 1],
    ]);
    for (const s of all) {
      expect(Date.parse(s.at as string)).toBeGreaterThanOrEqual(before - 1);
      expect(Date.parse(s.at as string)).toBeLessThanOrEqual(after + 1);
    }
    // Filters: by searcher, list, time made, and a limit.
    expect((await searches('?principal=org:owner')).map((s) => s.subject)).toEqual(['person/7', 'person/42']);
    expect((await searches('?list=others')).length).toBe(0);
    expect((await searches('?limit=1')).map((s) => s.subject)).toEqual(['person/404']);
    expect((await searches(`?since=${new Date(after + 60_000).toISOString()}`)).length).toBe(0);
    // The typed client reads the same.
    const client = new HeroldClient({ url: hub.url, key: ADMIN_KEY });
    expect((await client.auditSearches({ principal: 'admin' })).map((s) => s.subject)).toEqual(['person/404']);
  });

  it('a refused search reads nothing and is not recorded; the record itself is for admins only', async () => {
    const count = (await searches()).length;
    // Not the owner of 'people': answered like a list that does not exist.
    expect((await as(otherOwnerKey, '/audit?list=people&subject=person/42')).status).toBe(404);
    expect((await searches()).length).toBe(count);
    // Searching adds no row to the audit log of deliveries: its counts are what they were.
    const deliveries = (await (await hub.fetch('/audit?list=people')).json()).records.length;
    await as(ownerKey, '/audit?list=people&subject=person/42');
    expect((await (await hub.fetch('/audit?list=people')).json()).records.length).toBe(deliveries);
    expect((await searches()).length).toBe(count + 1);
    // Owners may search, but not read who searched.
    expect((await as(ownerKey, '/audit/searches')).status).toBe(403);
    expect((await hub.fetch('/audit/searches?since=yesterday')).status).toBe(400);
    expect((await hub.fetch('/audit/searches', { auth: false })).status).toBe(401);
  });
});
