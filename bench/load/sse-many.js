// Many SSE consumers at once (PRODUCT.md: 10,000 in one process under 1 GiB; issue 16: publish →
// arrival p99 < 250 ms at 10 events/s, and < 100 ms for 1,000 streams at 100 events/s).
// The consumers live in `processes` forked client processes (load/sse-clients.js), so that one
// load-generator event loop is not what the latency measures; this process publishes `events`
// single events at `rate`/s, each carrying its send time on the monotonic clock all processes
// share. Reports how many streams got every event in order, the publish → arrival latency over
// all of them, and the CPU of the hub and of each client process.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agent, post } from '../lib/http.js';
import { eventJson } from '../lib/events.js';
import { pace } from '../lib/pacer.js';
import { CpuWindow, log, percentiles, round, sleep } from '../lib/util.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function request(child, message, reply) {
  const answer = new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (m.type !== reply) return;
      child.off('message', onMessage);
      resolve(m);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`SSE client process exited with ${code}`)));
  });
  child.send(message);
  return answer;
}

export default async function sseMany(p) {
  const { url, list, key, hubPid, consumers = 10_000, events = 50, rate = 5, openConcurrency = 250, processes = 4 } = p;
  const children = Array.from({ length: processes }, () => fork(join(HERE, 'sse-clients.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--max-old-space-size=2048'] }));
  try {
    const t0 = performance.now();
    const share = (i) => Math.floor(consumers / processes) + (i < consumers % processes ? 1 : 0);
    const opened = await Promise.all(children.map((c, i) => request(c, { type: 'open', url, list, key, count: share(i), concurrency: Math.ceil(openConcurrency / processes) }, 'opened')));
    const openSeconds = round((performance.now() - t0) / 1000, 1);
    const total = opened.reduce((n, o) => n + o.opened, 0);
    log(`  sse-many: ${total.toLocaleString('en')} streams open in ${openSeconds} s in ${processes} client processes; publishing ${events} events at ${rate}/s`);
    await sleep(1000);

    for (const c of children) c.send({ type: 'start' });
    const cpu = new CpuWindow(hubPid).start();
    const pub = agent(8);
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/cloudevents+json' };
    const publishes = [];
    let firstProblem = opened.find((o) => o.firstProblem)?.firstProblem ?? null;
    await pace(rate, (events * 1000) / rate, (n) => {
      publishes.push(
        post(pub, url, `/lists/${list}/events`, headers, eventJson(n, { extra: `"sentAt":${nowMs()},"n":${n}` })).then(
          (res) => {
            if (res.status !== 201) firstProblem ??= `publish: HTTP ${res.status}`;
          },
          (e) => (firstProblem ??= `publish: ${e.message}`),
        ),
      );
    });
    await Promise.all(publishes);
    const results = await Promise.all(children.map((c) => request(c, { type: 'finish', events, waitMs: 30_000 }, 'result')));
    const cpuResult = cpu.stop();
    pub.destroy();
    const latencies = results.flatMap((r) => r.latencies);
    firstProblem ??= results.find((r) => r.firstProblem)?.firstProblem ?? null;
    return {
      consumers,
      opened: total,
      failedOpens: opened.reduce((n, o) => n + o.failedOpens, 0),
      openSeconds,
      events,
      rate,
      clientProcesses: processes,
      complete: results.reduce((n, r) => n + r.complete, 0),
      endedEarly: results.reduce((n, r) => n + r.endedEarly, 0),
      outOfOrder: results.reduce((n, r) => n + r.outOfOrder, 0),
      latencyMs: percentiles(latencies, [50, 90, 99]),
      cpu: { ...cpuResult, clientProcessesPctOfOneCore: results.map((r) => r.cpuPctOfOneCore), note: 'loadGenerator = the publisher; the consumers are in the client processes' },
      firstProblem,
    };
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill();
    await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : undefined)));
  }
}
