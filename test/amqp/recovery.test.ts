import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, createList, makeEvent, publishBatch, startTestHub } from '../helpers/hub.js';
import { AMQP_URL, Rabbit, closeConnectionsNamed, rabbitAvailable, totalMessages, unique, until, wait, teardown } from './rabbit.js';

const run = promisify(execFile);

/**
 * Connections recover by themselves: the broker closes Herold's delivery and
 * ingest connections mid-stream (rabbitmqctl close_connection) and every
 * event still arrives. With HEROLD_TEST_RABBIT_RESTART=1 the broker itself is
 * restarted mid-stream too (rabbitmqctl stop_app / start_app; this disturbs
 * every other client of the broker, so it is opt-in).
 */
describe.skipIf(!rabbitAvailable)('AMQP recovery', () => {
  let hub: TestHub;
  let rabbit: Rabbit;
  const origin = `amqp-recovery-${randomBytes(3).toString('hex')}.localhost`;
  const dir = mkdtempSync(join(tmpdir(), 'herold-amqp-recovery-'));
  const ingestQueue = unique('recovery-in');

  beforeAll(async () => {
    rabbit = await Rabbit.open();
    await rabbit.queue(ingestQueue);
    const config = join(dir, 'herold.yaml');
    writeFileSync(config, `lists:\n  - name: rin\n    amqpIngest:\n      url: ${AMQP_URL}\n      queue: ${ingestQueue}\n      prefetch: 20\n`);
    hub = await startTestHub({ egressAllow: '127.0.0.0/8', origin, configFile: config });
    await hub.running.amqp.ingest.consumers[0].whenConsuming();
  });
  afterAll(async () => {
    await teardown(
      () => hub?.close(),
      () => rabbit?.cleanup(),
      () => rmSync(dir, { recursive: true, force: true }),
    );
  });

  /** Publish `total` events to the list in batches while `during(sentSoFar)` may disturb things. */
  async function publishSlowly(list: string, total: number, during: (sent: number) => Promise<void>): Promise<Set<string>> {
    const ids = new Set<string>();
    while (ids.size < total) {
      const batch = Array.from({ length: 20 }, () => makeEvent({ subject: `p/${ids.size % 7}` }));
      expect((await publishBatch(hub, list, batch)).status).toBe(201);
      batch.forEach((e) => ids.add(e.id as string));
      await during(ids.size);
      await wait(15);
    }
    return ids;
  }

  it('delivery: the broker closes the shared connection twice mid-stream; every event arrives, duplicates keep their message-id', async () => {
    const list = 'rdeliv';
    await createList(hub, list);
    const queue = await rabbit.queue(unique('recovery-out'));
    const rx = await rabbit.collect(queue);
    const res = await hub.fetch(`/lists/${list}/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sink: AMQP_URL, protocol: 'AMQP', protocolsettings: { queue }, config: { retry: Array(100).fill(0.2), concurrency: 16 } }),
    });
    expect(res.status).toBe(201);
    let closes = 0;
    const sent = await publishSlowly(list, 600, async (n) => {
      if ((n === 200 || n === 400) && rx.messages.length > 0) {
        closes += await closeConnectionsNamed(`herold ${origin} delivery`);
      }
    });
    expect(closes).toBe(2);
    const received = () => new Set(rx.messages.map((m) => m.properties.headers!.cloudEvents_id as string));
    await until(() => [...sent].every((id) => received().has(id)), 30_000, `all ${sent.size} events (have ${received().size})`);
    const messageIds = new Map<string, string>();
    for (const m of rx.messages) {
      const id = m.properties.headers!.cloudEvents_id as string;
      if (messageIds.has(id)) expect(m.properties.messageId).toBe(messageIds.get(id));
      else messageIds.set(id, m.properties.messageId);
    }
    expect(hub.running.amqp.pool.openConnections()).toBe(1);
  });

  it('ingest: the broker closes the consumer connection twice mid-stream; every message is stored exactly once', async () => {
    const total = 600;
    let closes = 0;
    for (let i = 0; i < total; i++) {
      rabbit.ch.sendToQueue(ingestQueue, Buffer.from(JSON.stringify({ specversion: '1.0', id: `r${i}`, source: '/recovery', type: 't', data: { i } })), {
        contentType: 'application/cloudevents+json',
        persistent: true,
      });
      if (i % 50 === 49) {
        await rabbit.ch.waitForConfirms();
        await wait(10);
      }
      if (i === 200 || i === 400) closes += await closeConnectionsNamed(`herold ${origin} ingest rin`);
    }
    await rabbit.ch.waitForConfirms();
    expect(closes).toBe(2);
    await until(async () => (await hub.running.hub.getList('rin')).head >= total, 30_000, 'all stored');
    await until(async () => (await totalMessages(ingestQueue)) === 0, 15_000, 'all acknowledged');
    const stored = (await (await hub.fetch('/lists/rin/events?limit=1000')).json()).events as { id: string }[];
    expect(stored).toHaveLength(total);
    expect(new Set(stored.map((e) => e.id)).size).toBe(total);
    expect(hub.running.amqp.ingest.consumers[0].stats.connects).toBe(3);
  });

  it.runIf(process.env.HEROLD_TEST_RABBIT_RESTART)('the broker restarts mid-stream: delivery and ingest both resume and lose nothing', async () => {
    const list = 'rrestart';
    await createList(hub, list);
    const queue = await rabbit.queue(unique('restart-out'));
    const res = await hub.fetch(`/lists/${list}/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sink: AMQP_URL, protocol: 'AMQP', protocolsettings: { queue }, config: { retry: Array(100).fill(0.5) } }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    for (let i = 0; i < 100; i++) {
      rabbit.ch.sendToQueue(ingestQueue, Buffer.from(JSON.stringify({ specversion: '1.0', id: `before-${i}`, source: '/restart', type: 't' })), { contentType: 'application/cloudevents+json', persistent: true });
    }
    await rabbit.ch.waitForConfirms();
    const sent = new Set<string>();
    const batch = Array.from({ length: 100 }, () => makeEvent());
    await publishBatch(hub, list, batch);
    batch.forEach((e) => sent.add(e.id as string));
    const t0 = Date.now();
    const at = (what: string) => console.log(`restart test: ${what} at ${Date.now() - t0} ms`);
    await run('rabbitmqctl', ['stop_app']);
    at('stopped');
    // Events published while the broker is down wait in the hub.
    const during = Array.from({ length: 100 }, () => makeEvent());
    await publishBatch(hub, list, during);
    during.forEach((e) => sent.add(e.id as string));
    await wait(2000);
    await run('rabbitmqctl', ['start_app']);
    await run('rabbitmqctl', ['await_startup']);
    at('started');
    const admin = await Rabbit.open();
    try {
      const rx = await admin.collect(queue);
      for (let i = 0; i < 100; i++) {
        admin.ch.sendToQueue(ingestQueue, Buffer.from(JSON.stringify({ specversion: '1.0', id: `after-${i}`, source: '/restart', type: 't' })), { contentType: 'application/cloudevents+json', persistent: true });
      }
      await admin.ch.waitForConfirms();
      await until(() => [...sent].every((id) => rx.messages.some((m) => m.properties.headers!.cloudEvents_id === id)), 60_000, 'every delivered event');
      at('all delivered');
      const ids = async () => new Set(((await (await hub.fetch('/lists/rin/events?limit=1000')).json()).events as { id: string; source: string }[]).filter((e) => e.source === '/restart').map((e) => e.id));
      await until(async () => (await ids()).size === 200, 60_000, 'every ingested event');
      at('all ingested');
    } finally {
      await admin.conn.close().catch(() => undefined);
    }
  }, 120_000);
});
