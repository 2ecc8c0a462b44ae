// Push delivery figures (issues 3 and 16): webhook fan-out to 100 subscriptions beside RabbitMQ's
// persistent fan-out of the same events to 100 durable queues (load/rabbitmq-fanout.js, run right
// after it), publish → webhook latency at 1,000 events/s, and what 1,000 subscriptions that match
// nothing cost the ingest path. Receivers are plain node:http servers in this process on 127.0.0.1;
// the hub is a child process.
import { createServer } from 'node:http';
import { once } from 'node:events';
import { agent, post } from './lib/http.js';
import { batchJson, eventJson } from './lib/events.js';
import { Hub } from './lib/hub.js';
import { pace } from './lib/pacer.js';
import { runWorker } from './lib/worker.js';
import { CpuWindow, findPid, log, percentiles, round, sleep } from './lib/util.js';

const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

const BATCH = 'application/cloudevents-batch+json';

async function receiver(onRequest) {
  const server = createServer((req, res) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(200, { 'webhook-allowed-origin': String(req.headers['webhook-request-origin'] ?? '*') }).end();
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      onRequest(req, Buffer.concat(chunks));
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${server.address().port}` };
}

async function subscribe(hub, list, sink, extra = {}) {
  const r = await hub.request('POST', `/lists/${list}/subscriptions`, { sink, protocolsettings: { validate: false }, ...extra });
  if (r.status !== 201) throw new Error(`subscribe: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id;
}

async function publishBatches(hub, list, total, { concurrency = 4, size = 1000 } = {}) {
  const ag = agent(concurrency);
  const headers = { authorization: `Bearer ${(await import('./lib/hub.js')).ADMIN_KEY}`, 'content-type': BATCH };
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const start = next;
        next += size;
        const res = await post(ag, hub.url, `/lists/${list}/events`, headers, batchJson(start, Math.min(size, total - start)));
        if (res.status !== 201) throw new Error(`publish: HTTP ${res.status}`);
      }
    }),
  );
  return total / ((performance.now() - t0) / 1000);
}

/** Deliveries per second with `subs` subscriptions on one list. */
export async function fanOut({ subs, events, concurrency = 16 }) {
  process.env.HEROLD_EGRESS_ALLOW = '127.0.0.0/8';
  const hub = await Hub.start({ label: 'delivery-fanout' });
  let received = 0;
  let done;
  const all = new Promise((r) => (done = r));
  const total = subs * events;
  const rx = await receiver(() => {
    if (++received === total) done();
  });
  try {
    await hub.createList('fan');
    for (let i = 0; i < subs; i++) await subscribe(hub, 'fan', `${rx.url}/s${i}`, { config: { concurrency } });
    hub.resetPeakRss();
    const cpu = new CpuWindow(hub.pid).start();
    const t0 = performance.now();
    await publishBatches(hub, 'fan', events);
    const timeout = sleep(120_000).then(() => 'timeout');
    const outcome = await Promise.race([all, timeout]);
    const seconds = (performance.now() - t0) / 1000;
    const cpuResult = cpu.stop();
    return {
      deliveriesPerSecond: round(received / seconds),
      deliveries: received,
      expected: total,
      complete: outcome !== 'timeout',
      seconds: round(seconds, 2),
      subscriptions: subs,
      events,
      target: 20_000,
      meetsTarget: received / seconds >= 20_000,
      deliveriesPerHubCpuSecond: cpuResult.hubCpuPctOfOneCore ? round(received / seconds / (cpuResult.hubCpuPctOfOneCore / 100)) : null,
      cpu: { ...cpuResult, note: 'loadGenerator = this process: the publisher and all receivers' },
      memory: await hub.memory(),
    };
  } finally {
    rx.server.close();
    await hub.stop();
  }
}

/** Publish → webhook latency at a steady rate, one subscription. */
export async function latency({ rate, durationMs, warmupMs }) {
  process.env.HEROLD_EGRESS_ALLOW = '127.0.0.0/8';
  const hub = await Hub.start({ label: 'delivery-latency' });
  const samples = [];
  let measuring = false;
  const rx = await receiver((_req, body) => {
    const now = performance.now();
    const m = /"sentAt":([\d.]+)/.exec(body.toString());
    if (m && measuring) samples.push(now - Number(m[1]));
  });
  try {
    await hub.createList('lat');
    await subscribe(hub, 'lat', rx.url);
    const ag = agent(64);
    const headers = { authorization: `Bearer ${(await import('./lib/hub.js')).ADMIN_KEY}`, 'content-type': 'application/cloudevents+json' };
    const send = () => post(ag, hub.url, '/lists/lat/events', headers, eventJson(0, { extra: `"sentAt":${performance.now()}` })).catch(() => undefined);
    await pace(rate, warmupMs, send);
    measuring = true;
    hub.resetPeakRss();
    await pace(rate, durationMs, send);
    await sleep(500);
    measuring = false;
    const p = percentiles(samples, [50, 90, 99]);
    return { rate, samples: samples.length, p50Ms: p.p50, p90Ms: p.p90, p99Ms: p.p99, memory: await hub.memory() };
  } finally {
    rx.server.close();
    await hub.stop();
  }
}

/**
 * Batched ingest with no subscriptions, then with 1,000 whose filters match nothing. Besides the
 * rates, events per hub CPU-second for each: on a shared machine the rate follows whatever else
 * runs, while the hub's CPU per event is what the subscriptions cost.
 */
export async function nonMatchingCost({ events, subs }) {
  process.env.HEROLD_EGRESS_ALLOW = '127.0.0.0/8';
  const hub = await Hub.start({ label: 'delivery-nonmatching' });
  const rx = await receiver(() => undefined);
  const measure = async () => {
    const cpu = new CpuWindow(hub.pid).start();
    const rate = await publishBatches(hub, 'nm', events);
    const c = cpu.stop();
    return { rate, perHubCpuSecond: c.hubCpuPctOfOneCore ? rate / (c.hubCpuPctOfOneCore / 100) : null, otherCpuPctOfOneCore: c.otherCpuPctOfOneCore };
  };
  try {
    await hub.createList('nm');
    await publishBatches(hub, 'nm', Math.min(20_000, events)); // warm-up
    const without = await measure();
    for (let i = 0; i < subs; i++) {
      // Half filter on type in the query, half with a CESQL filter evaluated per event.
      const filter = i % 2 ? { types: ['no.such.type'] } : { filters: [{ sql: "subject = 'person/none'" }] };
      await subscribe(hub, 'nm', `${rx.url}/n${i}`, filter);
    }
    await sleep(500);
    hub.resetPeakRss();
    const withSubs = await measure();
    return {
      ingestWithoutSubscriptions: round(without.rate),
      ingestWith1000NonMatching: round(withSubs.rate),
      ratio: round(withSubs.rate / without.rate, 3),
      perHubCpuSecondWithout: round(without.perHubCpuSecond),
      perHubCpuSecondWith1000NonMatching: round(withSubs.perHubCpuSecond),
      perHubCpuSecondRatio: without.perHubCpuSecond && withSubs.perHubCpuSecond ? round(withSubs.perHubCpuSecond / without.perHubCpuSecond, 3) : null,
      otherCpuPctOfOneCore: { without: without.otherCpuPctOfOneCore, with: withSubs.otherCpuPctOfOneCore },
      target: 0.9,
      subscriptions: subs,
      events,
      memory: await hub.memory(),
    };
  } finally {
    rx.server.close();
    await hub.stop();
  }
}

/** The reference: RabbitMQ's persistent fan-out of the same events to as many durable queues. */
export async function rabbitFanOut({ queues, events, prefetch }) {
  try {
    return await runWorker('rabbitmq-fanout', { amqpUrl: AMQP_URL, queues, events, prefetch, brokerPid: findPid('beam.smp') });
  } catch (error) {
    return { unavailable: String(error?.message ?? error) };
  }
}

/** All delivery figures. `quick` uses smaller sizes for a smoke run. */
export async function deliveryBench({ quick = false } = {}) {
  const fan = { subs: 100, events: quick ? 200 : 2000, concurrency: 16 };
  log(`delivery: fan-out of ${fan.events} events to ${fan.subs} webhook subscriptions`);
  const fanout = await fanOut(fan);
  log(`  → ${fanout.deliveriesPerSecond} deliveries/s (hub ${fanout.cpu.hubCpuPctOfOneCore}% of a core, other processes ${fanout.cpu.otherCpuPctOfOneCore}%)`);
  log(`delivery: reference, RabbitMQ persistent fan-out of ${fan.events} events to ${fan.subs} durable queues, ${fan.subs} acking consumers (prefetch ${fan.concurrency})`);
  const reference = await rabbitFanOut({ queues: fan.subs, events: fan.events, prefetch: fan.concurrency });
  log(`  → ${reference.deliveriesPerSecond ?? reference.unavailable} deliveries/s`);
  log('delivery: publish → webhook latency at 1,000 events/s');
  const lat = await latency({ rate: 1000, durationMs: quick ? 3000 : 10_000, warmupMs: quick ? 1000 : 3000 });
  log('delivery: cost of 1,000 non-matching subscriptions on ingest');
  const cost = await nonMatchingCost({ events: quick ? 20_000 : 100_000, subs: 1000 });
  const vsRabbit = reference.deliveriesPerSecond ? round(fanout.deliveriesPerSecond / reference.deliveriesPerSecond, 3) : null;
  const problems = [];
  if (!fanout.complete) problems.push(`delivery/fan-out: ${fanout.deliveries} of ${fanout.expected} deliveries arrived within 120 s`);
  if (reference.complete === false) problems.push(`delivery/rabbit-fan-out: ${reference.deliveries} of ${reference.expected} deliveries arrived`);
  const caveats = [];
  for (const [name, cpu] of [['delivery/fan-out', fanout.cpu], ['delivery/rabbit-fan-out', reference.cpu]]) {
    if (cpu?.otherCpuPctOfOneCore > 25) caveats.push(`${name}: other processes used ${cpu.otherCpuPctOfOneCore}% of one core during the measured window`);
  }
  return { webhookFanOut: { ...fanout, vsRabbitFanOut: vsRabbit }, rabbitFanOut: reference, publishToWebhookLatency: lat, nonMatchingSubscriptionsCost: cost, problems, caveats };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  deliveryBench({ quick }).then((r) => console.log(JSON.stringify(r, null, 2)));
}
