// Small helpers shared by the orchestrator and the load workers.
import { closeSync, fdatasync, fdatasyncSync, openSync, readdirSync, readFileSync, unlinkSync, write, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';

export const CLK_TCK = 100; // Linux USER_HZ; /proc/<pid>/stat times are in these ticks.

/** Progress goes to stderr; stdout carries only the final JSON document. */
export function log(...args) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${args.join(' ')}\n`);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A port nobody listens on right now (small race before the hub binds it; acceptable here). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; null if unreadable. */
export function procCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may contain spaces; everything after the last ')' is space-separated from field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Machine-wide busy and total jiffies from /proc/stat (all cores). */
export function machineCpu() {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = v[3] + (v[4] || 0);
    const total = v.reduce((a, b) => a + b, 0);
    return { idle, total };
  } catch {
    return null;
  }
}

/** The pid of the first process whose command name is `comm` (e.g. RabbitMQ's beam.smp), or null. */
export function findPid(comm) {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() === comm) return Number(d);
    } catch {
      /* gone */
    }
  }
  return null;
}

/** {name: kB} for the Vm* and Rss* lines of /proc/<pid>/status. */
export function procStatus(pid) {
  try {
    const out = {};
    for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
      const m = /^(Vm\w+|Rss\w+):\s+(\d+) kB/.exec(line);
      if (m) out[m[1]] = Number(m[2]);
    }
    return out;
  } catch {
    return null;
  }
}

/**
 * CPU accounting over a measurement window: the hub's process, this process
 * (the load generator) and the whole machine. Percentages are of ONE core, so
 * on a 2-core machine the machine total tops out at 200%.
 */
export class CpuWindow {
  constructor(hubPid) {
    this.hubPid = hubPid;
  }
  start() {
    this.t0 = performance.now();
    this.hub0 = this.hubPid ? procCpuSeconds(this.hubPid) : null;
    this.self0 = process.cpuUsage();
    this.m0 = machineCpu();
    return this;
  }
  stop() {
    const wall = (performance.now() - this.t0) / 1000;
    const hub1 = this.hubPid ? procCpuSeconds(this.hubPid) : null;
    const self = process.cpuUsage(this.self0);
    const m1 = machineCpu();
    const pct = (s) => (s == null ? null : round((s / wall) * 100, 1));
    const selfSec = (self.user + self.system) / 1e6;
    let machineBusyPct = null;
    if (this.m0 && m1) {
      const total = m1.total - this.m0.total;
      const idle = m1.idle - this.m0.idle;
      // Express as "cores busy × 100" like the per-process figures.
      const cores = total > 0 ? (total / CLK_TCK) / wall : 1;
      machineBusyPct = total > 0 ? round(((total - idle) / total) * cores * 100, 1) : null;
    }
    const hubPct = pct(this.hub0 != null && hub1 != null ? hub1 - this.hub0 : null);
    const selfPct = pct(selfSec);
    return {
      wallSeconds: round(wall, 3),
      hubCpuPctOfOneCore: hubPct,
      loadGeneratorCpuPctOfOneCore: selfPct,
      machineBusyPctOfOneCore: machineBusyPct,
      // Whatever else ran on the machine meanwhile (other processes, kernel): not ours.
      otherCpuPctOfOneCore: machineBusyPct == null ? null : round(Math.max(0, machineBusyPct - (hubPct ?? 0) - (selfPct ?? 0)), 1),
    };
  }
}

export function round(x, digits = 0) {
  if (x == null || !Number.isFinite(x)) return x ?? null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Exact percentiles of a list of numbers (ms), rounded to microseconds. */
export function percentiles(values, ps = [50, 90, 99, 99.9]) {
  const a = Float64Array.from(values).sort();
  const out = { count: a.length };
  if (a.length === 0) return out;
  for (const p of ps) {
    const idx = Math.min(a.length - 1, Math.max(0, Math.ceil((p / 100) * a.length) - 1));
    out[`p${String(p).replace('.', '_')}`] = round(a[idx], 3);
  }
  out.min = round(a[0], 3);
  out.max = round(a[a.length - 1], 3);
  let sum = 0;
  for (const v of a) sum += v;
  out.mean = round(sum / a.length, 3);
  return out;
}

/** Busy CPU of the whole machine over `ms`, in % of one core (200 = both cores of a 2-core machine). */
export async function machineBusyOver(ms) {
  const a = machineCpu();
  const t = performance.now();
  await sleep(ms);
  const b = machineCpu();
  const wall = (performance.now() - t) / 1000;
  if (!a || !b) return null;
  const total = b.total - a.total;
  const idle = b.idle - a.idle;
  if (total <= 0) return null;
  return round(((total - idle) / total) * (total / CLK_TCK / wall) * 100, 1);
}

/** fdatasync latency of 4 KiB appends in `dir`: the floor under every durable (--sync full) commit. */
export function fsyncProbe(dir, n = 200) {
  const file = join(dir, `herold-bench-fsync-${process.pid}`);
  const fd = openSync(file, 'w');
  const buf = Buffer.alloc(4096, 1);
  const t = [];
  try {
    for (let i = 0; i < n; i++) {
      writeSync(fd, buf);
      const s = performance.now();
      fdatasyncSync(fd);
      t.push(performance.now() - s);
    }
  } finally {
    closeSync(fd);
    unlinkSync(file);
  }
  return percentiles(t, [50, 99]);
}

/**
 * Background disk probe while a scenario runs: every `intervalMs`, append 4 KiB
 * and fdatasync in `dir` (asynchronously, off the orchestrator's event loop).
 * A slow disk (for example other processes' I/O) shows up here, not in CPU figures.
 */
export function startFsyncMonitor(dir, intervalMs = 250) {
  const file = join(dir, `herold-bench-fsync-mon-${process.pid}-${Date.now()}`);
  const fd = openSync(file, 'w');
  const buf = Buffer.alloc(4096, 1);
  const t = [];
  let busy = false;
  let stopped = false;
  const timer = setInterval(() => {
    if (busy || stopped) return;
    busy = true;
    write(fd, buf, () => {
      const s = performance.now();
      fdatasync(fd, () => {
        t.push(performance.now() - s);
        busy = false;
      });
    });
  }, intervalMs);
  let done = null;
  return {
    stop() {
      if (done) return done;
      stopped = true;
      clearInterval(timer);
      const wait = () => (busy ? sleep(10).then(wait) : Promise.resolve());
      done = wait().then(() => {
        closeSync(fd);
        unlinkSync(file);
        return percentiles(t, [50, 99]);
      });
      return done;
    },
  };
}
