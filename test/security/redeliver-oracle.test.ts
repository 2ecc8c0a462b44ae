import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, createList, makeEvent, publishBatch, startTestHub } from '../helpers/hub.js';
import { Receiver } from '../helpers/receiver.js';
import { type Caller, caller, post } from '../helpers/attacker.js';

/**
 * Issue 10, "Redeliver counts hidden events": `POST /subscriptions/{id}/redeliver`
 * counted events outside the owner's row filter, and with a PUT of the
 * subscription's filter that was a one-bit oracle on any hidden event. A
 * redelivery counts (and sends) only what the subscription would deliver
 * under its owner's scope, so a hidden event counts exactly like a seq that
 * does not exist.
 */
describe('redeliver counts only what the owner may see', () => {
  let hub: TestHub;
  let rx: Receiver;
  let consumer: Caller;
  let sub = '';
  const list = 'registry';
  // seq: subject (the consumer's grant is person/1 only)
  const subjects = ['person/1', 'person/2', 'person/1', 'person/2', 'person/2'];
  const visible = ['1', '3'];
  const hidden = [2, 4, 5];
  const missing = 999;

  beforeAll(async () => {
    rx = await Receiver.start();
    hub = await startTestHub({ readRate: '0', egressAllow: '127.0.0.0/8' });
    await createList(hub, list);
    consumer = await caller(hub, 'org:one-subject');
    await post(hub, `/lists/${list}/grants`, { principal: consumer.principal, filter: "subject = 'person/1'" });
    expect((await publishBatch(hub, list, subjects.map((subject, i) => makeEvent({ subject, data: { secret: `s${i + 1}` } })))).status).toBe(201);
    // From the head: nothing is delivered until asked for.
    sub = (await post(consumer, `/lists/${list}/subscriptions`, { sink: rx.url, config: { start: 'head' } })).id as string;
  });
  afterAll(async () => {
    await hub.close();
    await rx.close();
  });

  const redeliver = async (body: unknown) => {
    const res = await consumer.fetch(`/subscriptions/${sub}/redeliver`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text };
  };
  const setFilters = async (filters: unknown[] | undefined) => {
    const res = await consumer.fetch(`/subscriptions/${sub}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sink: rx.url, config: { start: 'head' }, ...(filters && { filters }) }) });
    expect(res.status, await res.text()).toBe(200);
  };

  it('a range counts only the events in the grant, and only those are sent', async () => {
    const got = await redeliver({ from: '1', to: '5' });
    expect(got).toEqual({ status: 202, body: JSON.stringify({ redelivering: 2 }) });
    await rx.waitFor((r) => r.received.length >= 2);
    // A visible event published now is delivered after the redelivered ones were read.
    await publishBatch(hub, list, [makeEvent({ subject: 'person/1' })]);
    await rx.waitFor((r) => r.events().some((e) => e.heroldseq === '6'));
    expect(rx.events().map((e) => e.heroldseq).sort()).toEqual([...visible, '6'].sort());
    expect(JSON.stringify(rx.events())).not.toMatch(/person\/2|"s2"|"s4"|"s5"/);
  });

  it('seqs: a hidden event counts like a missing one (0), a visible one counts', async () => {
    const missingAnswer = await redeliver({ seqs: [String(missing)] });
    expect(missingAnswer).toEqual({ status: 202, body: JSON.stringify({ redelivering: 0 }) });
    for (const seq of hidden) expect(await redeliver({ seqs: [String(seq)] }), `hidden seq ${seq}`).toEqual(missingAnswer);
    expect(await redeliver({ seqs: hidden.map(String) })).toEqual(missingAnswer);
    expect(await redeliver({ seqs: ['1', ...hidden.map(String)] })).toEqual({ status: 202, body: JSON.stringify({ redelivering: 1 }) });
  });

  it('with a PUT of the filter there is no one-bit oracle: every guess about a hidden event answers like a missing seq', async () => {
    // The attacker narrows the subscription to a guess and asks whether the hidden event 2 "counts".
    const guesses: unknown[][] = [
      [{ exact: { subject: 'person/2' } }], // right
      [{ exact: { subject: 'person/3' } }], // wrong
      [{ sql: "subject LIKE 'person/%'" }],
      [{ exact: { type: 'test.changed' } }],
    ];
    const answers = new Set<string>();
    for (const filters of guesses) {
      await setFilters(filters);
      for (const seq of [2, missing]) {
        answers.add(JSON.stringify(await redeliver({ seqs: [String(seq)] })));
        answers.add(JSON.stringify(await redeliver({ from: String(seq), to: String(seq) })));
      }
    }
    expect([...answers]).toEqual([JSON.stringify({ status: 202, body: JSON.stringify({ redelivering: 0 }) })]);
    // The same PUT does narrow what is visible (so the probe could have told): the type filter admits 1 and 3.
    expect(await redeliver({ from: '1', to: '5' })).toEqual({ status: 202, body: JSON.stringify({ redelivering: 2 }) });
    await setFilters([{ exact: { subject: 'person/3' } }]);
    expect(await redeliver({ from: '1', to: '5' })).toEqual({ status: 202, body: JSON.stringify({ redelivering: 0 }) });
    await setFilters(undefined);
  });

  it("another principal's subscription answers like a missing one, with no count", async () => {
    const other = await caller(hub, 'org:snoop');
    const send = (id: string) => other.fetch(`/subscriptions/${id}/redeliver`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: '1', to: '5' }) });
    const missingId = 'sub_' + '0'.repeat(32);
    const a = await send(sub);
    const b = await send(missingId);
    expect(a.status).toBe(404);
    expect((await a.text()).replace(sub, '<id>')).toBe((await b.text()).replace(missingId, '<id>'));
  });
});
