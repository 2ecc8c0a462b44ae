import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, createList, makeEvent, publishBatch, startTestHub } from '../helpers/hub.js';

const json = { 'content-type': 'application/json' };

/** GET /lists/{list}/activity: the console's sparkline, counted in the caller's scope and never audited. */
describe('list activity (events per minute)', () => {
  let hub: TestHub;
  const keys: Record<string, string> = {};
  const as = (p: string, path: string) => hub.fetch(path, { headers: { authorization: `Bearer ${keys[p]}` } });

  beforeAll(async () => {
    hub = await startTestHub({ readRate: '0', publishRate: '0' });
    await createList(hub, 'folk', { owner: 'org:owner' });
    await createList(hub, 'secret', { owner: 'org:owner' });
    await hub.fetch('/lists/folk/grants', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:cms', filter: "subject = 'person/42'" }) });
    for (const p of ['org:owner', 'org:cms']) {
      keys[p] = (await (await hub.fetch('/api-keys', { method: 'POST', headers: json, body: JSON.stringify({ principal: p }) })).json()).key;
    }
    await publishBatch(hub, 'folk', [makeEvent({ subject: 'person/42' }), makeEvent({ subject: 'person/7' }), makeEvent({ subject: 'person/42' }), makeEvent({ subject: 'person/8' })]);
  });
  afterAll(() => hub?.close());

  it("counts only the events the caller's grant admits, in the minute they were committed", async () => {
    const owner = await (await as('org:owner', '/lists/folk/activity')).json();
    expect(owner.perMinute).toHaveLength(60);
    expect(owner.perMinute.reduce((a: number, b: number) => a + b, 0)).toBe(4);
    // All in the last minute (or the one before, when the test crossed a minute boundary).
    expect(owner.perMinute[58] + owner.perMinute[59]).toBe(4);
    expect(owner.partial).toBe(false);
    expect(Date.parse(owner.since)).toBeLessThanOrEqual(Date.now() - 59 * 60_000);
    const cms = await (await as('org:cms', '/lists/folk/activity?minutes=5')).json();
    expect(cms.perMinute).toHaveLength(5);
    expect(cms.perMinute.reduce((a: number, b: number) => a + b, 0)).toBe(2);
  });

  it('is not a read of events: no audit row names the caller', async () => {
    await as('org:cms', '/lists/folk/activity');
    await hub.running.app.deps.audit.flush();
    const about42 = await (await as('org:owner', '/audit?list=folk&subject=person/42')).json();
    expect(about42.deliveries).toEqual([]);
  });

  it('answers a hidden list like a missing one, and bad input with problem+json', async () => {
    const hidden = await as('org:cms', '/lists/secret/activity');
    const missing = await as('org:cms', '/lists/nowhere/activity');
    expect(hidden.status).toBe(missing.status);
    expect(await hidden.json()).toMatchObject({ status: missing.status });
    const bad = await as('org:owner', '/lists/folk/activity?minutes=0');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/problem\+json/);
  });
});
