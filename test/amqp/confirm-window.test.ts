import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, createList, makeEvent, publishBatch, startTestHub } from '../helpers/hub.js';
import { AMQP_URL, Rabbit, rabbitAvailable, teardown, unique, until } from './rabbit.js';

/**
 * A TCP relay in front of RabbitMQ that can hold back everything the broker
 * sends (its publisher confirms among it) while the client's bytes still
 * reach the broker.
 */
class ConfirmGate {
  held = false;
  private readonly waiting: { to: Socket; chunk: Buffer }[] = [];
  private readonly sockets = new Set<Socket>();
  private constructor(private readonly server: Server) {}

  static async open(upstream: URL): Promise<ConfirmGate> {
    const server = createServer();
    const gate = new ConfirmGate(server);
    server.on('connection', (client) => {
      const broker = connect(Number(upstream.port || 5672), upstream.hostname);
      for (const s of [client, broker]) {
        gate.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          client.destroy();
          broker.destroy();
        });
      }
      client.on('data', (chunk) => broker.write(chunk));
      broker.on('data', (chunk) => (gate.held ? gate.waiting.push({ to: client, chunk }) : client.write(chunk)));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return gate;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  release(): void {
    this.held = false;
    for (const { to, chunk } of this.waiting.splice(0)) to.write(chunk);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.server.close();
  }
}

/**
 * Publisher confirms are pipelined: an AMQP subscription keeps publishing
 * while earlier confirms are outstanding, instead of one broker round trip
 * per message (issue 16), whatever its `config.concurrency`.
 */
describe.skipIf(!rabbitAvailable)('AMQP delivery: confirms pipelined across events', () => {
  let hub: TestHub;
  let rabbit: Rabbit;
  let gate: ConfirmGate;
  beforeAll(async () => {
    hub = await startTestHub({ egressAllow: '127.0.0.0/8', origin: `amqp-window-${randomBytes(3).toString('hex')}.localhost` });
    rabbit = await Rabbit.open();
    gate = await ConfirmGate.open(new URL(AMQP_URL));
  });
  afterAll(async () => {
    await teardown(
      () => gate?.release(),
      () => hub?.close(),
      () => gate?.close(),
      () => rabbit?.cleanup(),
    );
  });

  it('with concurrency 1, 40 events reach the queue while the first confirm is held back; all are confirmed once it comes', async () => {
    await createList(hub, 'window');
    const queue = await rabbit.queue(unique('q'));
    const sink = new URL(AMQP_URL);
    sink.port = String(gate.port);
    const res = await hub.fetch('/lists/window/subscriptions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sink: sink.href, protocol: 'AMQP', protocolsettings: { queue }, config: { concurrency: 1 } }),
    });
    const sub = await res.json();
    expect(res.status, JSON.stringify(sub)).toBe(201);
    const lag = async () => (await (await hub.fetch(`/subscriptions/${sub.id}`)).json()).lag;

    // The connection and its channel are up once one event went through.
    expect((await publishBatch(hub, 'window', [makeEvent()])).status).toBe(201);
    await until(async () => (await lag()) === '0', 15_000, 'the first delivery');

    gate.held = true;
    expect((await publishBatch(hub, 'window', Array.from({ length: 40 }, () => makeEvent()))).status).toBe(201);
    // One round trip per message would leave a single message waiting for its confirm here.
    await until(async () => (await rabbit.messageCount(queue)) === 41, 10_000, '41 messages in the queue with every confirm held back');
    expect(await lag()).toBe('40');

    gate.release();
    await until(async () => (await lag()) === '0', 15_000, 'every confirm received');
    expect(await rabbit.messageCount(queue)).toBe(41);
  });
});
