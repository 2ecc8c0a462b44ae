/**
 * The proof, against real processes: a hub child process killed with
 * SIGKILL in the middle of a consumer's run and started again; a consumer
 * process killed between its write and its commit (PostgreSQL transactional
 * store). Nothing is lost, nothing is handled twice, and the cursor ends at
 * the head.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { Consumer } from '../../src/client/consumer.js';
import { FileCursorStore } from '../../src/client/stores/file.js';
import { type ChildHub, auth, freePort, startChildHub } from '../helpers/child-hub.js';
import { ADMIN_KEY, makeEvent } from '../helpers/hub.js';
import { clientPgUrl, pgSchema } from './pg.js';

const dirs: string[] = [];
const tmp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
const hubs: ChildHub[] = [];
afterAll(async () => {
  // A hub killed by the test has a signalCode (and no exitCode): only the ones still running are stopped.
  for (const h of hubs) if (h.process.exitCode === null && h.process.signalCode === null) await h.kill();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function startHub(dataDir: string, port: number): Promise<ChildHub> {
  const h = await startChildHub(dataDir, port);
  hubs.push(h);
  return h;
}

async function publish(url: string, list: string, n: number): Promise<void> {
  for (let i = 0; i < n; i += 50) {
    const batch = Array.from({ length: Math.min(50, n - i) }, () => makeEvent());
    const res = await fetch(`${url}/lists/${list}/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/cloudevents-batch+json' }, body: JSON.stringify(batch) });
    if (res.status !== 201) throw new Error(`publish: ${res.status} ${await res.text()}`);
  }
}

async function until(condition: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a consumer across a hub killed with SIGKILL', () => {
  it.each(['sse', 'pull'] as const)('%s: the handler sees every event once, in order, and the file cursor ends at the head', async (transport) => {
    const dataDir = tmp('herold-proof-hub-');
    const port = await freePort();
    let hub = await startHub(dataDir, port);
    await fetch(`${hub.url}/lists/proof`, { method: 'PUT', headers: auth });
    await publish(hub.url, 'proof', 300);

    const cursorFile = join(tmp('herold-proof-cursor-'), 'cursor.json');
    const store = new FileCursorStore(cursorFile);
    const seen: string[] = [];
    const reconnects: unknown[] = [];
    const abort = new AbortController();
    const consumer = new Consumer({
      url: hub.url,
      key: ADMIN_KEY,
      list: 'proof',
      transport,
      pollMs: 50,
      pageSize: 100,
      backoff: { initialMs: 50, maxMs: 500 },
      onReconnect: (info) => reconnects.push(info.error),
    });
    const run = consumer.run(
      async (e) => {
        seen.push(e.heroldseq);
        await new Promise((r) => setTimeout(r, 1)); // a handler that takes a moment: the kill lands mid-run
      },
      { cursorStore: store, signal: abort.signal, commitEvery: 25, commitIntervalMs: 100 },
    );
    await until(() => seen.length >= 100, '100 events handled');
    expect(await hub.kill('SIGKILL')).toBe(null);
    const handledAtKill = seen.length;
    // Down for a while: the consumer keeps trying.
    await until(() => reconnects.length >= 2, 'reconnect attempts while the hub is down');
    hub = await startHub(dataDir, port);
    await publish(hub.url, 'proof', 200);
    await until(() => seen.at(-1) === '500', 'the last event');
    abort.abort();
    await run;

    expect(handledAtKill).toBeLessThan(300);
    expect(seen).toEqual(Array.from({ length: 500 }, (_, i) => String(i + 1)));
    expect(await new FileCursorStore(cursorFile).load('proof')).toBe('500');
  });
});

const CONSUMER_SCRIPT = `
import { Consumer, PostgresCursorStore } from ${JSON.stringify(resolve('dist/client/index.js'))};
const { HUB, KEY, PG_URL, HEAD, CRASH_AT } = process.env;
const store = new PostgresCursorStore({ connectionString: PG_URL });
const abort = new AbortController();
const consumer = new Consumer({ url: HUB, key: KEY, list: 'people', signal: abort.signal });
await consumer.run(async (event, { tx }) => {
  await tx.query('INSERT INTO people (seq, id) VALUES ($1, $2)', [event.heroldseq, event.id]);
  if (event.heroldseq === CRASH_AT) {
    // Written, not committed: the process dies here.
    process.stdout.write('crashing at ' + event.heroldseq + '\\n');
    process.kill(process.pid, 'SIGKILL');
    await new Promise(() => {});
  }
  if (event.heroldseq === HEAD) abort.abort();
}, { cursorStore: store, retries: 0 });
await store.close();
process.stdout.write('done\\n');
`;

describe('the PostgreSQL transactional store with a consumer that crashes between its write and its commit', async () => {
  const base = await clientPgUrl();
  it.skipIf(!base)('the crashed event is neither written nor counted, and comes again: every row once, cursor at the head', async () => {
    const { url: pgUrl, drop } = await pgSchema(base!);
    const db = new pg.Pool({ connectionString: pgUrl, max: 1 });
    try {
      await db.query('CREATE TABLE people (seq bigint PRIMARY KEY, id text NOT NULL)');
      const hub = await startHub(tmp('herold-proof-pg-'), await freePort());
      await fetch(`${hub.url}/lists/people`, { method: 'PUT', headers: auth });
      await publish(hub.url, 'people', 40);
      const script = join(tmp('herold-proof-script-'), 'consumer.mjs');
      writeFileSync(script, CONSUMER_SCRIPT);
      const runConsumer = async (env: Record<string, string>) => {
        const child = spawn(process.execPath, [script], { cwd: process.cwd(), env: { ...process.env, HUB: hub.url, KEY: ADMIN_KEY, PG_URL: pgUrl, HEAD: '40', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (out += d));
        const [code, signal] = await once(child, 'exit');
        return { code, signal, out };
      };
      const crashed = await runConsumer({ CRASH_AT: '17' });
      expect(crashed).toMatchObject({ signal: 'SIGKILL' });
      expect(crashed.out).toContain('crashing at 17');
      const rows = async () => (await db.query('SELECT seq::text FROM people ORDER BY people.seq')).rows.map((r) => r.seq as string);
      const cursor = async () => (await db.query("SELECT seq::text FROM herold_cursors WHERE name = 'people'")).rows[0]?.seq as string | undefined;
      // The crash took the write with it: rows and cursor agree, at 16.
      expect(await rows()).toEqual(Array.from({ length: 16 }, (_, i) => String(i + 1)));
      expect(await cursor()).toBe('16');
      const finished = await runConsumer({});
      expect(finished, finished.out).toMatchObject({ code: 0 });
      expect(await rows()).toEqual(Array.from({ length: 40 }, (_, i) => String(i + 1)));
      expect(await cursor()).toBe('40');
    } finally {
      await db.end();
      await drop();
    }
  });
});
