// Batched ingest: a few concurrent publishers POST application/cloudevents-batch+json
// arrays of `batchSize` ~300-byte events over keep-alive connections.
// Timed mode: warm-up, then count events acknowledged (201) inside the window.
// Seed mode (totalEvents): publish exactly that many, as fast as possible.
import { agent, post } from '../lib/http.js';
import { batchJson } from '../lib/events.js';
import { CpuWindow, log, percentiles, round } from '../lib/util.js';

export default async function ingest(p) {
  const { url, list, key, hubPid, publishers = 4, batchSize = 1000, warmupMs = 2000, durationMs = 10_000, totalEvents } = p;
  const seed = totalEvents != null;
  const ag = agent(publishers);
  const path = `/lists/${list}/events`;
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/cloudevents-batch+json' };

  let n = 0; // events issued so far (also drives subjects)
  let stop = false;
  const t0 = performance.now();
  const winStart = seed ? t0 : t0 + warmupMs;
  const winEnd = seed ? Infinity : winStart + durationMs;
  const cpu = new CpuWindow(hubPid);
  let cpuResult = null;
  let winEndActual = null;
  if (!seed) {
    setTimeout(() => cpu.start(), warmupMs);
    setTimeout(() => {
      cpuResult = cpu.stop();
      winEndActual = performance.now();
      stop = true;
    }, warmupMs + durationMs);
  } else cpu.start();

  const stats = { ackedEvents: 0, ackedBatches: 0, statuses: {}, allStatuses: {}, duplicates: 0, shortResults: 0, transportErrors: 0, firstProblem: null };
  const latencies = [];
  let lastLog = 0;

  async function publisher() {
    while (!stop) {
      if (seed && n >= totalEvents) break;
      const size = seed ? Math.min(batchSize, totalEvents - n) : batchSize;
      const body = batchJson(n, size);
      n += size;
      const started = performance.now();
      let r;
      try {
        r = await post(ag, url, path, headers, body);
      } catch (error) {
        stats.transportErrors++;
        stats.firstProblem ??= `transport: ${error.message}`;
        if (stats.transportErrors > 50) throw new Error(`too many transport errors: ${error.message}`);
        continue;
      }
      const done = performance.now();
      const inWindow = seed || (done >= winStart && done < winEnd);
      stats.allStatuses[r.status] = (stats.allStatuses[r.status] ?? 0) + 1;
      if (r.status !== 201) {
        stats.firstProblem ??= `HTTP ${r.status}: ${r.text.slice(0, 300)}`;
        if (inWindow) stats.statuses[r.status] = (stats.statuses[r.status] ?? 0) + 1;
        continue;
      }
      const results = JSON.parse(r.text).results;
      if (results.length !== size) stats.shortResults++;
      for (const x of results) if (x.duplicate) stats.duplicates++;
      if (!inWindow) continue;
      stats.statuses[r.status] = (stats.statuses[r.status] ?? 0) + 1;
      latencies.push(done - started);
      stats.ackedEvents += size;
      stats.ackedBatches++;
      if (seed && stats.ackedEvents - lastLog >= 100_000) {
        lastLog = stats.ackedEvents;
        log(`  seeded ${stats.ackedEvents} events (${Math.round(stats.ackedEvents / ((done - t0) / 1000))}/s)`);
      }
    }
  }

  await Promise.all(Array.from({ length: publishers }, publisher));
  if (seed) {
    cpuResult = cpu.stop();
    winEndActual = performance.now();
  }
  ag.destroy();
  const seconds = (winEndActual - winStart) / 1000;
  return {
    eventsPerSecond: round(stats.ackedEvents / seconds),
    seconds: round(seconds, 3),
    ...stats,
    batchLatencyMs: percentiles(latencies, [50, 99]),
    cpu: cpuResult,
  };
}
