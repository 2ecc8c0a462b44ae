import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildHub, auth, freePort, startChildHub } from '../helpers/child-hub.js';
import { AMQP_URL, Rabbit, rabbitAvailable, totalMessages, unique, until, wait, teardown } from './rabbit.js';

/**
 * DESIGN.md invariant 1 for AMQP ingest: an ack is sent only after the
 * commit. A real hub process consumes a queue and is killed with SIGKILL
 * twice while messages stream in; after restarts every message is stored
 * exactly once (unacknowledged ones come back, and redelivered ones that were
 * already committed are harmless duplicates), and the queue ends empty.
 */
describe.skipIf(!rabbitAvailable)('AMQP ingest across kill -9', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'herold-amqp-kill-'));
  const queue = unique('kill-in');
  let rabbit: Rabbit;
  let hub: ChildHub | undefined;
  beforeAll(async () => {
    rabbit = await Rabbit.open();
    await rabbit.queue(queue);
    writeFileSync(join(dataDir, 'herold.yaml'), `lists:\n  - name: killed\n    amqpIngest:\n      url: ${AMQP_URL}\n      queue: ${queue}\n      prefetch: 100\n`);
  });
  afterAll(async () => {
    await teardown(
      () => hub?.kill('SIGKILL'),
      () => rabbit?.cleanup(),
      () => rmSync(dataDir, { recursive: true, force: true }),
    );
  });

  it('stores every message exactly once and leaves nothing in the queue', async () => {
    const port = await freePort();
    const env = { HEROLD_CONFIG: join(dataDir, 'herold.yaml'), HEROLD_SYNC: 'full' };
    const total = 3000;
    hub = await startChildHub(join(dataDir, 'data'), port, env);
    let sent = 0;
    const publisher = (async () => {
      while (sent < total) {
        for (let i = 0; i < 100; i++, sent++) {
          rabbit.ch.sendToQueue(queue, Buffer.from(JSON.stringify({ specversion: '1.0', id: `k${sent}`, source: '/kill', type: 't', data: { n: sent } })), {
            contentType: 'application/cloudevents+json',
            persistent: true,
          });
        }
        await rabbit.ch.waitForConfirms();
        await wait(20);
      }
    })();
    for (let round = 0; round < 2; round++) {
      const head = async () => Number((await (await fetch(`${hub!.url}/lists/killed`, { headers: auth })).json()).head ?? 0);
      const before = await head();
      await until(async () => (await head()) > before + 200, 20_000, 'ingest under way');
      await hub.kill('SIGKILL');
      hub = await startChildHub(join(dataDir, 'data'), port, env);
    }
    await publisher;
    const ids = async () => {
      const seen: string[] = [];
      let after = '0';
      for (;;) {
        const page = await (await fetch(`${hub!.url}/lists/killed/events?after=${after}&limit=1000`, { headers: auth })).json();
        for (const e of page.events) seen.push(e.id);
        if (page.events.length === 0) return seen;
        after = page.next;
      }
    };
    await until(async () => (await totalMessages(queue)) === 0, 60_000, 'queue drained');
    const stored = await ids();
    expect(stored).toHaveLength(total);
    expect(new Set(stored).size).toBe(total);
  }, 120_000);
});
