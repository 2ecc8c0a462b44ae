import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { type ExportRecord, exportStore, importRecords } from '../../src/cli/transfer/transfer.js';
import type { AppendEvent, EventStore } from '../../src/store/types.js';
import { type Backend, backends } from './backends.js';

/**
 * `herold export`/`import`/`migrate` through the store interface (EventImport),
 * between every pair of backends: the same events with the same seqs, times
 * and prevSeqs after a trimmed start; idempotency and subject chains go on.
 */
function ev(subject: string | null): AppendEvent {
  const id = randomUUID();
  const body: Record<string, unknown> = { specversion: '1.0', id, source: '/t', type: 't', data: { id } };
  if (subject !== null) body.subject = subject;
  return { source: '/t', id, type: 't', subject, body: JSON.stringify(body) };
}

async function* from(records: ExportRecord[]): AsyncGenerator<ExportRecord> {
  yield* records;
}

const pairs: [Backend, Backend][] = backends.flatMap((a) => backends.map((b) => [a, b] as [Backend, Backend]));

describe.each(pairs.map(([a, b]) => ({ from: a, to: b, name: `${a.name} → ${b.name}` })))('transfer $name', ({ from: source, to: target }) => {
  const drops: (() => Promise<void>)[] = [];
  const open = async (b: Backend): Promise<EventStore> => {
    const { store, drop } = await b.open();
    drops.push(async () => {
      await store.close();
      await drop();
    });
    return store;
  };
  afterAll(async () => {
    for (const d of drops) await d();
  });

  it('keeps seqs, times, prevSeqs, lists and access; the target continues numbering and deduplicating', async () => {
    const a = await open(source);
    await a.upsertList({ name: 'm1', title: 'One', owner: 'olga' });
    await a.upsertList({ name: 'm2' });
    const published: AppendEvent[] = [];
    for (let i = 0; i < 6; i++) {
      const events = Array.from({ length: 50 }, (_, j) => ev(j % 4 === 0 ? null : `p/${(i * 50 + j) % 9}`));
      published.push(...events);
      expect((await a.appendGroup([{ list: 'm1', events }, { list: 'm2', events: [ev('x')] }])).every((o) => o.ok)).toBe(true);
    }
    // Retention took the start of m1: the export starts at seq 21.
    await a.trimThrough!('m1', 20);
    await a.createGrant({ id: 'g1', list: 'm1', principal: 'carol', filter: null, fields: ['id'], createdBy: 'olga', createdAt: 1, expiresAt: null });
    await a.appendAudit([{ at: 5, principal: 'carol', list: 'm1', channel: 'pull', firstSeq: 21, lastSeq: 30, count: 10, scope: null }]);
    for (const at of [6, 7]) await a.recordAuditSearch({ at, principal: 'olga', list: 'm1', subject: `p/${at}`, since: null, until: at * 10, results: 1 });
    const records: ExportRecord[] = [];
    for await (const r of exportStore(a, source.name)) records.push(r);

    const b = await open(target);
    const progress: number[] = [];
    const counts = await importRecords(from(records), b, { header: () => undefined, events: (k) => progress.push(k) });
    expect(counts).toMatchObject({ lists: 2, events: 280 + 6, grants: 1, audit: 1, auditSearches: 2 });
    expect(progress.reduce((s, k) => s + k, 0)).toBe(286);

    for (const list of ['m1', 'm2']) {
      const range = { after: 0, upTo: Number.MAX_SAFE_INTEGER, limit: 10_000 };
      expect(await b.readRange(list, range)).toEqual(await a.readRange(list, range));
      expect(await b.getList(list)).toMatchObject({ head: (await a.getList(list))!.head, title: (await a.getList(list))!.title, owner: (await a.getList(list))!.owner });
    }
    expect(await b.listGrants()).toEqual(await a.listGrants());
    expect((await b.queryAudit({ list: 'm1', limit: 10 })).map(({ id: _, ...r }) => r)).toEqual((await a.queryAudit({ list: 'm1', limit: 10 })).map(({ id: _, ...r }) => r));
    const searches = async (s: EventStore) => (await s.queryAuditSearches({ list: 'm1', limit: 10 })).map(({ id: _, ...r }) => r);
    expect(await searches(b)).toEqual(await searches(a));
    expect((await searches(b)).map((r) => r.subject)).toEqual(['p/7', 'p/6']);
    // The same seqs answer the same time questions.
    const t = (await a.getEvent('m1', 200))!.time;
    expect(await b.seqBefore('m1', t + 1)).toBe(await a.seqBefore('m1', t + 1));

    // Idempotency came along; a new event continues the numbering and its subject's chain.
    const again = published[41];
    expect((await b.appendGroup([{ list: 'm1', events: [again] }]))[0]).toEqual({ ok: true, results: [{ seq: 42, duplicate: true }] });
    const lastOfP3 = (await a.subjectSeqs('m1', 'p/3', 1))[0];
    const [next] = await b.appendGroup([{ list: 'm1', events: [ev('p/3')] }]);
    expect(next).toMatchObject({ ok: true, results: [{ seq: 301, duplicate: false, prevSeq: lastOfP3 }] });

    // A second import of the same export is refused: its lists hold events now.
    await expect(importRecords(from(records), b, { header: () => undefined, events: () => undefined })).rejects.toThrow(/already holds events/);
  });
});
