// 10,000 concurrent SSE consumers on one hub (PRODUCT.md: in one process under
// 1 GiB). The consumers live in one forked load-generator process; the hub's
// peak RSS is read from /proc while they follow the list and events arrive.
//
//   import { sseManyBench } from './sse-many.js';  // the `ssemany` scenario of npm run bench
//   node bench/sse-many.js [--quick]               // on its own (after npm run build)
import { fileURLToPath } from 'node:url';
import { ADMIN_KEY, Hub } from './lib/hub.js';
import { runWorker } from './lib/worker.js';

export const SSE_MANY_TARGET = { consumers: 10_000, peakRssMiB: 1024, text: '10,000 concurrent SSE consumers in one hub process under 1 GiB, every event to every consumer' };

/** @param {{ quick?: boolean }} [options] */
export async function sseManyBench({ quick = false } = {}) {
  const consumers = quick ? 2000 : 10_000;
  const hub = await Hub.start({ sync: 'full', label: 'sse-many' });
  try {
    await hub.createList('bench');
    hub.resetPeakRss();
    const r = await runWorker('sse-many', { url: hub.url, list: 'bench', key: ADMIN_KEY, hubPid: hub.pid, consumers, events: 50, rate: 5 }, { timeoutMs: 600_000 });
    const memory = await hub.memory();
    const problems = [];
    if (r.firstProblem) problems.push(r.firstProblem);
    if (r.complete !== consumers) problems.push(`${consumers - r.complete} of ${consumers} consumers did not get all ${r.events} events in order`);
    return {
      figure: memory.peakRssMiB,
      unit: 'MiB peak RSS',
      pass: problems.length === 0 && memory.peakRssMiB < SSE_MANY_TARGET.peakRssMiB && consumers >= SSE_MANY_TARGET.consumers,
      target: SSE_MANY_TARGET,
      ...r,
      memory,
      problems,
    };
  } finally {
    await hub.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await sseManyBench({ quick: process.argv.includes('--quick') });
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}
