import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeEvent } from '../helpers/hub.js';
import { auth, freePort, startChildHub } from '../helpers/child-hub.js';

/**
 * DESIGN.md invariant 1: acknowledged means durable. Publishers run against a
 * real hub process; it is killed with SIGKILL mid-stream, restarted, and every
 * acknowledged event must be there, in order, with no gaps.
 */
describe('kill -9 while publishing', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'herold-kill-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('loses no acknowledged event across repeated kill -9 (sync=full and normal; SQLite writing on the main thread and in a worker thread)', async () => {
    const port = await freePort();
    const acknowledged = new Map<string, { seq: number; body: Record<string, unknown> }>();
    let rounds = 0;
    // Each restart recovers what the previous process left, also across the two writer placements.
    for (const [sync, writer] of [['full', 'thread'], ['normal', 'worker'], ['full', 'worker'], ['full', 'thread']]) {
      rounds++;
      const hub = await startChildHub(dataDir, port, { HEROLD_SYNC: sync, HEROLD_SQLITE_WRITER: writer });
      if (rounds === 1) {
        const res = await fetch(`${hub.url}/lists/kill`, { method: 'PUT', headers: auth });
        expect(res.status).toBe(201);
      }
      let stop = false;
      const publisher = async (batch: boolean) => {
        while (!stop) {
          const events = Array.from({ length: batch ? 50 : 1 }, () => makeEvent({ subject: `person/${Math.floor(Math.random() * 20)}` }));
          try {
            const res = await fetch(`${hub.url}/lists/kill/events`, {
              method: 'POST',
              headers: { ...auth, 'content-type': batch ? 'application/cloudevents-batch+json' : 'application/cloudevents+json' },
              body: JSON.stringify(batch ? events : events[0]),
            });
            if (res.status !== 201) continue;
            const body = await res.json();
            const seqs: string[] = batch ? body.results.map((r: { seq: string }) => r.seq) : [body.seq];
            seqs.forEach((s, i) => acknowledged.set(events[i].id as string, { seq: Number(s), body: events[i] }));
          } catch {
            return; // the hub is gone
          }
        }
      };
      const publishers = [...Array.from({ length: 6 }, () => publisher(false)), ...Array.from({ length: 3 }, () => publisher(true))];
      await new Promise((r) => setTimeout(r, 800 + Math.random() * 700));
      await hub.kill('SIGKILL');
      stop = true;
      await Promise.all(publishers);
    }
    expect(acknowledged.size).toBeGreaterThan(500);

    const hub = await startChildHub(dataDir, port);
    try {
      const list = await (await fetch(`${hub.url}/lists/kill`, { headers: auth })).json();
      const head = Number(list.head);
      const res = await fetch(`${hub.url}/lists/kill/events`, { headers: { ...auth, accept: 'application/x-ndjson' } });
      const served = (await res.text()).trim().split('\n').map((l) => JSON.parse(l));
      // Gapless, strictly increasing 1..head.
      expect(served.map((e) => Number(e.heroldseq))).toEqual(Array.from({ length: head }, (_, i) => i + 1));
      const byId = new Map(served.map((e) => [e.id, e]));
      for (const [id, ack] of acknowledged) {
        const e = byId.get(id);
        expect(e, `acknowledged event ${id} missing`).toBeDefined();
        expect(Number(e.heroldseq)).toBe(ack.seq);
        const { heroldseq, heroldtime, heroldprevseq, ...rest } = e;
        expect(rest).toEqual(ack.body);
      }
      // The idempotency and subject indexes were rebuilt from the log: every acknowledged
      // event republished is a duplicate with its original seq, and each heroldprevseq is
      // the previous event with the same subject.
      const sample = [...acknowledged.values()].slice(-300);
      const again = await fetch(`${hub.url}/lists/kill/events`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/cloudevents-batch+json' },
        body: JSON.stringify(sample.map((a) => a.body)),
      });
      expect(again.status).toBe(201);
      const results = (await again.json()).results;
      results.forEach((r: { seq: string; duplicate: boolean }, i: number) => expect(r).toEqual({ seq: String(sample[i].seq), duplicate: true }));
      const lastBySubject = new Map<string, string>();
      for (const e of served) {
        expect(e.heroldprevseq, `prevseq of ${e.heroldseq}`).toBe(lastBySubject.get(e.subject));
        lastBySubject.set(e.subject, e.heroldseq);
      }
    } finally {
      await hub.kill('SIGTERM');
    }
  });
});
