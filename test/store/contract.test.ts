import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppendEvent, AppendOutcome, EventStore, StoredEvent, SubscriptionRecord } from '../../src/store/types.js';
import { backends, missing } from './backends.js';

/**
 * The store contract: the same cases against every backend (SQLite always,
 * PostgreSQL when it answers; required under CI=true), one block per narrow
 * interface of src/store/types.ts. A backend passes when the hub cannot tell
 * it from the other.
 */

let n = 0;
/** A CloudEvent as the ingest path hands it to the store. */
function ev(opts: { id?: string; source?: string; subject?: string | null; type?: string; data?: unknown } = {}): AppendEvent {
  const id = opts.id ?? `e-${++n}-${randomUUID()}`;
  const source = opts.source ?? '/test';
  const type = opts.type ?? 'test.created';
  const subject = opts.subject === undefined ? null : opts.subject;
  const body: Record<string, unknown> = { specversion: '1.0', id, source, type, data: opts.data ?? { n } };
  if (subject !== null) body.subject = subject;
  return { source, id, type, subject, body: JSON.stringify(body) };
}

/** The same event with other content (same source and id). */
const changed = (e: AppendEvent): AppendEvent => {
  const body = JSON.parse(e.body) as Record<string, unknown>;
  return { ...e, body: JSON.stringify({ ...body, data: { other: true } }) };
};

const ok = (o: AppendOutcome) => {
  if (!o.ok) throw new Error(`expected ok, got ${JSON.stringify(o)}`);
  return o.results;
};
const seqs = (events: StoredEvent[]) => events.map((e) => e.seq);
const all = { after: 0, upTo: Number.MAX_SAFE_INTEGER, limit: 1000 };

describe.each(missing)('store contract on %s', (name) => {
  it('runs (CI=true requires every backend)', () => {
    expect.fail(`${name} does not answer; the store contract must run on it under CI=true`);
  });
});

describe.each(backends)('store contract on $name', (backend) => {
  let store: EventStore;
  let drop: () => Promise<void>;
  let listN = 0;
  /** A new list for one test, so the tests stay independent on one store. */
  const newList = async (owner?: string) => {
    const name = `l${++listN}-${randomUUID().slice(0, 8)}`;
    await store.upsertList({ name, owner });
    return name;
  };

  beforeAll(async () => {
    ({ store, drop } = await backend.open());
  });
  afterAll(async () => {
    await store?.close();
    await drop?.();
  });

  describe('StoreLifecycle', () => {
    it('names its kind, answers ping and reports a size', async () => {
      expect(store.kind).toBe(backend.name);
      expect(await store.ping()).toBe(true);
      expect(await store.sizeBytes()).toBeGreaterThanOrEqual(0);
    });
  });

  describe('EventLog: lists', () => {
    it('creates a list once, updates only the fields given, and lists it', async () => {
      const first = await store.upsertList({ name: 'lists-a', title: 'A', description: 'about a', retentionDays: 7, owner: 'olga' });
      expect(first.created).toBe(true);
      expect(first.list).toMatchObject({ name: 'lists-a', title: 'A', description: 'about a', retentionDays: 7, head: 0, owner: 'olga' });
      const again = await store.upsertList({ name: 'lists-a', title: 'A2' });
      expect(again.created).toBe(false);
      expect(again.list).toMatchObject({ title: 'A2', description: 'about a', retentionDays: 7, owner: 'olga' });
      await store.upsertList({ name: 'lists-a', description: null });
      expect(await store.getList('lists-a')).toMatchObject({ title: 'A2', description: null });
      expect(await store.getList('lists-missing')).toBeUndefined();
      await store.upsertList({ name: 'lists-B' });
      const names = (await store.listLists()).map((l) => l.name).filter((x) => x.startsWith('lists-'));
      // Byte order, the same on both backends.
      expect(names).toEqual(['lists-B', 'lists-a']);
    });

    it('keeps the head at the last committed seq', async () => {
      const list = await newList();
      ok((await store.appendGroup([{ list, events: [ev(), ev(), ev()] }]))[0]);
      expect((await store.getList(list))!.head).toBe(3);
    });
  });

  describe('EventLog: append', () => {
    it('numbers new events from 1 without gaps and stores the body untouched', async () => {
      const list = await newList();
      const a = ev({ subject: 's' });
      const b = ev();
      const before = Date.now();
      const [out] = await store.appendGroup([{ list, events: [a, b] }]);
      const results = ok(out);
      expect(results.map((r) => [r.seq, r.duplicate])).toEqual([
        [1, false],
        [2, false],
      ]);
      expect(results[0].time).toBeGreaterThanOrEqual(before);
      const stored = await store.readRange(list, all);
      expect(stored.map((e) => e.body)).toEqual([a.body, b.body]);
      expect(stored[0].time).toBe(results[0].time);
    });

    it('a republished event is a duplicate with its original seq, across requests and groups', async () => {
      const list = await newList();
      const a = ev();
      ok((await store.appendGroup([{ list, events: [a, ev()] }]))[0]);
      const [again] = await store.appendGroup([{ list, events: [ev(), a] }]);
      expect(ok(again).map((r) => [r.seq, r.duplicate])).toEqual([
        [3, false],
        [1, true],
      ]);
      // The same content in another key order is the same event.
      const reordered = { ...a, body: JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(a.body)).reverse())) };
      expect(ok((await store.appendGroup([{ list, events: [reordered] }]))[0])).toEqual([{ seq: 1, duplicate: true }]);
      expect((await store.getList(list))!.head).toBe(3);
    });

    it('an id is per source: the same id from another source is a new event', async () => {
      const list = await newList();
      ok((await store.appendGroup([{ list, events: [ev({ id: 'x', source: '/a' })] }]))[0]);
      const [out] = await store.appendGroup([{ list, events: [ev({ id: 'x', source: '/b' })] }]);
      expect(ok(out)).toMatchObject([{ seq: 2, duplicate: false }]);
    });

    it('a duplicate within one batch gets the seq of its first copy', async () => {
      const list = await newList();
      const a = ev();
      const [out] = await store.appendGroup([{ list, events: [a, ev(), a] }]);
      expect(ok(out).map((r) => [r.seq, r.duplicate])).toEqual([
        [1, false],
        [2, false],
        [1, true],
      ]);
    });

    it('a conflict within a batch fails the whole batch, naming the index and the first seq', async () => {
      const list = await newList();
      const a = ev({ subject: 'c' });
      const [out] = await store.appendGroup([{ list, events: [ev({ subject: 'c' }), a, changed(a)] }]);
      expect(out).toEqual({ ok: false, reason: 'conflict', index: 2, seq: 2 });
      // Nothing of it was stored: the next event is seq 1 and has no prevSeq.
      expect(await store.readRange(list, all)).toEqual([]);
      expect((await store.getList(list))!.head).toBe(0);
      expect(ok((await store.appendGroup([{ list, events: [ev({ subject: 'c' })] }]))[0])).toMatchObject([{ seq: 1, prevSeq: null }]);
    });

    it('a conflict with a stored event fails the request and names the stored seq', async () => {
      const list = await newList();
      const a = ev();
      ok((await store.appendGroup([{ list, events: [ev(), a] }]))[0]);
      const [out] = await store.appendGroup([{ list, events: [ev(), changed(a)] }]);
      expect(out).toEqual({ ok: false, reason: 'conflict', index: 1, seq: 2 });
      expect((await store.getList(list))!.head).toBe(2);
    });

    it('within one group each request sees the ones before it; a failed request is taken back; a missing list fails alone', async () => {
      const list = await newList();
      const other = await newList();
      const a = ev({ subject: 'g' });
      const b = ev({ subject: 'g' });
      const c = ev({ subject: 'g' });
      const outcomes = await store.appendGroup([
        { list, events: [a] },
        // a duplicate of the first request's event
        { list, events: [a, b] },
        // conflicts with the first request: taken back whole, including c
        { list, events: [c, changed(a)] },
        { list: 'no-such-list-here', events: [ev()] },
        // c again: it was taken back, so it is new now, after b in the subject's chain
        { list, events: [c] },
        { list: other, events: [a] },
        // b with other content: conflicts with the second request's event
        { list, events: [changed(b)] },
      ]);
      expect(outcomes).toEqual([
        { ok: true, results: [{ seq: 1, duplicate: false, prevSeq: null, time: expect.any(Number) }] },
        { ok: true, results: [{ seq: 1, duplicate: true }, { seq: 2, duplicate: false, prevSeq: 1, time: expect.any(Number) }] },
        { ok: false, reason: 'conflict', index: 1, seq: 1 },
        { ok: false, reason: 'no-such-list' },
        { ok: true, results: [{ seq: 3, duplicate: false, prevSeq: 2, time: expect.any(Number) }] },
        // another list has its own numbering and keys
        { ok: true, results: [{ seq: 1, duplicate: false, prevSeq: null, time: expect.any(Number) }] },
        { ok: false, reason: 'conflict', index: 0, seq: 2 },
      ]);
      const stored = await store.readRange(list, all);
      expect(stored.map((e) => [e.seq, e.prevSeq, JSON.parse(e.body).id])).toEqual([
        [1, null, a.id],
        [2, 1, b.id],
        [3, 2, c.id],
      ]);
      expect((await store.getList(list))!.head).toBe(3);
      expect((await store.getList(other))!.head).toBe(1);
    });

    it('prevSeq links each event to the previous one of its subject, per list, across groups', async () => {
      const list = await newList();
      const [out] = await store.appendGroup([{ list, events: [ev({ subject: 'p' }), ev({ subject: 'q' }), ev(), ev({ subject: 'p' })] }]);
      expect(ok(out).map((r) => r.prevSeq)).toEqual([null, null, null, 1]);
      const [next] = await store.appendGroup([{ list, events: [ev({ subject: 'q' }), ev({ subject: 'p' })] }]);
      expect(ok(next).map((r) => r.prevSeq)).toEqual([2, 4]);
      expect((await store.readRange(list, all)).map((e) => e.prevSeq)).toEqual([null, null, null, 1, 2, 4]);
      expect(await store.subjectSeqs(list, 'p', 10)).toEqual([6, 4, 1]);
      expect(await store.subjectSeqs(list, 'p', 2)).toEqual([6, 4]);
      expect(await store.subjectSeqs(list, 'none', 10)).toEqual([]);
    });

    it('commit time never goes backwards within a list', async () => {
      const list = await newList();
      for (let i = 0; i < 5; i++) ok((await store.appendGroup([{ list, events: [ev()] }]))[0]);
      const times = (await store.readRange(list, all)).map((e) => e.time);
      expect(times).toEqual([...times].sort((x, y) => x - y));
    });

    it('a large batch is stored whole, in order', async () => {
      const list = await newList();
      const events = Array.from({ length: 3000 }, (_, i) => ev({ subject: `s${i % 7}` }));
      const results = ok((await store.appendGroup([{ list, events }]))[0]);
      expect(results.at(-1)).toMatchObject({ seq: 3000, prevSeq: 2993 });
      const stored: StoredEvent[] = [];
      for (let after = 0; ; ) {
        const page = await store.readRange(list, { after, upTo: 3000, limit: 1000 });
        if (page.length === 0) break;
        stored.push(...page);
        after = page.at(-1)!.seq;
      }
      expect(stored.map((e) => e.body)).toEqual(events.map((e) => e.body));
    });
  });

  describe('EventLog: reading', () => {
    let list: string;
    beforeAll(async () => {
      list = await newList();
      ok(
        (
          await store.appendGroup([
            {
              list,
              events: [
                ev({ type: 't.a', source: '/x', subject: 'one' }),
                ev({ type: 't.b', source: '/x', subject: 'two' }),
                ev({ type: 't.a', source: '/y', subject: 'two' }),
                ev({ type: 't.c', source: '/y' }),
                ev({ type: 't.a', source: '/x', subject: 'one' }),
              ],
            },
          ])
        )[0],
      );
    });

    it('readRange returns (after, upTo], in seq order, at most limit', async () => {
      expect(seqs(await store.readRange(list, all))).toEqual([1, 2, 3, 4, 5]);
      expect(seqs(await store.readRange(list, { after: 1, upTo: 4, limit: 100 }))).toEqual([2, 3, 4]);
      expect(seqs(await store.readRange(list, { after: 0, upTo: 5, limit: 2 }))).toEqual([1, 2]);
      expect(await store.readRange(list, { after: 3, upTo: 3, limit: 10 })).toEqual([]);
      expect(await store.readRange(list, { after: 0, upTo: 5, limit: 0 })).toEqual([]);
      expect(await store.readRange('no-such-list-here', all)).toEqual([]);
    });

    it('readRange filters by types, subjects and sources (any of each, all together), before the limit', async () => {
      expect(seqs(await store.readRange(list, { ...all, types: ['t.a'] }))).toEqual([1, 3, 5]);
      expect(seqs(await store.readRange(list, { ...all, types: ['t.b', 't.c'] }))).toEqual([2, 4]);
      expect(seqs(await store.readRange(list, { ...all, subjects: ['two'] }))).toEqual([2, 3]);
      expect(seqs(await store.readRange(list, { ...all, sources: ['/y'] }))).toEqual([3, 4]);
      expect(seqs(await store.readRange(list, { ...all, types: ['t.a'], sources: ['/x'], subjects: ['one'] }))).toEqual([1, 5]);
      expect(seqs(await store.readRange(list, { after: 1, upTo: 5, limit: 1, types: ['t.a'] }))).toEqual([3]);
      expect(seqs(await store.readRange(list, { ...all, types: [], subjects: [] }))).toEqual([1, 2, 3, 4, 5]);
      expect(await store.readRange(list, { ...all, types: ['none'] })).toEqual([]);
    });

    it('getEvent returns one event with its metadata, and nothing for a missing seq or list', async () => {
      const [third] = await store.readRange(list, { after: 2, upTo: 3, limit: 1 });
      expect(await store.getEvent(list, 3)).toEqual(third);
      expect(third).toMatchObject({ seq: 3, prevSeq: 2 });
      for (const seq of [0, -1, 6, 1.5, 2 ** 53]) expect(await store.getEvent(list, seq)).toBeUndefined();
      expect(await store.getEvent('no-such-list-here', 1)).toBeUndefined();
    });

    it('seqBefore finds the last seq committed before a time', async () => {
      const other = await newList();
      ok((await store.appendGroup([{ list: other, events: [ev()] }]))[0]);
      const t1 = (await store.getEvent(other, 1))!.time;
      // A later commit time for the next ones.
      await new Promise((r) => setTimeout(r, 5));
      ok((await store.appendGroup([{ list: other, events: [ev(), ev()] }]))[0]);
      const t2 = (await store.getEvent(other, 2))!.time;
      expect(t2).toBeGreaterThan(t1);
      expect(await store.seqBefore(other, t1)).toBe(0);
      expect(await store.seqBefore(other, t1 + 1)).toBe(1);
      expect(await store.seqBefore(other, t2)).toBe(1);
      expect(await store.seqBefore(other, t2 + 1)).toBe(3);
      expect(await store.seqBefore('no-such-list-here', Date.now())).toBe(0);
    });

    it('seqBefore still finds the seq after most of the list was trimmed (retention keeps trimming)', async () => {
      const other = await newList();
      ok((await store.appendGroup([{ list: other, events: Array.from({ length: 10 }, () => ev()) }]))[0]);
      await new Promise((r) => setTimeout(r, 5));
      ok((await store.appendGroup([{ list: other, events: [ev(), ev()] }]))[0]);
      const late = (await store.getEvent(other, 11))!.time;
      expect(await store.trimThrough!(other, 8)).toBe(8);
      // Events 9 and 10 are older than `late`; the probes of seqs 1..8 find no rows.
      expect(await store.seqBefore(other, late)).toBe(10);
      expect(await store.seqBefore(other, late + 1)).toBe(12);
      expect(await store.seqBefore(other, 0)).toBe(0);
      expect(await store.trimThrough!(other, await store.seqBefore(other, late))).toBe(2);
    });

    it('trimThrough deletes events up to a seq, never reuses seqs, and forgets their idempotency keys', async () => {
      const other = await newList();
      const a = ev({ subject: 'k' });
      ok((await store.appendGroup([{ list: other, events: [a, ev({ subject: 'k' }), ev()] }]))[0]);
      expect(await store.trimThrough!(other, 2)).toBe(2);
      expect(seqs(await store.readRange(other, all))).toEqual([3]);
      expect(await store.getEvent(other, 1)).toBeUndefined();
      expect(await store.trimThrough!(other, 0)).toBe(0);
      // A republish after retention is a new event, with a new seq.
      expect(ok((await store.appendGroup([{ list: other, events: [a] }]))[0])).toMatchObject([{ seq: 4, duplicate: false }]);
      expect((await store.getList(other))!.head).toBe(4);
    });
  });

  describe('EventImport', () => {
    it('writes events with their seqs, times and prevSeqs; keys and subjects continue as if appended', async () => {
      const list = await newList();
      const a = ev({ subject: 'i' });
      const b = ev({ subject: 'i' });
      const c = ev();
      await store.importEvents(list, [
        { seq: 4, prevSeq: null, time: 1000, body: a.body },
        { seq: 7, prevSeq: 4, time: 2000, body: b.body },
      ]);
      await store.importEvents(list, [{ seq: 9, prevSeq: null, time: 2500, body: c.body }]);
      expect(await store.readRange(list, all)).toEqual([
        { seq: 4, prevSeq: null, time: 1000, body: a.body },
        { seq: 7, prevSeq: 4, time: 2000, body: b.body },
        { seq: 9, prevSeq: null, time: 2500, body: c.body },
      ]);
      expect((await store.getList(list))!.head).toBe(9);
      expect(await store.seqBefore(list, 2000)).toBe(4);
      // Idempotency: an imported event republished is a duplicate with its imported seq; other content conflicts.
      const [out] = await store.appendGroup([{ list, events: [b, ev({ subject: 'i' })] }]);
      expect(ok(out)).toMatchObject([
        { seq: 7, duplicate: true },
        { seq: 10, duplicate: false, prevSeq: 7 },
      ]);
      expect((await store.appendGroup([{ list, events: [changed(a)] }]))[0]).toEqual({ ok: false, reason: 'conflict', index: 0, seq: 4 });
      expect(await store.subjectSeqs(list, 'i', 10)).toEqual([10, 7, 4]);
    });

    it('refuses seqs at or below the head or out of order, and a missing list, writing nothing', async () => {
      const list = await newList();
      ok((await store.appendGroup([{ list, events: [ev(), ev()] }]))[0]);
      await expect(store.importEvents(list, [{ seq: 2, prevSeq: null, time: 1, body: ev().body }])).rejects.toThrow(/seq 2/);
      await expect(
        store.importEvents(list, [
          { seq: 5, prevSeq: null, time: 1, body: ev().body },
          { seq: 4, prevSeq: null, time: 1, body: ev().body },
        ]),
      ).rejects.toThrow(/seq 4/);
      await expect(store.importEvents('no-such-list-here', [{ seq: 1, prevSeq: null, time: 1, body: ev().body }])).rejects.toThrow(/no list/);
      expect((await store.getList(list))!.head).toBe(2);
      expect(seqs(await store.readRange(list, all))).toEqual([1, 2]);
    });
  });

  describe('SettingsStore', () => {
    it('stores, replaces and reads settings', async () => {
      expect(await store.getSetting('contract-key')).toBeUndefined();
      await store.setSetting('contract-key', 'one');
      await store.setSetting('contract-key', 'two');
      expect(await store.getSetting('contract-key')).toBe('two');
    });
  });

  describe('SubscriptionStore', () => {
    const sub = (list: string, over: Partial<SubscriptionRecord> = {}): SubscriptionRecord => ({
      id: randomUUID(),
      list,
      owner: 'olga',
      spec: { sink: 'http://127.0.0.1:1/hook', filters: [{ exact: { type: 't' } }] },
      secrets: [{ secret: 's1', expiresAt: null }],
      status: 'active',
      disabledReason: null,
      position: 0,
      failingSince: null,
      runAs: { credential: { kind: 'api-key', id: 'k1' } },
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      ...over,
    });

    it('creates, reads, lists per list, updates and deletes', async () => {
      const list = await newList();
      const other = await newList();
      const a = sub(list, { createdAt: '2026-01-01T00:00:00.000Z' });
      const b = sub(list, { createdAt: '2026-01-02T00:00:00.000Z' });
      const c = sub(other);
      for (const s of [b, a, c]) await store.createSubscription(s);
      expect(await store.getSubscription(a.id)).toEqual(a);
      expect((await store.listSubscriptions(list)).map((s) => s.id)).toEqual([a.id, b.id]);
      expect((await store.listSubscriptions()).map((s) => s.id)).toEqual(expect.arrayContaining([a.id, b.id, c.id]));
      const updated = { ...a, runAs: null, spec: { sink: 'http://127.0.0.1:2/' }, secrets: [{ secret: 's2', expiresAt: null }, { secret: 's1', expiresAt: 123 }], status: 'disabled' as const, disabledReason: 'gone', updatedAt: new Date().toISOString() };
      await store.updateSubscription(updated);
      expect(await store.getSubscription(a.id)).toEqual(updated);
      expect(await store.deleteSubscription(a.id)).toBe(true);
      expect(await store.deleteSubscription(a.id)).toBe(false);
      expect(await store.getSubscription(a.id)).toBeUndefined();
    });

    it('saveDeliveryWork writes positions, retries, dead letters and attempts at once; positions never move back', async () => {
      const list = await newList();
      const s = sub(list);
      await store.createSubscription(s);
      const retry = (seq: number, state: 'retry' | 'blocked' = 'retry') => ({
        subscriptionId: s.id,
        seq,
        subject: 'x',
        state,
        failures: state === 'retry' ? 1 : 0,
        firstFailureAt: state === 'retry' ? 100 : null,
        nextAt: state === 'retry' ? 200 : null,
        lastStatus: state === 'retry' ? 503 : null,
        lastError: null,
      });
      const attempt = (seq: number, at: number) => ({
        subscriptionId: s.id,
        seq,
        webhookId: `w${seq}-${at}`,
        at,
        outcome: 'failed',
        status: 503,
        latencyMs: 4,
        response: 'busy',
        error: null,
        // Headers kept as sent, order and all; an attempt of before they were kept has none.
        requestHeaders: at === 100 ? null : { 'webhook-id': `w${seq}-${at}`, 'content-type': 'application/cloudevents+json', authorization: 'Bearer [redacted]' },
      });
      await store.saveDeliveryWork({ progress: [{ subscriptionId: s.id, position: 5, failingSince: 100 }], retries: [retry(3), retry(4, 'blocked'), retry(5)], deleteRetries: [], deadLetters: [], attempts: [attempt(3, 100), attempt(5, 101)] });
      expect(await store.getSubscription(s.id)).toMatchObject({ position: 5, failingSince: 100 });
      expect(await store.listRetries(s.id)).toEqual([retry(3), retry(4, 'blocked'), retry(5)]);
      // A retry's next attempt, one delivered (deleted), one dead-lettered (drops its retry row).
      const again = { ...retry(3), failures: 2, nextAt: 400 };
      const dead = { subscriptionId: s.id, seq: 5, reason: 'max-attempts', failures: 3, lastStatus: 503, lastResponse: 'busy', createdAt: 500 };
      await store.saveDeliveryWork({ progress: [{ subscriptionId: s.id, position: 4, failingSince: null }], retries: [again], deleteRetries: [{ subscriptionId: s.id, seq: 4 }], deadLetters: [dead], attempts: [attempt(3, 300)] });
      expect(await store.getSubscription(s.id)).toMatchObject({ position: 5, failingSince: null });
      expect(await store.listRetries(s.id)).toEqual([again]);
      expect(await store.listDeadLetters(s.id, 0, 10)).toEqual([dead]);
      expect(await store.listDeadLetters(s.id, 5, 10)).toEqual([]);
      // Attempts newest first, paged by id.
      const attempts = await store.listAttempts(s.id, undefined, 10);
      expect(attempts.map((a) => a.at)).toEqual([300, 101, 100]);
      expect(attempts[0]).toMatchObject(attempt(3, 300));
      expect(attempts[2]).toMatchObject(attempt(3, 100));
      expect((await store.listAttempts(s.id, attempts[0].id, 1)).map((a) => a.at)).toEqual([101]);
      await store.pruneAttempts(1);
      expect((await store.listAttempts(s.id, undefined, 10)).map((a) => a.at)).toEqual([300]);
    });

    it('saveDeliveryWork keeps every attempt of a large batch, in order, with headers shared between them', async () => {
      const list = await newList();
      const s = sub(list);
      await store.createSubscription(s);
      // AMQP hands one headers object with every attempt of a subscription; the batch is larger than one statement's rows.
      const shared = { exchange: '', 'routing-key': 'q' };
      const attempts = Array.from({ length: 123 }, (_, i) => ({
        subscriptionId: s.id,
        seq: i + 1,
        webhookId: `w${i + 1}`,
        at: 1000 + i,
        outcome: 'success',
        status: null,
        latencyMs: 1,
        response: null,
        error: null,
        requestHeaders: i % 2 === 0 ? shared : null,
      }));
      await store.saveDeliveryWork({ progress: [{ subscriptionId: s.id, position: 123, failingSince: null }], retries: [], deleteRetries: [], deadLetters: [], attempts });
      const got = await store.listAttempts(s.id, undefined, 200);
      expect(got.map((a) => a.seq)).toEqual(attempts.map((a) => a.seq).reverse());
      expect(got.at(-1)).toMatchObject(attempts[0]);
      expect(got.at(-2)).toMatchObject(attempts[1]);
    });

    it('takeDeadLetters removes the ones asked for (or all) and returns their seqs; delete takes the delivery state along', async () => {
      const list = await newList();
      const s = sub(list);
      await store.createSubscription(s);
      const dead = (seq: number) => ({ subscriptionId: s.id, seq, reason: 'rejected', failures: 1, lastStatus: 400, lastResponse: null, createdAt: seq });
      await store.saveDeliveryWork({ progress: [], retries: [], deleteRetries: [], deadLetters: [dead(1), dead(2), dead(3), dead(4)], attempts: [] });
      expect((await store.listDeadLetters(s.id, 1, 2)).map((d) => d.seq)).toEqual([2, 3]);
      expect((await store.takeDeadLetters(s.id, [2, 9])).sort()).toEqual([2]);
      expect((await store.listDeadLetters(s.id, 0, 10)).map((d) => d.seq)).toEqual([1, 3, 4]);
      expect((await store.takeDeadLetters(s.id)).sort()).toEqual([1, 3, 4]);
      expect(await store.listDeadLetters(s.id, 0, 10)).toEqual([]);
      await store.saveDeliveryWork({
        progress: [],
        retries: [{ subscriptionId: s.id, seq: 7, subject: null, state: 'retry', failures: 1, firstFailureAt: 1, nextAt: 2, lastStatus: null, lastError: 'refused' }],
        deleteRetries: [],
        deadLetters: [dead(8)],
        attempts: [{ subscriptionId: s.id, seq: 7, webhookId: 'w', at: 1, outcome: 'failed', status: null, latencyMs: 1, response: null, error: 'refused', requestHeaders: null }],
      });
      expect(await store.deleteSubscription(s.id)).toBe(true);
      expect(await store.listRetries(s.id)).toEqual([]);
      expect(await store.listDeadLetters(s.id, 0, 10)).toEqual([]);
      expect(await store.listAttempts(s.id, undefined, 10)).toEqual([]);
    });
  });

  describe('AccessStore', () => {
    it('sets and clears a list owner', async () => {
      const list = await newList('olga');
      expect((await store.getList(list))!.owner).toBe('olga');
      await store.setListOwner(list, 'per');
      expect((await store.getList(list))!.owner).toBe('per');
      await store.setListOwner(list, null);
      expect((await store.getList(list))!.owner).toBeNull();
    });

    it('API keys: create, list (admin flag, expiry) and revoke once', async () => {
      const id = randomUUID();
      const key = { id, principal: 'apikey:carol', admin: true, prefix: 'hrd_ab', hash: 'f'.repeat(64), expiresAt: 9_000_000_000_000, revokedAt: null, createdAt: 1 };
      await store.createApiKey(key);
      expect((await store.listApiKeys()).find((k) => k.id === id)).toEqual(key);
      expect(await store.revokeApiKey(id, 50)).toBe(true);
      expect(await store.revokeApiKey(id, 60)).toBe(false);
      expect((await store.listApiKeys()).find((k) => k.id === id)).toEqual({ ...key, revokedAt: 50 });
      expect(await store.revokeApiKey(randomUUID(), 1)).toBe(false);
    });

    it('publishers: add (replacing the same one), list and remove', async () => {
      const list = await newList();
      await store.addPublisher({ list, principal: 'pub', source: '/a/', createdAt: 1 });
      await store.addPublisher({ list, principal: 'pub', source: '/a/', createdAt: 2 });
      expect((await store.listPublishers()).filter((p) => p.list === list)).toEqual([{ list, principal: 'pub', source: '/a/', createdAt: 2 }]);
      expect(await store.removePublisher(list, 'pub')).toBe(true);
      expect(await store.removePublisher(list, 'pub')).toBe(false);
      expect((await store.listPublishers()).filter((p) => p.list === list)).toEqual([]);
    });

    it('grants keep their filter (text or array), fields and expiry; update and delete once', async () => {
      const list = await newList();
      const g1 = { id: randomUUID(), list, principal: 'carol', filter: "subject = 'x'", fields: ['id', 'type'], createdBy: 'olga', createdAt: 1, expiresAt: null };
      const g2 = { id: randomUUID(), list, principal: 'dan', filter: [{ exact: { type: 't' } }], fields: null, createdBy: 'olga', createdAt: 2, expiresAt: 1_900_000_000_000 };
      const g3 = { id: randomUUID(), list, principal: 'eve', filter: null, fields: null, createdBy: 'admin', createdAt: 3, expiresAt: null };
      for (const g of [g1, g2, g3]) await store.createGrant(g);
      expect((await store.listGrants()).filter((g) => g.list === list)).toEqual([g1, g2, g3]);
      // Only filter, fields and expiry change; who it is for and who made it stay.
      const changed = { ...g1, filter: null, fields: ['id'], expiresAt: 1_800_000_000_000, principal: 'mallory', createdBy: 'mallory' };
      expect(await store.updateGrant(changed)).toBe(true);
      expect((await store.listGrants()).find((g) => g.id === g1.id)).toEqual({ ...g1, filter: null, fields: ['id'], expiresAt: 1_800_000_000_000 });
      expect(await store.updateGrant({ ...g1, id: randomUUID() })).toBe(false);
      expect(await store.deleteGrant(g2.id)).toBe(true);
      expect(await store.deleteGrant(g2.id)).toBe(false);
      expect((await store.listGrants()).filter((g) => g.list === list).map((g) => g.id)).toEqual([g1.id, g3.id]);
    });

    it('access requests: create, decide, read and filter by list, principal and status', async () => {
      const list = await newList();
      const r1 = { id: randomUUID(), list, principal: 'carol', purpose: 'p', legalBasis: 'forvaltningsloven § 17', filter: "type = 'a'", fields: ['id', 'subject'], until: 1_900_000_000_000, status: 'pending' as const, decidedBy: null, reason: null, grantId: null, createdAt: 1, decidedAt: null };
      const r2 = { ...r1, id: randomUUID(), principal: 'dan', filter: null, legalBasis: null, fields: null, until: null, createdAt: 2 };
      await store.createAccessRequest(r1);
      await store.createAccessRequest(r2);
      const decided = { ...r1, status: 'approved' as const, decidedBy: 'olga', reason: 'ok', grantId: 'g-1', decidedAt: 5 };
      await store.updateAccessRequest(decided);
      expect(await store.getAccessRequest(r1.id)).toEqual(decided);
      expect(await store.getAccessRequest(randomUUID())).toBeUndefined();
      expect((await store.listAccessRequests({ list })).map((r) => r.id)).toEqual([r1.id, r2.id]);
      expect(await store.listAccessRequests({ list, status: 'pending' })).toEqual([r2]);
      expect(await store.listAccessRequests({ list, principal: 'carol' })).toEqual([decided]);
    });
  });

  describe('CatalogueStore', () => {
    it('list settings, declarations per kind (replaced by name) and seen-type counts that add up', async () => {
      const list = await newList();
      await store.putCatalogueSettings({ list, validate: 'warn', discoverable: false });
      await store.putCatalogueSettings({ list, validate: 'enforce', discoverable: true });
      expect((await store.catalogueSettings()).filter((c) => c.list === list)).toEqual([{ list, validate: 'enforce', discoverable: true }]);
      const b = { list, name: 'b.type', spec: { data: { type: 'object' } }, updatedAt: 1 };
      const a = { list, name: 'a.type', spec: { data: null }, updatedAt: 2 };
      await store.putDeclaration('type', b);
      await store.putDeclaration('type', a);
      await store.putDeclaration('attribute', { list, name: 'fnr', spec: { pattern: '^[0-9]{11}$' }, updatedAt: 3 });
      await store.putDeclaration('type', { ...b, spec: { data: { type: 'string' } }, updatedAt: 4 });
      expect((await store.declarations('type')).filter((d) => d.list === list)).toEqual([a, { ...b, spec: { data: { type: 'string' } }, updatedAt: 4 }]);
      expect((await store.declarations('attribute')).filter((d) => d.list === list).map((d) => d.name)).toEqual(['fnr']);
      expect(await store.deleteDeclaration('type', list, 'a.type')).toBe(true);
      expect(await store.deleteDeclaration('type', list, 'a.type')).toBe(false);
      expect((await store.declarations('type')).filter((d) => d.list === list).map((d) => d.name)).toEqual(['b.type']);
      await store.addSeenTypes([
        { list, type: 't.b', count: 2, invalid: 1, firstSeen: 100, lastSeen: 200 },
        { list, type: 't.a', count: 1, invalid: 0, firstSeen: 150, lastSeen: 150 },
      ]);
      await store.addSeenTypes([{ list, type: 't.b', count: 3, invalid: 0, firstSeen: 50, lastSeen: 180 }]);
      expect(await store.seenTypes(list)).toEqual([
        { list, type: 't.a', count: 1, invalid: 0, firstSeen: 150, lastSeen: 150 },
        { list, type: 't.b', count: 5, invalid: 1, firstSeen: 50, lastSeen: 200 },
      ]);
    });
  });

  describe('ListDeletion', () => {
    it("deletes a list with everything of it (decided requests stay); re-created, it continues after the deleted head", async () => {
      const list = await newList('olga');
      const other = await newList('olga');
      const first = ev({ subject: 'p/1' });
      ok((await store.appendGroup([{ list, events: [first, ev({ subject: 'p/1' }), ev()] }, { list: other, events: [ev({ subject: 'p/1' })] }]))[0]);
      await store.addPublisher({ list, principal: 'pub', source: '', createdAt: 1 });
      await store.createGrant({ id: randomUUID(), list, principal: 'carol', filter: null, fields: null, createdBy: 'olga', createdAt: 1, expiresAt: null });
      const request = { id: randomUUID(), list, principal: 'dan', purpose: 'p', legalBasis: null, filter: null, fields: null, until: null, status: 'pending' as const, decidedBy: null, reason: null, grantId: null, createdAt: 1, decidedAt: null };
      const decided = { ...request, id: randomUUID(), status: 'denied' as const, decidedBy: 'olga', reason: 'no', decidedAt: 2 };
      await store.createAccessRequest(request);
      await store.createAccessRequest(decided);
      await store.putCatalogueSettings({ list, validate: 'warn', discoverable: true });
      await store.putDeclaration('type', { list, name: 't', spec: {}, updatedAt: 1 });
      await store.addSeenTypes([{ list, type: 't', count: 3, invalid: 0, firstSeen: 1, lastSeen: 2 }]);
      const subscription = { id: randomUUID(), list, owner: 'carol', spec: {}, secrets: [], status: 'active' as const, disabledReason: null, position: 0, failingSince: null, runAs: null, createdAt: 'x', updatedAt: 'x' };
      await store.createSubscription(subscription);
      await store.saveDeliveryWork({ progress: [], retries: [], deleteRetries: [], deadLetters: [{ subscriptionId: subscription.id, seq: 2, reason: 'r', failures: 1, lastStatus: 500, lastResponse: null, createdAt: 1 }], attempts: [] });

      expect(await store.deleteList(list)).toBe(true);
      expect(await store.getList(list)).toBeUndefined();
      expect((await store.listLists()).map((l) => l.name)).not.toContain(list);
      expect((await store.listPublishers()).filter((p) => p.list === list)).toEqual([]);
      expect((await store.listGrants()).filter((g) => g.list === list)).toEqual([]);
      expect((await store.listAccessRequests({ list })).map((r) => r.id)).toEqual([decided.id]);
      expect((await store.catalogueSettings()).filter((c) => c.list === list)).toEqual([]);
      expect((await store.declarations('type')).filter((d) => d.list === list)).toEqual([]);
      expect(await store.seenTypes(list)).toEqual([]);
      expect(await store.getSubscription(subscription.id)).toBeUndefined();
      expect(await store.listDeadLetters(subscription.id, 0, 10)).toEqual([]);
      expect(await store.deleteList(list)).toBe(false);
      // The other list is untouched.
      expect(seqs(await store.readRange(other, all))).toEqual([1]);

      // Re-created: numbering continues after 3, nothing of the old list is there, and its events are new again.
      const { created, list: again } = await store.upsertList({ name: list });
      expect(created).toBe(true);
      expect(again.head).toBe(3);
      expect(await store.readRange(list, all)).toEqual([]);
      expect(await store.getEvent(list, 1)).toBeUndefined();
      const [r] = ok((await store.appendGroup([{ list, events: [first] }]))[0]);
      expect(r).toMatchObject({ seq: 4, duplicate: false, prevSeq: null });
      expect(seqs(await store.readRange(list, all))).toEqual([4]);
      expect(await store.subjectSeqs(list, 'p/1', 10)).toEqual([4]);
      expect(await store.seqBefore(list, Date.now() + 60_000)).toBe(4);
    });
  });

  describe('AuditStore', () => {
    it('queries newest first by list, principal, time window and seqs, with a limit; prunes by time', async () => {
      const list = await newList();
      const row = (at: number, principal: string, firstSeq: number, lastSeq: number) => ({ at, principal, list, channel: 'pull', firstSeq, lastSeq, count: lastSeq - firstSeq + 1, scope: null });
      await store.appendAudit([row(10, 'carol', 1, 5), row(20, 'dan', 6, 6), row(30, 'carol', 7, 9), { ...row(40, 'carol', 3, 3), scope: '{"filter":"x"}' }]);
      const strip = (rows: { id: number; at: number }[]) => rows.map((r) => r.at);
      const found = await store.queryAudit({ list, limit: 10 });
      expect(strip(found)).toEqual([40, 30, 20, 10]);
      expect(found[0]).toMatchObject({ principal: 'carol', channel: 'pull', firstSeq: 3, lastSeq: 3, count: 1, scope: '{"filter":"x"}' });
      expect(strip(await store.queryAudit({ list, limit: 2 }))).toEqual([40, 30]);
      expect(strip(await store.queryAudit({ list, principal: 'carol', limit: 10 }))).toEqual([40, 30, 10]);
      expect(strip(await store.queryAudit({ list, since: 20, until: 40, limit: 10 }))).toEqual([30, 20]);
      // Rows whose range holds one of the seqs.
      expect(strip(await store.queryAudit({ list, seqs: [3], limit: 10 }))).toEqual([40, 10]);
      expect(strip(await store.queryAudit({ list, seqs: [6, 8], limit: 10 }))).toEqual([30, 20]);
      expect(await store.queryAudit({ list, seqs: [], limit: 10 })).toEqual([]);
      expect(await store.queryAudit({ list, seqs: [100], limit: 10 })).toEqual([]);
      expect(await store.pruneAudit(25)).toBeGreaterThanOrEqual(2);
      expect(strip(await store.queryAudit({ list, limit: 10 }))).toEqual([40, 30]);
    });

    it('console sessions: put, get by the id hash, delete, and prune the ended ones', async () => {
      const session = (idHash: string, endsAt: number) => ({ idHash, principal: 'carol', via: 'key', credential: '{"kind":"api-key","id":"k1"}', createdAt: 1, endsAt });
      const [a, b] = [`a-${randomUUID()}`, `b-${randomUUID()}`];
      await store.putConsoleSession(session(a, 100));
      await store.putConsoleSession(session(b, Number.MAX_SAFE_INTEGER));
      expect(await store.getConsoleSession(a)).toEqual(session(a, 100));
      expect(await store.getConsoleSession('nope')).toBeUndefined();
      expect(await store.pruneConsoleSessions(100)).toBeGreaterThanOrEqual(1);
      expect(await store.getConsoleSession(a)).toBeUndefined();
      expect(await store.getConsoleSession(b)).toEqual(session(b, Number.MAX_SAFE_INTEGER));
      await store.deleteConsoleSession(b);
      expect(await store.getConsoleSession(b)).toBeUndefined();
    });

    it('records audit searches and reads them newest first by searcher, list and time; pruned with the audit rows', async () => {
      const list = await newList();
      const search = (at: number, principal: string, subject: string, since: number | null = null, until: number | null = null) => ({ at, principal, list, subject, since, until, results: at / 10 });
      for (const s of [search(10, 'carol', 'p/1'), search(20, 'dan', 'p/2', 5, 15), search(30, 'carol', 'p/3', null, 25)]) await store.recordAuditSearch(s);
      const found = await store.queryAuditSearches({ list, limit: 10 });
      expect(found.map((r) => r.at)).toEqual([30, 20, 10]);
      expect(found[1]).toMatchObject(search(20, 'dan', 'p/2', 5, 15));
      expect(found[0]).toMatchObject(search(30, 'carol', 'p/3', null, 25));
      expect((await store.queryAuditSearches({ list, principal: 'carol', limit: 10 })).map((r) => r.subject)).toEqual(['p/3', 'p/1']);
      expect((await store.queryAuditSearches({ list, since: 20, until: 30, limit: 10 })).map((r) => r.subject)).toEqual(['p/2']);
      expect((await store.queryAuditSearches({ list, limit: 1 })).map((r) => r.subject)).toEqual(['p/3']);
      await store.pruneAudit(25);
      expect((await store.queryAuditSearches({ list, limit: 10 })).map((r) => r.subject)).toEqual(['p/3']);
    });

    it('sums usage per UTC day, principal, list and channel, within the lists and time asked', async () => {
      const [l1, l2] = [await newList(), await newList()];
      const day1 = Date.UTC(2026, 0, 31, 23, 59, 59, 999);
      const day2 = Date.UTC(2026, 1, 1, 0, 0, 0, 0);
      const row = (at: number, principal: string, list: string, channel: string, count: number) => ({ at, principal, list, channel, firstSeq: 1, lastSeq: count, count, scope: null });
      await store.appendAudit([row(day1, 'carol', l1, 'pull', 5), row(day1 - 1000, 'carol', l1, 'pull', 2), row(day2, 'carol', l1, 'pull', 1), row(day2, 'carol', l1, 'webhook', 3), row(day2, 'dan', l2, 'sse', 7)]);
      const lists = [l1, l2];
      expect(await store.auditUsage({ lists })).toEqual([
        { day: '2026-01-31', principal: 'carol', list: l1, channel: 'pull', events: 7 },
        { day: '2026-02-01', principal: 'carol', list: l1, channel: 'pull', events: 1 },
        { day: '2026-02-01', principal: 'carol', list: l1, channel: 'webhook', events: 3 },
        { day: '2026-02-01', principal: 'dan', list: l2, channel: 'sse', events: 7 },
      ]);
      expect((await store.auditUsage({ lists: [l2] })).map((u) => u.principal)).toEqual(['dan']);
      expect(await store.auditUsage({ lists: [] })).toEqual([]);
      expect((await store.auditUsage({ lists, principal: 'carol', since: day2 })).map((u) => u.channel)).toEqual(['pull', 'webhook']);
      expect((await store.auditUsage({ list: l1, until: day2 })).map((u) => u.events)).toEqual([7]);
    });
  });
});
