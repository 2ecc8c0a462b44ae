import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/store/postgres/pg-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { AppendEvent, EventStore } from '../../src/store/types.js';
import { CLI } from '../helpers/child-hub.js';
import { freshSchema, urlForSchema } from '../helpers/pg.js';
import { PG_BASE_URL, backends } from './backends.js';

/**
 * `herold migrate` as the built CLI runs it (commands.ts → transfer through
 * EventImport): SQLite → SQLite always, and SQLite → PostgreSQL → SQLite when
 * PostgreSQL answers. The target holds the same events, and its indexes know
 * them (a republish is a duplicate, a new event chains to its subject).
 */
const dirs: string[] = [];
const schemas: string[] = [];
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  if (schemas.length === 0) return;
  const c = new pg.Client({ connectionString: PG_BASE_URL });
  await c.connect();
  for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await c.end();
});

const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'herold-cli-migrate-'));
  dirs.push(d);
  return d;
};
const sqliteAt = (dir: string) => new SqliteStore({ file: join(dir, 'herold.db'), synchronous: 'normal' });

async function withStore<T>(store: EventStore, fn: (s: EventStore) => Promise<T>): Promise<T> {
  await store.open();
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function ev(subject: string): AppendEvent {
  const id = randomUUID();
  return { source: '/m', id, type: 't', subject, body: JSON.stringify({ specversion: '1.0', id, source: '/m', type: 't', subject, data: { id } }) };
}

async function migrate(from: string, to: string): Promise<string> {
  const { stderr } = await promisify(execFile)(process.execPath, [CLI, 'migrate', '--from', from, '--to', to], { env: { ...process.env, HEROLD_DATABASE_URL: '', HEROLD_DATA_DIR: '' } });
  return stderr;
}

describe('herold migrate (the built CLI)', () => {
  it(`moves a hub's events with their numbers${backends.some((b) => b.name === 'postgres') ? ' through PostgreSQL and back' : ' between SQLite stores'}`, async () => {
    const source = tmp();
    const events = Array.from({ length: 400 }, (_, i) => ev(`s${i % 13}`));
    const original = await withStore(sqliteAt(source), async (s) => {
      await s.upsertList({ name: 'moved', title: 'Moved', owner: 'olga' });
      for (let i = 0; i < events.length; i += 100) expect((await s.appendGroup([{ list: 'moved', events: events.slice(i, i + 100) }]))[0].ok).toBe(true);
      await s.trimThrough!('moved', 50);
      // Its catalogue, and a list deleted at head 2.
      await s.putCatalogueSettings({ list: 'moved', validate: 'enforce', discoverable: false });
      await s.putDeclaration('type', { list: 'moved', name: 't', spec: { schema: { type: 'object', properties: { id: { format: 'uuid' } } } }, updatedAt: 7 });
      await s.addSeenTypes([{ list: 'moved', type: 't', count: 400, invalid: 0, firstSeen: 1, lastSeen: 2 }]);
      await s.upsertList({ name: 'gone' });
      await s.appendGroup([{ list: 'gone', events: [ev('g'), ev('g')] }]);
      await s.deleteList('gone');
      return s.readRange('moved', { after: 0, upTo: 1000, limit: 1000 });
    });

    let from = source;
    if (backends.some((b) => b.name === 'postgres')) {
      const schema = freshSchema('herold_t');
      schemas.push(schema);
      const url = urlForSchema(PG_BASE_URL, schema);
      expect(await migrate(source, url)).toMatch(/every list's head matches/);
      const onPg = await withStore(new PostgresStore({ url }), (s) => s.readRange('moved', { after: 0, upTo: 1000, limit: 1000 }));
      expect(onPg).toEqual(original);
      from = url;
    }
    const target = tmp();
    expect(await migrate(from, target)).toMatch(/migrated 1 lists, 350 events, 1 catalogueSettings, 1 declarations, 1 seenTypes, 1 deletedLists; every list's head matches/);
    await withStore(sqliteAt(target), async (s) => {
      expect(await s.readRange('moved', { after: 0, upTo: 1000, limit: 1000 })).toEqual(original);
      expect(await s.getList('moved')).toMatchObject({ head: 400, title: 'Moved', owner: 'olga' });
      const [out] = await s.appendGroup([{ list: 'moved', events: [events[399], ev('s0')] }]);
      expect(out).toMatchObject({ ok: true, results: [{ seq: 400, duplicate: true }, { seq: 401, duplicate: false, prevSeq: 391 }] });
      expect(await s.catalogueSettings()).toEqual([{ list: 'moved', validate: 'enforce', discoverable: false }]);
      expect(await s.declarations('type')).toEqual([{ list: 'moved', name: 't', spec: { schema: { type: 'object', properties: { id: { format: 'uuid' } } } }, updatedAt: 7 }]);
      expect(await s.seenTypes('moved')).toEqual([{ list: 'moved', type: 't', count: 400, invalid: 0, firstSeen: 1, lastSeen: 2 }]);
      expect(await s.getList('gone')).toBeUndefined();
      await s.upsertList({ name: 'gone' });
      expect(await s.getList('gone')).toMatchObject({ head: 2 });
    });
  });
});
