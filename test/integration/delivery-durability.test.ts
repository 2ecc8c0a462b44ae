import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auth, freePort, startChildHub } from '../helpers/child-hub.js';
import { makeEvent } from '../helpers/hub.js';
import { Receiver } from '../helpers/receiver.js';

/**
 * DESIGN.md invariant 6: at-least-once delivery across kill -9. A real hub
 * process delivers to a real receiver (some answers fail and are retried);
 * it is killed with SIGKILL several times while publishing and delivering,
 * restarted, and in the end every event has arrived; any duplicate carries
 * the same webhook-id.
 */
describe('webhook delivery across kill -9', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'herold-dkill-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('delivers every event at least once, duplicates only with the same webhook-id', async () => {
    const port = await freePort();
    const rx = await Receiver.start();
    // One answer in seven fails with 503, so retries are in flight when the hub dies.
    rx.respond = (_req, i) => (i % 7 === 3 ? { status: 503 } : { status: 200 });
    const env = { HEROLD_EGRESS_ALLOW: '127.0.0.0/8' };
    const published = new Set<string>();
    let hub = await startChildHub(dataDir, port, env);
    await fetch(`${hub.url}/lists/dk`, { method: 'PUT', headers: auth });
    const sub = await (
      await fetch(`${hub.url}/lists/dk/subscriptions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ sink: rx.url, config: { retry: Array(30).fill(0.2), concurrency: 8 } }),
      })
    ).json();
    expect(sub.id).toBeDefined();

    for (let round = 0; round < 3; round++) {
      let stop = false;
      const publisher = (async () => {
        while (!stop) {
          const events = Array.from({ length: 20 }, () => makeEvent());
          try {
            const res = await fetch(`${hub.url}/lists/dk/events`, {
              method: 'POST',
              headers: { ...auth, 'content-type': 'application/cloudevents-batch+json' },
              body: JSON.stringify(events),
            });
            if (res.status === 201) events.forEach((e) => published.add(e.id as string));
          } catch {
            return;
          }
        }
      })();
      // Kill once this round has published enough (however loaded the machine), at a random moment after.
      const enough = published.size + 80;
      const deadline = Date.now() + 60_000;
      while (published.size < enough && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, Math.random() * 300));
      await hub.kill('SIGKILL');
      stop = true;
      await publisher;
      hub = await startChildHub(dataDir, port, env);
    }
    expect(published.size).toBeGreaterThan(200);

    // Let the last hub catch up.
    const delivered = new Set<string>();
    let seen = 0;
    const missing = () => {
      for (; seen < rx.received.length; seen++) delivered.add(JSON.parse(rx.received[seen].body).id as string);
      return [...published].filter((id) => !delivered.has(id));
    };
    const deadline = Date.now() + 60_000;
    while (missing().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(missing(), 'events never delivered').toEqual([]);

    // Duplicates (redelivery after a crash, retries) always reuse the webhook-id.
    const idByEvent = new Map<string, string>();
    for (const r of rx.received) {
      const id = JSON.parse(r.body).id as string;
      const wid = String(r.headers['webhook-id']);
      if (idByEvent.has(id)) expect(idByEvent.get(id)).toBe(wid);
      else idByEvent.set(id, wid);
    }
    const status = await (await fetch(`${hub.url}/subscriptions/${sub.id}`, { headers: auth })).json();
    expect(status.status).toBe('active');
    await hub.kill('SIGTERM');
    await rx.close();
  });
});
