// One of the processes holding the SSE consumers of bench/load/sse-many.js (forked by it, driven over
// IPC). It opens its share of the streams, then counts what arrives. Arrival times are taken on
// the system's monotonic clock (process.hrtime), which all processes share, so the publisher's
// send time can be subtracted from them; the process reports its own CPU for the measured window.
import { Agent, get } from 'node:http';
import { onSseMessages } from '../lib/sse.js';

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

const state = [];
let latencies = [];
let cpu0 = null;
let t0 = 0;
let failedOpens = 0;
let firstProblem = null;

function open(url, list, key, agent) {
  return new Promise((resolve) => {
    const s = { received: 0, lastSeq: -1, outOfOrder: 0, ended: false };
    const req = get(`${url}/lists/${list}/events`, { agent, headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        failedOpens++;
        firstProblem ??= `HTTP ${res.statusCode}`;
        res.resume();
        return resolve();
      }
      onSseMessages(res, (msg) => {
        const m = /"sentAt":([0-9.]+),"n":(\d+)/.exec(msg);
        if (!m) return; // heartbeats and other lines
        // Publishes overlap, so commit order need not be send order: check the seqs instead.
        const seq = Number(/^id: ?(\d+)/m.exec(msg)?.[1] ?? NaN);
        if (!(seq === s.lastSeq + 1 || (s.lastSeq === -1 && seq >= 1))) s.outOfOrder++;
        s.lastSeq = seq;
        s.received++;
        latencies.push(nowMs() - Number(m[1]));
      });
      res.on('end', () => (s.ended = true));
      res.on('error', () => (s.ended = true));
      state.push(s);
      resolve();
    });
    req.on('error', (e) => {
      failedOpens++;
      firstProblem ??= e.message;
      resolve();
    });
  });
}

process.on('message', async (m) => {
  if (m.type === 'open') {
    const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
    for (let i = 0; i < m.count; i += m.concurrency) {
      await Promise.all(Array.from({ length: Math.min(m.concurrency, m.count - i) }, () => open(m.url, m.list, m.key, agent)));
    }
    process.send({ type: 'opened', opened: state.length, failedOpens, firstProblem });
  } else if (m.type === 'start') {
    latencies = [];
    cpu0 = process.cpuUsage();
    t0 = performance.now();
  } else if (m.type === 'finish') {
    // Let the last event reach every stream.
    const deadline = performance.now() + m.waitMs;
    while (performance.now() < deadline && state.some((s) => s.received < m.events && !s.ended)) await new Promise((r) => setTimeout(r, 50));
    const c = process.cpuUsage(cpu0);
    const seconds = (performance.now() - t0) / 1000;
    process.send({
      type: 'result',
      opened: state.length,
      complete: state.filter((s) => s.received === m.events && s.outOfOrder === 0).length,
      endedEarly: state.filter((s) => s.ended).length,
      outOfOrder: state.reduce((n, s) => n + s.outOfOrder, 0),
      latencies,
      cpuPctOfOneCore: Math.round(((c.user + c.system) / 1e6 / seconds) * 1000) / 10,
      firstProblem,
    }, () => process.exit(0));
  }
});
