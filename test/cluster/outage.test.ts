import { afterAll, describe, expect, it } from 'vitest';
import { makeEvent } from '../helpers/hub.js';
import { Receiver } from '../helpers/receiver.js';
import { Cluster, PgProxy, auth, clusterDatabaseUrl, json, readAll, realPostgres, sleep } from './cluster.js';

/**
 * The database goes away while three nodes run, and comes back. By default
 * the outage is made by a TCP proxy between the nodes and PostgreSQL (every
 * connection cut, new ones refused: what a restart looks like from the
 * nodes), so other users of the server are not disturbed; with
 * HEROLD_TEST_PG_RESTART=1 (CI) the real server is stopped and started.
 * While it is down, publishing answers 503 problem+json at once on every
 * node; afterwards every node recovers on its own, and nothing acknowledged
 * is lost: readers, SSE and webhooks see every event once, in order.
 */
const REAL = process.env.HEROLD_TEST_PG_RESTART === '1' || process.env.HEROLD_TEST_PG_RESTART === 'true';

describe(`cluster: PostgreSQL ${REAL ? 'restarts (pg_ctlcluster)' : 'goes away (connections cut by a proxy)'} while nodes run`, () => {
  let cluster: Cluster | undefined;
  let proxy: PgProxy | undefined;
  const receivers: Receiver[] = [];
  afterAll(async () => {
    if (REAL) {
      try {
        realPostgres.start();
      } catch {
        // already running
      }
    }
    await proxy?.up();
    await cluster?.close();
    await proxy?.down();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('publish fails cleanly with 503 while it is down; nodes recover without manual action and lose nothing', async () => {
    const base = clusterDatabaseUrl();
    if (!REAL) proxy = await PgProxy.start(base);
    const c = (cluster = await Cluster.start(3, {}, proxy ? proxy.url(base) : base));
    expect((await fetch(`${c.url(0)}/lists/po`, { method: 'PUT', headers: auth })).status).toBe(201);
    const rx = await Receiver.start();
    receivers.push(rx);
    const sub = await fetch(`${c.url(1)}/lists/po/subscriptions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ sink: rx.url, config: { retry: Array(100).fill(0.5) } }),
    });
    expect(sub.status).toBe(201);

    // An SSE consumer on node 2 that reconnects with Last-Event-ID, as clients do.
    const streamed: number[] = [];
    let streaming = true;
    const sse = (async () => {
      let last = '0';
      while (streaming) {
        try {
          const res = await fetch(`${c.url(2)}/lists/po/events`, { headers: { ...auth, accept: 'text/event-stream', 'last-event-id': last } });
          if (res.status !== 200) throw new Error(String(res.status));
          const reader = res.body!.getReader();
          const decoder = new TextDecoder();
          let buf = '';
          // One read outstanding at a time; the timeout only lets the loop look at `streaming`.
          let pending: ReturnType<typeof reader.read> | null = null;
          while (streaming) {
            pending ??= reader.read();
            const result = await Promise.race([pending, sleep(500).then(() => null)]);
            if (result === null) continue;
            pending = null;
            const { value, done } = result;
            if (done) break;
            if (!value) continue;
            buf += decoder.decode(value, { stream: true });
            let i: number;
            while ((i = buf.indexOf('\n\n')) >= 0) {
              const id = /^id: (\d+)$/m.exec(buf.slice(0, i));
              buf = buf.slice(i + 2);
              if (id) {
                streamed.push(Number(id[1]));
                last = id[1];
              }
            }
          }
          await reader.cancel().catch(() => undefined);
        } catch {
          await sleep(200);
        }
      }
    })();

    const acknowledged = new Map<string, number>();
    const publish = async (node: number, events: Record<string, unknown>[]) => {
      const res = await fetch(`${c.url(node)}/lists/po/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/cloudevents-batch+json' }, body: JSON.stringify(events) });
      if (res.status === 201) {
        const body = await json(res);
        body.results.forEach((r: { seq: string }, j: number) => acknowledged.set(events[j].id as string, Number(r.seq)));
      }
      return res;
    };
    for (let i = 0; i < 15; i++) expect((await publish(i % 3, Array.from({ length: 4 }, () => makeEvent({ source: '/po' })))).status).toBe(201);

    // Down.
    if (REAL) realPostgres.stop();
    else await proxy!.down();
    const failing = Array.from({ length: 3 }, () => Array.from({ length: 4 }, () => makeEvent({ source: '/po' })));
    for (const node of [0, 1, 2]) {
      const deadline = Date.now() + 10_000;
      let res: Response;
      for (;;) {
        const t = Date.now();
        res = await publish(node, failing[node]);
        if (res.status === 503) {
          // Cleanly: at once, as problem+json saying nothing was stored.
          expect(Date.now() - t).toBeLessThan(6000);
          break;
        }
        if (Date.now() > deadline) break;
        await sleep(100);
      }
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect((await json(res)).status).toBe(503);
      expect((await fetch(`${c.url(node)}/readyz`)).status).toBe(503);
      // Nodes stay up (reads of what they hold in memory may still answer).
      expect((await fetch(`${c.url(node)}/healthz`)).status).toBe(200);
    }
    await sleep(2000);

    // Back.
    if (REAL) realPostgres.start();
    else await proxy!.up();
    for (const node of [0, 1, 2]) {
      // The same events again: they were not stored (or, if the commit made it, come back as duplicates).
      const deadline = Date.now() + 30_000;
      for (;;) {
        const res = await fetch(`${c.url(node)}/lists/po/events`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/cloudevents-batch+json' },
          body: JSON.stringify(failing[node]),
        });
        if (res.status === 201) {
          (await json(res)).results.forEach((r: { seq: string }, j: number) => acknowledged.set(failing[node][j].id as string, Number(r.seq)));
          break;
        }
        if (Date.now() > deadline) throw new Error(`node ${node} did not recover: ${res.status}`);
        await sleep(200);
      }
      expect((await fetch(`${c.url(node)}/readyz`)).status).toBe(200);
    }
    for (let i = 0; i < 15; i++) expect((await publish(i % 3, Array.from({ length: 4 }, () => makeEvent({ source: '/po' })))).status).toBe(201);

    const total = acknowledged.size;
    expect(total).toBe(15 * 4 * 2 + 12);
    expect([...acknowledged.values()].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    for (const node of [0, 1, 2]) {
      const seen = await readAll(c.url(node), 'po', total);
      expect(seen.map((s) => s.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    }
    const deadline = Date.now() + 30_000;
    while (streamed.length < total && Date.now() < deadline) await sleep(100);
    streaming = false;
    await sse;
    expect(streamed).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    await rx.waitFor((r) => new Set(r.events().map((e) => e.id)).size >= total, 60_000);
    expect(new Set(rx.events().map((e) => e.id as string))).toEqual(new Set(acknowledged.keys()));
  });
});
