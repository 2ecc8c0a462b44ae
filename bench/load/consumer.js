// The SDK's consumer: Consumer.run with a no-op handler and the file cursor store, over SSE or
// over pull pages, from the start of the list until the handler has seen `expected` events.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Consumer, FileCursorStore } from '../../dist/client/index.js';
import { CpuWindow, round } from '../lib/util.js';

export default async function consumer(p) {
  const { url, list, key, hubPid, expected, transport } = p;
  const dir = mkdtempSync(join(tmpdir(), 'herold-bench-cursor-'));
  const cursorFile = join(dir, 'cursor.json');
  const abort = new AbortController();
  const consumer = new Consumer({ url, key, list, transport, pageSize: 1000, signal: abort.signal });
  let seen = 0;
  let inOrder = true;
  let last = 0n;
  const cpu = new CpuWindow(hubPid).start();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await consumer.run(
    (event) => {
      const seq = BigInt(event.heroldseq);
      if (seq !== last + 1n) inOrder = false;
      last = seq;
      if (++seen === expected) abort.abort();
    },
    { cursorStore: new FileCursorStore(cursorFile), dedupe: false },
  );
  const seconds = (performance.now() - t0) / 1000;
  const own = process.cpuUsage(cpu0);
  const cpuResult = cpu.stop();
  const saved = JSON.parse(readFileSync(cursorFile, 'utf8')).positions[list];
  rmSync(dir, { recursive: true, force: true });
  return {
    transport,
    eventsPerSecond: round(seen / seconds),
    events: seen,
    expected,
    complete: seen === expected && inOrder && saved === String(expected),
    inOrder,
    cursorSaved: saved,
    seconds: round(seconds, 3),
    // The consumer's own CPU (user + system) per event: the figure that a busy machine does not distort.
    clientCpuMicrosPerEvent: round((own.user + own.system) / Math.max(1, seen), 2),
    cpu: cpuResult,
  };
}
