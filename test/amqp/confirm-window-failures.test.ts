import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, createList, makeEvent, publishBatch, startTestHub } from '../helpers/hub.js';
import { AMQP_URL, type Collector, Rabbit, rabbitAvailable, teardown, unique, until } from './rabbit.js';

/**
 * A TCP relay in front of RabbitMQ that can hold back what the broker sends
 * (its publisher confirms among it) and cut every connection through it
 * while it keeps accepting new ones.
 */
class Relay {
  held = false;
  private waiting: { to: Socket; chunk: Buffer }[] = [];
  private readonly sockets = new Set<Socket>();
  private constructor(private readonly server: Server) {}

  static async open(upstream: URL): Promise<Relay> {
    const server = createServer();
    const relay = new Relay(server);
    server.on('connection', (client) => {
      const broker = connect(Number(upstream.port || 5672), upstream.hostname);
      for (const s of [client, broker]) {
        relay.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          relay.sockets.delete(s);
          client.destroy();
          broker.destroy();
        });
      }
      client.on('data', (chunk) => broker.write(chunk));
      broker.on('data', (chunk) => (relay.held ? relay.waiting.push({ to: client, chunk }) : client.write(chunk)));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return relay;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Drop every connection and what was held back for it (the confirms are lost with the channel). */
  cut(): void {
    this.held = false;
    this.waiting = [];
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.cut();
    this.server.close();
  }
}

const seqOf = (c: Collector, i: number) => Number(c.header(i, 'cloudEvents_heroldseq'));

/**
 * With a thousand messages published ahead of their confirms (issue 16),
 * at-least-once still holds: a message is done only when the broker
 * confirmed it, and whatever was in flight when the channel went, or was
 * refused (basic.nack), is published again; nothing is lost.
 */
describe.skipIf(!rabbitAvailable)('AMQP delivery: failures inside a large confirm window', () => {
  let hub: TestHub;
  let rabbit: Rabbit;
  let relay: Relay;
  beforeAll(async () => {
    hub = await startTestHub({ egressAllow: '127.0.0.0/8', origin: `amqp-window-fail-${randomBytes(3).toString('hex')}.localhost` });
    rabbit = await Rabbit.open();
    relay = await Relay.open(new URL(AMQP_URL));
  });
  afterAll(async () => {
    await teardown(
      () => hub?.close(),
      () => relay?.close(),
      () => rabbit?.cleanup(),
    );
  });

  async function subscribe(list: string, body: Record<string, unknown>): Promise<{ id: string; lag: () => Promise<string> }> {
    const res = await hub.fetch(`/lists/${list}/subscriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const sub = await res.json();
    expect(res.status, JSON.stringify(sub)).toBe(201);
    return { id: sub.id, lag: async () => (await (await hub.fetch(`/subscriptions/${sub.id}`)).json()).lag };
  }

  function seqsIn(c: Collector): Set<number> {
    return new Set(c.messages.map((_, i) => seqOf(c, i)));
  }

  it('the connection lost with 300 messages awaiting their confirms: all 300 are published again, none lost', async () => {
    await createList(hub, 'cut');
    const queue = await rabbit.queue(unique('q'));
    const sink = new URL(AMQP_URL);
    sink.port = String(relay.port);
    const sub = await subscribe('cut', { sink: sink.href, protocol: 'AMQP', protocolsettings: { queue }, config: { retry: Array(50).fill(0.2) } });

    expect((await publishBatch(hub, 'cut', [makeEvent()])).status).toBe(201);
    await until(async () => (await sub.lag()) === '0', 15_000, 'the first delivery');

    relay.held = true;
    expect((await publishBatch(hub, 'cut', Array.from({ length: 300 }, () => makeEvent()))).status).toBe(201);
    await until(async () => (await rabbit.messageCount(queue)) === 301, 15_000, 'all 301 messages in the queue, 300 confirms held back');
    expect(await sub.lag()).toBe('300');

    relay.cut();
    // At least once: the 300 unconfirmed ones again (the broker had them already). The position
    // may pass events waiting for a retry (their rows are durable), so the queue is what tells.
    await until(async () => (await rabbit.messageCount(queue)) >= 601, 30_000, 'the 300 unconfirmed messages published again');
    await until(async () => (await sub.lag()) === '0', 15_000, 'the position at the head');
    const c = await rabbit.collect(queue);
    await c.waitFor(601);
    const seqs = seqsIn(c);
    expect(seqs.size).toBe(301);
    expect(Math.max(...seqs) - Math.min(...seqs)).toBe(300);
  });

  it('the broker refuses (basic.nack) the messages beyond a full queue: they are published again once there is room, none lost', async () => {
    await createList(hub, 'nack');
    const queue = await rabbit.queue(unique('q'), { durable: true, arguments: { 'x-max-length': 50, 'x-overflow': 'reject-publish' } });
    const sub = await subscribe('nack', { sink: AMQP_URL, protocol: 'AMQP', protocolsettings: { queue }, config: { retry: Array(100).fill(0.2) } });

    expect((await publishBatch(hub, 'nack', Array.from({ length: 400 }, () => makeEvent()))).status).toBe(201);
    // The first 50 fill the queue; the others are nacked and wait for their retry.
    await until(async () => (await rabbit.messageCount(queue)) === 50, 15_000, 'a full queue');
    const attempts = async () => JSON.stringify(await (await hub.fetch(`/subscriptions/${sub.id}/attempts?limit=100`)).json());
    await until(async () => (await attempts()).includes('basic.nack'), 15_000, 'attempts refused with basic.nack');

    const c = await rabbit.collect(queue);
    await until(() => seqsIn(c).size === 400, 60_000, 'all 400 events consumed once the queue drains');
    await until(async () => (await sub.lag()) === '0', 15_000, 'the position at the head');
    // A nacked message is not in the queue: each event arrives exactly once here.
    expect(c.messages.length).toBe(400);
  });

  it('with nothing failing, 2,000 events leave a 1,000-message window in seq order', async () => {
    await createList(hub, 'order');
    const queue = await rabbit.queue(unique('q'));
    const c = await rabbit.collect(queue);
    const sub = await subscribe('order', { sink: AMQP_URL, protocol: 'AMQP', protocolsettings: { queue }, config: { concurrency: 1 } });
    for (let i = 0; i < 2; i++) expect((await publishBatch(hub, 'order', Array.from({ length: 1000 }, () => makeEvent()))).status).toBe(201);
    await c.waitFor(2000, 30_000);
    await until(async () => (await sub.lag()) === '0', 15_000, 'every event confirmed');
    const seqs = c.messages.map((_, i) => seqOf(c, i));
    expect(seqs.length).toBe(2000);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1] + 1);
  });
});
