import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, freePort } from '../helpers/child-hub.js';
import { ADMIN_KEY, type TestHub, createList, makeEvent, startTestHub } from '../helpers/hub.js';

const run = promisify(execFile);

/** The built `herold` CLI against a running hub. */
describe('herold CLI', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
    await createList(hub, 'cli');
  });
  afterAll(() => hub.close());
  const env = () => ({ ...process.env, HEROLD_URL: hub.url, HEROLD_KEY: ADMIN_KEY });

  it('publishes one event from flags', async () => {
    const { stdout } = await run(process.execPath, [CLI, 'publish', 'cli', '--type', 'person.changed', '--source', '/hr', '--subject', 'person/1', '--data', '{"id":1}'], { env: env() });
    const { seq } = JSON.parse(stdout);
    const ev = await (await hub.fetch(`/lists/cli/events/${seq}`)).json();
    expect(ev).toMatchObject({ type: 'person.changed', source: '/hr', subject: 'person/1', data: { id: 1 } });
  });

  it('publishes a file of events in batches with progress on stderr', async () => {
    const file = join(hub.dataDir, 'events.ndjson');
    writeFileSync(file, Array.from({ length: 2500 }, () => JSON.stringify(makeEvent())).join('\n') + '\n');
    const before = Number((await (await hub.fetch('/lists/cli')).json()).head);
    const { stdout, stderr } = await run(process.execPath, [CLI, 'publish', 'cli', '--file', file, '--batch-size', '1000'], { env: env() });
    expect(JSON.parse(stdout)).toEqual({ published: 2500, duplicates: 0 });
    expect(stderr).toMatch(/100%/);
    expect(Number((await (await hub.fetch('/lists/cli')).json()).head)).toBe(before + 2500);
    // Publishing the same file again is harmless: all duplicates.
    const again = await run(process.execPath, [CLI, 'publish', 'cli', '--file', file], { env: env() });
    expect(JSON.parse(again.stdout)).toEqual({ published: 2500, duplicates: 2500 });
  });

  it('says what to do next on errors', async () => {
    const noHub = await run(process.execPath, [CLI, 'publish', 'cli', '--type', 't', '--source', '/s', '--url', `http://127.0.0.1:${await freePort()}`], { env: env() }).catch((e) => e);
    expect(noHub.code).toBe(1);
    expect(noHub.stderr).toMatch(/no hub answers at .*herold serve/);
    const noKey = await run(process.execPath, [CLI, 'publish', 'cli', '--type', 't', '--source', '/s'], { env: { ...env(), HEROLD_KEY: '', HEROLD_ADMIN_KEY: '' } }).catch((e) => e);
    expect(noKey.stderr).toMatch(/--key or HEROLD_KEY/);
    const missing = await run(process.execPath, [CLI, 'publish', 'cli'], { env: env() }).catch((e) => e);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--type and --source/);
  });

  it('serve --config declares lists from a file', async () => {
    const file = join(hub.dataDir, 'lists.yaml');
    writeFileSync(file, 'lists:\n  - name: from.flag\n    title: From the flag\n');
    const port = await freePort();
    const proc = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--data-dir', join(hub.dataDir, 'flagdata2'), '--config', file], { env: { ...process.env, HEROLD_ADMIN_KEY: ADMIN_KEY, HEROLD_LOG_LEVEL: 'warn' } });
    try {
      let list: Response | undefined;
      for (let i = 0; i < 100 && !list?.ok; i++) {
        await new Promise((r) => setTimeout(r, 100));
        list = await fetch(`http://127.0.0.1:${port}/lists/from.flag`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } }).catch(() => undefined);
      }
      expect((await list!.json()).title).toBe('From the flag');
    } finally {
      proc.kill('SIGTERM');
    }
  });

  it('tails a list live as JSON lines', async () => {
    const child = spawn(process.execPath, [CLI, 'tail', 'cli', '--json', '--type', 'tail.me'], { env: env() });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await new Promise((r) => setTimeout(r, 500));
    const ev = makeEvent({ type: 'tail.me' });
    await hub.fetch('/lists/cli/events', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(ev) });
    const deadline = Date.now() + 5000;
    while (!out.includes('\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    const line = JSON.parse(out.split('\n')[0]);
    expect(line).toMatchObject({ id: ev.id, type: 'tail.me' });
  });
});
