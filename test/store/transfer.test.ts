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
      const { head, title, owner, createdAt, updatedAt } = (await a.getList(list))!;
      expect(await b.getList(list)).toMatchObject({ head, title, owner, createdAt, updatedAt });
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

  it("carries each list's catalogue (settings, declarations, types seen) and what deleted lists left behind", async () => {
    const a = await open(source);
    await a.upsertList({ name: 'c1', owner: 'olga' });
    await a.upsertList({ name: 'gone' });
    expect((await a.appendGroup([{ list: 'gone', events: [ev('g'), ev('g'), ev('g')] }, { list: 'c1', events: [ev('x')] }]))[0].ok).toBe(true);
    expect(await a.deleteList('gone')).toBe(true);
    await a.putCatalogueSettings({ list: 'c1', validate: 'enforce', discoverable: true });
    const type = { list: 'c1', name: 'no.example.moved.v1', spec: { title: { en: 'Moved' }, schema: { type: 'object', required: ['date'], properties: { date: { type: 'string', format: 'date' } } } }, updatedAt: 1234 };
    const attribute = { list: 'c1', name: 'kommunekode', spec: { type: 'String', personalData: 'identifier', legalBasis: 'law § 1' }, updatedAt: 5678 };
    await a.putDeclaration('type', type);
    await a.putDeclaration('attribute', attribute);
    await a.addSeenTypes([
      { list: 'c1', type: 'no.example.moved.v1', count: 7, invalid: 2, firstSeen: 100, lastSeen: 200 },
      { list: 'c1', type: 'undeclared', count: 1, invalid: 0, firstSeen: 150, lastSeen: 150 },
    ]);
    const records: ExportRecord[] = [];
    for await (const r of exportStore(a, source.name)) records.push(r);
    expect(records.filter((r) => r.kind === 'deletedList')).toEqual([{ kind: 'deletedList', name: 'gone', head: 3, deletedAt: expect.any(Number) }]);

    // The target already declares one thing of its own for c1 (from its config file, say): it stays.
    const b = await open(target);
    const own = { ...attribute, name: 'own', updatedAt: 1 };
    await b.putDeclaration('attribute', own);
    const counts = await importRecords(from(records), b, { header: () => undefined, events: () => undefined });
    expect(counts).toMatchObject({ lists: 1, events: 1, catalogueSettings: 1, declarations: 2, seenTypes: 2, deletedLists: 1 });
    expect(await b.catalogueSettings()).toEqual([{ list: 'c1', validate: 'enforce', discoverable: true }]);
    expect(await b.declarations('type')).toEqual([type]);
    expect(await b.declarations('attribute')).toEqual([attribute, own]);
    expect(await b.seenTypes('c1')).toEqual(await a.seenTypes('c1'));
    expect(await b.deletedLists()).toEqual(await a.deletedLists());
    // The deleted list did not come back; re-created, it continues after the head it was deleted at.
    expect(await b.getList('gone')).toBeUndefined();
    expect((await b.listLists()).map((l) => l.name)).toEqual(['c1']);
    await b.upsertList({ name: 'gone' });
    expect(await b.appendGroup([{ list: 'gone', events: [ev('g')] }])).toMatchObject([{ ok: true, results: [{ seq: 4, duplicate: false }] }]);
    // A tombstone never shadows a live list of the target, and a second one keeps the larger head.
    expect(await b.importDeletedList({ name: 'gone', head: 99, deletedAt: 1 })).toBe(false);
    expect(await b.importDeletedList({ name: 'other', head: 5, deletedAt: 1 })).toBe(true);
    expect(await b.importDeletedList({ name: 'other', head: 2, deletedAt: 1 })).toBe(true);
    expect((await b.deletedLists()).find((d) => d.name === 'other')).toMatchObject({ head: 5 });
  });
});
