import Database from 'better-sqlite3';
import { join } from 'node:path';
import { PostgresStore } from '../../store/postgres/pg-store.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import type { EventStore, StoredEvent } from '../../store/types.js';

/** Where a hub keeps its data: a data directory (SQLite) or a postgres:// URL. */
export type Location = { kind: 'sqlite'; dataDir: string } | { kind: 'postgres'; url: string };

export function parseLocation(value: string): Location {
  if (/^postgres(ql)?:\/\//.test(value)) return { kind: 'postgres', url: value };
  return { kind: 'sqlite', dataDir: value };
}

export function describeLocation(loc: Location): string {
  if (loc.kind === 'sqlite') return `SQLite in ${loc.dataDir}`;
  const u = new URL(loc.url);
  if (u.password) u.password = '***';
  return `PostgreSQL ${u.toString()}`;
}

export function openLocation(loc: Location): EventStore {
  if (loc.kind === 'postgres') return new PostgresStore({ url: loc.url });
  // Durable writes for a migration: every commit fsynced.
  return new SqliteStore({ file: join(loc.dataDir, 'herold.db'), synchronous: 'full' });
}

/** An event as it travels in an export: the stored body, and the hub's metadata beside it. */
export interface ExportedEvent extends StoredEvent {
  list: string;
}

/**
 * Writes events with the sequence numbers, commit times and heroldprevseq
 * they had (an import keeps numbers). Only into a list that holds no events
 * yet, in seq order.
 */
export interface EventWriter {
  write(list: string, events: ExportedEvent[]): Promise<void>;
  close(): Promise<void>;
}

interface Indexed {
  source: string;
  id: string;
  type: string;
  subject: string | null;
}

function indexed(body: string): Indexed {
  const e = JSON.parse(body) as { source: string; id: string; type: string; subject?: unknown };
  return { source: e.source, id: e.id, type: e.type, subject: typeof e.subject === 'string' ? e.subject : null };
}

export function eventWriter(loc: Location, store: EventStore): EventWriter {
  if (loc.kind === 'postgres') {
    const pg = store as PostgresStore;
    return {
      write: (list, events) => pg.importEvents(list, events.map((e) => ({ ...e, ...indexed(e.body) }))),
      close: async () => undefined,
    };
  }
  return new SqliteEventWriter(join(loc.dataDir, 'herold.db'));
}

const SEQ_BITS = 2 ** 40;

/**
 * Events into the embedded store's log with their own seqs. It writes only
 * the log and the list's head; the idempotency and subject indexes are
 * rebuilt from the log the next time the store opens (its crash-recovery
 * path: everything after the list's `indexed_seq` is read back), so an
 * imported list behaves exactly like one that was published into.
 */
class SqliteEventWriter implements EventWriter {
  private readonly db: Database.Database;
  private readonly heads = new Map<string, { id: number; head: number; lastTime: number }>();

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('busy_timeout = 10000');
    this.db.pragma('synchronous = FULL');
  }

  async write(list: string, events: ExportedEvent[]): Promise<void> {
    if (events.length === 0) return;
    let state = this.heads.get(list);
    if (!state) {
      const row = this.db.prepare('SELECT id, head, last_time FROM lists WHERE name = ?').get(list) as { id: number; head: number; last_time: number } | undefined;
      if (!row) throw new Error(`import: no list '${list}'`);
      state = { id: row.id, head: row.head, lastTime: row.last_time };
      this.heads.set(list, state);
    }
    const insert = this.db.prepare('INSERT INTO events (pos, time, prev_seq, type, source, subject, body) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const s = state;
    this.db.transaction(() => {
      for (const e of events) {
        if (e.seq <= s.head) throw new Error(`import: list '${list}' already holds seq ${e.seq}; import into an empty list, in seq order.`);
        if (e.seq >= SEQ_BITS) throw new Error(`import: seq ${e.seq} is beyond what the embedded store holds per list (2^40).`);
        const ix = indexed(e.body);
        const p = s.id * SEQ_BITS + e.seq;
        insert.run(Number.isSafeInteger(p) ? p : (BigInt(s.id) << 40n) + BigInt(e.seq), e.time, e.prevSeq, ix.type, ix.source, ix.subject, e.body);
        s.head = e.seq;
        s.lastTime = Math.max(s.lastTime, e.time);
      }
      this.db.prepare('UPDATE lists SET head = ?, last_time = ? WHERE id = ?').run(s.head, s.lastTime, s.id);
    })();
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
