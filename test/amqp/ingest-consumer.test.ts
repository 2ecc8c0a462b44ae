import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudEvent } from '../../src/cloudevents/index.js';
import { HubError } from '../../src/hub/errors.js';
import { AmqpIngestConsumer, type AmqpIngestDeps } from '../../src/ingest/amqp/index.js';
import { AMQP_URL, Rabbit, closeConnectionsNamed, rabbitAvailable, totalMessages, unique, until, wait, teardown } from './rabbit.js';

/**
 * The ingest consumer against the real broker with a scripted hub: the
 * acknowledgement waits for the commit, failed appends are requeued,
 * prefetch bounds what is in hand, and stop() finishes what it holds.
 */
describe.skipIf(!rabbitAvailable)('AMQP ingest consumer', () => {
  let rabbit: Rabbit;
  const consumers: AmqpIngestConsumer[] = [];
  beforeAll(async () => {
    rabbit = await Rabbit.open();
  });
  afterAll(async () => {
    await teardown(...consumers.map((c) => () => c.stop(1000)), () => rabbit?.cleanup());
  });

  const quiet = { info() {}, warn() {}, error() {} };
  const event = (i: number) => JSON.stringify({ specversion: '1.0', id: `e${i}`, source: '/t', type: 't', data: { i } });

  function consumer(queue: string, hub: AmqpIngestDeps['hub'], extra: Partial<AmqpIngestDeps> & { prefetch?: number; name?: string } = {}): AmqpIngestConsumer {
    const c = new AmqpIngestConsumer(
      { list: 'l', url: AMQP_URL, queue, principal: 'admin', prefetch: extra.prefetch ?? 10 },
      { hub, authorize: () => ({ allowed: true }), maxEventBytes: 65536, log: quiet, backoffInitialMs: 20, backoffMaxMs: 100, connectionName: extra.name, ...extra },
    );
    consumers.push(c);
    c.start();
    return c;
  }

  it('requeues a message whose append fails, and stores it once the store recovers', async () => {
    const queue = await rabbit.queue(unique('requeue'));
    const stored: CloudEvent[] = [];
    let failures = 0;
    const c = consumer(queue, {
      async publish(_list, events) {
        if (failures < 3) {
          failures++;
          throw new Error('SQLITE_BUSY: database is locked');
        }
        stored.push(...events);
        return { results: events.map((_, i) => ({ seq: stored.length - events.length + i + 1, duplicate: false })) };
      },
    });
    await c.whenConsuming();
    await rabbit.publish('', queue, event(1), { contentType: 'application/cloudevents+json' });
    await until(() => stored.length === 1, 10_000, 'stored after failures');
    expect(failures).toBe(3);
    expect(c.stats.requeued).toBe(3);
    expect(stored[0].id).toBe('e1');
    await until(async () => (await totalMessages(queue)) === 0, 10_000, 'acked');
  });

  it('a list that does not exist (404) is requeued, not dead-lettered; a 409 is', async () => {
    const queue = await rabbit.queue(unique('notfound'));
    let calls = 0;
    const c = consumer(queue, {
      async publish() {
        calls++;
        if (calls <= 2) throw new HubError('not-found', 'not-found', 'Not found', "List 'l' does not exist or is not visible to you.");
        throw new HubError('conflict', 'conflict', 'Conflicting event', 'different content');
      },
    });
    await c.whenConsuming();
    await rabbit.publish('', queue, event(2), { contentType: 'application/cloudevents+json' });
    await until(() => c.stats.deadLettered === 1, 10_000, 'dead-lettered after the 409');
    expect(c.stats.requeued).toBe(2);
  });

  it('acknowledges only after the commit: a message whose append has not resolved returns to the queue when the connection drops', async () => {
    const queue = await rabbit.queue(unique('noack'));
    const name = `herold-test noack ${process.pid} ${Date.now()}`;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = 0;
    const c = consumer(
      queue,
      {
        async publish(_l, events) {
          started++;
          await gate;
          return { results: events.map(() => ({ seq: 1, duplicate: false })) };
        },
      },
      { name },
    );
    await c.whenConsuming();
    await rabbit.publish('', queue, event(3), { contentType: 'application/cloudevents+json' });
    await until(() => started === 1, 5000, 'append started');
    expect(await rabbit.messageCount(queue)).toBe(0); // in hand...
    expect(await totalMessages(queue)).toBe(1); // ...and not acknowledged
    expect(await closeConnectionsNamed(name)).toBe(1);
    // Back in the queue, and delivered again to the reconnected consumer.
    await until(() => started === 2, 10_000, 'the message delivered again');
    // The consumer reconnects and gets it again; once the append resolves, it is acked for good.
    release();
    await until(async () => (await totalMessages(queue)) === 0, 10_000, 'acked after the commit');
  });

  it('prefetch bounds the messages in hand', async () => {
    const queue = await rabbit.queue(unique('prefetch'));
    let inHand = 0;
    let most = 0;
    let done = 0;
    const c = consumer(
      queue,
      {
        async publish(_l, events) {
          inHand++;
          most = Math.max(most, inHand);
          await wait(5);
          inHand--;
          done++;
          return { results: events.map(() => ({ seq: done, duplicate: false })) };
        },
      },
      { prefetch: 7 },
    );
    await c.whenConsuming();
    for (let i = 0; i < 100; i++) rabbit.ch.sendToQueue(queue, Buffer.from(event(1000 + i)), { contentType: 'application/cloudevents+json' });
    await rabbit.ch.waitForConfirms();
    await until(() => done === 100, 15_000, '100 stored');
    expect(most).toBeLessThanOrEqual(7);
    expect(most).toBeGreaterThan(1);
  });

  it('stop() stops consuming, finishes the appends in hand (acked), and leaves the rest in the queue', async () => {
    const queue = await rabbit.queue(unique('stop'));
    let done = 0;
    const c = consumer(
      queue,
      {
        async publish(_l, events) {
          await wait(100);
          done++;
          return { results: events.map(() => ({ seq: done, duplicate: false })) };
        },
      },
      { prefetch: 5 },
    );
    await c.whenConsuming();
    for (let i = 0; i < 20; i++) rabbit.ch.sendToQueue(queue, Buffer.from(event(2000 + i)), { contentType: 'application/cloudevents+json' });
    await rabbit.ch.waitForConfirms();
    await until(() => c.stats.received >= 5, 5000, 'five in hand');
    await c.stop();
    const handled = c.stats.received;
    expect(done).toBe(handled);
    expect(await rabbit.messageCount(queue)).toBe(20 - handled);
  });
});
