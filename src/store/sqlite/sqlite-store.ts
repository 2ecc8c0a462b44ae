import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
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
  DeletedListRecord,
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
import { EventWriter } from './event-writer.js';
import { MAX_SEQ, SEQ_MASK, pos } from './positions.js';
import { LocalWriter, WorkerWriter, type WriterPort } from './writer-thread.js';
import { SqliteSubscriptionTables } from './subscription-tables.js';
import { SqliteAccessTables } from './access-tables.js';
import { SqliteCatalogueTables } from './catalogue-tables.js';
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
  /**
   * SQLite's page cache in MiB (default 32). The process's memory is bounded by it; pages beyond it
   * are read through the OS file cache. 256 MiB cost the same CPU per event at 1.6 M events and made
   * the hub 200 MiB larger (docs/benchmarks.md, issue 15). With the writer thread, its connection
   * and this one's each get half.
   */
  cacheMiB?: number;
  /**
   * Where events are written: 'worker' (the default for a file when constructed directly; the hub's
   * configuration, HEROLD_SQLITE_WRITER, defaults to 'thread') runs the write path in a worker
   * thread on its own connection, so that commits and fsyncs use the second core;
   * 'thread' writes on this thread. ':memory:' always writes on this thread.
   */
  writer?: 'worker' | 'thread';
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
  /** Appends, imports, trims and deletions of events go through the writer (event-writer.ts). */
  private writer!: WriterPort;
  private subs!: SqliteSubscriptionTables;
  private access!: SqliteAccessTables;
  private catalogue!: SqliteCatalogueTables;
  private readonly rangeStatements = new Map<string, Statement>();

  constructor(private readonly options: SqliteStoreOptions) {}

  async open(): Promise<void> {
    if (this.options.file !== ':memory:') mkdirSync(dirname(this.options.file), { recursive: true });
    this.db = new Database(this.options.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${this.options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    const worker = this.options.file !== ':memory:' && this.options.writer !== 'thread';
    const cacheMiB = (this.options.cacheMiB ?? 32) / (worker ? 2 : 1);
    this.db.pragma(`cache_size = -${Math.round(cacheMiB * 1024)}`);
    this.db.pragma('temp_store = MEMORY');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    this.stmts = this.prepare();
    this.subs = new SqliteSubscriptionTables(this.db);
    this.access = new SqliteAccessTables(this.db);
    this.catalogue = new SqliteCatalogueTables(this.db);
    this.writer = worker
      ? new WorkerWriter({ file: this.options.file, synchronous: this.options.synchronous, cacheMiB })
      : new LocalWriter(new EventWriter(this.db));
    await this.writer.open();
    const rows = this.db.prepare('SELECT id, name, head, last_time FROM lists').all() as ListRow[];
    for (const row of rows) this.lists.set(row.name, { id: row.id, head: row.head, lastTime: row.last_time });
  }

  get appendsOffThread(): boolean {
    return this.writer instanceof WorkerWriter;
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
      eventBySeq: db.prepare(`SELECT pos & ${SEQ_MASK} AS seq, prev_seq AS prevSeq, time, body, source FROM events WHERE pos = ?`),
      firstFrom: db.prepare(`SELECT pos & ${SEQ_MASK} AS seq, time FROM events WHERE pos >= ? AND pos <= ? ORDER BY pos LIMIT 1`),
      getSetting: db.prepare('SELECT value FROM settings WHERE key = ?').pluck(),
      setSetting: db.prepare(
        'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
    };
  }

  async close(): Promise<void> {
    if (!this.db?.open) return;
    try {
      await this.writer.close();
    } finally {
      this.db.close();
    }
  }

  async ping(): Promise<boolean> {
    try {
      this.db.prepare('SELECT 1').get();
      return this.writer.alive;
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
            input.createdAt ?? now,
            input.updatedAt ?? input.createdAt ?? now,
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
    const { outcomes, heads } = await this.writer.appendGroup(requests);
    // Committed: this thread's reads may now go up to the new heads.
    for (const h of heads) this.moveHead(h.name, h.head, h.lastTime);
    return outcomes;
  }

  private moveHead(name: string, head: number, lastTime: number): void {
    const list = this.lists.get(name);
    if (!list) return;
    list.head = head;
    list.lastTime = lastTime;
  }

  /** Events with the seqs they had (export/import keeps numbers). */
  async importEvents(list: string, stored: StoredEvent[]): Promise<void> {
    if (stored.length === 0) return;
    if (!this.lists.has(list)) throw new Error(`import: no list '${list}'`);
    const h = await this.writer.importEvents(list, stored);
    this.moveHead(h.name, h.head, h.lastTime);
  }

  async deletedLists(): Promise<DeletedListRecord[]> {
    return this.db.prepare('SELECT name, head, deleted_at AS deletedAt FROM deleted_lists ORDER BY name').all() as DeletedListRecord[];
  }

  async importDeletedList(r: DeletedListRecord): Promise<boolean> {
    if (this.lists.has(r.name)) return false;
    this.db
      .prepare(
        `INSERT INTO deleted_lists (name, head, deleted_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET head = max(head, excluded.head), deleted_at = max(deleted_at, excluded.deleted_at)`,
      )
      .run(r.name, r.head, r.deletedAt);
    return true;
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
    return this.writer.trimThrough(state.id, seq);
  }

  async deleteList(name: string): Promise<boolean> {
    if (!this.lists.has(name)) return false;
    const deleted = await this.writer.deleteList(name);
    this.lists.delete(name);
    return deleted;
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
    // The writer knows the subject's head (its index overlay); the chain below it is committed rows.
    let seq: number | null = (await this.writer.subjectHead(state.id, subject)) ?? null;
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
