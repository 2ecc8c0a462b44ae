// Ingest must not collapse as a list grows (PRODUCT.md: the rate at 5,000,000
// events within 80 % of the rate at 100,000). One hub, one list, batched
// durable ingest (--sync full, 4 publishers × 1,000 events, random UUID ids,
// 100,000 distinct subjects) in segments of 100,000 events; the rate of each
// segment is recorded, and the figure is the ratio of the last three
// segments' rate to that of the three after the first 100,000.
//
//   import { growthBench } from './growth.js';   // the `growth` scenario of npm run bench
//   node bench/growth.js [--quick]                // on its own (after npm run build)
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_KEY, Hub } from './lib/hub.js';
import { log, round } from './lib/util.js';
import { runWorker } from './lib/worker.js';

const SEGMENT = 100_000;
const WINDOW = 3;

export const GROWTH_TARGET = { ratio: 0.8, text: 'batched ingest rate at 5,000,000 events >= 80% of the rate at 100,000' };

function dirBytes(dir) {
  let n = 0;
  for (const f of readdirSync(dir)) n += statSync(join(dir, f)).size;
  return n;
}

/** @param {{ quick?: boolean }} [options] */
export async function growthBench({ quick = false } = {}) {
  const total = quick ? 1_000_000 : 5_000_000;
  const hub = await Hub.start({ sync: 'full', label: 'growth' });
  try {
    await hub.createList('bench');
    const series = [];
    const t0 = performance.now();
    for (let done = 0; done < total; done += SEGMENT) {
      const r = await runWorker('ingest', { url: hub.url, list: 'bench', key: ADMIN_KEY, hubPid: hub.pid, publishers: 4, batchSize: 1000, totalEvents: SEGMENT });
      if (r.firstProblem || r.duplicates || r.transportErrors) throw new Error(`segment ending at ${done + SEGMENT}: ${r.firstProblem ?? `${r.duplicates} duplicates, ${r.transportErrors} transport errors`}`);
      series.push({ eventsInList: done + SEGMENT, eventsPerSecond: r.eventsPerSecond });
      if ((done + SEGMENT) % 500_000 === 0) {
        const elapsed = (performance.now() - t0) / 1000;
        log(`  growth: ${(done + SEGMENT).toLocaleString('en')} events in the list, this segment ${r.eventsPerSecond.toLocaleString('en')}/s (${round(elapsed)} s so far)`);
      }
    }
    const mean = (xs) => xs.reduce((n, x) => n + x.eventsPerSecond, 0) / xs.length;
    // "At 100,000": the segments right after the first 100,000 (the first one includes start-up).
    const early = round(mean(series.slice(1, 1 + WINDOW)));
    const late = round(mean(series.slice(-WINDOW)));
    const ratio = round(late / early, 3);
    return {
      figure: ratio,
      unit: 'ratio of the rate at the end to the rate at 100,000',
      pass: ratio >= GROWTH_TARGET.ratio,
      target: GROWTH_TARGET,
      rateAt100k: early,
      rateAtEnd: late,
      eventsInList: total,
      parameters: { segmentEvents: SEGMENT, windowSegments: WINDOW, publishers: 4, batchSize: 1000, sync: 'full' },
      // Every 10th segment, to keep the document short.
      series: series.filter((_, i) => i % 10 === 9 || i === 1),
      dataDirMiB: round(dirBytes(hub.dataDir) / 2 ** 20, 1),
      memory: await hub.memory(),
      problems: [],
    };
  } finally {
    await hub.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await growthBench({ quick: process.argv.includes('--quick') });
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}
