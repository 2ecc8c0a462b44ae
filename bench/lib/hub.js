// Start the built hub as a real child process, watch its memory, stop it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, log, procStatus, sleep } from './util.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ADMIN_KEY = 'bench-admin-key-0123456789abcdefghijklmnopqrstuvwxyz';

export class Hub {
  static async start({ sync = 'full', label = 'hub' } = {}) {
    const hub = new Hub();
    hub.label = label;
    hub.sync = sync;
    hub.dataDir = mkdtempSync(join(tmpdir(), 'herold-bench-'));
    hub.port = await freePort();
    hub.url = `http://127.0.0.1:${hub.port}`;
    hub.stderrLines = [];
    hub.stderrCount = 0;
    hub.processWarnings = [];
    // HEROLD_BENCH_HUB_NODE_ARGS: extra Node flags for the hub, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof' to profile a scenario.
    const nodeArgs = (process.env.HEROLD_BENCH_HUB_NODE_ARGS ?? '').split(' ').filter(Boolean);
    hub.child = spawn(
      process.execPath,
      [...nodeArgs, join(ROOT, 'dist', 'cli', 'main.js'), 'serve', '--port', String(hub.port), '--data-dir', hub.dataDir, '--sync', sync],
      {
        cwd: ROOT,
        // The scenarios run 10,000 streams and 1,000 subscriptions as one principal: above the default caps.
        env: { HEROLD_MAX_STREAMS_PER_PRINCIPAL: '20000', HEROLD_MAX_SUBSCRIPTIONS_PER_PRINCIPAL: '10000', ...process.env, HEROLD_ADMIN_KEY: ADMIN_KEY, HEROLD_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    hub.pid = hub.child.pid;
    hub.exited = new Promise((r) => hub.child.once('exit', (code, signal) => r({ code, signal })));
    hub.exitInfo = null;
    hub.exited.then((info) => (hub.exitInfo = info));
    const onLine = (stream) => (chunk) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        // Node/Fastify process warnings (deprecations) are reported apart from the hub's own log lines.
        if (/Deprecation|ExperimentalWarning|--trace-warnings|--trace-deprecation/.test(line)) {
          if (!hub.processWarnings.includes(line.replace(/^\(node:\d+\) /, ''))) hub.processWarnings.push(line.replace(/^\(node:\d+\) /, ''));
        } else {
          hub.stderrCount++;
          if (hub.stderrLines.length < 20) hub.stderrLines.push(`${stream}: ${line.slice(0, 500)}`);
        }
        process.stderr.write(`[${label} ${stream}] ${line}\n`);
      }
    };
    hub.child.stdout.on('data', onLine('stdout'));
    hub.child.stderr.on('data', onLine('stderr'));
    await hub.waitReady();
    hub.startRssSampler();
    log(`${label}: pid ${hub.pid} on ${hub.url}, --sync ${sync}, data ${hub.dataDir}`);
    return hub;
  }

  async waitReady(timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exitInfo) throw new Error(`hub exited during start: ${JSON.stringify(this.exitInfo)}; ${this.stderrLines.join(' | ')}`);
      try {
        const res = await fetch(`${this.url}/readyz`);
        if (res.ok) return;
      } catch {
        /* not listening yet */
      }
      await sleep(50);
    }
    throw new Error(`hub not ready within ${timeoutMs} ms`);
  }

  startRssSampler(intervalMs = 100) {
    this.peakRssKb = 0;
    this.peakAnonKb = 0;
    this.timer = setInterval(() => {
      const s = procStatus(this.pid);
      if (s && s.VmRSS > this.peakRssKb) this.peakRssKb = s.VmRSS;
      if (s && s.RssAnon > this.peakAnonKb) this.peakAnonKb = s.RssAnon;
    }, intervalMs);
    this.timer.unref();
  }

  /** Reset the kernel's peak-RSS mark (VmHWM) so a later phase is measured on its own. */
  resetPeakRss() {
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
    } catch {
      /* not permitted: VmHWM then covers the whole process life */
    }
    const s = procStatus(this.pid);
    this.peakRssKb = s?.VmRSS ?? 0;
    this.peakAnonKb = s?.RssAnon ?? 0;
  }

  /** Peak resident memory: the kernel's VmHWM, cross-checked by our own VmRSS polling. */
  async memory() {
    const s = procStatus(this.pid);
    let metricsRss = null;
    try {
      const text = await (await fetch(`${this.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).text();
      const m = /^herold_process_resident_memory_bytes\s+(\S+)/m.exec(text);
      if (m) metricsRss = Number(m[1]);
    } catch {
      /* metrics unavailable */
    }
    const hwmKb = s?.VmHWM ?? null;
    const peakKb = Math.max(hwmKb ?? 0, this.peakRssKb ?? 0);
    return {
      peakRssMiB: Math.round((peakKb / 1024) * 10) / 10,
      peakRssSource: hwmKb != null ? '/proc/<pid>/status VmHWM (and 100 ms VmRSS polling)' : 'VmRSS polling',
      rssAtEndMiB: mib(s?.VmRSS),
      // Anonymous memory (V8 heap, SQLite page cache — 256 MiB by default — buffers) vs file-backed pages (code, mapped files).
      peakRssAnonMiB: mib(this.peakAnonKb),
      rssAnonAtEndMiB: mib(s?.RssAnon),
      rssFileAtEndMiB: mib(s?.RssFile),
      metricsRssAtEndMiB: metricsRss != null ? Math.round((metricsRss / 1048576) * 10) / 10 : null,
    };
  }

  async request(method, path, body, headers = {}) {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? safeJson(text) : null };
  }

  async createList(name) {
    const r = await this.request('PUT', `/lists/${name}`, { title: `bench ${name}` });
    if (r.status !== 201 && r.status !== 200) throw new Error(`PUT /lists/${name}: ${r.status} ${JSON.stringify(r.body)}`);
  }

  async stop() {
    clearInterval(this.timer);
    if (!this.exitInfo) {
      this.child.kill('SIGTERM');
      const t = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
      await this.exited;
      clearTimeout(t);
    }
    rmSync(this.dataDir, { recursive: true, force: true });
    return this.exitInfo;
  }

  /** Problems worth reporting: stderr output at warn level, or an unexpected exit. */
  diagnostics() {
    return {
      hubLogLinesAtWarnOrAbove: this.stderrCount,
      hubLogSample: this.stderrLines.slice(0, 5),
      hubProcessWarnings: this.processWarnings,
      hubExitedEarly: this.exitInfo ?? null,
    };
  }
}

const mib = (kb) => (kb == null ? null : Math.round((kb / 1024) * 10) / 10);

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
