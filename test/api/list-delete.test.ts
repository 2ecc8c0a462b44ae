import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, createList, makeEvent, publishBatch, startTestHub } from '../helpers/hub.js';
import { Receiver } from '../helpers/receiver.js';
import { type Caller, answer, caller, expectSameAnswer, openSse, post, pull, until } from '../helpers/attacker.js';

/**
 * Issue 12, "DELETE /lists/{list}": the owner (or an admin) deletes a list
 * with everything of it; while it has subscriptions that needs ?force=true.
 * Afterwards the list answers like one that never existed, on every route,
 * and a list re-created under its name continues after the deleted head, so
 * a consumer's kept cursor never names a different event.
 */
describe('DELETE /lists/{list}', () => {
  let hub: TestHub;
  let owner: Caller;
  let consumer: Caller;
  let publisher: Caller;
  let stranger: Caller;
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    hub = await startTestHub({ readRate: '0', egressAllow: '127.0.0.0/8', heartbeatSeconds: '30' });
    owner = await caller(hub, 'org:del-owner');
    consumer = await caller(hub, 'org:del-consumer');
    publisher = await caller(hub, 'org:del-publisher');
    stranger = await caller(hub, 'org:del-stranger');
  });
  afterAll(() => hub.close());

  /** A list with events, a grant, a publisher, a pending request and a declared type. */
  const populated = async (list: string) => {
    await createList(hub, list, { owner: owner.principal, discoverable: true });
    await publishBatch(hub, list, [makeEvent({ id: 'same-id-1' }), makeEvent(), makeEvent()]);
    const grant = await post(owner, `/lists/${list}/grants`, { principal: consumer.principal });
    await post(owner, `/lists/${list}/publishers`, { principal: publisher.principal });
    const request = await post(stranger, `/lists/${list}/access-requests`, { purpose: 'We would like to read it' });
    await post(owner, `/lists/${list}/types/test.changed`, { title: 'Changed' }, 'PUT');
    return { grant: grant.id as string, request: request.id as string };
  };

  it('the owner deletes a list: streams close, and everything of it answers like something that never existed', async () => {
    const list = 'del-people';
    const { grant, request } = await populated(list);
    const s = await openSse(consumer, `/lists/${list}/events`);
    await until(() => s.events().length === 3, 5000, 'the replay');

    const res = await owner.fetch(`/lists/${list}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    await until(() => s.ended() !== undefined, 2000, 'the stream to close');

    const gone = 'del-never-was';
    for (const [who, path] of [
      [hub, `/lists/${list}`],
      [hub, `/lists/${list}/events`],
      [hub, `/lists/${list}/events/1`],
      [hub, `/lists/${list}/grants`],
      [hub, `/lists/${list}/publishers`],
      [hub, `/lists/${list}/types`],
      [owner, `/lists/${list}`],
      [consumer, `/lists/${list}/events`],
      [stranger, `/lists/${list}`],
    ] as const) {
      expectSameAnswer(await answer(await who.fetch(path)), await answer(await who.fetch(path.replace(list, gone))), [list, gone], `GET ${path} after the delete`);
    }
    expect((await publishBatch(hub, list, [makeEvent()])).status).toBe(404);
    expect((await hub.fetch('/lists').then((r) => r.json())).lists.map((l: { name: string }) => l.name)).not.toContain(list);
    expect((await hub.fetch(`/grants/${grant}`)).status).toBe(404);
    expect((await hub.fetch(`/access-requests/${request}`)).status).toBe(404);
    expect((await consumer.fetch('/grants').then((r) => r.json())).grants.filter((g: { list: string }) => g.list === list)).toEqual([]);

    // Announced on the system list, naming who deleted it.
    const system = await pull(hub as unknown as Caller, '/lists/herold.system/events?type=herold.list.deleted');
    expect(system.at(-1)).toMatchObject({ subject: `lists/${list}`, data: { list, by: owner.principal, head: '3', subscriptions: 0 } });
  });

  it('re-created under the same name, the list continues after the deleted head and starts empty', async () => {
    const list = 'del-recreated';
    await populated(list);
    expect((await owner.fetch(`/lists/${list}`, { method: 'DELETE' })).status).toBe(204);
    await createList(hub, list, { owner: owner.principal });
    expect((await (await hub.fetch(`/lists/${list}`)).json()).head).toBe('3');
    expect(await pull(hub as unknown as Caller, `/lists/${list}/events`)).toEqual([]);
    // The same event as before is new again, and gets a seq no consumer has seen.
    const published = await publishBatch(hub, list, [makeEvent({ id: 'same-id-1' })]);
    expect((await published.json()).results).toEqual([{ seq: '4', duplicate: false }]);
    // Nothing of the old list came back: no roles, no grants, no declared types.
    expect((await consumer.fetch(`/lists/${list}/events`)).status).toBe(404);
    expect((await (await hub.fetch(`/lists/${list}/types`)).json()).declared ?? []).toEqual([]);
  });

  it('refuses with 409 while subscriptions exist; ?force=true deletes them with the list', async () => {
    const list = 'del-subscribed';
    await populated(list);
    const rx = await Receiver.start();
    try {
      const sub = (await post(consumer, `/lists/${list}/subscriptions`, { sink: rx.url, config: { start: '0' } })).id as string;
      await rx.waitFor((r) => r.received.length >= 3);
      const refused = await owner.fetch(`/lists/${list}`, { method: 'DELETE' });
      expect(refused.status).toBe(409);
      expect(await refused.json()).toMatchObject({ subscriptions: 1 });
      expect((await (await hub.fetch(`/lists/${list}`)).json()).head).toBe('3');

      expect((await owner.fetch(`/lists/${list}?force=true`, { method: 'DELETE' })).status).toBe(204);
      expect((await hub.fetch(`/subscriptions/${sub}`)).status).toBe(404);
      // Its worker stopped: nothing more is delivered for it.
      expect(hub.running.dispatcher.position(sub)).toBeUndefined();
      expect(rx.received.length).toBe(3);
    } finally {
      await rx.close();
    }
  });

  it("an attacker's probes: a stranger's delete answers like a missing list; a consumer or publisher may not; nobody deletes herold.system", async () => {
    const list = 'del-probed';
    await populated(list);
    const missing = 'del-no-such-list';
    expectSameAnswer(await answer(await stranger.fetch(`/lists/${list}`, { method: 'DELETE' })), await answer(await stranger.fetch(`/lists/${missing}`, { method: 'DELETE' })), [list, missing], 'DELETE as a stranger');
    expectSameAnswer(
      await answer(await stranger.fetch(`/lists/${list}?force=true`, { method: 'DELETE' })),
      await answer(await stranger.fetch(`/lists/${missing}?force=true`, { method: 'DELETE' })),
      [list, missing],
      'forced DELETE as a stranger',
    );
    expect((await consumer.fetch(`/lists/${list}`, { method: 'DELETE' })).status).toBe(403);
    expect((await publisher.fetch(`/lists/${list}`, { method: 'DELETE' })).status).toBe(403);
    expect((await hub.fetch(`/lists/${missing}`, { method: 'DELETE' })).status).toBe(404);
    // Nothing changed.
    expect((await (await hub.fetch(`/lists/${list}`)).json()).head).toBe('3');
    expect((await pull(consumer, `/lists/${list}/events`)).length).toBe(3);
    const system = await hub.fetch('/lists/herold.system', { method: 'DELETE' });
    expect(system.status).toBe(403);
    expect((await hub.fetch('/lists/herold.system')).status).toBe(200);
    expect((await hub.fetch(`/lists/${list}?force=maybe`, { method: 'DELETE', headers: json })).status).toBe(400);
  });
});
