import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, createList, makeEvent, publishBatch, publishStructured, startTestHub } from '../helpers/hub.js';
import { AMQP_URL, Rabbit, bodyData, rabbitAvailable, unique, until, wait, teardown } from './rabbit.js';

/**
 * AMQP delivery (protocol "AMQP") against the real RabbitMQ, through the
 * hub's HTTP API: targets, content modes, header styles, persistence,
 * confirms, unroutable messages, checks at creation, filters and ordering.
 */
describe.skipIf(!rabbitAvailable)('AMQP delivery', () => {
  let hub: TestHub;
  let rabbit: Rabbit;
  let n = 0;
  beforeAll(async () => {
    hub = await startTestHub({ egressAllow: '127.0.0.0/8', origin: `amqp-delivery-${randomBytes(3).toString('hex')}.localhost` });
    rabbit = await Rabbit.open();
  });
  afterAll(async () => {
    await teardown(
      () => hub?.close(),
      () => rabbit?.cleanup(),
    );
  });

  async function freshList(): Promise<string> {
    const list = `amqp${++n}`;
    await createList(hub, list);
    return list;
  }

  async function subscribe(list: string, body: Record<string, unknown>, expectStatus = 201) {
    const res = await hub.fetch(`/lists/${list}/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sink: AMQP_URL, protocol: 'AMQP', ...body }),
    });
    const json = await res.json();
    expect(res.status, JSON.stringify(json)).toBe(expectStatus);
    return json;
  }

  const get = async (id: string) => (await hub.fetch(`/subscriptions/${id}`)).json();

  it('delivers into an exchange with the event type as routing key: binary mode, cloudEvents_ properties, persistent, confirmed', async () => {
    const list = await freshList();
    const exchange = await rabbit.exchange(unique('x'));
    const queue = await rabbit.queue(unique('q'));
    await rabbit.bind(queue, exchange, 'person.*');
    const rx = await rabbit.collect(queue);
    const sub = await subscribe(list, { protocolsettings: { exchange } });
    expect(sub.config.mode).toBe('binary');
    expect(sub.secret).toBeUndefined();

    const ev = makeEvent({ type: 'person.changed', subject: 'person/123', data: { id: 123, name: 'Ada' }, myext: 'x', count: 7, flag: true });
    expect((await publishStructured(hub, list, ev)).status).toBe(201);
    await publishStructured(hub, list, makeEvent({ type: 'order.created' })); // routed nowhere by the binding: retried, not delivered here
    await rx.waitFor(1);
    const m = rx.messages[0];
    expect(m.fields.exchange).toBe(exchange);
    expect(m.fields.routingKey).toBe('person.changed');
    expect(m.properties.deliveryMode).toBe(2);
    expect(m.properties.contentType).toBe('application/json');
    expect(m.properties.messageId).toMatch(/^msg_/);
    expect(m.properties.appId).toBe('herold');
    expect(rx.attributes(0)).toEqual({
      specversion: '1.0',
      id: ev.id,
      source: ev.source,
      type: 'person.changed',
      subject: 'person/123',
      time: ev.time,
      myext: 'x',
      count: 7,
      flag: true,
      heroldseq: '1',
      heroldtime: expect.any(String),
    });
    expect(rx.header(0, 'cloudEvents_datacontenttype')).toBeUndefined();
    expect(bodyData(m)).toEqual({ id: 123, name: 'Ada' });
    // The position moved over the confirmed event.
    await until(async () => (await get(sub.id)).position === '1' || (await get(sub.id)).position === '2', 5000, 'position');
  });

  it('uses protocolsettings.routingkey when given, and the ce- header style on request', async () => {
    const list = await freshList();
    const exchange = await rabbit.exchange(unique('x'), 'direct');
    const queue = await rabbit.queue(unique('q'));
    await rabbit.bind(queue, exchange, 'fixed.key');
    const rx = await rabbit.collect(queue);
    await subscribe(list, { protocolsettings: { exchange, routingkey: 'fixed.key', style: 'ce' } });
    const ev = makeEvent({ count: 42, flag: false });
    await publishStructured(hub, list, ev);
    await rx.waitFor(1);
    expect(rx.messages[0].fields.routingKey).toBe('fixed.key');
    const attrs = rx.attributes(0, 'ce-');
    expect(attrs).toMatchObject({ specversion: '1.0', id: ev.id, type: ev.type, count: '42', flag: 'false', heroldseq: '1' });
    expect(rx.attributes(0)).toEqual({});
  });

  it('delivers straight into a queue in structured mode', async () => {
    const list = await freshList();
    const queue = await rabbit.queue(unique('q'));
    const rx = await rabbit.collect(queue);
    await subscribe(list, { protocolsettings: { queue, mode: 'structured' } });
    const ev = makeEvent();
    await publishStructured(hub, list, ev);
    await rx.waitFor(1);
    const m = rx.messages[0];
    expect(m.fields.exchange).toBe('');
    expect(m.fields.routingKey).toBe(queue);
    expect(m.properties.contentType).toBe('application/cloudevents+json; charset=utf-8');
    expect(m.properties.deliveryMode).toBe(2);
    expect(JSON.parse(m.content.toString('utf8'))).toEqual({ ...ev, heroldseq: '1', heroldtime: expect.any(String) });
  });

  it('config.mode selects the mode too; a conflict with protocolsettings.mode is a 400', async () => {
    const list = await freshList();
    const queue = await rabbit.queue(unique('q'));
    const rx = await rabbit.collect(queue);
    const sub = await subscribe(list, { protocolsettings: { queue }, config: { mode: 'structured' } });
    expect(sub.config.mode).toBe('structured');
    const bad = await subscribe(list, { protocolsettings: { queue, mode: 'binary' }, config: { mode: 'structured' } }, 400);
    expect(bad.errors.map((e: { pointer: string }) => e.pointer)).toContain('/protocolsettings/mode');
    await publishStructured(hub, list, makeEvent());
    await rx.waitFor(1);
    expect(rx.messages[0].properties.contentType).toMatch(/^application\/cloudevents\+json/);
  });

  it('binary mode carries text and bytes as the body, and content-type from datacontenttype', async () => {
    const list = await freshList();
    const queue = await rabbit.queue(unique('q'));
    const rx = await rabbit.collect(queue);
    await subscribe(list, { protocolsettings: { queue } });
    await publishStructured(hub, list, makeEvent({ datacontenttype: 'text/plain; charset=utf-8', data: 'hello, wörld' }));
    await publishStructured(hub, list, makeEvent({ datacontenttype: 'application/octet-stream', data: undefined, data_base64: Buffer.from([0, 1, 2, 255]).toString('base64') }));
    await publishStructured(hub, list, makeEvent({ datacontenttype: undefined, data: undefined }));
    await rx.waitFor(3);
    const [text, bytes, none] = rx.messages;
    expect(text.properties.contentType).toBe('text/plain; charset=utf-8');
    expect(text.content.toString('utf8')).toBe('hello, wörld');
    expect(bytes.properties.contentType).toBe('application/octet-stream');
    expect([...bytes.content]).toEqual([0, 1, 2, 255]);
    expect(none.content.length).toBe(0);
    expect(none.properties.contentType).toBeUndefined();
  });

  it('rejects invalid AMQP settings with the offending field named', async () => {
    const list = await freshList();
    const cases: [Record<string, unknown>, string][] = [
      [{ protocolsettings: {} }, '/protocolsettings'],
      [{ protocolsettings: { exchange: '' } }, '/protocolsettings/exchange'],
      [{ protocolsettings: { queue: 'q', routingkey: 'k' } }, '/protocolsettings/routingkey'],
      [{ protocolsettings: { exchange: 'x', queue: 'q' } }, '/protocolsettings/queue'],
      [{ protocolsettings: { queue: 'q', style: 'http' } }, '/protocolsettings/style'],
      [{ protocolsettings: { queue: 'q', declare: 'yes' } }, '/protocolsettings/declare'],
      [{ protocolsettings: { queue: 'amq.x', declare: true } }, '/protocolsettings/queue'],
      [{ protocolsettings: { queue: 'x'.repeat(256) } }, '/protocolsettings/queue'],
      [{ protocolsettings: { queue: 'q', token: 't' } }, '/protocolsettings/token'],
      [{ sink: 'http://127.0.0.1/', protocolsettings: { queue: 'q' } }, '/sink'],
    ];
    for (const [body, pointer] of cases) {
      const p = await subscribe(list, body, 400);
      expect(p.errors.map((e: { pointer: string }) => e.pointer), JSON.stringify(p)).toContain(pointer);
    }
  });

  it('checks the destination at creation: a missing exchange or queue is named; declare creates and binds', async () => {
    const list = await freshList();
    const missingX = unique('missing-x');
    const p1 = await subscribe(list, { protocolsettings: { exchange: missingX } }, 400);
    expect(p1.errors[0].pointer).toBe('/sink');
    expect(p1.detail).toContain(`exchange '${missingX}' does not exist`);
    const missingQ = unique('missing-q');
    const p2 = await subscribe(list, { protocolsettings: { queue: missingQ } }, 400);
    expect(p2.detail).toContain(`queue '${missingQ}' does not exist`);
    expect(await rabbit.exists('queue', missingQ)).toBe(false);

    const exchange = unique('decl-x');
    const queue = unique('decl-q');
    rabbit.track('exchange', exchange);
    rabbit.track('queue', queue);
    await subscribe(list, { protocolsettings: { exchange, queue, routingkey: 'person.#', declare: true } });
    expect(await rabbit.exists('exchange', exchange)).toBe(true);
    expect(await rabbit.exists('queue', queue)).toBe(true);
    const rx = await rabbit.collect(queue);
    await publishStructured(hub, list, makeEvent({ type: 'person.changed' }));
    await rx.waitFor(1);
    // The declared binding is 'person.#' but the message goes out with routingkey as given.
    expect(rx.messages[0].fields.routingKey).toBe('person.#');
  });

  it('refuses a broker address outside the egress policy before connecting, and bad credentials', async () => {
    const strict = await startTestHub();
    try {
      await createList(strict, 'strict');
      for (const sink of ['amqp://guest:guest@127.0.0.1:5672', 'amqp://guest:guest@localhost:5672', 'amqp://u:p@10.1.2.3:5672', 'amqps://u:p@[::1]:5671']) {
        const res = await strict.fetch('/lists/strict/subscriptions', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ sink, protocol: 'AMQP', protocolsettings: { queue: 'q' } }),
        });
        const p = await res.json();
        expect(res.status, sink).toBe(400);
        expect(p.detail, sink).toMatch(/not allowed/);
        expect(JSON.stringify(p)).not.toContain(':p@');
      }
    } finally {
      await strict.close();
    }
    const list = await freshList();
    const queue = await rabbit.queue(unique('q'));
    const wrong = AMQP_URL.replace(/\/\/([^:]+):([^@]+)@/, '//$1:wrong-password-123@');
    const p = await subscribe(list, { sink: wrong, protocolsettings: { queue } }, 400);
    expect(p.detail).toMatch(/cannot connect to the broker/);
    expect(JSON.stringify(p)).not.toContain('wrong-password-123');
  });

  it('never shows the sink password: views mask it, and a view sent back unchanged keeps working', async () => {
    const list = await freshList();
    const queue = await rabbit.queue(unique('q'));
    const rx = await rabbit.collect(queue);
    const sub = await subscribe(list, { protocolsettings: { queue } });
    const masked = new URL(AMQP_URL);
    masked.password = '***';
    expect(sub.sink).toBe(masked.toString());
    const shown = await get(sub.id);
    expect(shown.sink).toBe(masked.toString());
    const all = await (await hub.fetch(`/subscriptions?list=${list}`)).json();
    expect(JSON.stringify(all)).not.toContain(`:${new URL(AMQP_URL).password}@`);
    // PUT the view back (with the mask): the stored password stays, delivery goes on.
    const put = await hub.fetch(`/subscriptions/${sub.id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sink: shown.sink, protocol: 'AMQP', protocolsettings: shown.protocolsettings, types: ['test.changed'] }),
    });
    expect(put.status, await put.clone().text()).toBe(200);
    await publishStructured(hub, list, makeEvent());
    await rx.waitFor(1);
  });

  it('unroutable messages (mandatory) are retried on the schedule, then dead-lettered; redelivery after a binding fixes it', async () => {
    const list = await freshList();
    const exchange = await rabbit.exchange(unique('x'));
    const sub = await subscribe(list, { protocolsettings: { exchange }, config: { retry: [0.1, 0.1] } });
    const ev = makeEvent({ type: 'nobody.listens' });
    await publishStructured(hub, list, ev);
    await until(async () => (await (await hub.fetch(`/subscriptions/${sub.id}/deadletters`)).json()).deadletters?.length === 1, 10_000, 'dead letter');
    const dl = (await (await hub.fetch(`/subscriptions/${sub.id}/deadletters`)).json()).deadletters[0];
    expect(dl.failures).toBe(3);
    expect(JSON.stringify(dl)).toMatch(/312 NO_ROUTE/);
    const attempts = (await (await hub.fetch(`/subscriptions/${sub.id}/attempts`)).json()).attempts;
    expect(attempts).toHaveLength(3);
    for (const a of attempts) {
      expect(a.outcome).toBe('retry');
      expect(a.error).toContain(`no queue is bound to exchange '${exchange}' for routing key 'nobody.listens'`);
      // What was sent, for AMQP: where the message went; and the event it carried.
      expect(a.requestHeaders).toEqual({ exchange, 'routing-key': 'nobody.listens' });
      expect(a.event).toEqual({ id: ev.id, type: 'nobody.listens', subject: ev.subject });
    }
    // Bind a queue and redeliver the dead letters: it arrives, with the same message-id.
    const queue = await rabbit.queue(unique('q'));
    await rabbit.bind(queue, exchange, '#');
    const rx = await rabbit.collect(queue);
    const res = await hub.fetch(`/subscriptions/${sub.id}/redeliver`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ deadletters: true }) });
    expect((await res.json()).redelivering).toBe(1);
    await rx.waitFor(1);
    expect(rx.attributes(0).id).toBe(ev.id);
    expect(rx.messages[0].properties.messageId).toBe(attempts[0].webhookId);
  });

  it('a queue deleted after creation: deliveries retry with a clear error and resume when it is back', async () => {
    const list = await freshList();
    const queue = await rabbit.queue(unique('q'));
    const sub = await subscribe(list, { protocolsettings: { queue }, config: { retry: Array(50).fill(0.2) } });
    const ch = await rabbit.channel();
    await ch.deleteQueue(queue);
    await ch.close();
    const ev = makeEvent();
    await publishStructured(hub, list, ev);
    await until(async () => (await (await hub.fetch(`/subscriptions/${sub.id}/attempts`)).json()).attempts.length >= 2, 10_000, 'failed attempts');
    const attempts = (await (await hub.fetch(`/subscriptions/${sub.id}/attempts`)).json()).attempts;
    expect(attempts[0].outcome).toBe('retry');
    expect(attempts[0].error).toMatch(new RegExp(`queue '${queue.replace(/\./g, '\\.')}' does not exist`));
    await rabbit.queue(queue);
    const rx = await rabbit.collect(queue);
    await rx.waitFor(1);
    expect(rx.attributes(0).id).toBe(ev.id);
  });

  it('a broker nack (queue full, overflow reject-publish) is a retry; everything arrives once there is room', async () => {
    const list = await freshList();
    const queue = await rabbit.queue(unique('q'), { durable: true, arguments: { 'x-max-length': 2, 'x-overflow': 'reject-publish' } });
    const sub = await subscribe(list, { protocolsettings: { queue }, config: { retry: Array(100).fill(0.1), concurrency: 1 } });
    const events = Array.from({ length: 5 }, () => makeEvent());
    expect((await publishBatch(hub, list, events)).status).toBe(201);
    await until(async () => (await (await hub.fetch(`/subscriptions/${sub.id}/attempts`)).json()).attempts.some((a: { error?: string }) => /basic\.nack/.test(a.error ?? '')), 10_000, 'a nack');
    expect(await rabbit.messageCount(queue)).toBe(2);
    const rx = await rabbit.collect(queue);
    await rx.waitFor(5);
    expect(new Set(rx.messages.map((_, i) => rx.attributes(i).id))).toEqual(new Set(events.map((e) => e.id)));
    await until(async () => (await get(sub.id)).lag === '0', 5000, 'lag 0');
  });

  it('filters and subject ordering apply through AMQP', async () => {
    const list = await freshList();
    const queue = await rabbit.queue(unique('q'));
    const rx = await rabbit.collect(queue);
    await subscribe(list, {
      types: ['person.changed'],
      filters: [{ any: [{ exact: { subject: 'person/1' } }, { exact: { subject: 'person/2' } }, { prefix: { subject: 'person/3' } }] }],
      protocolsettings: { queue },
      config: { ordering: 'subject', concurrency: 8 },
    });
    const expected: Record<string, number[]> = {};
    let sent = 0;
    for (let b = 0; b < 10; b++) {
      const batch = Array.from({ length: 30 }, (_, i) => {
        const k = (b * 30 + i) % 6;
        return makeEvent({ type: k === 5 ? 'other.type' : 'person.changed', subject: `person/${k}`, data: { k, n: b * 30 + i } });
      });
      await publishBatch(hub, list, batch);
      for (const e of batch) {
        const k = (e.data as { k: number }).k;
        if (e.type === 'person.changed' && k >= 1 && k <= 3) (expected[e.subject as string] ??= []).push((e.data as { n: number }).n);
      }
      sent += batch.length;
    }
    const total = Object.values(expected).reduce((a, v) => a + v.length, 0);
    expect(sent).toBe(300);
    await rx.waitFor(total);
    await wait(200);
    expect(rx.messages).toHaveLength(total);
    const got: Record<string, number[]> = {};
    for (const m of rx.messages) {
      const subject = m.properties.headers!.cloudEvents_subject as string;
      (got[subject] ??= []).push((JSON.parse(m.content.toString()) as { n: number }).n);
    }
    expect(got).toEqual(expected);
  });

  it('a consumer\'s grant applies through AMQP: its row filter and field minimisation, and revocation at once', async () => {
    const list = await freshList();
    const json = { 'content-type': 'application/json' };
    const key = (await (await hub.fetch('/api-keys', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:cms-amqp' }) })).json()).key as string;
    const grant = await (await hub.fetch(`/lists/${list}/grants`, { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:cms-amqp', filter: "kommune = '0301'", fields: ['subject', 'kommune'] }) })).json();
    expect(grant.id).toBeDefined();
    const queue = await rabbit.queue(unique('q'));
    const rx = await rabbit.collect(queue);
    const res = await fetch(`${hub.url}/lists/${list}/subscriptions`, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${key}` },
      body: JSON.stringify({ sink: AMQP_URL, protocol: 'AMQP', protocolsettings: { queue } }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const oslo = makeEvent({ kommune: '0301', secret: 'no', subject: 'person/1' });
    await publishBatch(hub, list, [makeEvent({ kommune: '4601', subject: 'person/2' }), oslo]);
    await rx.waitFor(1);
    await wait(300);
    expect(rx.messages).toHaveLength(1);
    expect(rx.attributes(0)).toEqual({ specversion: '1.0', id: oslo.id, source: oslo.source, type: oslo.type, subject: 'person/1', kommune: '0301', heroldseq: '2', heroldtime: expect.any(String) });
    expect(rx.messages[0].content.length).toBe(0); // data is not among the granted fields
    // Revoking the grant stops deliveries at once.
    expect((await hub.fetch(`/grants/${grant.id}`, { method: 'DELETE' })).status).toBe(204);
    await publishStructured(hub, list, makeEvent({ kommune: '0301' }));
    await wait(500);
    expect(rx.messages).toHaveLength(1);
  });

  it('one connection per broker, however many subscriptions', async () => {
    const list = await freshList();
    for (let i = 0; i < 5; i++) {
      const queue = await rabbit.queue(unique('q'));
      await subscribe(list, { protocolsettings: { queue } });
    }
    await publishStructured(hub, list, makeEvent());
    await until(() => hub.running.amqp.pool.openConnections() === 1, 5000, 'one open connection');
  });
});
