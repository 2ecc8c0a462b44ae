import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, createList, makeEvent, publishStructured, startTestHub } from '../helpers/hub.js';

const RECEIVER = fileURLToPath(new URL('../../examples/receiver/receiver.mjs', import.meta.url));

/** The example receiver as a child process, with what it printed so far. */
class ReceiverProcess {
  stdout = '';
  stderr = '';
  url = '';
  private constructor(readonly child: ChildProcess) {}

  static async start(env: Record<string, string>): Promise<ReceiverProcess> {
    const child = spawn(process.execPath, [RECEIVER], { env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const r = new ReceiverProcess(child);
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (r.stdout += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (r.stderr += s));
    const m = await r.waitFor(() => /receiver listening on (http:\/\/\S+)/.exec(r.stdout));
    r.url = m[1];
    return r;
  }

  async waitFor<T>(probe: () => T | null | undefined | false, ms = 10_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = probe();
      if (v) return v;
      if (this.child.exitCode !== null) throw new Error(`receiver exited (${this.child.exitCode}): ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`timed out; receiver printed:\n${this.stdout}\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** The events it printed as verified, by webhook-id. */
  events(): { webhookId: string; event: Record<string, unknown> }[] {
    return [...this.stdout.matchAll(/^event (\S+) (.*)$/gm)].map((m) => ({ webhookId: m[1], event: JSON.parse(m[2]) }));
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}

function sign(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return 'v1,' + createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
}

describe('examples/receiver', () => {
  let hub: TestHub;
  let rx: ReceiverProcess;
  let dir: string;
  let secretFile: string;
  let secret: string;
  let subscriptionId: string;

  beforeAll(async () => {
    hub = await startTestHub({ egressAllow: '127.0.0.0/8' });
    dir = mkdtempSync(join(tmpdir(), 'herold-receiver-'));
    secretFile = join(dir, 'secret');
    rx = await ReceiverProcess.start({ WEBHOOK_SECRET_FILE: secretFile });
    await createList(hub, 'people');
    const res = await hub.fetch('/lists/people/subscriptions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sink: `${rx.url}hook` }),
    });
    const sub = await res.json();
    expect(res.status, JSON.stringify(sub)).toBe(201);
    subscriptionId = sub.id;
    secret = sub.secret;
    writeFileSync(secretFile, secret);
  });

  afterAll(async () => {
    rx?.stop();
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers the validation handshake when the subscription is created', () => {
    expect(rx.stdout).toContain('handshake: granted herold.localhost');
  });

  it('verifies and prints real deliveries, and answers 204', async () => {
    const published = makeEvent({ subject: 'person/123', data: { name: 'Kari Nordmann' } });
    const res = await publishStructured(hub, 'people', published);
    expect(res.status).toBe(201);
    const { seq } = await res.json();
    const got = await rx.waitFor(() => rx.events().find((e) => e.event.id === published.id));
    expect(got.webhookId).toMatch(/^msg_/);
    expect(got.event).toMatchObject({ ...published, heroldseq: seq });
    // The hub saw the 204.
    let attempts: { seq: string; outcome: string; status: number; webhookId: string }[] = [];
    for (let i = 0; i < 100 && attempts.length === 0; i++) {
      attempts = (await (await hub.fetch(`/subscriptions/${subscriptionId}/attempts`)).json()).attempts;
      if (attempts.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(attempts[0]).toMatchObject({ seq, outcome: 'success', status: 204, webhookId: got.webhookId });
  });

  it('rejects a tampered body and a wrong signature with 401', async () => {
    const id = 'msg_test_tampered';
    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify(makeEvent());
    const post = (b: string, signature: string) =>
      fetch(`${rx.url}hook`, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature },
        body: b,
      });
    const tampered = await post(body.replace('"test.changed"', '"test.deleted"'), sign(secret, id, timestamp, body));
    expect(tampered.status).toBe(401);
    const wrongKey = await post(body, sign('whsec_' + Buffer.alloc(32, 7).toString('base64'), id, timestamp, body));
    expect(wrongKey.status).toBe(401);
    const stale = await fetch(`${rx.url}hook`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json', 'webhook-id': id, 'webhook-timestamp': String(timestamp - 600), 'webhook-signature': sign(secret, id, timestamp - 600, body) },
      body,
    });
    expect(stale.status).toBe(401);
    await rx.waitFor(() => (rx.stderr.match(/^rejected: /gm) ?? []).length >= 3);
    expect(rx.stderr).toContain('rejected: no signature matches');
    expect(rx.stderr).toContain('rejected: webhook-timestamp is more than 5 minutes away');
    expect(rx.events().some((e) => e.webhookId === id)).toBe(false);
  });

  it('processes a webhook-id once: a repeat is acknowledged but not printed again', async () => {
    const id = 'msg_test_repeat';
    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify(makeEvent());
    const send = () =>
      fetch(`${rx.url}hook`, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': sign(secret, id, timestamp, body) },
        body,
      });
    expect((await send()).status).toBe(204);
    expect((await send()).status).toBe(204);
    await rx.waitFor(() => rx.stdout.includes(`duplicate ${id}`));
    expect(rx.events().filter((e) => e.webhookId === id)).toHaveLength(1);
  });
});
