import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent } from '../helpers/hub.js';
import { Receiver } from '../helpers/receiver.js';
import { Cluster, auth, json, sleep } from './cluster.js';

/**
 * DESIGN.md invariant 2 across nodes: three hub processes on one PostgreSQL,
 * publishers on all of them at once, readers on all of them paging with
 * `after` and following SSE. Every reader sees every acknowledged event
 * exactly once, in order, with no gaps: visibility is exact, not delayed.
 */
describe('cluster: concurrent publishers on every node', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start(3);
    const res = await fetch(`${cluster.url(0)}/lists/busy`, { method: 'PUT', headers: auth });
    expect(res.status).toBe(201);
  });
  afterAll(() => cluster?.close());

  it('every reader on every node sees every event exactly once, in order', async () => {
    const PER_NODE = 6;
    const ROUNDS = 60;
    let publishing = true;
    const acknowledged = new Map<string, number>();
    const publishers = [0, 1, 2].flatMap((node) =>
      Array.from({ length: PER_NODE }, async (_, p) => {
        for (let i = 0; i < ROUNDS; i++) {
          // Single events and batches mixed.
          const events = Array.from({ length: i % 3 === 0 ? 5 : 1 }, () => makeEvent({ source: `/node/${node}/p/${p}`, subject: `s/${i % 7}` }));
          const batch = events.length > 1;
          const res = await fetch(`${cluster.url(node)}/lists/busy/events`, {
            method: 'POST',
            headers: { ...auth, 'content-type': batch ? 'application/cloudevents-batch+json' : 'application/cloudevents+json' },
            body: JSON.stringify(batch ? events : events[0]),
          });
          expect(res.status).toBe(201);
          const body = await json(res);
          const seqs: string[] = batch ? body.results.map((r: { seq: string }) => r.seq) : [body.seq];
          events.forEach((e, j) => acknowledged.set(`${e.source} ${e.id}`, Number(seqs[j])));
        }
      }),
    );
    const pager = async (node: number, limit: number) => {
      const seen: { seq: number; key: string; prev: number | null; subject: string }[] = [];
      let after = '0';
      for (;;) {
        const body = await json(await fetch(`${cluster.url(node)}/lists/busy/events?after=${after}&limit=${limit}`, { headers: auth }));
        for (const e of body.events) seen.push({ seq: Number(e.heroldseq), key: `${e.source} ${e.id}`, prev: e.heroldprevseq === undefined ? null : Number(e.heroldprevseq), subject: e.subject });
        after = body.next;
        if (!publishing && body.events.length === 0 && body.next === body.head && Number(body.head) >= acknowledged.size) break;
        if (body.events.length === 0) await sleep(2);
      }
      return seen;
    };
    const sse = async (node: number) => {
      const seen: number[] = [];
      const res = await fetch(`${cluster.url(node)}/lists/busy/events?after=0`, { headers: { ...auth, accept: 'text/event-stream' } });
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let buf = '';
      while (publishing || seen.length < acknowledged.size) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const msg = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const id = /^id: (\d+)$/m.exec(msg);
          if (id) seen.push(Number(id[1]));
        }
      }
      await reader.cancel();
      return seen;
    };
    const readers = [pager(0, 7), pager(1, 100), pager(2, 1000), pager(1, 13)];
    const streams = [sse(0), sse(1), sse(2)];
    await Promise.all(publishers);
    publishing = false;
    const total = acknowledged.size;
    expect(total).toBe(3 * PER_NODE * (ROUNDS / 3) * 5 + 3 * PER_NODE * ((ROUNDS * 2) / 3));
    // Acknowledged seqs are exactly 1..total.
    expect([...acknowledged.values()].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    for (const seen of await Promise.all(readers)) {
      expect(seen.map((s) => s.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(new Set(seen.map((s) => s.key))).toEqual(new Set(acknowledged.keys()));
      for (const s of seen) expect(acknowledged.get(s.key)).toBe(s.seq);
      // heroldprevseq chains each subject through the whole list, whichever node published.
      const last = new Map<string, number>();
      for (const s of seen) {
        expect(s.prev).toBe(last.get(s.subject) ?? null);
        last.set(s.subject, s.seq);
      }
    }
    for (const seen of await Promise.all(streams)) expect(seen).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  });

  it('the same event published on two nodes at once is stored once; a conflict is a 409 on any node', async () => {
    const ev = makeEvent({ source: '/dup' });
    const results = await Promise.all(
      [0, 1, 2, 0, 1, 2].map((node) =>
        fetch(`${cluster.url(node)}/lists/busy/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(ev) }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 201]);
    const seqs = new Set(await Promise.all(results.map(async (r) => (await json(r)).seq)));
    expect(seqs.size).toBe(1);
    const conflict = await fetch(`${cluster.url(2)}/lists/busy/events`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ ...ev, data: { changed: true } }),
    });
    expect(conflict.status).toBe(409);
  });

  it('an SSE client on one node sees events published on another with p99 under 100 ms', async () => {
    const res = await fetch(`${cluster.url(1)}/lists/busy/events`, { headers: { ...auth, accept: 'text/event-stream' } });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const arrived = new Map<string, number>();
    let buf = '';
    let reading = true;
    const consume = (async () => {
      while (reading) {
        const { value, done } = await reader.read();
        if (done) break;
        const now = performance.now();
        buf += decoder.decode(value, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const msg = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = /^data: (.*)$/m.exec(msg);
          if (data) arrived.set(JSON.parse(data[1]).id, now);
        }
      }
    })();
    await sleep(300);
    const sent = new Map<string, number>();
    // 200 events at about 100/s from node 0 (and a few from node 2), one at a time.
    for (let i = 0; i < 200; i++) {
      const ev = makeEvent({ source: '/latency' });
      const node = i % 10 === 9 ? 2 : 0;
      const t = performance.now();
      const r = await fetch(`${cluster.url(node)}/lists/busy/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(ev) });
      expect(r.status).toBe(201);
      sent.set(ev.id as string, t);
      await sleep(10);
    }
    const deadline = Date.now() + 5000;
    while (arrived.size < sent.size && Date.now() < deadline) await sleep(20);
    reading = false;
    await reader.cancel();
    await consume.catch(() => undefined);
    const latencies = [...sent].map(([id, t]) => (arrived.get(id) ?? Infinity) - t).sort((a, b) => a - b);
    const p50 = latencies[Math.floor(latencies.length * 0.5)];
    const p99 = latencies[Math.floor(latencies.length * 0.99) - 1];
    console.log(`cross-node publish→SSE latency: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`);
    expect(p99).toBeLessThan(100);
  });

  it('a list, a key, a grant made on one node are in force on the others', async () => {
    const key = await json(
      await fetch(`${cluster.url(0)}/api-keys`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ principal: 'carol' }) }),
    );
    expect(key.key).toBeDefined();
    await fetch(`${cluster.url(1)}/lists/granted`, { method: 'PUT', headers: auth });
    const ev = makeEvent();
    expect((await fetch(`${cluster.url(2)}/lists/granted/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(ev) })).status).toBe(201);
    const carol = { authorization: `Bearer ${key.key}` };
    // No grant yet: 404 on every node (the key is known everywhere: not 401).
    const waitFor = async (node: number, want: number) => {
      const deadline = Date.now() + 5000;
      for (;;) {
        const status = (await fetch(`${cluster.url(node)}/lists/granted/events`, { headers: carol })).status;
        if (status === want || Date.now() > deadline) return status;
        await sleep(20);
      }
    };
    for (const node of [0, 1, 2]) expect(await waitFor(node, 404)).toBe(404);
    const grant = await json(
      await fetch(`${cluster.url(1)}/lists/granted/grants`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ principal: 'carol' }) }),
    );
    for (const node of [0, 1, 2]) expect(await waitFor(node, 200)).toBe(200);
    // An open stream on node 2 closes when the grant is revoked on node 0.
    const stream = await fetch(`${cluster.url(2)}/lists/granted/events?after=0`, { headers: { ...carol, accept: 'text/event-stream' } });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    await reader.read();
    expect((await fetch(`${cluster.url(0)}/grants/${grant.id}`, { method: 'DELETE', headers: auth })).status).toBe(204);
    const closed = (async () => {
      for (;;) if ((await reader.read()).done) return true;
    })();
    expect(await Promise.race([closed, sleep(5000).then(() => false)])).toBe(true);
    for (const node of [0, 1, 2]) expect(await waitFor(node, 404)).toBe(404);
  });
  it('a subscription changed, redelivered and deleted through another node is applied by the node that drives it', async () => {
    await fetch(`${cluster.url(0)}/lists/subs`, { method: 'PUT', headers: auth });
    const rx = await Receiver.start();
    try {
      const created = await fetch(`${cluster.url(0)}/lists/subs/subscriptions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ sink: rx.url, types: ['a'] }),
      });
      expect(created.status).toBe(201);
      const { id } = await json(created);
      const publish = (node: number, type: string) =>
        fetch(`${cluster.url(node)}/lists/subs/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(makeEvent({ type })) });
      const ids = (type?: string) => rx.events().filter((e) => type === undefined || e.type === type).map((e) => e.id);
      for (let i = 0; i < 3; i++) expect((await publish(i, 'a')).status).toBe(201);
      await rx.waitFor(() => ids('a').length === 3);
      const [{ node: holder }] = await cluster.sql<{ node: string }>('SELECT node FROM subscription_leases WHERE subscription_id = $1', [id]);
      const pids = cluster.nodes.map((n) => n!.process.pid);
      const other = pids.findIndex((pid) => !holder.includes(`-${pid}-`));
      expect(other).toBeGreaterThanOrEqual(0);
      // Redelivery asked on a node that does not drive it: the driver sends it again, with the same webhook-id.
      const first = rx.received[0];
      const redeliver = await fetch(`${cluster.url(other)}/subscriptions/${id}/redeliver`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ seqs: [JSON.parse(first.body).heroldseq] }),
      });
      expect(redeliver.status).toBe(202);
      await rx.waitFor((r) => r.received.length === 4);
      expect(rx.received[3].headers['webhook-id']).toBe(first.headers['webhook-id']);
      // A changed filter, made on that other node, is in force on the driver at once.
      const put = await fetch(`${cluster.url(other)}/subscriptions/${id}`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ sink: rx.url, types: ['b'] }) });
      expect(put.status).toBe(200);
      await sleep(300);
      expect((await publish(other, 'a')).status).toBe(201);
      expect((await publish(other, 'b')).status).toBe(201);
      await rx.waitFor(() => ids('b').length === 1);
      await sleep(300);
      expect(ids('a')).toHaveLength(4);
      // Deleted on yet another node: nothing more arrives.
      const third = [0, 1, 2].find((i) => i !== other && !holder.includes(`-${pids[i]}-`)) ?? other;
      expect((await fetch(`${cluster.url(third)}/subscriptions/${id}`, { method: 'DELETE', headers: auth })).status).toBe(204);
      await sleep(300);
      const before = rx.received.length;
      expect((await publish(0, 'b')).status).toBe(201);
      await sleep(1000);
      expect(rx.received.length).toBe(before);
      expect(await cluster.sql('SELECT 1 FROM subscription_leases WHERE subscription_id = $1', [id])).toEqual([]);
    } finally {
      await rx.close();
    }
  });
});
