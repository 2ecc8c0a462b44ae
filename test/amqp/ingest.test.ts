import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, startTestHub } from '../helpers/hub.js';
import { AMQP_URL, Collector, Rabbit, rabbitAvailable, totalMessages, unique, until, wait, teardown } from './rabbit.js';

/**
 * AMQP ingest through a real hub configured with `amqpIngest` in its
 * declared-lists file: binary (all three header styles) and structured
 * messages are stored as sent; invalid ones are dead-lettered with the
 * reason; duplicates are harmless; a principal's source prefix applies.
 */
describe.skipIf(!rabbitAvailable)('AMQP ingest', () => {
  let hub: TestHub;
  let rabbit: Rabbit;
  const dir = mkdtempSync(join(tmpdir(), 'herold-amqp-ingest-'));
  const q = { main: unique('in-main'), nack: unique('in-nack'), src: unique('in-src') };
  const dlx = unique('dlx');
  const dlx2 = unique('dlx2');
  let dead: Collector;
  let dead2: Collector;

  beforeAll(async () => {
    rabbit = await Rabbit.open();
    await rabbit.exchange(dlx, 'fanout');
    await rabbit.exchange(dlx2, 'fanout');
    await rabbit.queue(q.main);
    await rabbit.queue(q.src);
    // This queue dead-letters by itself (x-dead-letter-exchange): Herold only nacks there.
    await rabbit.queue(q.nack, { durable: true, deadLetterExchange: dlx2 });
    dead = await rabbit.collect(await rabbit.queue(unique('dead')).then(async (name) => (await rabbit.bind(name, dlx, '#'), name)));
    dead2 = await rabbit.collect(await rabbit.queue(unique('dead2')).then(async (name) => (await rabbit.bind(name, dlx2, '#'), name)));
    const config = join(dir, 'herold.yaml');
    writeFileSync(
      config,
      [
        'lists:',
        '  - name: in-main',
        '    amqpIngest:',
        '      url: ${TEST_INGEST_AMQP_URL}',
        `      queue: ${q.main}`,
        '      prefetch: 50',
        `      deadLetterExchange: ${dlx}`,
        '  - name: in-nack',
        '    amqpIngest:',
        `      url: ${AMQP_URL}`,
        `      queue: ${q.nack}`,
        '  - name: in-src',
        '    amqpIngest:',
        `      url: ${AMQP_URL}`,
        `      queue: ${q.src}`,
        '      principal: hr-system',
        `      deadLetterExchange: ${dlx}`,
        '',
      ].join('\n'),
    );
    process.env.TEST_INGEST_AMQP_URL = AMQP_URL;
    hub = await startTestHub({ configFile: config, origin: `amqp-ingest-${randomBytes(3).toString('hex')}.localhost` });
    await Promise.all(hub.running.amqp.ingest.consumers.map((c) => c.whenConsuming()));
  });
  afterAll(async () => {
    await teardown(
      () => hub?.close(),
      () => rabbit?.cleanup(),
      () => rmSync(dir, { recursive: true, force: true }),
    );
  });

  const events = async (list: string) => (await (await hub.fetch(`/lists/${list}/events?limit=1000`)).json()).events as Record<string, unknown>[];
  const strip = (e: Record<string, unknown>) => {
    const { heroldseq, heroldtime, heroldprevseq, ...rest } = e;
    void heroldseq, heroldtime, heroldprevseq;
    return rest;
  };
  const id = () => `amqp-${randomBytes(6).toString('hex')}`;

  it('stores binary-mode messages in all three header styles, with AMQP native types, exactly as sent', async () => {
    const before = (await events('in-main')).length;
    const ids = [id(), id(), id()];
    await rabbit.publish('', q.main, JSON.stringify({ name: 'Ada' }), {
      contentType: 'application/json',
      headers: {
        cloudEvents_specversion: '1.0',
        cloudEvents_id: ids[0],
        cloudEvents_source: '/hr',
        cloudEvents_type: 'person.changed',
        cloudEvents_subject: 'person/123',
        cloudEvents_time: '2026-01-02T03:04:05.678+01:00',
        cloudEvents_count: 42,
        cloudEvents_flag: true,
        'x-other-header': 'ignored',
      },
    });
    await rabbit.publish('', q.main, 'plain text', {
      contentType: 'text/plain',
      headers: { 'cloudEvents:specversion': '1.0', 'cloudEvents:id': ids[1], 'cloudEvents:source': '/hr', 'cloudEvents:type': 't', 'cloudEvents:time': { '!': 'timestamp', value: 1767323045 } },
    });
    await rabbit.publish('', q.main, Buffer.from([1, 2, 3]), {
      headers: { 'ce-specversion': '1.0', 'ce-id': ids[2], 'ce-source': '/hr', 'ce-type': 't', 'ce-bin': Buffer.from('hi') },
    });
    await until(async () => (await events('in-main')).length === before + 3, 10_000, 'three stored events');
    const stored = (await events('in-main')).slice(before).map(strip);
    expect(stored[0]).toEqual({
      specversion: '1.0',
      id: ids[0],
      source: '/hr',
      type: 'person.changed',
      subject: 'person/123',
      time: '2026-01-02T03:04:05.678+01:00',
      datacontenttype: 'application/json',
      count: 42,
      flag: true,
      data: { name: 'Ada' },
    });
    expect(stored[1]).toEqual({ specversion: '1.0', id: ids[1], source: '/hr', type: 't', time: '2026-01-02T03:04:05Z', datacontenttype: 'text/plain', data: 'plain text' });
    expect(stored[2]).toEqual({ specversion: '1.0', id: ids[2], source: '/hr', type: 't', bin: Buffer.from('hi').toString('base64'), data_base64: Buffer.from([1, 2, 3]).toString('base64') });
    await until(async () => (await totalMessages(q.main)) === 0, 5000, 'queue drained');
  });

  it('stores structured-mode messages and batches', async () => {
    const before = (await events('in-main')).length;
    const one = { specversion: '1.0', id: id(), source: '/hr', type: 'person.changed', data: { x: 1 } };
    const batch = [
      { specversion: '1.0', id: id(), source: '/hr', type: 'a' },
      { specversion: '1.0', id: id(), source: '/hr', type: 'b', datacontenttype: 'text/plain', data: 'x' },
    ];
    await rabbit.publish('', q.main, JSON.stringify(one), { contentType: 'application/cloudevents+json; charset=utf-8' });
    await rabbit.publish('', q.main, JSON.stringify(batch), { contentType: 'application/cloudevents-batch+json' });
    await until(async () => (await events('in-main')).length === before + 3, 10_000, 'three stored events');
    expect((await events('in-main')).slice(before).map(strip)).toEqual([one, ...batch]);
  });

  it('dead-letters invalid messages with the reason in x-herold-error, body and properties intact, and stores nothing', async () => {
    const before = (await events('in-main')).length;
    const deadBefore = dead.messages.length;
    const cases: [Buffer | string, Record<string, unknown>, RegExp][] = [
      ['{}', { contentType: 'application/json', headers: { cloudEvents_specversion: '1.0', cloudEvents_source: '/hr', cloudEvents_type: 't' } }, /\/headers\/cloudEvents_id: required attribute id is missing/],
      ['{"specversion":"1.0"', { contentType: 'application/cloudevents+json' }, /not valid JSON/],
      [JSON.stringify({ specversion: '1.0', id: 'x', source: '/hr', type: 't', heroldseq: '1' }), { contentType: 'application/cloudevents+json' }, /reserved/],
      ['{"a":1}', { contentType: 'application/json' }, /not a CloudEvent/],
      ['x', { contentType: 'application/cloudevents+avro' }, /not supported/],
      ['{}', { contentType: 'application/json', headers: { cloudEvents_specversion: '1.0', cloudEvents_id: 'i', cloudEvents_source: '/hr', cloudEvents_type: 't', cloudEvents_score: 1.5 } }, /floating-point/],
      ['not json', { contentType: 'application/json', headers: { cloudEvents_specversion: '1.0', cloudEvents_id: 'i', cloudEvents_source: '/hr', cloudEvents_type: 't' } }, /\/body: the body is not valid JSON/],
      ['{}', { contentType: 'application/json', contentEncoding: 'gzip', headers: { cloudEvents_specversion: '1.0' } }, /content-encoding/],
    ];
    for (const [body, options] of cases) await rabbit.publish('', q.main, body, { ...options, messageId: `case-${cases.findIndex((c) => c[1] === options)}` });
    await dead.waitFor(deadBefore + cases.length);
    const got = dead.messages.slice(deadBefore);
    cases.forEach(([body, options, reason], i) => {
      const m = got.find((g) => g.properties.messageId === `case-${i}`)!;
      expect(m, `case ${i}`).toBeDefined();
      expect(String(m.properties.headers!['x-herold-error']), `case ${i}`).toMatch(reason);
      expect(m.properties.headers!['x-herold-list']).toBe('in-main');
      expect(m.properties.headers!['x-herold-queue']).toBe(q.main);
      expect(m.content.toString()).toBe(Buffer.isBuffer(body) ? body.toString() : body);
      expect(m.properties.contentType).toBe(options.contentType);
    });
    expect((await events('in-main')).length).toBe(before);
    await until(async () => (await totalMessages(q.main)) === 0, 5000, 'queue drained');
  });

  it('without deadLetterExchange an invalid message is rejected to the queue\'s own dead-letter exchange (x-death)', async () => {
    await rabbit.publish('', q.nack, '{"a":1}', { contentType: 'application/json', messageId: 'nack-me' });
    await dead2.waitFor(1);
    const m = dead2.messages[0];
    expect(m.properties.messageId).toBe('nack-me');
    expect(m.properties.headers!['x-death']![0]).toMatchObject({ reason: 'rejected', queue: q.nack });
    expect((await events('in-nack')).length).toBe(0);
  });

  it('duplicates are harmless; the same (source, id) with other content is dead-lettered with the reason', async () => {
    const before = (await events('in-main')).length;
    const deadBefore = dead.messages.length;
    const ev = { specversion: '1.0', id: id(), source: '/hr', type: 'dup', data: { v: 1 } };
    for (let i = 0; i < 3; i++) await rabbit.publish('', q.main, JSON.stringify(ev), { contentType: 'application/cloudevents+json' });
    await until(async () => (await totalMessages(q.main)) === 0 && hub.running.amqp.ingest.consumers[0].stats.duplicates >= 2, 10_000, 'duplicates acked');
    expect((await events('in-main')).length).toBe(before + 1);
    await rabbit.publish('', q.main, JSON.stringify({ ...ev, data: { v: 2 } }), { contentType: 'application/cloudevents+json', messageId: 'conflict' });
    await dead.waitFor(deadBefore + 1);
    expect(String(dead.messages[deadBefore].properties.headers!['x-herold-error'])).toMatch(/already stored as seq \d+ with different content/);
    expect((await events('in-main')).length).toBe(before + 1);
  });

  it('publishes as the configured principal: requeued until it may publish, then its source prefix applies', async () => {
    const consumer = hub.running.amqp.ingest.consumers.find((c) => c.config.list === 'in-src')!;
    const good = { specversion: '1.0', id: id(), source: '/hr/persons', type: 'person.changed' };
    await rabbit.publish('', q.src, JSON.stringify(good), { contentType: 'application/cloudevents+json' });
    await until(() => consumer.stats.requeued >= 1, 10_000, 'requeued while hr-system may not publish');
    expect((await events('in-src')).length).toBe(0);
    const res = await hub.fetch('/lists/in-src/publishers', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ principal: 'hr-system', source: '/hr/' }) });
    expect(res.status, await res.clone().text()).toBe(201);
    await until(async () => (await events('in-src')).length === 1, 15_000, 'stored after the grant');
    const deadBefore = dead.messages.length;
    await rabbit.publish('', q.src, JSON.stringify({ ...good, id: id(), source: '/elsewhere' }), { contentType: 'application/cloudevents+json' });
    await dead.waitFor(deadBefore + 1);
    expect(String(dead.messages[deadBefore].properties.headers!['x-herold-error'])).toMatch(/source '\/elsewhere' is not allowed/);
    // The same prefix rule as HTTP publish: a boundary after the prefix, and no dot segment out of it.
    for (const [n, source] of ['/hrx/persons', '/hr/../finance'].entries()) {
      await rabbit.publish('', q.src, JSON.stringify({ ...good, id: id(), source }), { contentType: 'application/cloudevents+json' });
      await dead.waitFor(deadBefore + 2 + n);
      expect(String(dead.messages[deadBefore + 1 + n].properties.headers!['x-herold-error'])).toContain(`source '${source}' is not allowed`);
    }
    await wait(100);
    expect((await events('in-src')).length).toBe(1);
  });
});
