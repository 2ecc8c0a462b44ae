import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/store/postgres/pg-store.js';
import type { AppendEvent } from '../../src/store/types.js';
import { dropSchema, freshSchema, urlForSchema } from '../helpers/pg.js';
import { clusterDatabaseUrl, sleep } from './cluster.js';

let n = 0;
function ev(subject: string | null, over: Partial<AppendEvent> = {}): AppendEvent {
  const id = `e${++n}`;
  const body = JSON.stringify({ specversion: '1.0', id, source: '/s', type: 't', ...(subject === null ? {} : { subject }) });
  return { source: '/s', id, type: 't', subject, body, ...over };
}

/**
 * Two PostgresStore instances on one schema stand for two nodes: heroldprevseq
 * and idempotency hold across them, across the batched subject writes and
 * across restarts, and a group's requests stay atomic one by one.
 */
describe('PostgreSQL store: two nodes on one schema', () => {
  const schema = freshSchema('herold_k');
  const url = urlForSchema(clusterDatabaseUrl(), schema);
  const stores: PostgresStore[] = [];
  const open = async () => {
    const s = new PostgresStore({ url });
    await s.open();
    stores.push(s);
    return s;
  };
  afterAll(async () => {
    for (const s of stores) await s.close().catch(() => undefined);
    await dropSchema(schema);
  });

  it('heroldprevseq follows each subject across nodes, subject flushes and restarts', async () => {
    const a = await open();
    let b = await open();
    await a.upsertList({ name: 'l' });
    const last = new Map<string, number>();
    const check = (outcome: Awaited<ReturnType<PostgresStore['appendGroup']>>[number], subjects: (string | null)[]) => {
      expect(outcome.ok).toBe(true);
      if (!outcome.ok) return;
      outcome.results.forEach((r, i) => {
        const s = subjects[i];
        if (s === null) {
          expect(r.prevSeq).toBeNull();
          return;
        }
        expect(r.prevSeq ?? null).toBe(last.get(s) ?? null);
        last.set(s, r.seq);
      });
    };
    const round = async (store: PostgresStore, k: number) => {
      const subjects = Array.from({ length: k }, (_, i) => (i % 5 === 4 ? null : `s${(n + i) % 7}`));
      const [outcome] = await store.appendGroup([{ list: 'l', events: subjects.map((s) => ev(s)) }]);
      check(outcome, subjects);
    };
    await round(a, 20);
    await round(b, 20);
    await round(a, 3);
    // Let both write their subject heads (after a second without appends), then go on.
    await sleep(2500);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const { rows } = await c.query('SELECT w.seq FROM subject_watermarks w JOIN lists l ON l.id = w.list_id WHERE l.name = $1', ['l']);
    await c.end();
    expect(Number(rows[0]?.seq)).toBe(43);
    await round(b, 10);
    await round(a, 10);
    // A node restarts: it reads what is after the watermark back from the log.
    await b.close();
    b = await open();
    await round(b, 10);
    await round(a, 5);
    await round(b, 5);
    // subjectSeqs walks the chain from the newest event, flushed or not.
    const seqs = await a.subjectSeqs('l', 's3', 100);
    expect(seqs[0]).toBe(last.get('s3'));
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeLessThan(seqs[i - 1]);
  });

  it('duplicates across nodes get the original seq; a conflicting request is left out whole, the others in its group are stored', async () => {
    const a = await open();
    const b = await open();
    await a.upsertList({ name: 'g' });
    const first = ev('x');
    const [o1] = await a.appendGroup([{ list: 'g', events: [first, ev('x')] }]);
    expect(o1).toMatchObject({ ok: true, results: [{ seq: 1, duplicate: false }, { seq: 2, duplicate: false, prevSeq: 1 }] });
    const changed = { ...first, body: first.body.replace('"type":"t"', '"type":"t2"'), type: 't2' };
    const [ok1, conflict, ok2, dup, missing] = await b.appendGroup([
      { list: 'g', events: [ev('x')] },
      { list: 'g', events: [ev('x'), ev('y'), changed] },
      { list: 'g', events: [ev('y')] },
      { list: 'g', events: [first] },
      { list: 'nope', events: [ev(null)] },
    ]);
    expect(ok1).toMatchObject({ ok: true, results: [{ seq: 3, prevSeq: 2 }] });
    expect(conflict).toEqual({ ok: false, reason: 'conflict', index: 2, seq: 1 });
    // The conflicting request took nothing: no seq, no subject head.
    expect(ok2).toMatchObject({ ok: true, results: [{ seq: 4, prevSeq: null }] });
    expect(dup).toEqual({ ok: true, results: [{ seq: 1, duplicate: true }] });
    expect(missing).toEqual({ ok: false, reason: 'no-such-list' });
    const events = await a.readRange('g', { after: 0, upTo: 10, limit: 10 });
    expect(events.map((e) => [e.seq, e.prevSeq])).toEqual([
      [1, null],
      [2, 1],
      [3, 2],
      [4, null],
    ]);
    expect((await b.getList('g'))?.head).toBe(4);
  });

  it('a subject whose last event is only in the subjects table (flushed before a restart) is found by the read that plans a group', async () => {
    let a = await open();
    await a.upsertList({ name: 't' });
    const [o1] = await a.appendGroup([{ list: 't', events: [ev('old'), ev('other'), ev('old')] }]);
    expect(o1).toMatchObject({ ok: true, results: [{ seq: 1 }, { seq: 2 }, { seq: 3, prevSeq: 1 }] });
    // Close writes the subject heads (watermark 3); the restarted node's map starts empty.
    await a.close();
    a = await open();
    // The first group loads the list's state; 'old' is not in it and not in this group.
    const [o2] = await a.appendGroup([{ list: 't', events: [ev('new')] }]);
    expect(o2).toMatchObject({ ok: true, results: [{ seq: 4, prevSeq: null }] });
    // Now 'old' is asked of the table in the same read as the heads and keys.
    const [o3] = await a.appendGroup([{ list: 't', events: [ev('old'), ev('never'), ev('new')] }]);
    expect(o3).toMatchObject({ ok: true, results: [{ seq: 5, prevSeq: 3 }, { seq: 6, prevSeq: null }, { seq: 7, prevSeq: 4 }] });
  });

  it('groups planned without the lock on two nodes at once: each event once, seqs without gaps, subjects chained, duplicates found', async () => {
    // Both nodes plan from a read and write only if the head did not move; the loser of each
    // race plans again under the lock. Whatever the interleaving, the log must come out exact.
    const a = await open();
    const b = await open();
    await a.upsertList({ name: 'race' });
    const sent: AppendEvent[] = [];
    const publish = async (store: PostgresStore, rounds: number) => {
      for (let r = 0; r < rounds; r++) {
        const events = Array.from({ length: 1 + (r % 4) * 10 }, (_, i) => ev(`r${(r * 3 + i) % 11}`));
        sent.push(...events);
        const outcomes = await store.appendGroup([
          { list: 'race', events: events.slice(0, 5) },
          { list: 'race', events: events.slice(5) },
        ]);
        for (const o of outcomes) expect(o.ok).toBe(true);
      }
    };
    await Promise.all([publish(a, 40), publish(b, 40), publish(a, 40), publish(b, 40)]);
    // Some group found the head moved and went the locked way (the path this test is about).
    const lockedUntil = (s: PostgresStore) => (s as unknown as { lockedUntil: number }).lockedUntil;
    expect(lockedUntil(a) + lockedUntil(b)).toBeGreaterThan(0);
    const stored = await a.readRange('race', { after: 0, upTo: 1e9, limit: 100_000 });
    expect(stored.length).toBe(sent.length);
    expect(stored.map((e) => e.seq)).toEqual(stored.map((_, i) => i + 1));
    const ids = stored.map((e) => (JSON.parse(e.body) as { id: string }).id);
    expect(new Set(ids).size).toBe(sent.length);
    const last = new Map<string, number>();
    for (const e of stored) {
      const subject = (JSON.parse(e.body) as { subject: string }).subject;
      expect(e.prevSeq).toBe(last.get(subject) ?? null);
      last.set(subject, e.seq);
    }
    expect((await b.getList('race'))?.head).toBe(sent.length);
    // Sent again through the other nodes, every event is a duplicate with its original seq.
    const seqOf = new Map(ids.map((id, i) => [id, stored[i].seq]));
    const again = sent.slice(0, 30);
    const [o] = await b.appendGroup([{ list: 'race', events: again }]);
    expect(o).toEqual({ ok: true, results: again.map((e) => ({ seq: seqOf.get(e.id), duplicate: true })) });
  });
});
