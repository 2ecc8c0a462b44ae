import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, createList, makeEvent, publishBatch, startTestHub } from '../helpers/hub.js';
import { Receiver } from '../helpers/receiver.js';
import { AMQP_URL, Rabbit, rabbitAvailable, unique } from '../amqp/rabbit.js';
import { type Caller, answer, caller, expectSameAnswer, ndjson, openSse, post, pull, until } from '../helpers/attacker.js';

/**
 * Issue 10, "Existence and linkage": a hidden event's 404 differed from a
 * missing one's, `PUT /lists/{hidden}` from `PUT /lists/{missing}`,
 * `heroldprevseq` pointed at a hidden event of the same subject, and a changed
 * grant still got 304. Something a caller may not see answers exactly like
 * something that does not exist, and every link stays within the caller's view.
 */
describe('existence and linkage', () => {
  let hub: TestHub;
  let rx: Receiver;
  let rxBlind: Receiver;
  let consumer: Caller;
  let blind: Caller;
  const list = 'linked';
  // seq: [subject, type]. The consumer's grant hides type 'secret'.
  const log: [string, string][] = [
    ['person/7', 'visible'], // 1
    ['person/7', 'secret'], // 2 hidden
    ['person/8', 'visible'], // 3
    ['person/7', 'secret'], // 4 hidden
    ['person/7', 'visible'], // 5: stored prev is 4, served prev must be 1
  ];
  /** heroldprevseq as the consumer may see it: within its view only. */
  const expectedLinks = { '1': undefined, '3': undefined, '5': '1' };

  beforeAll(async () => {
    rx = await Receiver.start();
    rxBlind = await Receiver.start();
    hub = await startTestHub({ readRate: '0', egressAllow: '127.0.0.0/8' });
    await createList(hub, list);
    await createList(hub, 'hidden-list', { owner: 'org:someone-else' });
    consumer = await caller(hub, 'org:linked');
    blind = await caller(hub, 'org:no-subject');
    await post(hub, `/lists/${list}/grants`, { principal: consumer.principal, filter: "type <> 'secret'" });
    await post(hub, `/lists/${list}/grants`, { principal: blind.principal, filter: "type <> 'secret'", fields: ['id', 'type', 'data'] });
    await post(consumer, `/lists/${list}/subscriptions`, { sink: rx.url, config: { start: '0' } });
    await post(blind, `/lists/${list}/subscriptions`, { sink: rxBlind.url, config: { start: '0' } });
    expect((await publishBatch(hub, list, log.map(([subject, type]) => makeEvent({ subject, type })))).status).toBe(201);
  });
  afterAll(async () => {
    await hub.close();
    await rx.close();
    await rxBlind.close();
  });

  const links = (events: Record<string, unknown>[]) => Object.fromEntries(events.map((e) => [e.heroldseq as string, e.heroldprevseq as string | undefined]));
  const viaSse = async (who: Caller, n: number) => {
    const s = await openSse(who, `/lists/${list}/events`);
    await until(() => s.events().length >= n, 5000, `${n} SSE events`);
    s.close();
    return s.events();
  };
  const viaSingle = async (who: Caller, seqs: string[]) =>
    Promise.all(
      seqs.map(async (seq) => {
        const res = await who.fetch(`/lists/${list}/events/${seq}`);
        expect(res.status).toBe(200);
        return (await res.json()) as Record<string, unknown>;
      }),
    );

  describe('heroldprevseq links within the caller view, on every door', () => {
    it('pull', async () => expect(links(await pull(consumer, `/lists/${list}/events`))).toEqual(expectedLinks));
    it('NDJSON', async () => expect(links(await ndjson(consumer, `/lists/${list}/events`))).toEqual(expectedLinks));
    it('SSE', async () => expect(links(await viaSse(consumer, 3))).toEqual(expectedLinks));
    it('single event', async () => expect(links(await viaSingle(consumer, ['1', '3', '5']))).toEqual(expectedLinks));
    it('webhook', async () => {
      await rx.waitFor((r) => r.received.length >= 3);
      expect(links(rx.events())).toEqual(expectedLinks);
    });
    it.skipIf(!rabbitAvailable)('AMQP', async () => {
      const rabbit = await Rabbit.open();
      try {
        const queue = await rabbit.queue(unique('links'));
        const collector = await rabbit.collect(queue);
        await post(consumer, `/lists/${list}/subscriptions`, { sink: AMQP_URL, protocol: 'AMQP', protocolsettings: { queue }, config: { start: '0', mode: 'structured' } });
        await collector.waitFor(3);
        expect(links(collector.messages.map((m) => JSON.parse(m.content.toString('utf8'))))).toEqual(expectedLinks);
      } finally {
        await rabbit.cleanup();
      }
    });
    it('an owner (no row filter) still gets the stored links (the probe above could tell)', async () => {
      const all = await pull({ ...consumer, fetch: (p, i) => hub.fetch(p, i) }, `/lists/${list}/events`);
      expect(links(all)).toEqual({ '1': undefined, '2': '1', '3': undefined, '4': '2', '5': '4' });
    });
  });

  describe('without subject in the grant there is no heroldprevseq, on every door', () => {
    const none = (events: Record<string, unknown>[]) => {
      expect(events.map((e) => e.heroldseq)).toEqual(['1', '3', '5']);
      for (const e of events) expect(e).not.toHaveProperty('heroldprevseq');
      for (const e of events) expect(e).not.toHaveProperty('subject');
    };
    it('pull', async () => none(await pull(blind, `/lists/${list}/events`)));
    it('NDJSON', async () => none(await ndjson(blind, `/lists/${list}/events`)));
    it('SSE', async () => none(await viaSse(blind, 3)));
    it('single event', async () => none(await viaSingle(blind, ['1', '3', '5'])));
    it('webhook', async () => {
      await rxBlind.waitFor((r) => r.received.length >= 3);
      none(rxBlind.events());
    });
  });

  it("a hidden event's 404 equals a missing one's", async () => {
    for (const who of [consumer, blind]) {
      const missing = await answer(await who.fetch(`/lists/${list}/events/999`));
      expect(missing.status).toBe(404);
      for (const seq of ['2', '4']) {
        expectSameAnswer(await answer(await who.fetch(`/lists/${list}/events/${seq}`)), missing, [seq, '999'], `${who.principal} GET event ${seq}`);
      }
    }
  });

  it('PUT /lists/{hidden} and GET /lists/{hidden} equal the same for a missing list, for a non-admin', async () => {
    const owner = await caller(hub, 'org:owner-elsewhere');
    await post(hub, '/lists/owned-elsewhere', { owner: owner.principal }, 'PUT');
    for (const who of [consumer, blind, owner]) {
      for (const [method, body] of [['PUT', { title: 'mine now' }], ['PUT', {}], ['GET', undefined]] as const) {
        const send = (name: string) => who.fetch(`/lists/${name}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body && JSON.stringify(body) });
        const hidden = await answer(await send('hidden-list'));
        const missing = await answer(await send('no-such-list'));
        expect(hidden.status).toBeGreaterThanOrEqual(400);
        expectSameAnswer(hidden, missing, ['hidden-list', 'no-such-list'], `${who.principal} ${method} /lists/{hidden}`);
      }
    }
    // Nothing changed on the hidden list.
    expect((await (await hub.fetch('/lists/hidden-list')).json()).title).toBeNull();
  });

  it("subscription ids of another principal answer like missing ones on every /subscriptions/{id} route", async () => {
    const victimSub = (await (await consumer.fetch('/subscriptions')).json()).subscriptions[0].id as string;
    const missingId = 'sub_' + 'f'.repeat(32);
    const body = JSON.stringify({ sink: rx.url });
    const routes: [string, string, string?][] = [
      ['GET', ''],
      ['PUT', '', body],
      ['DELETE', ''],
      ['POST', '/enable'],
      ['POST', '/disable', '{}'],
      ['POST', '/secret/rotate', '{}'],
      ['GET', '/attempts'],
      ['GET', '/deadletters'],
      ['POST', '/redeliver', JSON.stringify({ from: '1' })],
    ];
    for (const who of [blind, await caller(hub, 'org:nobody')]) {
      for (const [method, tail, b] of routes) {
        const send = (id: string) => who.fetch(`/subscriptions/${id}${tail}`, { method, headers: b ? { 'content-type': 'application/json' } : {}, body: b });
        const hidden = await answer(await send(victimSub));
        expect(hidden.status, `${method} ${tail}`).toBe(404);
        expectSameAnswer(hidden, await answer(await send(missingId)), [victimSub, missingId], `${who.principal} ${method} /subscriptions/{id}${tail}`);
      }
    }
    // The victim's subscription is untouched.
    expect((await (await consumer.fetch(`/subscriptions/${victimSub}`)).json()).status).toBe('active');
  });

  it('a changed grant changes the ETag: no 304 after a grant change', async () => {
    const reader = await caller(hub, 'org:etag');
    const first = await post(hub, `/lists/${list}/grants`, { principal: reader.principal, filter: "type <> 'secret'" });
    const path = `/lists/${list}/events`;
    const res = await reader.fetch(path);
    const etag = res.headers.get('etag')!;
    expect(etag).toBeTruthy();
    await res.arrayBuffer();
    const again = await reader.fetch(path, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    // Narrowed: the same filter, fewer fields.
    expect((await hub.fetch(`/grants/${first.id}`, { method: 'DELETE' })).status).toBe(204);
    await post(hub, `/lists/${list}/grants`, { principal: reader.principal, filter: "type <> 'secret'", fields: ['id', 'type'] });
    const after = await reader.fetch(path, { headers: { 'if-none-match': etag } });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(etag);
    const events = (await after.json()).events as Record<string, unknown>[];
    for (const e of events) expect(e).not.toHaveProperty('subject');
    // Widened by a second grant: again a new tag.
    const etag2 = after.headers.get('etag')!;
    await post(hub, `/lists/${list}/grants`, { principal: reader.principal, filter: "type = 'secret'" });
    const widened = await reader.fetch(path, { headers: { 'if-none-match': etag2 } });
    expect(widened.status).toBe(200);
    expect(((await widened.json()).events as unknown[]).length).toBe(5);
  });
});
