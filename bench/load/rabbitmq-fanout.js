// Reference for webhook fan-out: RabbitMQ's persistent fan-out of the same events to `queues`
// durable classic queues, each with one acking consumer, measured the way bench/delivery.js
// measures Herold's fan-out to as many webhook subscriptions.
//
// - One durable fanout exchange, `queues` durable classic queues bound to it.
// - Consumers: one channel each (manual ack of every message, prefetch `prefetch`, the analogue of
//   a subscription's `concurrency`), spread over `consumerConnections` connections; all of them in
//   this process, as the webhook receivers are one process.
// - Publisher: its own connection, a confirm channel, persistent messages (the ~300-byte events of
//   lib/events.js), `waitForConfirms()` after every `batch` messages (Herold's publisher sends
//   batches of 1,000).
// - deliveries/s = queues × events / time from the first publish until every consumer received
//   every event (the same clock as the webhook scenario: first publish → last arrival).
import { once } from 'node:events';
import amqp from 'amqplib';
import { eventJson } from '../lib/events.js';
import { CpuWindow, round, sleep } from '../lib/util.js';

export default async function rabbitmqFanout(p) {
  const { amqpUrl, queues = 100, events = 2000, prefetch = 16, consumerConnections = 4, batch = 1000, brokerPid = null, timeoutMs = 120_000 } = p;
  const tag = `herold-bench-fanout-${process.pid}`;
  const pubConn = await amqp.connect(amqpUrl);
  const pub = await pubConn.createConfirmChannel();
  await pub.assertExchange(tag, 'fanout', { durable: true });
  const names = [];
  for (let i = 0; i < queues; i++) {
    const q = `${tag}-${i}`;
    await pub.assertQueue(q, { durable: true, arguments: { 'x-queue-type': 'classic' } });
    await pub.purgeQueue(q);
    await pub.bindQueue(q, tag, '');
    names.push(q);
  }

  const conns = await Promise.all(Array.from({ length: consumerConnections }, () => amqp.connect(amqpUrl)));
  const total = queues * events;
  let received = 0;
  let done;
  const all = new Promise((r) => (done = r));
  const perQueue = new Array(queues).fill(0);
  const channels = [];
  for (let i = 0; i < queues; i++) {
    const ch = await conns[i % conns.length].createChannel();
    await ch.prefetch(prefetch);
    await ch.consume(
      names[i],
      (msg) => {
        if (!msg) return;
        perQueue[i]++;
        ch.ack(msg);
        if (++received === total) done();
      },
      { noAck: false },
    );
    channels.push(ch);
  }

  const bodies = Array.from({ length: events }, (_, n) => Buffer.from(eventJson(n)));
  const props = { persistent: true, contentType: 'application/cloudevents+json' };
  const cpu = new CpuWindow(brokerPid).start();
  const t0 = performance.now();
  let published = 0;
  while (published < events) {
    const n = Math.min(batch, events - published);
    for (let k = 0; k < n; k++) if (!pub.publish(tag, '', bodies[published + k], props)) await once(pub, 'drain');
    await pub.waitForConfirms();
    published += n;
  }
  const publishSeconds = (performance.now() - t0) / 1000;
  const outcome = await Promise.race([all, sleep(timeoutMs).then(() => 'timeout')]);
  const seconds = (performance.now() - t0) / 1000;
  const cpuResult = cpu.stop();

  for (const ch of channels) await ch.close().catch(() => undefined);
  for (const q of names) await pub.deleteQueue(q).catch(() => undefined);
  await pub.deleteExchange(tag).catch(() => undefined);
  for (const c of conns) await c.close().catch(() => undefined);
  await pubConn.close().catch(() => undefined);
  const { hubCpuPctOfOneCore, ...rest } = cpuResult;
  return {
    deliveriesPerSecond: round(received / seconds),
    // Less sensitive to other load on a shared machine than the raw figure (compare with the hub's).
    deliveriesPerBrokerCpuSecond: hubCpuPctOfOneCore ? round(received / seconds / (hubCpuPctOfOneCore / 100)) : null,
    deliveries: received,
    expected: total,
    complete: outcome !== 'timeout',
    seconds: round(seconds, 3),
    publishSeconds: round(publishSeconds, 3),
    queues,
    events,
    prefetch,
    consumerConnections,
    confirmEvery: batch,
    minPerQueue: Math.min(...perQueue),
    cpu: { brokerCpuPctOfOneCore: hubCpuPctOfOneCore, ...rest },
  };
}
