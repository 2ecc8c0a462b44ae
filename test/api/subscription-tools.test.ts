import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, createList, makeEvent, publishBatch, startTestHub } from '../helpers/hub.js';
import { Receiver } from '../helpers/receiver.js';
import { type Caller, answer, caller, expectSameAnswer, post, pull } from '../helpers/attacker.js';

/**
 * Issue 12, "Lifecycle routes": redelivery by commit time (`{since, until}`)
 * and a test event sent to the sink, answered with the attempt. Another
 * principal's subscription answers both exactly like a missing one.
 */
describe('redelivery by time and test events', () => {
  let hub: TestHub;
  let rx: Receiver;
  let stranger: Caller;
  let sub: string;
  const list = 'sub-tools';
  const json = { 'content-type': 'application/json' };
  const redeliver = (body: unknown, who: Caller | TestHub = hub, id = sub) => who.fetch(`/subscriptions/${id}/redeliver`, { method: 'POST', headers: json, body: JSON.stringify(body) });

  beforeAll(async () => {
    hub = await startTestHub({ readRate: '0', egressAllow: '127.0.0.0/8' });
    rx = await Receiver.start();
    stranger = await caller(hub, 'org:sub-stranger');
    await createList(hub, list);
    for (const batch of ['a', 'b', 'c']) {
      // Each batch commits at a later millisecond than the one before.
      const before = Date.now();
      while (Date.now() <= before) await new Promise((r) => setTimeout(r, 1));
      await publishBatch(hub, list, [makeEvent({ subject: batch }), makeEvent({ subject: batch })]);
    }
    sub = (await post(hub, `/lists/${list}/subscriptions`, { sink: rx.url, config: { start: 'head' } })).id as string;
  });
  afterAll(async () => {
    await hub.close();
    await rx.close();
  });

  it('redelivers the events committed in a time window (since inclusive, until exclusive)', async () => {
    const events = await pull(hub as unknown as Caller, `/lists/${list}/events`);
    const b = events.filter((e) => e.subject === 'b');
    const c = events.filter((e) => e.subject === 'c');
    const res = await redeliver({ since: b[0].heroldtime, until: c[0].heroldtime });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ redelivering: 2 });
    await rx.waitFor((r) => r.received.length >= 2);
    expect(rx.events().map((e) => e.heroldseq)).toEqual(b.map((e) => e.heroldseq));
    // Only since: to the head.
    expect(await (await redeliver({ since: c[0].heroldtime })).json()).toEqual({ redelivering: 2 });
    // Only until: from the start.
    expect(await (await redeliver({ until: b[0].heroldtime })).json()).toEqual({ redelivering: 2 });
    await rx.waitFor((r) => r.received.length >= 6);
    expect(rx.events().slice(2).map((e) => e.subject).sort()).toEqual(['a', 'a', 'c', 'c']);
  });

  it('refuses a bad time or two forms at once, and redelivers nothing', async () => {
    const before = rx.received.length;
    const bad = await redeliver({ since: 'yesterday' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors).toEqual([expect.objectContaining({ pointer: '/since' })]);
    expect((await redeliver({ since: '2026-01-01T00:00:00Z', from: '1' })).status).toBe(400);
    expect((await redeliver({ until: '2026-02-30T00:00:00Z' })).status).toBe(400);
    // A window with nothing in it.
    expect(await (await redeliver({ until: '2000-01-01T00:00:00Z' })).json()).toEqual({ redelivering: 0 });
    expect(rx.received.length).toBe(before);
  });

  it('POST /subscriptions/{id}/test sends a signed herold.test event and answers with the attempt', async () => {
    rx.respond = () => ({ status: 200, body: 'thanks, got it' });
    const res = await hub.fetch(`/subscriptions/${sub}/test`, { method: 'POST' });
    expect(res.status).toBe(200);
    const attempt = await res.json();
    expect(attempt).toMatchObject({ outcome: 'success', status: 200, response: 'thanks, got it', error: null });
    expect(attempt.latencyMs).toBeGreaterThanOrEqual(0);
    await rx.waitFor((r) => r.events().some((e) => e.id === attempt.id));
    const got = rx.received.find((r) => JSON.parse(r.body).id === attempt.id)!;
    expect(JSON.parse(got.body)).toMatchObject({ type: 'herold.test', source: '/herold', subject: `subscriptions/${sub}`, data: { subscription: sub, list } });
    expect(got.headers['webhook-signature']).toMatch(/^v1,/);
    expect(got.headers['webhook-id']).toBe(attempt.id);

    rx.respond = () => ({ status: 503, body: 'down for maintenance' });
    const failed = await (await hub.fetch(`/subscriptions/${sub}/test`, { method: 'POST' })).json();
    expect(failed).toMatchObject({ outcome: 'retry', status: 503, response: 'down for maintenance' });
    rx.respond = () => ({ status: 200 });
    // A test is not a delivery: the subscription's position and dead letters are untouched.
    const view = await (await hub.fetch(`/subscriptions/${sub}`)).json();
    expect(view.status).toBe('active');
    expect((await (await hub.fetch(`/subscriptions/${sub}/deadletters`)).json()).deadletters ?? []).toEqual([]);
  });

  it("another principal's subscription answers test and redelivery exactly like a missing one", async () => {
    const missing = 'sub_' + '0'.repeat(32);
    const before = rx.received.length;
    expectSameAnswer(await answer(await stranger.fetch(`/subscriptions/${sub}/test`, { method: 'POST' })), await answer(await stranger.fetch(`/subscriptions/${missing}/test`, { method: 'POST' })), [sub, missing], 'test');
    expectSameAnswer(await answer(await redeliver({ since: '2026-01-01T00:00:00Z' }, stranger)), await answer(await redeliver({ since: '2026-01-01T00:00:00Z' }, stranger, missing)), [sub, missing], 'redeliver by time');
    expect(rx.received.length).toBe(before);
  });
});
