// The `consumer` scenario (issue 13): events per second handed to a no-op handler by the SDK's
// Consumer.run with the file cursor store, over SSE and over pull pages, each compared with the raw
// NDJSON replay rate of the same list in the same run (target: at least 0.8x). Each reader is its
// own forked process; the hub is the built CLI.
//
//   import { consumerBench } from './consumer.js';   // the `consumer` scenario of npm run bench
//   node bench/consumer.js [--quick]                  // on its own (after npm run build)
import { fileURLToPath } from 'node:url';
import { ADMIN_KEY, Hub } from './lib/hub.js';
import { log, round } from './lib/util.js';
import { runWorker } from './lib/worker.js';

export const CONSUMER_TARGET = { ratio: 0.8, text: 'Consumer.run (no-op handler, file cursor store) >= 0.8x the raw NDJSON replay rate, over SSE and over pull' };

/** @param {{ quick?: boolean }} [options] */
export async function consumerBench({ quick = false } = {}) {
  const events = quick ? 50_000 : 500_000;
  const hub = await Hub.start({ sync: 'normal', label: 'consumer' });
  try {
    await hub.createList('bench');
    const common = { url: hub.url, list: 'bench', key: ADMIN_KEY, hubPid: hub.pid };
    log(`consumer: seeding ${events} events`);
    await runWorker('ingest', { ...common, publishers: 4, batchSize: 1000, totalEvents: events }, { timeoutMs: 900_000 });
    // Each reader several times, interleaved, best run counted: on a shared 2-core machine one run
    // can land in another process's burst (every run is in details).
    const rounds = quick ? 2 : 3;
    const runs = { replay: [], sseRaw: [], sse: [], pull: [] };
    for (let round = 1; round <= rounds; round++) {
      runs.replay.push(await runWorker('replay', { ...common, expected: events }));
      runs.sseRaw.push(await runWorker('sse-raw', { ...common, expected: events }));
      runs.sse.push(await runWorker('consumer', { ...common, expected: events, transport: 'sse' }, { timeoutMs: 900_000 }));
      runs.pull.push(await runWorker('consumer', { ...common, expected: events, transport: 'pull' }, { timeoutMs: 900_000 }));
      log(`  round ${round}: NDJSON ${runs.replay.at(-1).eventsPerSecond}/s, raw SSE ${runs.sseRaw.at(-1).eventsPerSecond}/s, Consumer SSE ${runs.sse.at(-1).eventsPerSecond}/s, Consumer pull ${runs.pull.at(-1).eventsPerSecond}/s`);
    }
    const best = (list) => list.reduce((a, b) => (b.eventsPerSecond > a.eventsPerSecond ? b : a));
    const replay = best(runs.replay);
    const sseRaw = best(runs.sseRaw);
    const sse = best(runs.sse);
    const pull = best(runs.pull);
    const ratios = { sse: round(sse.eventsPerSecond / replay.eventsPerSecond, 3), pull: round(pull.eventsPerSecond / replay.eventsPerSecond, 3) };
    const problems = [
      ...runs.replay.filter((r) => !r.complete).map((r) => `replay returned ${r.lines} lines, expected ${events}`),
      ...[...runs.sse, ...runs.pull].filter((r) => !r.complete).map((r) => `${r.transport}: ${r.events} events, in order ${r.inOrder}, cursor ${r.cursorSaved}`),
    ];
    return {
      figure: Math.min(ratios.sse, ratios.pull),
      unit: 'ratio of Consumer.run events/s to NDJSON replay events/s (the lower of SSE and pull)',
      pass: ratios.sse >= CONSUMER_TARGET.ratio && ratios.pull >= CONSUMER_TARGET.ratio && problems.length === 0,
      target: CONSUMER_TARGET,
      eventsPerSecond: { sse: sse.eventsPerSecond, pull: pull.eventsPerSecond, ndjsonReplay: replay.eventsPerSecond, rawSse: sseRaw.eventsPerSecond },
      ratios,
      parameters: { listSize: events, rounds, handler: 'no-op', cursorStore: 'FileCursorStore (commitEvery 100, commitIntervalMs 1000)', pageSize: 1000, seedSync: 'normal' },
      details: { best: { sse, pull, replay, sseRaw }, rounds: Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, v.map((r) => r.eventsPerSecond)])) },
      memory: await hub.memory(),
      problems,
    };
  } finally {
    await hub.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await consumerBench({ quick: process.argv.includes('--quick') });
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}
