import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSse, type SseMessage } from '../../src/client/sse.js';
import { CLI, auth, freePort, startChildHub } from '../helpers/child-hub.js';
import { connect } from 'node:net';
import { makeEvent, startTestHub } from '../helpers/hub.js';

describe('hub process lifecycle', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'herold-life-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('generates an admin key on first start, prints it once, and accepts it', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const start = () => {
      const env: NodeJS.ProcessEnv = { ...process.env, HEROLD_LOG_LEVEL: 'warn' };
      delete env.HEROLD_ADMIN_KEY;
      return spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--data-dir', dataDir], { env });
    };
    const first = start();
    let err = '';
    first.stderr.on('data', (d) => (err += d));
    const deadline = Date.now() + 15_000;
    while (!/hk_admin_\S+/.test(err) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const key = /hk_admin_\S+/.exec(err)![0];
    const ok = await fetch(`http://127.0.0.1:${port}/lists/k`, { method: 'PUT', headers: { authorization: `Bearer ${key}` } });
    expect(ok.status).toBe(201);
    first.kill('SIGTERM');
    await new Promise((r) => first.once('exit', r));

    const second = start();
    let err2 = '';
    second.stderr.on('data', (d) => (err2 += d));
    second.stdout.on('data', (d) => (err2 += d));
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(err2).not.toContain('hk_admin_');
    const again = await fetch(`http://127.0.0.1:${port}/lists/k2`, { method: 'PUT', headers: { authorization: `Bearer ${key}` } });
    expect(again.status).toBe(201);
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));
  });

  it('refuses a short HEROLD_ADMIN_KEY with advice', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', String(await freePort()), '--data-dir', tempDir()], {
      env: { ...process.env, HEROLD_ADMIN_KEY: 'short' },
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const [code] = await new Promise<[number]>((r) => child.once('exit', (c) => r([c as number])));
    expect(code).not.toBe(0);
    expect(err).toMatch(/at least 32 characters/);
  });

  it('on SIGTERM finishes in-flight publishes, closes streams with a final message, and exits 0', async () => {
    const hub = await startChildHub(tempDir(), await freePort());
    await fetch(`${hub.url}/lists/term`, { method: 'PUT', headers: auth });
    const sse = await fetch(`${hub.url}/lists/term/events`, { headers: { ...auth, accept: 'text/event-stream' } });
    const messages: SseMessage[] = [];
    const reading = (async () => {
      for await (const m of parseSse(sse.body as unknown as AsyncIterable<Uint8Array>)) messages.push(m);
    })().catch(() => undefined);
    // A stream of publishes that is still going when SIGTERM arrives.
    const inflight = Array.from({ length: 30 }, () =>
      fetch(`${hub.url}/lists/term/events`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/cloudevents-batch+json' },
        body: JSON.stringify(Array.from({ length: 500 }, () => makeEvent())),
      }).then(
        async (r) => ({ status: r.status, body: r.status === 201 ? await r.json() : undefined }),
        () => ({ status: 0, body: undefined }),
      ),
    );
    await new Promise((r) => setTimeout(r, 30));
    const code = await hub.kill('SIGTERM');
    expect(code, hub.output()).toBe(0);
    const results = await Promise.all(inflight);
    await reading;
    expect(messages.some((m) => m.event === 'close')).toBe(true);
    const acked = results.filter((r) => r.status === 201);
    expect(acked.length).toBeGreaterThan(0);
    // Every request either completed (201) or was refused/closed before it was taken (never half-stored).
    for (const r of results) expect([0, 201, 503]).toContain(r.status);

    const after = await startChildHub(hub.process.spawnargs.at(-1)!, await freePort());
    try {
      const head = Number((await (await fetch(`${after.url}/lists/term`, { headers: auth })).json()).head);
      expect(head).toBeGreaterThanOrEqual(acked.length * 500);
      expect(head % 500).toBe(0);
    } finally {
      await after.kill('SIGTERM');
    }
  });
});

describe('secrets in logs', () => {
  it('never writes API keys, the admin key or signing secrets to the log, even at debug level', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { Receiver } = await import('../helpers/receiver.js');
    const { ADMIN_KEY } = await import('../helpers/hub.js');
    const rx = await Receiver.start();
    const hub = await startChildHub(mkdtempSync(join(tmpdir(), 'herold-logs-')), await freePort(), { HEROLD_LOG_LEVEL: 'trace', HEROLD_EGRESS_ALLOW: '127.0.0.0/8' });
    try {
      const json = { ...auth, 'content-type': 'application/json' };
      const key = (await (await fetch(`${hub.url}/api-keys`, { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:x' }) })).json()).key;
      await fetch(`${hub.url}/lists/logs`, { method: 'PUT', headers: json, body: '{}' });
      const sub = await (await fetch(`${hub.url}/lists/logs/subscriptions`, { method: 'POST', headers: json, body: JSON.stringify({ sink: rx.url, protocolsettings: { token: 'sink-bearer-token-xyz' } }) })).json();
      await fetch(`${hub.url}/lists/logs/events`, { headers: { authorization: `Bearer ${key}` } });
      await fetch(`${hub.url}/lists/logs/events`, { headers: { authorization: 'Bearer wrong-key-abcdef' } });
      await fetch(`${hub.url}/lists/logs/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(makeEvent()) });
      await rx.waitFor((r) => r.received.length === 1);
      await hub.kill('SIGTERM');
      const out = hub.output();
      expect(out.length).toBeGreaterThan(1000);
      for (const secret of [ADMIN_KEY, key, sub.secret, 'sink-bearer-token-xyz', 'wrong-key-abcdef']) expect(out).not.toContain(secret);
    } finally {
      await hub.kill('SIGKILL');
      await rx.close();
    }
  });

  it('a connection that never sends a request does not hold a graceful stop', async () => {
    const hub = await startTestHub();
    const { port } = new URL(hub.url);
    const silent = connect(Number(port), '127.0.0.1');
    await new Promise<void>((r) => silent.once('connect', () => r()));
    const closed = new Promise<void>((r) => silent.once('close', () => r()));
    const started = Date.now();
    await hub.close();
    await closed;
    // Node would keep it until its headers timeout (60 s).
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
