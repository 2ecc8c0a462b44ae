// Publish → SSE latency. One SSE consumer follows the list live; a paced
// publisher POSTs single structured events carrying their send time
// (performance.now() of this process) in `data`. Latency = time the SSE chunk
// holding the event arrived − send time. Both ends share this process's clock.
import { get } from 'node:http';
import { agent, post } from '../lib/http.js';
import { eventJson } from '../lib/events.js';
import { pace } from '../lib/pacer.js';
import { onSseMessages } from '../lib/sse.js';
import { CpuWindow, log, percentiles, round, sleep } from '../lib/util.js';

export default async function sse(p) {
  const { url, list, key, hubPid, rate = 2000, warmupMs = 3000, durationMs = 10_000 } = p;
  const auth = { authorization: `Bearer ${key}` };

  // --- consumer ---
  const latencies = []; // measured window only
  let windowStart = null;
  const seconds = [];
  const bySecond = (sentAt) => {
    const i = Math.max(0, Math.floor((sentAt - windowStart) / 1000));
    return (seconds[i] ??= []);
  };
  let received = 0;
  let lastSeq = 0;
  let gaps = 0;
  let measureFrom = Infinity; // n of the first measured event
  let measureTo = Infinity; // n after the last measured event
  let receivedInWindow = 0;
  const stream = await new Promise((resolve, reject) => {
    const req = get(`${url}/lists/${list}/events?after=0`, { headers: { ...auth, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`SSE GET: HTTP ${res.statusCode}`));
      res.socket.setNoDelay(true);
      onSseMessages(res, (msg, now) => {
        const di = msg.indexOf('data: ');
        if (di < 0 || msg.startsWith('event:')) return;
        const ev = JSON.parse(msg.slice(di + 6, msg.indexOf('\n', di) >= 0 ? msg.indexOf('\n', di) : undefined));
        const seq = Number(ev.heroldseq);
        if (lastSeq && seq !== lastSeq + 1) gaps++;
        lastSeq = seq;
        received++;
        const { n, sentAt } = ev.data;
        if (n >= measureFrom && n < measureTo) {
          latencies.push(now - sentAt);
          bySecond(sentAt).push(now - sentAt);
          receivedInWindow++;
        }
      });
      resolve({ req, res });
    });
    req.on('error', reject);
  });

  // --- publisher ---
  const ag = agent(64);
  const path = `/lists/${list}/events`;
  const headers = { ...auth, 'content-type': 'application/cloudevents+json' };
  let n = 0;
  const inflight = new Set();
  const statuses = {};
  const ackLatencies = [];
  let firstProblem = null;
  let transportErrors = 0;
  const publishOne = (measured) => {
    const myN = n++;
    const sentAt = performance.now();
    const body = eventJson(myN, { extra: `"n":${myN},"sentAt":${sentAt}` });
    const pr = post(ag, url, path, headers, body).then(
      (r) => {
        if (measured) {
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          ackLatencies.push(performance.now() - sentAt);
        }
        if (r.status !== 201) firstProblem ??= `HTTP ${r.status}: ${r.text.slice(0, 300)}`;
      },
      (e) => {
        transportErrors++;
        firstProblem ??= `transport: ${e.message}`;
      },
    );
    inflight.add(pr);
    pr.finally(() => inflight.delete(pr));
  };

  log(`  warm-up ${warmupMs} ms at ${rate}/s`);
  await pace(rate, warmupMs, () => publishOne(false));
  await Promise.all([...inflight]);
  await sleep(200);
  windowStart = performance.now();
  measureFrom = n;
  const cpu = new CpuWindow(hubPid).start();
  log(`  measuring ${durationMs} ms at ${rate}/s`);
  const paced = await pace(rate, durationMs, () => publishOne(true));
  measureTo = n;
  await Promise.all([...inflight]);
  const deadline = Date.now() + 5000;
  while (receivedInWindow < measureTo - measureFrom && Date.now() < deadline) await sleep(20);
  const cpuResult = cpu.stop();
  stream.req.destroy();
  ag.destroy();

  const sentInWindow = measureTo - measureFrom;
  return {
    latencyMs: percentiles(latencies, [50, 90, 99, 99.9]),
    publishAckLatencyMs: percentiles(ackLatencies, [50, 99]),
    // p99 and max per second of the window, by send time: shows whether a tail is one stall or spread out.
    perSecondP99Ms: seconds.map((a) => percentiles(a ?? [], [99]).p99 ?? null),
    perSecondMaxMs: seconds.map((a) => percentiles(a ?? [], [99]).max ?? null),
    targetRate: rate,
    achievedRate: round(paced.sent / paced.seconds),
    sentInWindow,
    receivedInWindow,
    missing: sentInWindow - receivedInWindow,
    receivedTotal: received,
    seqGaps: gaps,
    statuses,
    transportErrors,
    firstProblem,
    cpu: cpuResult,
  };
}
