// Reference peer: RabbitMQ, measured in the same run with the same ~300-byte events.
//   mode 'confirms': persistent publish on a confirm channel to a durable classic
//     or quorum queue, waitForConfirms() after every `batch` messages → msg/s.
//   mode 'latency': paced persistent publish (confirm channel, not waited on)
//     to a durable queue with one consumer (manual ack, prefetch 1000) on its own
//     connection; latency = delivery time − send time in the message body.
import { once } from 'node:events';
import amqp from 'amqplib';
import { eventJson } from '../lib/events.js';
import { pace } from '../lib/pacer.js';
import { CpuWindow, log, percentiles, round, sleep } from '../lib/util.js';

const queueArgs = (type) => ({ durable: true, arguments: { 'x-queue-type': type } });

export default async function rabbitmq(p) {
  return p.mode === 'latency' ? latency(p) : confirms(p);
}

async function confirms(p) {
  const { amqpUrl, queueType = 'classic', batch = 1000, warmupMs = 2000, durationMs = 8000, brokerPid } = p;
  const conn = await amqp.connect(amqpUrl);
  const ch = await conn.createConfirmChannel();
  const q = `herold-bench-confirms-${queueType}-${process.pid}`;
  await ch.assertQueue(q, queueArgs(queueType));
  const bodies = Array.from({ length: 10_000 }, (_, i) => Buffer.from(eventJson(i)));
  const props = { persistent: true, contentType: 'application/cloudevents+json' };

  let confirmed = 0;
  let i = 0;
  const run = async (ms, onBatch) => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      const started = performance.now();
      for (let k = 0; k < batch; k++) {
        if (!ch.sendToQueue(q, bodies[i++ % bodies.length], props)) await once(ch, 'drain');
      }
      await ch.waitForConfirms();
      onBatch?.(performance.now() - started);
    }
  };
  await run(warmupMs);
  await ch.purgeQueue(q);
  const batchLat = [];
  const cpu = new CpuWindow(brokerPid).start();
  const t0 = performance.now();
  await run(durationMs, (ms) => {
    confirmed += batch;
    batchLat.push(ms);
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpuResult = cpu.stop();
  await ch.deleteQueue(q);
  await conn.close();
  return {
    messagesPerSecond: round(confirmed / seconds),
    confirmed,
    seconds: round(seconds, 3),
    queueType,
    batch,
    batchConfirmLatencyMs: percentiles(batchLat, [50, 99]),
    cpu: renameCpu(cpuResult),
  };
}

async function latency(p) {
  const { amqpUrl, queueType = 'classic', rate = 2000, warmupMs = 3000, durationMs = 10_000, brokerPid } = p;
  const pubConn = await amqp.connect(amqpUrl);
  const subConn = await amqp.connect(amqpUrl);
  const pub = await pubConn.createConfirmChannel();
  const sub = await subConn.createChannel();
  const q = `herold-bench-latency-${queueType}-${process.pid}`;
  await pub.assertQueue(q, queueArgs(queueType));
  await sub.prefetch(1000);

  const latencies = [];
  let measureFrom = Infinity;
  let measureTo = Infinity;
  let receivedInWindow = 0;
  let received = 0;
  const { consumerTag } = await sub.consume(
    q,
    (msg) => {
      if (!msg) return; // consumer cancelled by the broker (queue deleted)
      const now = performance.now();
      const { n, sentAt } = JSON.parse(msg.content.toString()).data;
      received++;
      if (n >= measureFrom && n < measureTo) {
        latencies.push(now - sentAt);
        receivedInWindow++;
      }
      sub.ack(msg);
    },
    { noAck: false },
  );

  let n = 0;
  let nacked = 0;
  const props = { persistent: true, contentType: 'application/cloudevents+json' };
  const send = () => {
    const myN = n++;
    const sentAt = performance.now();
    const body = Buffer.from(eventJson(myN, { extra: `"n":${myN},"sentAt":${sentAt}` }));
    pub.sendToQueue(q, body, props, (err) => {
      if (err) nacked++;
    });
  };
  log(`  warm-up ${warmupMs} ms at ${rate}/s (${queueType})`);
  await pace(rate, warmupMs, send);
  await pub.waitForConfirms();
  await sleep(200);
  measureFrom = n;
  log(`  measuring ${durationMs} ms at ${rate}/s (${queueType})`);
  const cpu = new CpuWindow(brokerPid).start();
  const paced = await pace(rate, durationMs, send);
  measureTo = n;
  await pub.waitForConfirms();
  const deadline = Date.now() + 5000;
  while (receivedInWindow < measureTo - measureFrom && Date.now() < deadline) await sleep(20);
  const cpuResult = cpu.stop();
  await sub.cancel(consumerTag);
  await pub.deleteQueue(q);
  await subConn.close();
  await pubConn.close();
  return {
    latencyMs: percentiles(latencies, [50, 90, 99, 99.9]),
    queueType,
    targetRate: rate,
    achievedRate: round(paced.sent / paced.seconds),
    sentInWindow: measureTo - measureFrom,
    receivedInWindow,
    receivedTotal: received,
    nacked,
    cpu: renameCpu(cpuResult),
  };
}

function renameCpu(c) {
  const { hubCpuPctOfOneCore, ...rest } = c;
  return { brokerCpuPctOfOneCore: hubCpuPctOfOneCore, ...rest };
}
