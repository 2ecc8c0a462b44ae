import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Consumer } from '../../src/client/consumer.js';
import { HandlerError } from '../../src/client/errors.js';
import { FileCursorStore } from '../../src/client/stores/file.js';
import { MemoryCursorStore } from '../../src/client/stores/memory.js';
import { PostgresCursorStore } from '../../src/client/stores/postgres.js';
import { type SqliteDatabase, SqliteCursorStore } from '../../src/client/stores/sqlite.js';
import type { ServedEvent } from '../../src/client/types.js';
import { type TestHub, createList, makeEvent, startTestHub } from '../helpers/hub.js';
import { admin, publishAll } from './helpers.js';
import { clientPgUrl, pgSchema } from './pg.js';

let hub: TestHub;
const dir = mkdtempSync(join(tmpdir(), 'herold-run-'));
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(async () => {
  await hub.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Run until `until` says stop (checked after each handled event), then abort. */
async function runUntil(consumer: Consumer, handler: (e: ServedEvent) => unknown, until: (seen: ServedEvent[]) => boolean, options: Parameters<Consumer['run']>[1] = {}) {
  const abort = new AbortController();
  const seen: ServedEvent[] = [];
  await consumer.run(
    async (e, ctx) => {
      await handler(e);
      seen.push(e);
      if (until(seen)) abort.abort();
      return ctx;
    },
    { ...options, signal: abort.signal },
  );
  return seen;
}

describe('Consumer.run', () => {
  it('commits the position only after the handler resolved, and resumes there', async () => {
    await createList(hub, 'r.basic');
    await publishAll(hub, 'r.basic', [makeEvent(), makeEvent(), makeEvent(), makeEvent()]);
    const store = new MemoryCursorStore();
    const saves: string[] = [];
    const save = store.save.bind(store);
    store.save = async (name, seq) => {
      saves.push(seq);
      return save(name, seq);
    };
    let inHandler: string | undefined;
    const consumer = new Consumer({ url: hub.url, ...admin, list: 'r.basic', cursorStore: store });
    const seen = await runUntil(
      consumer,
      async (e) => {
        // While the handler runs, the saved position is before this event.
        inHandler = await store.load('r.basic');
        expect(BigInt(inHandler ?? '0')).toBeLessThan(BigInt(e.heroldseq));
      },
      (s) => s.length === 2,
      { commitEvery: 1 },
    );
    expect(seen.map((e) => e.heroldseq)).toEqual(['1', '2']);
    expect(saves).toEqual(['1', '2']);
    const again = await runUntil(new Consumer({ url: hub.url, ...admin, list: 'r.basic', cursorStore: store }), () => undefined, (s) => s.length === 2);
    expect(again.map((e) => e.heroldseq)).toEqual(['3', '4']);
    expect(await store.load('r.basic')).toBe('4');
  });

  it('batches saves for stores that are not transactional, and saves the last at the end', async () => {
    await createList(hub, 'r.batch');
    await publishAll(hub, 'r.batch', Array.from({ length: 25 }, () => makeEvent()));
    const store = new MemoryCursorStore();
    const saves: string[] = [];
    const save = store.save.bind(store);
    store.save = async (n, s) => (saves.push(s), save(n, s));
    await runUntil(new Consumer({ url: hub.url, ...admin, list: 'r.batch' }), () => undefined, (s) => s.length === 25, { cursorStore: store, commitEvery: 10, commitIntervalMs: 60_000 });
    // One save at a time in the background, of the latest done position: a few saves, increasing, the last at the end.
    expect(saves.length).toBeGreaterThanOrEqual(2);
    expect(saves.length).toBeLessThanOrEqual(4);
    expect(saves.map(Number)).toEqual([...saves.map(Number)].sort((a, b) => a - b));
    expect(Number(saves[0])).toBeGreaterThanOrEqual(10);
    expect(saves.at(-1)).toBe('25');
  });

  it('retries a failing handler, then stops with HandlerError and the position before the event', async () => {
    await createList(hub, 'r.fail');
    await publishAll(hub, 'r.fail', [makeEvent(), makeEvent({ type: 'poison' }), makeEvent()]);
    const store = new MemoryCursorStore();
    const tries: string[] = [];
    const error = await new Consumer({ url: hub.url, ...admin, list: 'r.fail', cursorStore: store })
      .run(
        (e) => {
          tries.push(e.heroldseq);
          if (e.type === 'poison') throw new Error('cannot handle poison');
        },
        { retries: 2, retryBackoff: { initialMs: 5, maxMs: 10 } },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandlerError);
    expect((error as HandlerError).message).toMatch(/failed 3 time\(s\) on event 2 .*onFailure: 'park'/);
    expect(tries).toEqual(['1', '2', '2', '2']);
    expect(await store.load('r.fail')).toBe('1');
  });

  it("onFailure 'park' keeps the event aside and goes on", async () => {
    const store = new MemoryCursorStore();
    const seen = await runUntil(
      new Consumer({ url: hub.url, ...admin, list: 'r.fail', cursorStore: store }),
      (e) => {
        if (e.type === 'poison') throw new Error('still poison');
      },
      (s) => s.some((e) => e.heroldseq === '3'),
      { retries: 1, retryBackoff: { initialMs: 5 }, onFailure: 'park' },
    );
    expect(seen.map((e) => e.heroldseq)).toEqual(['1', '3']);
    expect(store.parked.map((p) => [p.event.heroldseq, (p.error as Error).message])).toEqual([['2', 'still poison']]);
    expect(await store.load('r.fail')).toBe('3');
  });

  it('skips an event whose (source, id) it handled within the dedupe window', async () => {
    await createList(hub, 'r.dedupe');
    const twin = makeEvent();
    await publishAll(hub, 'r.dedupe', [twin]);
    // Retention deletes it and the provider publishes it again: a new seq, the same (source, id).
    await hub.running.hub.applyRetention(Date.now() + 10 * 86_400_000);
    await hub.fetch('/lists/r.dedupe', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"retentionDays":1}' });
    await hub.running.hub.applyRetention(Date.now() + 10 * 86_400_000);
    await publishAll(hub, 'r.dedupe', [twin, makeEvent()]);
    const handled: string[] = [];
    await runUntil(
      new Consumer({ url: hub.url, ...admin, list: 'r.dedupe', onTrimmed: 'continue' }),
      (e) => void handled.push(`${e.heroldseq}:${e.id === twin.id ? 'twin' : 'other'}`),
      (s) => s.length === 2,
      { from: '0' },
    );
    expect(handled).toEqual(['2:twin', '3:other']);
  });

  it('FileCursorStore writes whole files atomically and parks to NDJSON', async () => {
    const path = join(dir, 'cursor.json');
    const store = new FileCursorStore(path);
    expect(await store.load('a')).toBeUndefined();
    await Promise.all([store.save('a', '1'), store.save('b', '7'), store.save('a', '2')]);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ positions: { a: '2', b: '7' } });
    expect(await new FileCursorStore(path).load('b')).toBe('7');
    await store.park('a', { heroldseq: '3', id: 'x' } as unknown as ServedEvent, new Error('bad'));
    expect(JSON.parse(readFileSync(`${path}.parked.ndjson`, 'utf8'))).toMatchObject({ name: 'a', error: 'Error: bad', event: { heroldseq: '3' } });
  });
});

describe('transactional cursor stores', () => {
  it('SqliteCursorStore: the handler’s rows and the position commit together; a failure rolls both back', async () => {
    await createList(hub, 'r.sqlite');
    await publishAll(hub, 'r.sqlite', [makeEvent(), makeEvent({ type: 'poison' })]);
    const db = new Database(join(dir, 'app.db'));
    db.exec('CREATE TABLE people (seq TEXT PRIMARY KEY)');
    const store = new SqliteCursorStore({ database: db as unknown as SqliteDatabase });
    const error = await new Consumer({ url: hub.url, ...admin, list: 'r.sqlite', cursorStore: store })
      .run<SqliteDatabase>(
        (e, { tx }) => {
          tx.prepare('INSERT INTO people (seq) VALUES (?)').run(e.heroldseq);
          if (e.type === 'poison') throw new Error('after the write');
        },
        { retries: 0 },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandlerError);
    expect(db.prepare('SELECT seq FROM people').pluck().all()).toEqual(['1']);
    expect(await store.load('r.sqlite')).toBe('1');
    db.close();
  });

  describe('PostgresCursorStore', async () => {
    const base = await clientPgUrl();
    it.skipIf(!base)('commits the handler’s writes and the position in one transaction', async () => {
      const { url, drop } = await pgSchema(base!);
      const pool = new pg.Pool({ connectionString: url, max: 2 });
      try {
        await pool.query('CREATE TABLE people (seq bigint PRIMARY KEY)');
        await createList(hub, 'r.pg');
        await publishAll(hub, 'r.pg', [makeEvent(), makeEvent(), makeEvent({ type: 'poison' })]);
        const store = new PostgresCursorStore({ pool });
        const error = await new Consumer({ url: hub.url, ...admin, list: 'r.pg', cursorStore: store })
          .run<pg.PoolClient>(
            async (e, { tx }) => {
              await tx.query('INSERT INTO people (seq) VALUES ($1)', [e.heroldseq]);
              if (e.type === 'poison') throw new Error('after the write');
            },
            { retries: 0 },
          )
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(HandlerError);
        expect((await pool.query('SELECT seq::text FROM people ORDER BY seq')).rows.map((r) => r.seq)).toEqual(['1', '2']);
        expect(await store.load('r.pg')).toBe('2');
        await store.park('r.pg', { heroldseq: '3', id: 'x' } as unknown as ServedEvent, new Error('parked'));
        expect((await pool.query('SELECT seq::text, error FROM herold_cursors_parked')).rows).toEqual([{ seq: '3', error: 'Error: parked' }]);
      } finally {
        await pool.end();
        await drop();
      }
    });
  });
});
