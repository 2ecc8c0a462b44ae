import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, createList, makeEvent, publishBatch, startTestHub } from '../helpers/hub.js';
import { type Caller, answer, caller, expectSameAnswer, ndjson, post, pull } from '../helpers/attacker.js';

/**
 * Issue 12, "GET /usage": events delivered per day, principal, list and
 * channel, computed from the audit rows — the basis of volume-based
 * agreements. Admins see every list, an owner only its own; naming a list it
 * does not own answers like a list that does not exist.
 */
describe('GET /usage', () => {
  let hub: TestHub;
  let ownerA: Caller;
  let ownerB: Caller;
  let consumer: Caller;

  beforeAll(async () => {
    hub = await startTestHub({ readRate: '0' });
    ownerA = await caller(hub, 'org:usage-a');
    ownerB = await caller(hub, 'org:usage-b');
    consumer = await caller(hub, 'org:usage-consumer');
    await createList(hub, 'usage-a', { owner: ownerA.principal });
    await createList(hub, 'usage-b', { owner: ownerB.principal });
    await publishBatch(hub, 'usage-a', [makeEvent(), makeEvent(), makeEvent({ type: 'other' })]);
    await publishBatch(hub, 'usage-b', [makeEvent(), makeEvent()]);
    await post(hub, '/lists/usage-a/grants', { principal: consumer.principal, filter: "type = 'test.changed'" });
    await post(hub, '/lists/usage-b/grants', { principal: consumer.principal });
    expect(await pull(consumer, '/lists/usage-a/events?limit=1')).toHaveLength(1);
    // Seq 3 is not for this consumer: not delivered, not counted.
    expect(await pull(consumer, '/lists/usage-a/events?after=1')).toHaveLength(1);
    expect(await ndjson(consumer, '/lists/usage-b/events')).toHaveLength(2);
    await hub.running.app.deps.audit.flush();
  });
  afterAll(() => hub.close());

  const today = new Date().toISOString().slice(0, 10);
  const usageOf = async (who: Caller | TestHub, query = '') => {
    const res = await who.fetch(`/usage${query}`);
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()).usage as Record<string, unknown>[];
  };

  it('an admin sees events delivered per day, principal, list and channel', async () => {
    expect(await usageOf(hub, `?principal=${consumer.principal}`)).toEqual([
      { day: today, principal: consumer.principal, list: 'usage-a', channel: 'pull', events: 2 },
      { day: today, principal: consumer.principal, list: 'usage-b', channel: 'ndjson', events: 2 },
    ]);
    // A time window: nothing was delivered before today.
    expect(await usageOf(hub, `?principal=${consumer.principal}&until=${today}T00:00:00Z`)).toEqual([]);
    expect(await usageOf(hub, `?list=usage-b&since=${today}T00:00:00Z`)).toEqual([{ day: today, principal: consumer.principal, list: 'usage-b', channel: 'ndjson', events: 2 }]);
  });

  it('an owner sees only its lists; another list answers like a missing one; consumers may not ask', async () => {
    expect((await usageOf(ownerA)).map((u) => u.list)).toEqual(['usage-a']);
    expect((await usageOf(ownerB, `?principal=${consumer.principal}`)).map((u) => u.list)).toEqual(['usage-b']);
    expectSameAnswer(await answer(await ownerA.fetch('/usage?list=usage-b')), await answer(await ownerA.fetch('/usage?list=no-such-list')), ['usage-b', 'no-such-list'], 'usage of a list owned by another');
    expect((await consumer.fetch('/usage')).status).toBe(403);
    expect((await hub.fetch('/usage', { auth: false })).status).toBe(401);
  });

  it('a bad time is a 400 naming the parameter', async () => {
    const res = await hub.fetch('/usage?since=yesterday');
    expect(res.status).toBe(400);
    expect((await res.json()).errors).toEqual([expect.objectContaining({ pointer: '/querystring/since' })]);
  });
});
