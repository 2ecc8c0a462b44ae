// Many SSE consumers at once (PRODUCT.md: 10,000 in one process under 1 GiB).
// Opens `consumers` live SSE streams on one list, then publishes `events`
// single events at `rate`/s, each carrying its send time; every consumer
// counts what it receives. Reports how many streams opened, how many got
// every event in order, and the publish → arrival latency over all of them.
import { Agent, get } from 'node:http';
import { agent, post } from '../lib/http.js';
import { eventJson } from '../lib/events.js';
import { pace } from '../lib/pacer.js';
import { onSseMessages } from '../lib/sse.js';
import { CpuWindow, log, percentiles, round, sleep } from '../lib/util.js';

export default async function sseMany(p) {
  const { url, list, key, hubPid, consumers = 10_000, events = 50, rate = 5, openConcurrency = 250 } = p;
  const auth = { authorization: `Bearer ${key}` };
  const streamAgent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const latencies = new Float64Array(consumers * events);
  let samples = 0;
  const state = [];
  let failedOpens = 0;
  let firstProblem = null;

  const open = (i) =>
    new Promise((resolve) => {
      const s = { received: 0, lastSeq: -1, outOfOrder: 0, ended: false };
      const req = get(`${url}/lists/${list}/events`, { agent: streamAgent, headers: { ...auth, accept: 'text/event-stream' } }, (res) => {
        if (res.statusCode !== 200) {
          failedOpens++;
          firstProblem ??= `stream ${i}: HTTP ${res.statusCode}`;
          res.resume();
          return resolve(null);
        }
        onSseMessages(res, (msg, now) => {
          const m = /"sentAt":([0-9.]+),"n":(\d+)/.exec(msg);
          if (!m) return; // heartbeats and other lines
          // Publishes overlap, so commit order need not be send order: check the seqs instead.
          const seq = Number(/^id: ?(\d+)/m.exec(msg)?.[1] ?? NaN);
          if (!(seq === s.lastSeq + 1 || (s.lastSeq === -1 && seq >= 1))) s.outOfOrder++;
          s.lastSeq = seq;
          s.received++;
          if (samples < latencies.length) latencies[samples++] = now - Number(m[1]);
        });
        res.on('end', () => (s.ended = true));
        res.on('error', () => (s.ended = true));
        state.push(s);
        resolve(s);
      });
      req.on('error', (e) => {
        failedOpens++;
        firstProblem ??= `stream ${i}: ${e.message}`;
        resolve(null);
      });
    });

  const t0 = performance.now();
  for (let i = 0; i < consumers; i += openConcurrency) {
    await Promise.all(Array.from({ length: Math.min(openConcurrency, consumers - i) }, (_, j) => open(i + j)));
    if ((i + openConcurrency) % 2000 === 0) log(`  sse-many: ${state.length.toLocaleString('en')} streams open`);
  }
  const openSeconds = round((performance.now() - t0) / 1000, 1);
  log(`  sse-many: ${state.length.toLocaleString('en')} streams open in ${openSeconds} s (${failedOpens} failed); publishing ${events} events at ${rate}/s`);
  await sleep(1000);

  const cpu = new CpuWindow(hubPid);
  cpu.start();
  const pub = agent(4);
  const headers = { ...auth, 'content-type': 'application/cloudevents+json' };
  const publishes = [];
  await pace(rate, (events * 1000) / rate, (n) => {
    publishes.push(
      post(pub, url, `/lists/${list}/events`, headers, eventJson(n, { extra: `"sentAt":${performance.now()},"n":${n}` })).then(
        (res) => {
          if (res.status !== 201) firstProblem ??= `publish: HTTP ${res.status}`;
        },
        (e) => (firstProblem ??= `publish: ${e.message}`),
      ),
    );
  });
  await Promise.all(publishes);
  // Let the last event reach every stream.
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline && state.some((s) => s.received < events && !s.ended)) await sleep(100);
  const cpuResult = cpu.stop();
  pub.destroy();
  const complete = state.filter((s) => s.received === events && s.outOfOrder === 0).length;
  const result = {
    consumers,
    opened: state.length,
    failedOpens,
    openSeconds,
    events,
    rate,
    complete,
    endedEarly: state.filter((s) => s.ended).length,
    outOfOrder: state.reduce((n, s) => n + s.outOfOrder, 0),
    latencyMs: percentiles(Array.from(latencies.subarray(0, samples)), [50, 99]),
    cpu: cpuResult,
    firstProblem,
  };
  streamAgent.destroy();
  return result;
}
