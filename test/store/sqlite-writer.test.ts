import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { AppendOutcome, AppendRequest } from '../../src/store/types.js';
import { createList, makeEvent, publishStructured, startTestHub, type TestHub } from '../helpers/hub.js';

/**
 * The SQLite store writes events in a worker thread on its own connection
 * (src/store/sqlite/writer-thread.ts). What the main thread must never do is
 * acknowledge an event the writer did not commit: a commit that fails, or a
 * writer thread that dies, fails the publish (503), and the hub keeps serving.
 */
const dirs: string[] = [];
const hubs: TestHub[] = [];
afterEach(async () => {
  for (const h of hubs.splice(0)) await h.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const request = (list: string, n: number, from: number): AppendRequest => ({
  list,
  events: Array.from({ length: n }, (_, i) => ({
    source: '/s',
    id: `e${from + i}`,
    type: 't',
    subject: `p/${(from + i) % 7}`,
    body: JSON.stringify({ specversion: '1.0', id: `e${from + i}`, source: '/s', type: 't', subject: `p/${(from + i) % 7}` }),
  })),
});

async function openStore(dir: string): Promise<SqliteStore> {
  const store = new SqliteStore({ file: join(dir, 'herold.db'), synchronous: 'full' });
  await store.open();
  return store;
}

describe('the SQLite writer thread', () => {
  it('a commit the writer cannot make (database locked) is answered 503, stores nothing, and the hub keeps reading', async () => {
    const hub = await startTestHub({ databaseUrl: '' });
    hubs.push(hub);
    await createList(hub, 'w');
    // Another process holds SQLite's write lock longer than the writer's busy timeout (5 s).
    const other = new Database(join(hub.dataDir, 'herold.db'));
    other.pragma('busy_timeout = 5000');
    other.exec('BEGIN IMMEDIATE');
    const event = makeEvent();
    const publishing = publishStructured(hub, 'w', event);
    // The main thread answers reads while the writer waits for the lock.
    const read = await hub.fetch('/lists/w');
    expect(read.status).toBe(200);
    const res = await publishing;
    expect(res.status).toBe(503);
    expect((await res.json()).type).toMatch(/unavailable/);
    other.exec('ROLLBACK');
    other.close();
    // Nothing was stored: the same event is new, with seq 1.
    const again = await publishStructured(hub, 'w', event);
    expect(again.status).toBe(201);
    expect((await again.json()).seq).toBe('1');
  }, 30_000);

  it('if the writer thread dies, waiting and later appends fail as unavailable; every acknowledged event is stored, gap-free', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herold-writer-'));
    dirs.push(dir);
    const store = await openStore(dir);
    await store.upsertList({ name: 'w' });
    const acknowledged: number[] = [];
    const failures: Error[] = [];
    const appends = Array.from({ length: 40 }, (_, i) =>
      store.appendGroup([request('w', 50, i * 50)]).then(
        ([outcome]: AppendOutcome[]) => {
          if (outcome.ok) acknowledged.push(...outcome.results.map((r) => r.seq));
        },
        (e: Error) => failures.push(e),
      ),
    );
    // White-box: end the thread as a crash would, while appends are waiting for it.
    await (store as unknown as { writer: { worker: { terminate(): Promise<number> } } }).writer.worker.terminate();
    await Promise.all(appends);
    expect(failures.length).toBeGreaterThan(0);
    for (const e of failures) expect(e.message).toMatch(/database writer thread stopped/);
    expect(await store.ping()).toBe(false);
    await expect(store.appendGroup([request('w', 1, 10_000)])).rejects.toThrow(/database/);
    await store.close();

    const reopened = await openStore(dir);
    try {
      const head = (await reopened.getList('w'))!.head;
      const stored = await reopened.readRange('w', { after: 0, upTo: head, limit: 10_000 });
      expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
      for (const seq of acknowledged) expect(seq).toBeLessThanOrEqual(head);
      // Groups commit whole, in the order sent. The indexes were rebuilt from the log:
      // the last stored group, republished, is all duplicates with their seqs.
      expect(head % 50).toBe(0);
      const last = head / 50 - 1;
      if (last >= 0) {
        const [outcome] = await reopened.appendGroup([request('w', 50, last * 50)]);
        expect(outcome.ok && outcome.results.every((r, i) => r.duplicate && r.seq === last * 50 + i + 1)).toBe(true);
      } else expect(acknowledged).toEqual([]);
    } finally {
      await reopened.close();
    }
  });

  it('close finishes the appends already sent, then stops', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herold-writer-'));
    dirs.push(dir);
    const store = await openStore(dir);
    await store.upsertList({ name: 'w' });
    const appends = Array.from({ length: 20 }, (_, i) => store.appendGroup([request('w', 100, i * 100)]));
    await store.close();
    const outcomes = (await Promise.all(appends)).flat();
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const reopened = await openStore(dir);
    try {
      expect((await reopened.getList('w'))!.head).toBe(2000);
      expect(await reopened.subjectSeqs('w', 'p/3', 3)).toEqual([1999, 1992, 1985]);
    } finally {
      await reopened.close();
    }
  });
});
