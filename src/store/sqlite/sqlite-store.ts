import Database from 'better-sqlite3';
import type { Database as Db, Statement, Transaction } from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { type GroupPlan, type PlanSource, type StoredMatch, keysOf, planGroup } from '../append-plan.js';
import { idempotencyKey } from '../idempotency-key.js';
import { prepareImport } from '../import-events.js';
import { type ListRow as SharedListRow, listOf } from '../rows.js';
import type {
  AccessRequestRecord,
  ApiKeyRecord,
  AuditQuery,
  AuditRow,
  AuditSearchQuery,
  AuditSearchRow,
  ConsoleSessionRow,
  UsageRow,
  GrantRecord,
  PublisherRecord,
  AttemptRow,
  DeadLetterRow,
  RetryRow,
  SubscriptionRecord,
  AppendOutcome,
  AppendRequest,
  EventStore,
  ListInput,
  ListRecord,
  RangeQuery,
  StoredEvent,
  DeliveryWork,
  CatalogueSettingsRecord,
  DeclarationRecord,
  SeenTypeRecord,
} from '../types.js';
import { IndexLayer, IndexOverlay } from './index-overlay.js';
import { SqliteSubscriptionTables } from './subscription-tables.js';
import { SqliteAccessTables } from './access-tables.js';
import { SqliteCatalogueTables } from './catalogue-tables.js';
import { MIGRATIONS } from './migrations.js';

/** Seqs per list in the rowid encoding pos = list_id * 2^40 + seq. */
const SEQ_BITS = 2 ** 40;
const SEQ_MASK = SEQ_BITS - 1;
const MAX_SEQ = SEQ_MASK;

/** The rowid of (list, seq); a BigInt only where a number would lose precision. */
function pos(listId: number, seq: number): number | bigint {
  const p = listId * SEQ_BITS + seq;
  return Number.isSafeInteger(p) ? p : (BigInt(listId) << 40n) + BigInt(seq);
}

/** Flush the index overlay once it holds this many entries (or when ingest pauses). */
const FLUSH_AT = 100_000;
/** Rows per transaction while flushing, so publishes interleave with a long flush. */
const FLUSH_CHUNK = 10_000;

export interface SqliteStoreOptions {
  /** Path of the database file, or ':memory:'. */
  file: string;
  /**
   * 'full' fsyncs every commit (an acknowledged event survives power loss);
   * 'normal' survives a crash of the process but may lose the last commits on
   * power loss. Group commit keeps 'full' affordable.
   */
  synchronous: 'full' | 'normal';
  /**
   * SQLite's page cache in MiB (default 32). The process's memory is bounded by it; pages beyond it
   * are read through the OS file cache. 256 MiB cost the same CPU per event at 1.6 M events and made
   * the hub 200 MiB larger (docs/benchmarks.md, issue 15).
   */
  cacheMiB?: number;
}

/** SQLite's `lists` rows also carry the seq up to which the index tables are complete. */
interface ListRow extends SharedListRow {
  indexed_seq: number;
}

interface ListState {
  id: number;
  head: number;
  lastTime: number;
}

export class SqliteStore implements EventStore {
  readonly kind = 'sqlite' as const;
  private db!: Db;
  private readonly lists = new Map<string, ListState>();
  private stmts!: ReturnType<SqliteStore['prepare']>;
  private tx!: {
    group: Transaction<SqliteStore['appendGroupInTransaction']>;
  };
  private subs!: SqliteSubscriptionTables;
  private access!: SqliteAccessTables;
  private catalogue!: SqliteCatalogueTables;
  private readonly rangeStatements = new Map<string, Statement>();
  private readonly overlay = new IndexOverlay();
  private flushing: Promise<void> | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private lastAppend = 0;

  constructor(private readonly options: SqliteStoreOptions) {}

  async open(): Promise<void> {
    if (this.options.file !== ':memory:') mkdirSync(dirname(this.options.file), { recursive: true });
    this.db = new Database(this.options.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${this.options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    this.db.pragma(`cache_size = -${(this.options.cacheMiB ?? 32) * 1024}`);
    this.db.pragma('temp_store = MEMORY');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    this.stmts = this.prepare();
    this.tx = {
      group: this.db.transaction(this.appendGroupInTransaction.bind(this)),
    };
    this.subs = new SqliteSubscriptionTables(this.db);
    this.access = new SqliteAccessTables(this.db);
    this.catalogue = new SqliteCatalogueTables(this.db);
    const rows = this.db.prepare('SELECT id, name, head, last_time, indexed_seq FROM lists').all() as ListRow[];
    for (const row of rows) {
      this.lists.set(row.name, { id: row.id, head: row.head, lastTime: row.last_time });
      if (row.indexed_seq < row.head) this.recoverIndexes(row.id, row.indexed_seq);
    }
    if (this.overlay.active.size > 0) this.flushNow();
    // Persist the overlay when ingest pauses, so a restart has little to replay.
    this.idleTimer = setInterval(() => {
      if (!this.flushing && this.overlay.active.size > 0 && Date.now() - this.lastAppend > 1000) this.startFlush();
    }, 1000);
    this.idleTimer.unref();
  }

  /** Read events committed after the index watermark back into the overlay. */
  private recoverIndexes(listId: number, after: number): void {
    const rows = this.db
      .prepare(`SELECT pos & ${SEQ_MASK} AS seq, source, subject, body FROM events WHERE pos > ? AND pos <= ? ORDER BY pos`)
      .iterate(pos(listId, after), pos(listId, MAX_SEQ)) as IterableIterator<{ seq: number; source: string; subject: string | null; body: string }>;
    for (const row of rows) {
      const id = (JSON.parse(row.body) as { id: string }).id;
      this.overlay.active.addKey(listId, idempotencyKey(row.source, id), row.seq);
      if (row.subject !== null) this.overlay.active.setSubject(listId, row.subject, row.seq);
    }
  }

  /** Write the overlay to the index tables: sorted, in chunks, then move the watermarks. */
  private startFlush(): void {
    if (this.flushing || this.overlay.active.size === 0) return;
    this.flushing = this.flush().finally(() => {
      this.flushing = null;
    });
  }

  private async flush(): Promise<void> {
    const layer = this.freezeOverlay();
    const keyRows = layer.sortedKeyRows();
    const subjectRows = layer.sortedSubjectRows();
    const watermarks = [...this.lists.values()].map((l) => [l.head, l.id] as const);
    for (let i = 0; i < keyRows.length; i += FLUSH_CHUNK) {
      this.writeKeys(keyRows.slice(i, i + FLUSH_CHUNK));
      await new Promise((r) => setImmediate(r));
    }
    for (let i = 0; i < subjectRows.length; i += FLUSH_CHUNK) {
      this.writeSubjects(subjectRows.slice(i, i + FLUSH_CHUNK));
      await new Promise((r) => setImmediate(r));
    }
    this.db.transaction(() => {
      for (const [head, id] of watermarks) this.stmts.setIndexed.run(head, id);
    })();
    this.overlay.flushing = null;
  }

  /** Synchronous flush of everything (start-up and close). */
  private flushNow(): void {
    const layer = this.freezeOverlay();
    const watermarks = [...this.lists.values()].map((l) => [l.head, l.id] as const);
    this.db.transaction(() => {
      this.writeKeys(layer.sortedKeyRows());
      this.writeSubjects(layer.sortedSubjectRows());
      for (const [head, id] of watermarks) this.stmts.setIndexed.run(head, id);
    })();
    this.overlay.flushing = null;
  }

  private freezeOverlay(): IndexLayer {
    const layer = this.overlay.active;
    this.overlay.flushing = layer;
    this.overlay.active = new IndexLayer();
    return layer;
  }

  private writeKeys(rows: [number, bigint, number][]): void {
    this.db.transaction(() => {
      for (const r of rows) this.stmts.insertKey.run(r[0], r[1], r[2]);
    })();
  }

  private writeSubjects(rows: [number, string, number][]): void {
    this.db.transaction(() => {
      for (const r of rows) this.stmts.upsertSubject.run(r[0], r[1], r[2]);
    })();
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
        'INSERT INTO lists (name, title, description, retention_days, created_at, updated_at, head, indexed_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      deletedHead: db.prepare('SELECT head FROM deleted_lists WHERE name = ?').pluck(),
      forgetDeleted: db.prepare('DELETE FROM deleted_lists WHERE name = ?'),
      updateList: db.prepare('UPDATE lists SET title = ?, description = ?, retention_days = ?, updated_at = ? WHERE name = ?'),
      setHead: db.prepare('UPDATE lists SET head = ?, last_time = ? WHERE id = ?'),
      setIndexed: db.prepare('UPDATE lists SET indexed_seq = max(indexed_seq, ?) WHERE id = ?'),
      insertEvent: db.prepare(
        'INSERT INTO events (pos, time, prev_seq, type, source, subject, body) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      findKey: db.prepare('SELECT seq FROM idempotency WHERE list_id = ? AND key = ?').pluck(),
      insertKey: db.prepare('INSERT OR IGNORE INTO idempotency (list_id, key, seq) VALUES (?, ?, ?)'),
      eventBySeq: db.prepare(`SELECT pos & ${SEQ_MASK} AS seq, prev_seq AS prevSeq, time, body, source FROM events WHERE pos = ?`),
      firstFrom: db.prepare(`SELECT pos & ${SEQ_MASK} AS seq, time FROM events WHERE pos >= ? AND pos <= ? ORDER BY pos LIMIT 1`),
      subjectHead: db.prepare('SELECT seq FROM subjects WHERE list_id = ? AND subject = ?').pluck(),
      upsertSubject: db.prepare(
        'INSERT INTO subjects (list_id, subject, seq) VALUES (?, ?, ?) ON CONFLICT (list_id, subject) DO UPDATE SET seq = max(seq, excluded.seq)',
      ),
      getSetting: db.prepare('SELECT value FROM settings WHERE key = ?').pluck(),
      setSetting: db.prepare(
        'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
    };
  }

  async close(): Promise<void> {
    if (this.idleTimer) clearInterval(this.idleTimer);
    if (!this.db?.open) return;
    await this.flushing;
    if (this.overlay.active.size > 0) this.flushNow();
    this.db.close();
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
          // A name used before continues after the head of the list deleted under it.
          const head = (this.stmts.deletedHead.get(input.name) as number | undefined) ?? 0;
          const info = this.stmts.insertList.run(
            input.name,
            input.title ?? null,
            input.description ?? null,
            input.retentionDays ?? null,
            now,
            now,
            head,
            head,
          );
          this.stmts.forgetDeleted.run(input.name);
          this.lists.set(input.name, { id: Number(info.lastInsertRowid), head, lastTime: 0 });
          if (input.owner !== undefined) this.access.setOwner(input.name, input.owner);
          return true;
        }
        this.stmts.updateList.run(
          input.title === undefined ? existing.title : input.title,
          input.description === undefined ? existing.description : input.description,
          input.retentionDays === undefined ? existing.retention_days : input.retentionDays,
          now,
          input.name,
        );
        if (input.owner !== undefined) this.access.setOwner(input.name, input.owner);
        return false;
      })
      .immediate();
    return { created, list: (await this.getList(input.name))! };
  }

  async getList(name: string): Promise<ListRecord | undefined> {
    const row = this.stmts.getList.get(name) as ListRow | undefined;
    return row && listOf(row);
  }

  async listLists(): Promise<ListRecord[]> {
    return (this.stmts.allLists.all() as ListRow[]).map(listOf);
  }

  async appendGroup(requests: AppendRequest[]): Promise<AppendOutcome[]> {
    const { outcomes, rows } = this.tx.group.immediate(requests, keysOf(requests), Date.now());
    // Committed: heads and the index overlay move only now.
    for (const h of rows.heads.values()) {
      const list = this.lists.get(h.name)!;
      list.head = h.head;
      list.lastTime = h.lastTime;
    }
    const layer = this.overlay.active;
    for (let i = 0; i < rows.seq.length; i++) {
      layer.addKey(rows.listId[i], rows.key[i], rows.seq[i]);
      const subject = rows.subject[i];
      if (subject !== null) layer.setSubject(rows.listId[i], subject, rows.seq[i]);
    }
    this.lastAppend = Date.now();
    if (layer.size >= FLUSH_AT) this.startFlush();
    return outcomes;
  }

  /**
   * The group transaction: decide every request (append-plan.ts), then write
   * the planned rows. Nothing is written before the whole group is decided, so
   * a failing request needs no savepoint. The transaction wrapper is made once
   * in open(): building it per commit showed up in profiles of single publishes.
   */
  private appendGroupInTransaction(requests: AppendRequest[], keys: bigint[][], now: number): GroupPlan {
    const plan = planGroup(requests, keys, this.planSource, now);
    const { rows } = plan;
    const insert = this.stmts.insertEvent;
    for (let i = 0; i < rows.seq.length; i++) {
      insert.run(pos(rows.listId[i], rows.seq[i]), rows.time[i], rows.prevSeq[i], rows.type[i], rows.source[i], rows.subject[i], rows.body[i]);
    }
    for (const [id, h] of rows.heads) this.stmts.setHead.run(h.head, h.lastTime, id);
    return plan;
  }

  /** What the planner asks about the state before a group: the overlay first, then the index tables. */
  private readonly planSource: PlanSource = {
    list: (name) => this.lists.get(name),
    stored: (listId, key) => {
      const seqs = this.overlay.keySeqs([], listId, key);
      for (const seq of this.stmts.findKey.all(listId, key) as number[]) if (!seqs.includes(seq)) seqs.push(seq);
      if (seqs.length === 0) return undefined;
      const found: StoredMatch[] = [];
      for (const seq of seqs) {
        const row = this.stmts.eventBySeq.get(pos(listId, seq)) as (StoredEvent & { source: string }) | undefined;
        if (row) found.push({ seq: row.seq, source: row.source, body: row.body });
      }
      return found;
    },
    subjectHead: (listId, subject) =>
      this.overlay.subject([], listId, subject) ?? (this.stmts.subjectHead.get(listId, subject) as number | undefined),
  };

  /** Events with the seqs they had (export/import keeps numbers); the indexes learn them through the overlay. */
  async importEvents(list: string, stored: StoredEvent[]): Promise<void> {
    if (stored.length === 0) return;
    const state = this.lists.get(list);
    if (!state) throw new Error(`import: no list '${list}'`);
    const events = prepareImport(list, state.head, stored, MAX_SEQ);
    const last = events[events.length - 1];
    const lastTime = Math.max(state.lastTime, last.time);
    this.db
      .transaction(() => {
        for (const e of events) this.stmts.insertEvent.run(pos(state.id, e.seq), e.time, e.prevSeq, e.type, e.source, e.subject, e.body);
        this.stmts.setHead.run(last.seq, lastTime, state.id);
      })
      .immediate();
    state.head = last.seq;
    state.lastTime = lastTime;
    for (const e of events) {
      this.overlay.active.addKey(state.id, idempotencyKey(e.source, e.id), e.seq);
      if (e.subject !== null) this.overlay.active.setSubject(state.id, e.subject, e.seq);
    }
    if (this.overlay.active.size >= FLUSH_AT) this.startFlush();
  }

  async readRange(list: string, q: RangeQuery): Promise<StoredEvent[]> {
    const state = this.lists.get(list);
    if (!state || q.limit <= 0 || q.upTo <= q.after) return [];
    const params: unknown[] = [pos(state.id, q.after), pos(state.id, Math.min(q.upTo, MAX_SEQ))];
    let where = 'pos > ? AND pos <= ?';
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
        `SELECT pos & ${SEQ_MASK} AS seq, prev_seq AS prevSeq, time, body FROM events WHERE ${where} ORDER BY pos LIMIT ?`,
      );
      if (this.rangeStatements.size < 256) this.rangeStatements.set(shape, stmt);
    }
    return stmt.all(...params) as StoredEvent[];
  }

  async getEvent(list: string, seq: number): Promise<StoredEvent | undefined> {
    const state = this.lists.get(list);
    if (!state) return undefined;
    if (!Number.isSafeInteger(seq) || seq < 1 || seq > MAX_SEQ) return undefined;
    const row = this.stmts.eventBySeq.get(pos(state.id, seq)) as (StoredEvent & { source?: string }) | undefined;
    if (!row) return undefined;
    return { seq: row.seq, prevSeq: row.prevSeq, time: row.time, body: row.body };
  }

  async seqBefore(list: string, time: number): Promise<number> {
    const state = this.lists.get(list);
    if (!state) return 0;
    // Commit time never decreases with seq: binary search for the last seq before `time`.
    // Each probe takes the first event at or after its seq, so seqs that are missing
    // (trimmed by retention, or an import that starts later) do not end the search early.
    let lo = 0;
    let hi = state.head;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      const row = this.stmts.firstFrom.get(pos(state.id, mid), pos(state.id, hi)) as { seq: number; time: number } | undefined;
      if (row && row.time < time) lo = row.seq;
      else hi = mid - 1;
    }
    return lo;
  }

  async trimThrough(list: string, seq: number): Promise<number> {
    const state = this.lists.get(list);
    if (!state || seq <= 0) return 0;
    // Keys of deleted events go too (a republish after retention is a new event);
    // those still in the overlay are dropped when the overlay is flushed and re-read.
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM idempotency WHERE list_id = ? AND seq <= ?').run(state.id, seq);
      return this.db.prepare('DELETE FROM events WHERE pos > ? AND pos <= ?').run(pos(state.id, 0), pos(state.id, Math.min(seq, MAX_SEQ))).changes;
    })();
  }

  async deleteList(name: string): Promise<boolean> {
    const state = this.lists.get(name);
    if (!state) return false;
    // The index overlay may hold this list's keys and subjects: write them out, so they go below with the rest.
    if (this.flushing) await this.flushing;
    if (this.overlay.active.size > 0) this.flushNow();
    const subscriptions = '(SELECT id FROM subscriptions WHERE list = ?)';
    this.db.transaction(() => {
      this.db.prepare('INSERT OR REPLACE INTO deleted_lists (name, head, deleted_at) VALUES (?, ?, ?)').run(name, state.head, Date.now());
      this.db.prepare('DELETE FROM events WHERE pos > ? AND pos <= ?').run(pos(state.id, 0), pos(state.id, MAX_SEQ));
      for (const table of ['idempotency', 'subjects']) this.db.prepare(`DELETE FROM ${table} WHERE list_id = ?`).run(state.id);
      for (const table of ['retries', 'dead_letters', 'attempts']) this.db.prepare(`DELETE FROM ${table} WHERE subscription_id IN ${subscriptions}`).run(name);
      for (const table of ['subscriptions', 'publishers', 'grants', 'catalogue_lists', 'catalogue_declarations', 'catalogue_seen']) {
        this.db.prepare(`DELETE FROM ${table} WHERE list = ?`).run(name);
      }
      // Decided requests stay: they record who asked, why, and who decided.
      this.db.prepare("DELETE FROM access_requests WHERE list = ? AND status = 'pending'").run(name);
      this.db.prepare('DELETE FROM lists WHERE id = ?').run(state.id);
    })();
    this.lists.delete(name);
    return true;
  }

  async getSetting(key: string): Promise<string | undefined> {
    return this.stmts.getSetting.get(key) as string | undefined;
  }

  async setSetting(key: string, value: string): Promise<void> {
    this.stmts.setSetting.run(key, value);
  }

  async createSubscription(record: SubscriptionRecord): Promise<void> {
    this.subs.create(record);
  }

  async getSubscription(id: string): Promise<SubscriptionRecord | undefined> {
    return this.subs.get(id);
  }

  async listSubscriptions(list?: string): Promise<SubscriptionRecord[]> {
    return this.subs.list(list);
  }

  async updateSubscription(record: SubscriptionRecord): Promise<void> {
    this.subs.update(record);
  }

  async deleteSubscription(id: string): Promise<boolean> {
    return this.subs.delete(id);
  }

  async saveDeliveryWork(work: DeliveryWork): Promise<void> {
    this.subs.saveWork(work);
  }

  async listRetries(subscriptionId: string): Promise<RetryRow[]> {
    return this.subs.retries(subscriptionId);
  }

  async listDeadLetters(subscriptionId: string, after: number, limit: number): Promise<DeadLetterRow[]> {
    return this.subs.deadLetters(subscriptionId, after, limit);
  }

  async takeDeadLetters(subscriptionId: string, seqs?: number[]): Promise<number[]> {
    return this.subs.takeDeadLetters(subscriptionId, seqs);
  }

  async listAttempts(subscriptionId: string, before: number | undefined, limit: number): Promise<(AttemptRow & { id: number })[]> {
    return this.subs.attempts(subscriptionId, before, limit);
  }

  async pruneAttempts(keep: number): Promise<void> {
    this.subs.pruneAttempts(keep);
  }

  async setListOwner(list: string, owner: string | null): Promise<void> {
    this.access.setOwner(list, owner);
  }

  async createApiKey(key: ApiKeyRecord): Promise<void> {
    this.access.createKey(key);
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return this.access.keys();
  }

  async revokeApiKey(id: string, at: number): Promise<boolean> {
    return this.access.revokeKey(id, at);
  }

  async addPublisher(p: PublisherRecord): Promise<void> {
    this.access.addPublisher(p);
  }

  async removePublisher(list: string, principal: string): Promise<boolean> {
    return this.access.removePublisher(list, principal);
  }

  async listPublishers(): Promise<PublisherRecord[]> {
    return this.access.publishers();
  }

  async createGrant(g: GrantRecord): Promise<void> {
    this.access.createGrant(g);
  }

  async updateGrant(g: GrantRecord): Promise<boolean> {
    return this.access.updateGrant(g);
  }

  async deleteGrant(id: string): Promise<boolean> {
    return this.access.deleteGrant(id);
  }

  async listGrants(): Promise<GrantRecord[]> {
    return this.access.grants();
  }

  async createAccessRequest(r: AccessRequestRecord): Promise<void> {
    this.access.createRequest(r);
  }

  async updateAccessRequest(r: AccessRequestRecord): Promise<void> {
    this.access.updateRequest(r);
  }

  async getAccessRequest(id: string): Promise<AccessRequestRecord | undefined> {
    return this.access.getRequest(id);
  }

  async listAccessRequests(filter: { list?: string; principal?: string; status?: string }): Promise<AccessRequestRecord[]> {
    return this.access.requests(filter);
  }

  async appendAudit(rows: AuditRow[]): Promise<void> {
    this.access.appendAudit(rows);
  }

  async queryAudit(q: AuditQuery): Promise<(AuditRow & { id: number })[]> {
    return this.access.queryAudit(q);
  }

  async auditUsage(q: Omit<AuditQuery, 'seqs' | 'limit'>): Promise<UsageRow[]> {
    return this.access.auditUsage(q);
  }

  async pruneAudit(before: number): Promise<number> {
    return this.access.pruneAudit(before);
  }

  async putConsoleSession(row: ConsoleSessionRow): Promise<void> {
    this.access.putConsoleSession(row);
  }

  async getConsoleSession(idHash: string): Promise<ConsoleSessionRow | undefined> {
    return this.access.getConsoleSession(idHash);
  }

  async deleteConsoleSession(idHash: string): Promise<void> {
    this.access.deleteConsoleSession(idHash);
  }

  async pruneConsoleSessions(now: number): Promise<number> {
    return this.access.pruneConsoleSessions(now);
  }

  async recordAuditSearch(row: AuditSearchRow): Promise<void> {
    this.access.recordAuditSearch(row);
  }

  async queryAuditSearches(q: AuditSearchQuery): Promise<(AuditSearchRow & { id: number })[]> {
    return this.access.queryAuditSearches(q);
  }

  async subjectSeqs(list: string, subject: string, max: number): Promise<number[]> {
    const state = this.lists.get(list);
    if (!state) return [];
    let seq: number | null = this.overlay.subject([], state.id, subject) ?? ((this.stmts.subjectHead.get(state.id, subject) as number | undefined) ?? null);
    const seqs: number[] = [];
    while (seq !== null && seqs.length < max) {
      seqs.push(seq);
      const row = this.stmts.eventBySeq.get(pos(state.id, seq)) as { prevSeq: number | null } | undefined;
      seq = row?.prevSeq ?? null;
    }
    return seqs;
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

  // ---- event type catalogue --------------------------------------------------

  catalogueSettings(): Promise<CatalogueSettingsRecord[]> {
    return this.catalogue.catalogueSettings();
  }

  putCatalogueSettings(record: CatalogueSettingsRecord): Promise<void> {
    return this.catalogue.putCatalogueSettings(record);
  }

  declarations(kind: 'type' | 'attribute'): Promise<DeclarationRecord[]> {
    return this.catalogue.declarations(kind);
  }

  putDeclaration(kind: 'type' | 'attribute', record: DeclarationRecord): Promise<void> {
    return this.catalogue.putDeclaration(kind, record);
  }

  deleteDeclaration(kind: 'type' | 'attribute', list: string, name: string): Promise<boolean> {
    return this.catalogue.deleteDeclaration(kind, list, name);
  }

  addSeenTypes(rows: SeenTypeRecord[]): Promise<void> {
    return this.catalogue.addSeenTypes(rows);
  }

  seenTypes(list: string): Promise<SeenTypeRecord[]> {
    return this.catalogue.seenTypes(list);
  }
}
