/**
 * Docs that run: every ```sh block of README.md and docs/*.md is executed with bash, in page order,
 * against the hub the page itself starts (its `doctest: serve` block, run for real from dist/), and
 * each step's output is compared with the `# → ...` lines the page shows. The convention is described
 * in ./blocks.ts. What the test changes before running a page, so that pages can run side by side:
 * the ports its serve blocks and receivers listen on become free ports, and `/tmp/` becomes a
 * directory of its own. Variables a block sets are seen by the next block, as in one terminal.
 * `herold` runs `node dist/cli/main.js`; `curl` also reports each answer's status to the test.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/child-hub.js';
import { Receiver } from '../helpers/receiver.js';
import { type Block, type Page, matchOutput, parsePage } from './blocks.js';

const ROOT = process.cwd();
const PAGES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const STEP_MARK = '@@doctest-step@@';
const STATUS_MARK = '@@doctest-status ';
const STREAM_WAIT_MS = 15_000;
const READY_WAIT_MS = 20_000;

/** `herold` and a `curl` that also writes each answer's status to stderr, first on PATH. */
function makeShims(dir: string): void {
  const realCurl = execFileSync('sh', ['-c', 'command -v curl'], { encoding: 'utf8' }).trim();
  writeFileSync(join(dir, 'herold'), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'dist/cli/main.js')}" "$@"\n`);
  writeFileSync(join(dir, 'curl'), `#!/bin/sh\nexec "${realCurl}" --write-out '%{stderr}${STATUS_MARK}%{http_code}\\n' "$@"\n`);
  chmodSync(join(dir, 'herold'), 0o755);
  chmodSync(join(dir, 'curl'), 0o755);
}

/** The environment of a page's shell: no HEROLD_* settings of the test run leak into it. */
function pageEnv(shims: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('HEROLD_')) env[k] = v;
  env.PATH = `${shims}:${process.env.PATH}`;
  return env;
}

class PageRun {
  readonly tmp = mkdtempSync(join(tmpdir(), 'herold-doctest-'));
  readonly state = join(this.tmp, '.doctest-state');
  readonly ports = new Map<number, number>();
  readonly servers: { block: Block; child: ChildProcess; output: () => string }[] = [];
  receiver?: Receiver;
  env: NodeJS.ProcessEnv;

  constructor(
    readonly page: Page,
    shims: string,
  ) {
    this.env = pageEnv(shims);
  }

  async start(): Promise<void> {
    for (const block of this.page.blocks) {
      if (block.kind !== 'serve') continue;
      const port = Number(/--port (\d+)/.exec(block.text)?.[1] ?? 8080);
      if (!this.ports.has(port)) this.ports.set(port, await freePort());
    }
    if (this.page.receiverPorts.length > 0) {
      this.receiver = await Receiver.start();
      const port = Number(new URL(this.receiver.url).port);
      for (const p of this.page.receiverPorts) this.ports.set(p, port);
    }
  }

  /** The block's text as this run executes it. */
  localise(text: string): string {
    return text
      .replace(/\b(localhost|127\.0\.0\.1):(\d+)/g, (m, host, port) => (this.ports.has(Number(port)) ? `${host}:${this.ports.get(Number(port))}` : m))
      .replace(/--port (\d+)/g, (m, port) => (this.ports.has(Number(port)) ? `--port ${this.ports.get(Number(port))}` : m))
      .replace(/(^|[\s='"])\/tmp\//g, `$1${this.tmp}/`);
  }

  script(block: Block, { marks }: { marks: boolean }): string {
    const steps = block.steps.map((s) => this.localise(s.code));
    const mark = `printf '\\n%s\\n' '${STEP_MARK}'; printf '\\n%s\\n' '${STEP_MARK}' >&2`;
    return [
      'set -eo pipefail',
      // On SIGTERM (sent to the whole group) bash waits for its command and exits with its status,
      // so a server's own exit code is what the test sees.
      "trap ':' TERM",
      '__doctest_base=$(compgen -v)',
      `[ -f '${this.state}' ] && source '${this.state}'`,
      `cd '${ROOT}'`,
      ...steps.flatMap((code) => (marks ? [code, mark] : [code])),
      // What the block set is there for the next block, as in one terminal.
      `compgen -v | grep -vxF "$__doctest_base" | grep -v '^__doctest' | while read -r v; do declare -p "$v"; done > '${this.state}' 2>/dev/null || true`,
    ].join('\n');
  }

  spawn(block: Block, marks: boolean, extraEnv: NodeJS.ProcessEnv = {}): { child: ChildProcess; stdout: () => string; stderr: () => string } {
    const child = spawn('bash', ['-c', this.script(block, { marks })], { env: { ...this.env, ...extraEnv }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    return { child, stdout: () => out, stderr: () => err };
  }

  async run(block: Block): Promise<void> {
    const { child, stdout, stderr } = this.spawn(block, true);
    const [code] = (await once(child, 'exit')) as [number | null];
    const outs = stdout().split(STEP_MARK);
    const errs = stderr().split(STEP_MARK);
    const where = (k: number) => `${block.file}:${block.steps[k]!.line}`;
    if (code !== 0) {
      const k = Math.min(outs.length - 1, block.steps.length - 1);
      throw new Error(`${where(k)}: exited with ${code}\n--- stdout\n${outs[k]}\n--- stderr\n${errs[k]}\n--- code\n${this.localise(block.steps[k]!.code)}`);
    }
    block.steps.forEach((step, k) => {
      const statuses = [...(errs[k] ?? '').matchAll(new RegExp(`${STATUS_MARK}(\\d{3})`, 'g'))].map((m) => Number(m[1]));
      if (step.status !== undefined) expect(statuses.at(-1), `${where(k)}: HTTP status of the last curl`).toBe(step.status);
      if (step.expected.length === 0) return;
      const mismatch = matchOutput(step.expected, outs[k] ?? '');
      if (mismatch) throw new Error(`${where(k)}: the output is not what the page shows: ${mismatch}\n--- whole output\n${outs[k]}`);
    });
  }

  async stream(block: Block): Promise<void> {
    expect(block.steps, `${block.file}:${block.line}: a stream block is one command with its output`).toHaveLength(1);
    const step = block.steps[0]!;
    expect(step.expected.length, `${block.file}:${block.line}: a stream block shows the output to wait for`).toBeGreaterThan(0);
    const { child, stdout, stderr } = this.spawn(block, false);
    const exited = once(child, 'exit');
    try {
      const deadline = Date.now() + STREAM_WAIT_MS;
      for (;;) {
        const mismatch = matchOutput(step.expected, stdout(), { prefix: true });
        if (!mismatch) return;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`${block.file}:${step.line}: the stream did not show what the page shows: ${mismatch}\n--- stdout\n${stdout()}\n--- stderr\n${stderr()}`);
        }
        await Promise.race([once(child.stdout!, 'data'), exited, new Promise((r) => setTimeout(r, 200))]);
      }
    } finally {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGTERM');
      await exited;
    }
  }

  async serve(block: Block): Promise<void> {
    const port = this.ports.get(Number(/--port (\d+)/.exec(block.text)?.[1] ?? 8080))!;
    // For `npm start` and other commands without flags: the same port and a data directory of its own.
    const { child, stdout, stderr } = this.spawn(block, false, { HEROLD_PORT: String(port), HEROLD_DATA_DIR: join(this.tmp, 'data') });
    const output = () => stdout() + stderr();
    this.servers.push({ block, child, output });
    const deadline = Date.now() + READY_WAIT_MS;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${block.file}:${block.line}: the server exited with ${child.exitCode}:\n${output()}`);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`${block.file}:${block.line}: not ready on :${port} after ${READY_WAIT_MS} ms:\n${output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops the page's servers as an operator would (SIGTERM); each must exit 0. */
  async stop(): Promise<void> {
    const failures: string[] = [];
    for (const { block, child, output } of this.servers) {
      if (child.exitCode !== null) {
        failures.push(`${block.file}:${block.line}: the server had already exited with ${child.exitCode}:\n${output()}`);
        continue;
      }
      const exited = once(child, 'exit');
      process.kill(-child.pid!, 'SIGTERM');
      const [code] = (await exited) as [number | null];
      if (code !== 0) failures.push(`${block.file}:${block.line}: SIGTERM: the server exited with ${code}:\n${output()}`);
    }
    await this.receiver?.close();
    rmSync(this.tmp, { recursive: true, force: true });
    if (failures.length > 0) throw new Error(failures.join('\n'));
  }
}

const shims = mkdtempSync(join(tmpdir(), 'herold-doctest-bin-'));
makeShims(shims);
afterAll(() => rmSync(shims, { recursive: true, force: true }));

for (const file of PAGES) {
  const page = parsePage(file, readFileSync(resolve(ROOT, file), 'utf8'));
  if (page.blocks.length === 0) continue;
  describe(file, () => {
    const run = new PageRun(page, shims);
    beforeAll(() => run.start());
    afterAll(() => run.stop(), 30_000);
    for (const block of page.blocks) {
      const title = `${file}:${block.line} ${block.hidden ? 'setup' : block.kind}${block.reason ? ` (${block.reason})` : ''}`;
      if (block.kind === 'skip') {
        it.skip(title, () => {});
        continue;
      }
      it(title, () => (block.kind === 'serve' ? run.serve(block) : block.kind === 'stream' ? run.stream(block) : run.run(block)), 60_000);
    }
  });
}
