import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, createList, makeEvent, publishBatch, startTestHub } from '../helpers/hub.js';
import { gql, type GqlResult } from '../helpers/graphql.js';

const json = { 'content-type': 'application/json' };

interface Page {
  nodes: { eventid: string }[];
  pageInfo: { endCursor: string; hasNextPage: boolean };
}

/** `order: DESC`: newest first, through the hub's scoped backward read (readBefore). */
describe('GraphQL events(order: DESC)', () => {
  let hub: TestHub;
  let consumer = '';
  const N = 2500; // more than one backward window (1000 seqs)

  beforeAll(async () => {
    hub = await startTestHub({ readRate: '0' });
    await createList(hub, 'log');
    for (let b = 0; b < N / 500; b++) {
      await publishBatch(hub, 'log', Array.from({ length: 500 }, (_, i) => makeEvent({ kommune: (b * 500 + i) % 7 === 0 ? '0301' : '0101', niveau: String((b * 500 + i) % 3) })));
    }
    consumer = (await (await hub.fetch('/api-keys', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:desc' }) })).json()).key;
    // The consumer sees every 7th event (seq 1, 8, 15, ...), without `niveau`.
    await hub.fetch('/lists/log/grants', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:desc', filter: "kommune = '0301'", fields: ['subject', 'kommune'] }) });
  });
  afterAll(() => hub.close());

  const page = async (args: string, key?: string) => {
    const r = await gql(hub.url, `{ events(list: "log", order: DESC, ${args}) { nodes { eventid } pageInfo { endCursor hasNextPage } } }`, undefined, key);
    expect(r.body.errors, JSON.stringify(r.body.errors)).toBeUndefined();
    return r.body.data!.events as Page;
  };
  const all = async (args: string, first: number, key?: string) => {
    const seen: string[] = [];
    let after = '';
    for (let i = 0; i < 200; i++) {
      const p = await page(`first: ${first}${after ? `, after: "${after}"` : ''}${args ? `, ${args}` : ''}`, key);
      seen.push(...p.nodes.map((n) => n.eventid));
      if (!p.pageInfo.hasNextPage) return seen;
      after = p.pageInfo.endCursor;
    }
    throw new Error('did not end');
  };
  const seqs = (pred: (seq: number) => boolean) => Array.from({ length: N }, (_, i) => N - i).filter(pred).map(String);

  it('pages newest first, across windows, to the start of the log', async () => {
    const first = await page('first: 3');
    expect(first.nodes.map((n) => n.eventid)).toEqual(['2500', '2499', '2498']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const next = await page(`first: 2, after: "${first.pageInfo.endCursor}"`);
    expect(next.nodes.map((n) => n.eventid)).toEqual(['2497', '2496']);
    // A plain eventid works as after, too: the events below it.
    expect((await page('first: 2, after: "11"')).nodes.map((n) => n.eventid)).toEqual(['10', '9']);
    expect(await all('', 700)).toEqual(seqs(() => true));
  });

  it("applies the grant and the caller's filter inside the read: pages are full, newest first", async () => {
    const visible = seqs((s) => (s - 1) % 7 === 0);
    expect(await all('', 50, consumer)).toEqual(visible);
    const p = await page('first: 4', consumer);
    expect(p.nodes.map((n) => n.eventid)).toEqual(visible.slice(0, 4));
    // where, with eventid bounds read range by range from the top.
    expect(await all('where: {ext: [{name: "niveau", eq: "1"}], eventid: {gt: "2000", lte: "2100"}}', 7)).toEqual(seqs((s) => s > 2000 && s <= 2100 && (s - 1) % 3 === 1));
    expect((await page('first: 10, where: {eventid: {in: ["3", "1200", "2400", "9999"]}}')).nodes.map((n) => n.eventid)).toEqual(['2400', '1200', '3']);
    // A commit-time window: the same events as in log order, reversed, and the last page says so.
    const t = ((await (await hub.fetch('/lists/log/events/1800')).json()) as { heroldtime: string }).heroldtime;
    const asc = await gql(hub.url, `{ events(list: "log", first: 1000, where: {heroldtime: {gte: "${t}"}}) { nodes { eventid } } }`);
    const window = (asc.body.data!.events as Page).nodes.map((n) => n.eventid);
    expect(window.length).toBeGreaterThan(0);
    expect(await all(`where: {heroldtime: {gte: "${t}"}}`, 300)).toEqual(window.reverse());
    // Hidden attributes stay unfilterable in either order.
    const refused = await gql(hub.url, '{ events(list: "log", order: DESC, where: {ext: [{name: "niveau", eq: "1"}]}) { nodes { eventid } } }', undefined, consumer);
    expect((refused.body as GqlResult).errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('audits only the events it serves', async () => {
    const audit = hub.running.app.deps.audit;
    await audit.flush();
    const p = await page('first: 3', consumer);
    expect(p.nodes.map((n) => n.eventid)).toEqual(['2500', '2493', '2486']);
    await audit.flush();
    const records = (await (await hub.fetch('/audit?principal=org:desc&list=log')).json()).records as { firstSeq: string; lastSeq: string; count: number }[];
    const last = records.find((r) => String(r.firstSeq) === '2486');
    expect(last).toMatchObject({ count: 3 });
    expect(String(last!.lastSeq)).toBe('2500');
  });
});
