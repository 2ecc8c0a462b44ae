import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, createList, makeEvent, publishBatch, startTestHub } from '../helpers/hub.js';
import { Receiver } from '../helpers/receiver.js';
import { type Answer, type Caller, answer, caller, ndjson, openSse, post, pull } from '../helpers/attacker.js';

/**
 * Issue 10, "Filter oracle on minimised attributes": a consumer whose grant
 * serves [id, type, subject] recovered a hidden national identity number
 * (`fnr`) by guessing it in `?filter=`. A caller's own filter may test only
 * attributes its grant serves; anything else is a 400 naming the attribute,
 * the same on every door, before any stream starts, and the answer is the
 * same whether the guess is right or wrong.
 */
const FNR = '01019000003';
const WRONG = '01019000004';

describe('filter oracle on minimised attributes', () => {
  let hub: TestHub;
  let rx: Receiver;
  let consumer: Caller;
  let blind: Caller;
  const list = 'people';

  beforeAll(async () => {
    rx = await Receiver.start();
    hub = await startTestHub({ readRate: '0', egressAllow: '127.0.0.0/8' });
    await createList(hub, list);
    consumer = await caller(hub, 'org:consumer');
    blind = await caller(hub, 'org:blind');
    await post(hub, `/lists/${list}/grants`, { principal: consumer.principal, fields: ['id', 'type', 'subject'] });
    // Not even the subject is served to this one.
    await post(hub, `/lists/${list}/grants`, { principal: blind.principal, fields: ['id', 'type'] });
    const res = await publishBatch(hub, list, [
      makeEvent({ subject: 'person/1', fnr: FNR, data: { name: 'Ada' } }),
      makeEvent({ subject: 'person/2', fnr: '02029000004', data: { name: 'Bob' } }),
    ]);
    expect(res.status).toBe(201);
  });
  afterAll(async () => {
    await hub.close();
    await rx.close();
  });

  const doors: [string, Record<string, string>][] = [
    ['pull', {}],
    ['NDJSON', { accept: 'application/x-ndjson' }],
    ['SSE', { accept: 'text/event-stream' }],
  ];
  const read = async (who: Caller, query: string, headers: Record<string, string>) => answer(await who.fetch(`/lists/${list}/events?${query}`, { headers }));
  const q = (expr: string) => `filter=${encodeURIComponent(expr)}`;

  function expectRefusal(a: Answer, attribute: string, pointer: string, what: string) {
    expect(a.status, `${what}: ${a.body}`).toBe(400);
    expect(a.contentType, what).toContain('application/problem+json');
    expect(a.problem?.type, what).toMatch(/invalid-request$/);
    expect(a.problem?.detail, what).toContain(`'${attribute}'`);
    expect(a.problem?.errors, what).toEqual([{ pointer, message: `'${attribute}' is not served by your grant` }]);
  }

  it('the grant minimises: no door serves fnr or data (the control for what follows)', async () => {
    const events = [...(await pull(consumer, `/lists/${list}/events`)), ...(await ndjson(consumer, `/lists/${list}/events`))];
    const sse = await openSse(consumer, `/lists/${list}/events`);
    while (sse.events().length < 2) await new Promise((r) => setTimeout(r, 10));
    sse.close();
    events.push(...sse.events());
    expect(events).toHaveLength(6);
    const served = new Set(['specversion', 'id', 'source', 'type', 'subject', 'heroldseq', 'heroldprevseq', 'heroldtime']);
    for (const e of events) expect(Object.keys(e).filter((k) => !served.has(k))).toEqual([]);
    expect(JSON.stringify(events)).not.toContain(FNR);
    expect(JSON.stringify(events)).not.toContain('Ada');
  });

  it('a filter on a served attribute still works (the probe below could fail)', async () => {
    const events = await pull(consumer, `/lists/${list}/events?${q("subject = 'person/1'")}`);
    expect(events.map((e) => e.subject)).toEqual(['person/1']);
  });

  for (const [door, headers] of doors) {
    it(`${door}: ?filter= on the hidden fnr is a 400 naming it, the same for a right and a wrong guess`, async () => {
      const right = await read(consumer, q(`fnr = '${FNR}'`), headers);
      const wrong = await read(consumer, q(`fnr = '${WRONG}'`), headers);
      expectRefusal(right, 'fnr', '/querystring/filter', door);
      // Identical answers: nothing in them depends on the data.
      expect({ ...right, body: right.body.replace(FNR, '') }).toEqual({ ...wrong, body: wrong.body.replace(WRONG, '') });
      expect(right.body).toBe(wrong.body);
    });

    it(`${door}: hidden attributes cannot be reached in disguise (case, EXISTS, functions, OR with a served one)`, async () => {
      for (const expr of [`FNR = '${FNR}'`, 'EXISTS fnr', `LOWER(fnr) LIKE '0101%'`, `subject = 'person/1' OR fnr = '${FNR}'`, `datacontenttype = 'application/json'`]) {
        const a = await read(consumer, q(expr), headers);
        expect(a.status, `${door} ${expr}: ${a.body}`).toBe(400);
        expect(a.problem?.detail).toMatch(/does not serve the attribute/);
      }
    });

    it(`${door}: ?subject= when the grant does not serve subject is a 400 naming it`, async () => {
      const right = await read(blind, 'subject=person/1', headers);
      const wrong = await read(blind, 'subject=person/9', headers);
      expectRefusal(right, 'subject', '/subject', door);
      expect(right.body).toBe(wrong.body);
      // A filter on it, too.
      expectRefusal(await read(blind, q("subject = 'person/1'"), headers), 'subject', '/querystring/filter', door);
    });
  }

  it('subscription filters: a hidden attribute is a 400 naming it at create, and nothing is stored', async () => {
    const subs = async () => (await (await consumer.fetch('/subscriptions')).json()).subscriptions as unknown[];
    const before = (await subs()).length;
    for (const filters of [[{ exact: { fnr: FNR } }], [{ sql: `fnr = '${FNR}'` }], [{ any: [{ prefix: { subject: 'person/' } }, { prefix: { fnr: '0101' } }] }]]) {
      const res = await consumer.fetch(`/lists/${list}/subscriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sink: rx.url, filters }) });
      const a = await answer(res);
      expectRefusal(a, 'fnr', '/filters', `create ${JSON.stringify(filters)}`);
    }
    // ... and the same answer for a right and a wrong guess.
    const guess = async (v: string) => (await answer(await consumer.fetch(`/lists/${list}/subscriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sink: rx.url, filters: [{ exact: { fnr: v } }] }) }))).body;
    expect(await guess(FNR)).toBe(await guess(WRONG));
    // `subject` for the one that is not served it.
    const blindTry = await answer(await blind.fetch(`/lists/${list}/subscriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sink: rx.url, filters: [{ exact: { subject: 'person/1' } }] }) }));
    expectRefusal(blindTry, 'subject', '/filters', 'create, subject not served');
    expect((await subs()).length).toBe(before);
  });

  it('subscription filters: a hidden attribute is a 400 naming it at PUT, and nothing changes', async () => {
    const created = await post(consumer, `/lists/${list}/subscriptions`, { sink: rx.url, filters: [{ exact: { type: 'test.changed' } }] });
    const id = created.id as string;
    const stored = await (await consumer.fetch(`/subscriptions/${id}`)).json();
    for (const filters of [[{ exact: { fnr: FNR } }], [{ sql: `fnr = '${WRONG}'` }]]) {
      const a = await answer(await consumer.fetch(`/subscriptions/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sink: rx.url, filters }) }));
      expectRefusal(a, 'fnr', '/filters', `PUT ${JSON.stringify(filters)}`);
    }
    expect(await (await consumer.fetch(`/subscriptions/${id}`)).json()).toEqual(stored);
    // A PUT on served attributes is accepted (the refusal above is about the attribute, not PUT).
    const ok = await consumer.fetch(`/subscriptions/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sink: rx.url, filters: [{ exact: { subject: 'person/1' } }] }) });
    expect(ok.status).toBe(200);
  });
});
