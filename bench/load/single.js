// Single-event publish: autocannon, N keep-alive connections, one structured
// CloudEvent per POST. Bodies come from a pre-generated rotation of unique
// events (random UUID ids), so every request is a new event, not a duplicate.
import autocannon from 'autocannon';
import { eventJson } from '../lib/events.js';
import { CpuWindow, log, percentiles, round } from '../lib/util.js';

export default async function single(p) {
  const { url, list, key, hubPid, connections = 50, warmupS = 2, durationS = 10, rotation = 500_000 } = p;
  const t = performance.now();
  const bodies = new Array(rotation);
  for (let i = 0; i < rotation; i++) bodies[i] = eventJson(i);
  log(`  pre-generated ${rotation} unique event bodies in ${Math.round(performance.now() - t)} ms`);

  let next = 0;
  let wrapped = false;
  const request = {
    method: 'POST',
    path: `/lists/${list}/events`,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/cloudevents+json' },
    setupRequest: (req) => {
      if (next >= rotation) {
        next = 0;
        wrapped = true;
      }
      req.body = bodies[next++];
      return req;
    },
  };

  const go = (duration, onResponse) =>
    new Promise((resolve, reject) => {
      const inst = autocannon({ url, connections, duration, pipelining: 1, requests: [request] }, (err, res) => (err ? reject(err) : resolve(res)));
      if (onResponse) inst.on('response', onResponse);
    });

  if (warmupS > 0) {
    const w = await go(warmupS);
    log(`  warm-up: ${Math.round(w.requests.average)} req/s, statuses ${JSON.stringify(w.statusCodeStats)}`);
  }

  const latencies = [];
  const cpu = new CpuWindow(hubPid).start();
  const res = await go(durationS, (_client, statusCode, _bytes, responseTime) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const cpuResult = cpu.stop();
  const statuses = Object.fromEntries(Object.entries(res.statusCodeStats).map(([k, v]) => [k, v.count]));
  const completed = res.totalCompletedRequests;
  return {
    requestsPerSecond: round(res['2xx'] / res.duration, 0),
    latencyMs: percentiles(latencies, [50, 90, 99, 99.9]),
    autocannon: {
      requestsPerSecondAverage: res.requests.average,
      latencyMsP50: res.latency.p50,
      latencyMsP99: res.latency.p99,
      note: 'autocannon histogram has 1 ms resolution; latencyMs above is exact, from every 2xx response',
    },
    durationSeconds: res.duration,
    completed,
    statuses,
    non2xx: res.non2xx,
    errors: res.errors,
    timeouts: res.timeouts,
    rotationSize: rotation,
    rotationWrapped: wrapped,
    cpu: cpuResult,
  };
}
