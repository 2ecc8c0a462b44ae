#!/usr/bin/env node
// Herold AMQP benchmark: delivery into RabbitMQ and ingest from it, beside
// RabbitMQ's own persistent publish-with-confirms rate for the same message.
//
//   import { runAmqpBench } from './amqp.js';
//   const result = await runAmqpBench({ quick, amqpUrl, log });   // JSON-able
//
// or standalone: `npm run build && node bench/amqp.js [--quick]` (JSON on stdout).
//
// Scenarios (each hub is the built dist/ as a child process, --sync full):
// - delivery, 1 queue: N events are in a list; one AMQP subscription (binary
//   mode, start 0, concurrency C) delivers them into a durable classic queue
//   with publisher confirms; deliveries/s = N / time until the queue holds N.
// - delivery, 20 queues: the same with 20 subscriptions, each into its own
//   queue; deliveries/s = 20·N / time until every queue holds N.
// - ingest: M binary-mode CloudEvents (~300-byte event) are put into a queue
//   first; then a hub configured with amqpIngest for it starts; events/s =
//   M / time from the hub being ready until all M are committed (this
//   includes connecting, a few ms).
// - reference: RabbitMQ's persistent publish with confirms of the very
//   message Herold delivered (same body, headers and properties), from a
//   separate process into a durable classic queue: once with
//   waitForConfirms every 1000 (its best case) and once with C confirms
//   outstanding (what one Herold subscription allows itself).
// The load generators (queue fill, reference publisher) run in forked
// processes; the orchestrator only polls queue depths and /proc.
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { batchJson, eventJson } from './lib/events.js';
import { ADMIN_KEY, Hub } from './lib/hub.js';
import { CpuWindow, log as defaultLog, round, sleep } from './lib/util.js';

const HERE = fileURLToPath(import.meta.url);
const DEFAULT_URL = 'amqp://guest:guest@127.0.0.1:5672';

function sizes(quick) {
  return quick
    ? { oneQueueEvents: 5_000, twentyQueuesEvents: 1_000, queues: 20, ingestEvents: 20_000, concurrency: 64, prefetch: 500, referenceMs: 2_000 }
    : { oneQueueEvents: 50_000, twentyQueuesEvents: 5_000, queues: 20, ingestEvents: 200_000, concurrency: 64, prefetch: 500, referenceMs: 10_000 };
}

/**
 * Run the AMQP benchmark. Returns
 * `{ available, parameters, deliveryOneQueue, deliveryTwentyQueues, ingest, rabbitReference, ratios, summary, problems, caveats }`
 * where `summary` rows have the shape of run.js's summary rows
 * (`{scenario, figure, unit, target, pass, peakRssMiB, ...}`); when RabbitMQ
 * is unreachable, `{ available: false, reason }`.
 */
export async function runAmqpBench({ quick = false, amqpUrl = DEFAULT_URL, log = defaultLog } = {}) {
  const S = sizes(quick);
  try {
    const c = await amqp.connect(amqpUrl, { timeout: 3000 });
    await c.close();
  } catch (error) {
    return { available: false, reason: `RabbitMQ unreachable at ${amqpUrl.replace(/:[^:@/]*@/, ':***@')}: ${error.message}` };
  }
  const out = { available: true, parameters: { ...S, mode: 'binary', queueType: 'classic, durable', persistent: true, hubSync: 'full' }, problems: [], caveats: [] };
  const admin = await Admin.open(amqpUrl);
  let referenceAfterOne;
  let referenceAfterTwenty;
  try {
    // Delivery: one hub, two lists.
    await withEnv({ HEROLD_EGRESS_ALLOW: '127.0.0.0/8' }, async () => {
      const hub = await Hub.start({ sync: 'full', label: 'amqp-delivery' });
      try {
        log(`amqp: delivery to 1 queue, ${S.oneQueueEvents} events, concurrency ${S.concurrency}`);
        out.deliveryOneQueue = await delivery(hub, admin, amqpUrl, { list: 'amqp1', queues: 1, events: S.oneQueueEvents, concurrency: S.concurrency });
        log(`  → ${out.deliveryOneQueue.deliveriesPerSecond} deliveries/s (${out.deliveryOneQueue.deliveriesPerHubCpuSecond} per hub CPU-second)`);
        // The reference right after each measurement: the broker and the machine are shared, so
        // figures minutes apart are not comparable (the idle hub stays up meanwhile).
        const sample = out.deliveryOneQueue.sampleMessage;
        log(`amqp: RabbitMQ reference, persistent publish with confirms of the same ${sample.contentBytes}-byte body + ${sample.headerCount} headers, confirm every 1000`);
        referenceAfterOne = await runWorker('reference', { amqpUrl, sample, durationMs: S.referenceMs, style: 'batch', window: 1000 });
        log(`  → ${referenceAfterOne.messagesPerSecond} msg/s`);
        log(`amqp: delivery to ${S.queues} queues, ${S.twentyQueuesEvents} events each, concurrency ${S.concurrency} per subscription`);
        out.deliveryTwentyQueues = await delivery(hub, admin, amqpUrl, { list: 'amqp20', queues: S.queues, events: S.twentyQueuesEvents, concurrency: S.concurrency });
        log(`  → ${out.deliveryTwentyQueues.deliveriesPerSecond} deliveries/s (${out.deliveryTwentyQueues.deliveriesPerHubCpuSecond} per hub CPU-second)`);
        log('amqp: RabbitMQ reference again, confirm every 1000');
        referenceAfterTwenty = await runWorker('reference', { amqpUrl, sample, durationMs: S.referenceMs, style: 'batch', window: 1000 });
        log(`  → ${referenceAfterTwenty.messagesPerSecond} msg/s`);
        out.hubMemoryDelivery = await hub.memory();
        out.hubDiagnosticsDelivery = hub.diagnostics();
      } finally {
        await hub.stop();
      }
    });

    // Reference: RabbitMQ publishing the very message Herold delivered.
    const sample = out.deliveryOneQueue.sampleMessage;
    const batch = referenceAfterOne;
    log(`amqp: RabbitMQ reference with ${S.concurrency} confirms outstanding`);
    const windowed = await runWorker('reference', { amqpUrl, sample, durationMs: S.referenceMs, style: 'window', window: S.concurrency });
    out.rabbitReference = {
      confirmEvery1000: { messagesPerSecond: batch.messagesPerSecond, seconds: batch.seconds, cpu: batch.cpu, measured: 'right after the delivery to 1 queue' },
      confirmEvery1000AfterTwentyQueues: { messagesPerSecond: referenceAfterTwenty.messagesPerSecond, seconds: referenceAfterTwenty.seconds, cpu: referenceAfterTwenty.cpu, measured: `right after the delivery to ${S.queues} queues` },
      [`outstanding${S.concurrency}`]: { messagesPerSecond: windowed.messagesPerSecond, seconds: windowed.seconds, cpu: windowed.cpu },
      message: { contentBytes: sample.contentBytes, headerCount: sample.headerCount, headerBytes: sample.headerBytes, persistent: true },
    };
    log(`  → ${windowed.messagesPerSecond} msg/s (${S.concurrency} outstanding)`);

    // Ingest: fill the queue first, then start a hub that consumes it.
    const ingestQueue = `herold-bench-amqp-ingest-${process.pid}`;
    await admin.queue(ingestQueue);
    log(`amqp: filling ${ingestQueue} with ${S.ingestEvents} binary-mode events`);
    const fill = await runWorker('fill', { amqpUrl, queue: ingestQueue, events: S.ingestEvents });
    const dir = mkdtempSync(join(tmpdir(), 'herold-bench-amqp-'));
    try {
      const config = join(dir, 'herold.yaml');
      writeFileSync(config, `lists:\n  - name: amqpin\n    amqpIngest:\n      url: ${amqpUrl}\n      queue: ${ingestQueue}\n      prefetch: ${S.prefetch}\n`);
      await withEnv({ HEROLD_CONFIG: config }, async () => {
        const hub = await Hub.start({ sync: 'full', label: 'amqp-ingest' });
        try {
          const t0 = performance.now();
          const cpu = new CpuWindow(hub.pid).start();
          let head = 0;
          const deadline = Date.now() + 600_000;
          while (head < S.ingestEvents && Date.now() < deadline) {
            await sleep(50);
            head = Number((await hub.request('GET', '/lists/amqpin')).body?.head ?? 0);
          }
          const seconds = (performance.now() - t0) / 1000;
          out.ingest = {
            eventsPerSecond: round(head / seconds),
            events: head,
            expected: S.ingestEvents,
            seconds: round(seconds, 3),
            prefetch: S.prefetch,
            fill,
            cpu: cpu.stop(),
            hubMemory: await hub.memory(),
            hubDiagnostics: hub.diagnostics(),
          };
          if (head < S.ingestEvents) out.problems.push(`amqp/ingest: only ${head} of ${S.ingestEvents} events stored within 10 minutes`);
          log(`  → ${out.ingest.eventsPerSecond} events/s`);
        } finally {
          await hub.stop();
        }
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await admin.deleteQueue(ingestQueue);
    }
  } catch (error) {
    out.error = String(error?.message ?? error);
    out.problems.push(`amqp: failed part-way: ${out.error}`);
    log(`amqp bench failed: ${error?.stack ?? error}`);
  } finally {
    await admin.close();
  }

  const ref = out.rabbitReference?.confirmEvery1000?.messagesPerSecond;
  const refTwenty = out.rabbitReference?.confirmEvery1000AfterTwentyQueues?.messagesPerSecond;
  const refWindow = out.rabbitReference?.[`outstanding${S.concurrency}`]?.messagesPerSecond;
  const ratio = (a, b) => (a == null || b == null || b === 0 ? null : round(a / b, 3));
  out.ratios = {
    note: 'herold / rabbitmq for the same message (> 1: Herold is faster). The reference is one publisher into one durable classic queue.',
    deliveryOneQueueVsConfirmEvery1000: ratio(out.deliveryOneQueue?.deliveriesPerSecond, ref),
    deliveryOneQueueVsOutstandingWindow: ratio(out.deliveryOneQueue?.deliveriesPerSecond, refWindow),
    deliveryTwentyQueuesVsConfirmEvery1000: ratio(out.deliveryTwentyQueues?.deliveriesPerSecond, refTwenty),
    ingestVsConfirmEvery1000: ratio(out.ingest?.eventsPerSecond, ref),
  };
  for (const [name, r] of [['amqp/delivery-1', out.deliveryOneQueue], ['amqp/delivery-20', out.deliveryTwentyQueues], ['amqp/ingest', out.ingest]]) {
    if (r?.cpu?.otherCpuPctOfOneCore > 25) out.caveats.push(`${name}: other processes used ${r.cpu.otherCpuPctOfOneCore}% of one core during the measured window`);
  }
  for (const [name, d] of [['amqp/delivery', out.hubDiagnosticsDelivery], ['amqp/ingest', out.ingest?.hubDiagnostics]]) {
    if (d?.hubLogLinesAtWarnOrAbove) out.problems.push(`${name}: hub wrote ${d.hubLogLinesAtWarnOrAbove} log line(s) at warn or above, e.g. ${d.hubLogSample[0]}`);
  }
  const passes = (r, min) => (r == null ? null : r >= min);
  const row = (scenario, figure, unit, extra = {}) => ({ scenario, figure, unit, target: 'informational', pass: null, ...extra });
  out.summary = [
    row('AMQP delivery → 1 queue (confirms, persistent)', out.deliveryOneQueue?.deliveriesPerSecond ?? null, 'deliveries/s', {
      target: '>= 0.8x RabbitMQ confirms (every 1000), same message, measured right after',
      pass: passes(out.ratios.deliveryOneQueueVsConfirmEvery1000, 0.8),
      peakRssMiB: out.hubMemoryDelivery?.peakRssMiB ?? null,
      vsRabbitConfirms: out.ratios.deliveryOneQueueVsConfirmEvery1000,
      vsRabbitWindow: out.ratios.deliveryOneQueueVsOutstandingWindow,
    }),
    row(`AMQP delivery → ${S.queues} queues`, out.deliveryTwentyQueues?.deliveriesPerSecond ?? null, 'deliveries/s', {
      target: '>= 1x RabbitMQ confirms (every 1000), same message, measured right after',
      pass: passes(out.ratios.deliveryTwentyQueuesVsConfirmEvery1000, 1),
      peakRssMiB: out.hubMemoryDelivery?.peakRssMiB ?? null,
      vsRabbitConfirms: out.ratios.deliveryTwentyQueuesVsConfirmEvery1000,
    }),
    row('AMQP ingest (binary mode, ack after commit)', out.ingest?.eventsPerSecond ?? null, 'events/s', { peakRssMiB: out.ingest?.hubMemory?.peakRssMiB ?? null, vsRabbitConfirms: out.ratios.ingestVsConfirmEvery1000 }),
    row('RabbitMQ persistent publish with confirms, same message, confirm every 1000', ref ?? null, 'msg/s', { target: 'reference' }),
    row(`RabbitMQ persistent publish with confirms, same message, confirm every 1000 (after the ${S.queues}-queue delivery)`, refTwenty ?? null, 'msg/s', { target: 'reference' }),
    row(`RabbitMQ persistent publish with confirms, same message, ${S.concurrency} outstanding`, refWindow ?? null, 'msg/s', { target: 'reference' }),
  ];
  return out;
}

// ---- delivery ---------------------------------------------------------------

export async function delivery(hub, admin, amqpUrl, { list, queues, events, concurrency }) {
  await hub.createList(list);
  // Seed the list (batched, fast), before any subscription exists.
  for (let n = 0; n < events; n += 1000) {
    const size = Math.min(1000, events - n);
    const res = await fetch(`${hub.url}/lists/${list}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/cloudevents-batch+json' },
      body: batchJson(n, size),
    });
    if (res.status !== 201) throw new Error(`seeding ${list}: ${res.status} ${await res.text()}`);
  }
  const names = [];
  for (let i = 0; i < queues; i++) {
    const q = `herold-bench-amqp-${list}-${i}-${process.pid}`;
    await admin.queue(q);
    names.push(q);
  }
  const cpu = new CpuWindow(hub.pid).start();
  const t0 = performance.now();
  const subs = [];
  for (const q of names) {
    const r = await hub.request('POST', `/lists/${list}/subscriptions`, { sink: amqpUrl, protocol: 'AMQP', protocolsettings: { queue: q }, config: { start: '0', concurrency } });
    if (r.status !== 201) throw new Error(`subscribing ${q}: ${r.status} ${JSON.stringify(r.body)}`);
    subs.push(r.body.id);
  }
  let counts = names.map(() => 0);
  const deadline = Date.now() + 600_000;
  while (counts.some((c) => c < events) && Date.now() < deadline) {
    await sleep(20);
    counts = await Promise.all(names.map((q) => admin.count(q)));
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpuResult = cpu.stop();
  const delivered = counts.reduce((a, b) => a + b, 0);
  const sample = await admin.sample(names[0]);
  for (const id of subs) await hub.request('DELETE', `/subscriptions/${id}`);
  for (const q of names) await admin.deleteQueue(q);
  const hubCpuSeconds = cpuResult?.hubCpuPctOfOneCore != null ? (seconds * cpuResult.hubCpuPctOfOneCore) / 100 : null;
  return {
    deliveriesPerSecond: round(delivered / seconds),
    // What the hub does with a core of its own: the machine is shared, and the rate follows the CPU it was given.
    deliveriesPerHubCpuSecond: hubCpuSeconds ? round(delivered / hubCpuSeconds) : null,
    delivered,
    expected: events * queues,
    queues,
    eventsPerQueue: events,
    concurrencyPerSubscription: concurrency,
    seconds: round(seconds, 3),
    note: 'timed from the first subscription request until every queue held every event (includes creating the subscriptions: connect + checks)',
    cpu: cpuResult,
    sampleMessage: sample,
  };
}

// ---- management connection --------------------------------------------------

export class Admin {
  static async open(url) {
    const a = new Admin();
    a.conn = await amqp.connect(url);
    a.conn.on('error', () => {});
    a.ch = await a.conn.createChannel();
    a.ch.on('error', () => {});
    return a;
  }
  async queue(name) {
    await this.ch.assertQueue(name, { durable: true });
    await this.ch.purgeQueue(name);
  }
  async count(name) {
    return (await this.ch.checkQueue(name)).messageCount;
  }
  async deleteQueue(name) {
    await this.ch.deleteQueue(name).catch(() => {});
  }
  /** One delivered message as the reference publisher will send it again. */
  async sample(name) {
    const m = await this.ch.get(name, { noAck: true });
    if (!m) throw new Error(`no message in ${name} to sample`);
    const headers = m.properties.headers ?? {};
    return {
      content: m.content.toString('base64'),
      contentBytes: m.content.length,
      headerCount: Object.keys(headers).length,
      headerBytes: Buffer.byteLength(JSON.stringify(headers)),
      headers,
      contentType: m.properties.contentType,
      messageId: m.properties.messageId,
      appId: m.properties.appId,
    };
  }
  async close() {
    await this.conn.close().catch(() => {});
  }
}

async function withEnv(vars, fn) {
  const saved = {};
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

// ---- load generators (forked processes) ------------------------------------

export function runWorker(kind, params, timeoutMs = 900_000) {
  return new Promise((resolve, reject) => {
    const child = fork(HERE, ['--worker', kind], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result = null;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('message', (m) => (result = m));
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (result?.error) reject(new Error(`${kind} worker: ${result.error}`));
      else if (result?.result) resolve({ ...result.result, loadGeneratorPid: child.pid });
      else reject(new Error(`${kind} worker exited with ${code} and no result`));
    });
    child.send(params);
  });
}

const workers = {
  /** RabbitMQ's own persistent publish with confirms of the sampled message. */
  async reference({ amqpUrl, sample, durationMs, style, window }) {
    const conn = await amqp.connect(amqpUrl);
    const ch = await conn.createConfirmChannel();
    const q = `herold-bench-amqp-reference-${process.pid}`;
    await ch.assertQueue(q, { durable: true });
    const content = Buffer.from(sample.content, 'base64');
    const headers = { ...sample.headers };
    for (const [k, v] of Object.entries(headers)) if (typeof v === 'number' && Number.isInteger(v)) headers[k] = { '!': 'long', value: v };
    const props = { persistent: true, mandatory: true, contentType: sample.contentType, headers, messageId: sample.messageId, appId: sample.appId };
    let confirmed = 0;
    const runFor = async (ms) => {
      const end = performance.now() + ms;
      if (style === 'batch') {
        while (performance.now() < end) {
          for (let k = 0; k < window; k++) if (!ch.sendToQueue(q, content, props)) await once(ch, 'drain');
          await ch.waitForConfirms();
          confirmed += window;
        }
        return;
      }
      // A constant window of outstanding confirms, like one subscription's deliveries in flight.
      await new Promise((resolve) => {
        let inFlight = 0;
        let stopped = false;
        const pump = () => {
          if (performance.now() >= end) stopped = true;
          if (stopped) {
            if (inFlight === 0) resolve();
            return;
          }
          while (inFlight < window) {
            inFlight++;
            ch.sendToQueue(q, content, props, (err) => {
              inFlight--;
              if (!err) confirmed++;
              pump();
            });
          }
        };
        pump();
      });
    };
    await runFor(Math.min(1000, durationMs / 4));
    await ch.purgeQueue(q);
    confirmed = 0;
    const cpu = new CpuWindow(null).start();
    const t0 = performance.now();
    await runFor(durationMs);
    const seconds = (performance.now() - t0) / 1000;
    const cpuResult = cpu.stop();
    await ch.deleteQueue(q);
    await conn.close();
    return { messagesPerSecond: round(confirmed / seconds), confirmed, seconds: round(seconds, 3), style, window, cpu: cpuResult };
  },

  /** Put `events` binary-mode CloudEvents (cloudEvents_* headers, JSON data) into the queue. */
  async fill({ amqpUrl, queue, events }) {
    const conn = await amqp.connect(amqpUrl);
    const ch = await conn.createConfirmChannel();
    const t0 = performance.now();
    for (let n = 0; n < events; n++) {
      const ev = JSON.parse(eventJson(n, { id: randomUUID() }));
      const headers = {};
      for (const [k, v] of Object.entries(ev)) if (k !== 'data' && k !== 'datacontenttype') headers[`cloudEvents_${k}`] = v;
      if (!ch.sendToQueue(queue, Buffer.from(JSON.stringify(ev.data)), { persistent: true, contentType: ev.datacontenttype, headers })) await once(ch, 'drain');
      if (n % 1000 === 999) await ch.waitForConfirms();
    }
    await ch.waitForConfirms();
    const seconds = (performance.now() - t0) / 1000;
    await conn.close();
    return { events, seconds: round(seconds, 3), messagesPerSecond: round(events / seconds) };
  },
};

// Worker side of runWorker().
if (process.argv[1] === HERE && process.argv[2] === '--worker' && process.send) {
  const kind = process.argv[3];
  process.once('message', async (params) => {
    try {
      const result = await workers[kind](params);
      process.send({ result }, () => process.exit(0));
    } catch (error) {
      process.send({ error: String(error?.stack ?? error) }, () => process.exit(1));
    }
  });
} else if (process.argv[1] === HERE) {
  const quick = process.argv.includes('--quick');
  const url = process.env.AMQP_URL ?? DEFAULT_URL;
  runAmqpBench({ quick, amqpUrl: url }).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      process.exit(r.available === false || r.problems?.length ? 1 : 0);
    },
    (error) => {
      process.stderr.write(`${error?.stack ?? error}\n`);
      process.exit(1);
    },
  );
}
