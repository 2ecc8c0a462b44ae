import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { sameEventContent } from '../../cloudevents/equality.js';
import { idempotencyKey } from '../idempotency-key.js';
import type {
  AppendEvent,
  AppendOutcome,
  AppendRequest,
  EventStore,
  ListInput,
  ListRecord,
  RangeQuery,
  StoredEvent,
} from '../types.js';
import { MIGRATIONS } from './migrations.js';

export interface SqliteStoreOptions {
  /** Path of the database file, or ':memory:'. */
  file: string;
  /**
   * 'full' fsyncs every commit (an acknowledged event survives power loss);
   * 'normal' survives a crash of the process but may lose the last commits on
   * power loss. Group commit keeps 'full' affordable.
   */
  synchronous: 'full' | 'normal';
  /** Page cache in MiB: the idempotency and subject indexes should fit. */
  cacheMiB?: number;
}

interface ListRow {
  id: number;
  name: string;
  title: string | null;
  description: string | null;
  retention_days: number | null;
  created_at: string;
  updated_at: string;
  head: number;
  last_time: number;
}

interface ListState {
  id: number;
  head: number;
  lastTime: number;
}

class AbortRequest extends Error {
  constructor(readonly outcome: AppendOutcome) {
    super('append request aborted');
  }
}

export class SqliteStore implements EventStore {
  readonly kind = 'sqlite' as const;
  private db!: Db;
  private readonly lists = new Map<string, ListState>();
  private stmts!: ReturnType<SqliteStore['prepare']>;
  private readonly rangeStatements = new Map<string, Statement>();

  constructor(private readonly options: SqliteStoreOptions) {}

  async open(): Promise<void> {
    if (this.options.file !== ':memory:') mkdirSync(dirname(this.options.file), { recursive: true });
    this.db = new Database(this.options.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${this.options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    this.db.pragma(`cache_size = -${(this.options.cacheMiB ?? 256) * 1024}`);
    this.db.pragma('temp_store = MEMORY');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    this.stmts = this.prepare();
    for (const row of this.db.prepare('SELECT id, name, head, last_time FROM lists').all() as ListRow[]) {
      this.lists.set(row.name, { id: row.id, head: row.head, lastTime: row.last_time });
    }
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    const applied = new Set(
      (this.db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
    );
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      this.db.transaction(() => {
        this.db.exec(m.sql);
        this.db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(m.version, new Date().toISOString());
      }).immediate();
    }
  }

  private prepare() {
    const db = this.db;
    return {
      getList: db.prepare('SELECT * FROM lists WHERE name = ?'),
      allLists: db.prepare('SELECT * FROM lists ORDER BY name'),
      insertList: db.prepare(
        'INSERT INTO lists (name, title, description, retention_days, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      updateList: db.prepare('UPDATE lists SET title = ?, description = ?, retention_days = ?, updated_at = ? WHERE name = ?'),
      setHead: db.prepare('UPDATE lists SET head = ?, last_time = ? WHERE id = ?'),
      insertEvent: db.prepare(
        'INSERT INTO events (list_id, seq, time, prev_seq, type, source, subject, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      findKey: db.prepare('SELECT seq FROM idempotency WHERE list_id = ? AND key = ?').pluck(),
      insertKey: db.prepare('INSERT INTO idempotency (list_id, key, seq) VALUES (?, ?, ?)'),
      eventBySeq: db.prepare('SELECT seq, prev_seq AS prevSeq, time, body, source FROM events WHERE list_id = ? AND seq = ?'),
      subjectHead: db.prepare('SELECT seq FROM subjects WHERE list_id = ? AND subject = ?').pluck(),
      upsertSubject: db.prepare(
        'INSERT INTO subjects (list_id, subject, seq) VALUES (?, ?, ?) ON CONFLICT (list_id, subject) DO UPDATE SET seq = excluded.seq',
      ),
      seqBefore: db.prepare('SELECT max(seq) FROM events WHERE list_id = ? AND time < ?').pluck(),
      getSetting: db.prepare('SELECT value FROM settings WHERE key = ?').pluck(),
      setSetting: db.prepare(
        'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
    };
  }

  async close(): Promise<void> {
    if (this.db?.open) this.db.close();
  }

  async ping(): Promise<boolean> {
    try {
      this.db.prepare('SELECT 1').get();
      return true;
    } catch {
      return false;
    }
  }

  async upsertList(input: ListInput): Promise<{ created: boolean; list: ListRecord }> {
    const now = new Date().toISOString();
    const created = this.db
      .transaction(() => {
        const existing = this.stmts.getList.get(input.name) as ListRow | undefined;
        if (!existing) {
          const info = this.stmts.insertList.run(
            input.name,
            input.title ?? null,
            input.description ?? null,
            input.retentionDays ?? null,
            now,
            now,
          );
          this.lists.set(input.name, { id: Number(info.lastInsertRowid), head: 0, lastTime: 0 });
          return true;
        }
        this.stmts.updateList.run(
          input.title === undefined ? existing.title : input.title,
          input.description === undefined ? existing.description : input.description,
          input.retentionDays === undefined ? existing.retention_days : input.retentionDays,
          now,
          input.name,
        );
        return false;
      })
      .immediate();
    return { created, list: (await this.getList(input.name))! };
  }

  async getList(name: string): Promise<ListRecord | undefined> {
    const row = this.stmts.getList.get(name) as ListRow | undefined;
    return row && toListRecord(row);
  }

  async listLists(): Promise<ListRecord[]> {
    return (this.stmts.allLists.all() as ListRow[]).map(toListRecord);
  }

  async appendGroup(requests: AppendRequest[]): Promise<AppendOutcome[]> {
    const outcomes: AppendOutcome[] = [];
    // Heads are advanced in memory only after the whole group commits.
    const touched = new Map<ListState, { head: number; lastTime: number }>();
    const now = Date.now();
    const group = this.db.transaction(() => {
      for (const request of requests) {
        const list = this.lists.get(request.list);
        if (!list) {
          outcomes.push({ ok: false, reason: 'no-such-list' });
          continue;
        }
        const before = touched.get(list) ?? { head: list.head, lastTime: list.lastTime };
        const state = { ...before };
        try {
          // Nested transaction = savepoint: this request is atomic on its own.
          const results = this.db.transaction(() => this.appendRequest(list.id, request.events, state, now))();
          touched.set(list, state);
          outcomes.push({ ok: true, results });
        } catch (error) {
          if (error instanceof AbortRequest) outcomes.push(error.outcome);
          else throw error;
        }
      }
      for (const [list, state] of touched) {
        if (state.head !== list.head) this.stmts.setHead.run(state.head, state.lastTime, list.id);
      }
    });
    group.immediate();
    for (const [list, state] of touched) {
      list.head = state.head;
      list.lastTime = state.lastTime;
    }
    return outcomes;
  }

  private appendRequest(
    listId: number,
    events: AppendEvent[],
    state: { head: number; lastTime: number },
    now: number,
  ): { seq: number; duplicate: boolean }[] {
    const s = this.stmts;
    const results: { seq: number; duplicate: boolean }[] = [];
    // Commit time never goes backwards within a list, so time windows map onto seq ranges.
    const time = Math.max(now, state.lastTime);
    for (let i = 0; i < events.length; i++) {
      const ev = events[i];
      const key = idempotencyKey(ev.source, ev.id);
      const existing = this.findExisting(listId, key, ev);
      if (existing) {
        if (!sameEventContent(existing.body, ev.body)) {
          throw new AbortRequest({ ok: false, reason: 'conflict', index: i, seq: existing.seq });
        }
        results.push({ seq: existing.seq, duplicate: true });
        continue;
      }
      const seq = state.head + 1;
      let prev: number | null = null;
      if (ev.subject !== null) {
        prev = (s.subjectHead.get(listId, ev.subject) as number | undefined) ?? null;
        s.upsertSubject.run(listId, ev.subject, seq);
      }
      s.insertEvent.run(listId, seq, time, prev, ev.type, ev.source, ev.subject, ev.body);
      s.insertKey.run(listId, key, seq);
      state.head = seq;
      state.lastTime = time;
      results.push({ seq, duplicate: false });
    }
    return results;
  }

  private findExisting(listId: number, key: bigint, ev: AppendEvent): { seq: number; body: string } | undefined {
    const seqs = this.stmts.findKey.all(listId, key) as number[];
    for (const seq of seqs) {
      const row = this.stmts.eventBySeq.get(listId, seq) as (StoredEvent & { source: string }) | undefined;
      if (!row || row.source !== ev.source) continue;
      // The hash matched and the source too: confirm the id to rule out a collision.
      if ((JSON.parse(row.body) as { id?: unknown }).id === ev.id) return row;
    }
    return undefined;
  }

  async readRange(list: string, q: RangeQuery): Promise<StoredEvent[]> {
    const state = this.lists.get(list);
    if (!state || q.limit <= 0 || q.upTo <= q.after) return [];
    const params: unknown[] = [state.id, q.after, q.upTo];
    let where = 'list_id = ? AND seq > ? AND seq <= ?';
    let shape = '';
    const addIn = (column: string, values: string[] | undefined) => {
      if (!values || values.length === 0) return;
      where += ` AND ${column} IN (${values.map(() => '?').join(',')})`;
      params.push(...values);
      shape += `${column}${values.length};`;
    };
    addIn('type', q.types);
    addIn('subject', q.subjects);
    addIn('source', q.sources);
    params.push(q.limit);
    let stmt = this.rangeStatements.get(shape);
    if (!stmt) {
      stmt = this.db.prepare(
        `SELECT seq, prev_seq AS prevSeq, time, body FROM events WHERE ${where} ORDER BY seq LIMIT ?`,
      );
      if (this.rangeStatements.size < 256) this.rangeStatements.set(shape, stmt);
    }
    return stmt.all(...params) as StoredEvent[];
  }

  async getEvent(list: string, seq: number): Promise<StoredEvent | undefined> {
    const state = this.lists.get(list);
    if (!state) return undefined;
    const row = this.stmts.eventBySeq.get(state.id, seq) as (StoredEvent & { source?: string }) | undefined;
    if (!row) return undefined;
    return { seq: row.seq, prevSeq: row.prevSeq, time: row.time, body: row.body };
  }

  async seqBefore(list: string, time: number): Promise<number> {
    const state = this.lists.get(list);
    if (!state) return 0;
    return (this.stmts.seqBefore.get(state.id, time) as number | null) ?? 0;
  }

  async getSetting(key: string): Promise<string | undefined> {
    return this.stmts.getSetting.get(key) as string | undefined;
  }

  async setSetting(key: string, value: string): Promise<void> {
    this.stmts.setSetting.run(key, value);
  }

  async sizeBytes(): Promise<number> {
    if (this.options.file === ':memory:') return 0;
    let total = 0;
    for (const suffix of ['', '-wal']) {
      try {
        total += statSync(this.options.file + suffix).size;
      } catch {
        // the WAL may not exist yet
      }
    }
    return total;
  }
}

function toListRecord(row: ListRow): ListRecord {
  return {
    name: row.name,
    title: row.title,
    description: row.description,
    retentionDays: row.retention_days,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    head: row.head,
  };
}
