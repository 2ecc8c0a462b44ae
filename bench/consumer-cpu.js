// The client's own CPU per event, without a hub: Consumer.run (no-op handler, file cursor store) over a
// fetch stub that serves a prebuilt SSE stream (64 KiB chunks) or prebuilt JSON pages of 1,000 from
// memory. The hub's share and other processes' do not enter the figure, so two builds of the client
// can be compared on a busy machine: rounds alternate between them.
//
//   node bench/consumer-cpu.js [--events 200000] [--rounds 3] [--dist dist] [--dist /tmp/old/dist]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { eventJson } from './lib/events.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const values = args.flatMap((a, i) => (a === name ? [args[i + 1]] : []));
  return values.length ? values : dflt;
};
const events = Number(opt('--events', ['200000'])[0]);
const rounds = Number(opt('--rounds', ['3'])[0]);
const dists = opt('--dist', ['dist']).map((d) => resolve(d));

const time = new Date().toISOString();
const served = (n) => `${eventJson(n).slice(0, -1)},"heroldseq":"${n}","heroldtime":"${time}"}`;
const sse = Buffer.from(`retry: 2000\n: herold stream of 'bench' after 0\n\n` + Array.from({ length: events }, (_, i) => `id: ${i + 1}\ndata: ${served(i + 1)}\n\n`).join(''));
const pages = new Map();
for (let after = 0; after < events; after += 1000) {
  const n = Math.min(1000, events - after);
  const body = `{"events":[${Array.from({ length: n }, (_, i) => served(after + i + 1)).join(',')}],"next":"${after + n}","head":"${events}"}`;
  pages.set(String(after), body);
}

const stub = async (url, init) => {
  if (init.headers.accept === 'text/event-stream') {
    let off = 0;
    const body = new ReadableStream({
      type: 'bytes',
      start(c) {
        init.signal?.addEventListener('abort', () => c.error(init.signal.reason));
      },
      pull(c) {
        if (off >= sse.length) return new Promise(() => {}); // a live stream that has nothing more yet
        c.enqueue(new Uint8Array(sse.subarray(off, off + 65536)));
        off += 65536;
      },
    });
    return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
  }
  return new Response(pages.get(new URL(url).searchParams.get('after')), { headers: { 'content-type': 'application/json' } });
};

async function once(dist, transport) {
  const { Consumer, FileCursorStore } = await import(pathToFileURL(join(dist, 'client', 'index.js')).href);
  const dir = mkdtempSync(join(tmpdir(), 'herold-consumer-cpu-'));
  const abort = new AbortController();
  const consumer = new Consumer({ url: 'http://stub', list: 'bench', transport, pageSize: 1000, signal: abort.signal, fetch: stub });
  let seen = 0;
  const cpu0 = process.cpuUsage();
  await consumer.run(
    () => {
      if (++seen === events) abort.abort();
    },
    { cursorStore: new FileCursorStore(join(dir, 'cursor.json')), dedupe: false },
  );
  const cpu = process.cpuUsage(cpu0);
  rmSync(dir, { recursive: true, force: true });
  return Math.round(((cpu.user + cpu.system) / seen) * 100) / 100;
}

const results = {};
for (let r = 0; r < rounds; r++) {
  for (const transport of ['sse', 'pull']) {
    for (const dist of dists) {
      const us = await once(dist, transport);
      (results[`${dist} ${transport}`] ??= []).push(us);
      process.stderr.write(`round ${r + 1}: ${dist} ${transport} ${us} µs/event\n`);
    }
  }
}
const best = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, { bestMicrosPerEvent: Math.min(...v), rounds: v }]));
process.stdout.write(JSON.stringify({ events, clientCpuMicrosPerEvent: best }, null, 2) + '\n');
