// Many concurrent SSE consumers on one hub (PRODUCT.md: 10,000 in one process under 1 GiB; issue 16:
// publish → arrival p99 < 250 ms at 10 events/s across all of them, and 1,000 streams at 100 events/s
// with p99 < 100 ms). The consumers live in forked client processes (load/sse-many.js); the hub's
// peak RSS is read from /proc while they follow the list and events arrive.
//
//   import { sseManyBench } from './sse-many.js';  // the `ssemany` scenario of npm run bench
//   node bench/sse-many.js [--quick]               // on its own (after npm run build)
import { fileURLToPath } from 'node:url';
import { ADMIN_KEY, Hub } from './lib/hub.js';
import { runWorker } from './lib/worker.js';

export const SSE_MANY_TARGET = { consumers: 10_000, peakRssMiB: 1024, text: '10,000 concurrent SSE consumers in one hub process under 1 GiB, every event to every consumer' };
export const SSE_LATENCY_TARGETS = [
  { consumers: 10_000, rate: 10, p99Ms: 250 },
  { consumers: 1_000, rate: 100, p99Ms: 100 },
];

/** One hub, `consumers` streams, `events` published at `rate`/s. */
async function run({ consumers, rate, events, processes }) {
  const hub = await Hub.start({ sync: 'full', label: `sse-many-${consumers}` });
  try {
    await hub.createList('bench');
    hub.resetPeakRss();
    const r = await runWorker('sse-many', { url: hub.url, list: 'bench', key: ADMIN_KEY, hubPid: hub.pid, consumers, events, rate, processes }, { timeoutMs: 600_000 });
    const memory = await hub.memory();
    const problems = [];
    if (r.firstProblem) problems.push(r.firstProblem);
    if (r.complete !== consumers) problems.push(`${consumers - r.complete} of ${consumers} consumers did not get all ${r.events} events in order`);
    return { ...r, memory, problems };
  } finally {
    await hub.stop();
  }
}

/** @param {{ quick?: boolean, processes?: number }} [options] */
export async function sseManyBench({ quick = false, processes = 4 } = {}) {
  const scale = quick ? 0.2 : 1;
  const runs = [];
  for (const t of SSE_LATENCY_TARGETS) {
    const consumers = Math.round(t.consumers * scale);
    const r = await run({ consumers, rate: t.rate, events: quick ? t.rate * 3 : t.rate * 10, processes });
    runs.push({ ...r, target: { p99Ms: t.p99Ms, consumers: t.consumers, rate: t.rate }, meetsLatencyTarget: consumers >= t.consumers && r.problems.length === 0 && r.latencyMs.p99 < t.p99Ms });
  }
  const [many] = runs;
  const problems = runs.flatMap((r) => r.problems);
  return {
    figure: many.memory.peakRssMiB,
    unit: 'MiB peak RSS',
    pass: problems.length === 0 && many.memory.peakRssMiB < SSE_MANY_TARGET.peakRssMiB && many.consumers >= SSE_MANY_TARGET.consumers,
    target: SSE_MANY_TARGET,
    consumers: many.consumers,
    complete: many.complete,
    latencyMs: many.latencyMs,
    runs,
    memory: many.memory,
    problems,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await sseManyBench({ quick: process.argv.includes('--quick') });
  process.stdout.write(JSON.stringify(result, (k, v) => (k === 'latencies' ? undefined : v), 2) + '\n');
}
