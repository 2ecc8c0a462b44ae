// NDJSON replay: GET the whole list with Accept: application/x-ndjson and time
// the full read, counting lines (one event per line). The last line is parsed
// to check it carries the head's sequence number.
import { get } from 'node:http';
import { CpuWindow, round } from '../lib/util.js';

export default async function replay(p) {
  const { url, list, key, hubPid, expected } = p;
  const cpu = new CpuWindow(hubPid).start();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let firstByteMs = null;
  const out = await new Promise((resolve, reject) => {
    const req = get(
      `${url}/lists/${list}/events?after=0`,
      { headers: { authorization: `Bearer ${key}`, accept: 'application/x-ndjson' } },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`NDJSON GET: HTTP ${res.statusCode}`));
        let lines = 0;
        let bytes = 0;
        let tail = Buffer.alloc(0); // bytes after the last newline seen
        let lastLine = null;
        res.on('data', (chunk) => {
          if (firstByteMs === null) firstByteMs = performance.now() - t0;
          bytes += chunk.length;
          let pos = 0;
          let last = -1;
          let i;
          while ((i = chunk.indexOf(10, pos)) >= 0) {
            lines++;
            last = i;
            pos = i + 1;
          }
          if (last >= 0) {
            const prevEnd = last > 0 ? chunk.lastIndexOf(10, last - 1) : -1;
            lastLine = prevEnd >= 0 ? chunk.subarray(prevEnd + 1, last) : Buffer.concat([tail, chunk.subarray(0, last)]);
            lastLine = Buffer.from(lastLine);
            tail = Buffer.from(chunk.subarray(last + 1));
          } else tail = Buffer.concat([tail, chunk]);
        });
        res.on('end', () => resolve({ lines, bytes, lastLine, headHeader: res.headers['herold-head'] }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
  const seconds = (performance.now() - t0) / 1000;
  const own = process.cpuUsage(cpu0);
  const cpuResult = cpu.stop();
  let lastSeq = null;
  try {
    lastSeq = JSON.parse(out.lastLine.toString()).heroldseq;
  } catch {
    /* reported as null */
  }
  return {
    eventsPerSecond: round(out.lines / seconds),
    lines: out.lines,
    expected,
    complete: out.lines === expected,
    lastHeroldseq: lastSeq,
    heroldHeadHeader: out.headHeader,
    megabytes: round(out.bytes / 1e6, 1),
    megabytesPerSecond: round(out.bytes / 1e6 / seconds, 1),
    seconds: round(seconds, 3),
    clientCpuMicrosPerEvent: round((own.user + own.system) / Math.max(1, out.lines), 2),
    timeToFirstByteMs: round(firstByteMs, 1),
    cpu: cpuResult,
  };
}
