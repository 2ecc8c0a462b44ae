import type { Database as Db, Transaction } from 'better-sqlite3';
import { type GroupPlan, type GroupRows, type PlanSource, type StoredMatch, keysOf, planGroup } from '../append-plan.js';
import { idempotencyKey } from '../idempotency-key.js';
import { prepareImport } from '../import-events.js';
import type { AppendOutcome, AppendRequest, StoredEvent } from '../types.js';
import { IndexLayer, IndexOverlay } from './index-overlay.js';
import { MAX_SEQ, SEQ_MASK, pos } from './positions.js';

/**
 * Events per INSERT statement in a group: binding many rows in one call saves
 * the per-statement cost (about a fifth of an event's insert), not SQLite's own work.
 */
const INSERT_ROWS = 50;
const EVENT_COLUMNS = '(pos, time, prev_seq, type, source, subject, body)';

/** Flush the index overlay once it holds this many entries (or when ingest pauses). */
const FLUSH_AT = 100_000;
/** Rows per transaction while flushing, so publishes interleave with a long flush. */
const FLUSH_CHUNK = 10_000;

/** A list's head as the writer committed it. */
export interface ListHead {
  name: string;
  head: number;
  lastTime: number;
}

/** What one group commit decided: each request's outcome, and the heads it moved. */
export interface GroupCommit {
  outcomes: AppendOutcome[];
  heads: ListHead[];
}

interface WriterList {
  id: number;
  head: number;
  lastTime: number;
}

/**
 * The SQLite store's write path for events: the only code that appends,
 * imports, trims or deletes events, and the owner of the idempotency and
 * subject index overlay (index-overlay.ts) that planning reads. It runs on
 * its own connection in the writer thread (writer-thread.ts), or on the
 * store's connection where a worker cannot share the database (':memory:').
 *
 * Every method is synchronous and returns only after its transaction
 * committed (with `synchronous = FULL`, after the fsync); the overlay and the
 * heads move only then, so what the writer reports is always durable.
 * Lists are created by the store's other connection; the writer reads a list
 * it has not seen from the `lists` table, and forgets it when it deletes it.
 */
export class EventWriter {
  private readonly lists = new Map<string, WriterList>();
  private readonly overlay = new IndexOverlay();
  private flushing: Promise<void> | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private lastAppend = 0;
  private readonly stmts;
  private readonly group: Transaction<EventWriter['appendGroupInTransaction']>;

  constructor(private readonly db: Db) {
    this.stmts = {
      listByName: db.prepare('SELECT id, head, last_time AS lastTime FROM lists WHERE name = ?'),
      setHead: db.prepare('UPDATE lists SET head = ?, last_time = ? WHERE id = ?'),
      setIndexed: db.prepare('UPDATE lists SET indexed_seq = max(indexed_seq, ?) WHERE id = ?'),
      insertEvent: db.prepare(`INSERT INTO events ${EVENT_COLUMNS} VALUES (?, ?, ?, ?, ?, ?, ?)`),
      insertEvents: db.prepare(`INSERT INTO events ${EVENT_COLUMNS} VALUES ${Array(INSERT_ROWS).fill('(?, ?, ?, ?, ?, ?, ?)').join(', ')}`),
      findKey: db.prepare('SELECT seq FROM idempotency WHERE list_id = ? AND key = ?').pluck(),
      insertKey: db.prepare('INSERT OR IGNORE INTO idempotency (list_id, key, seq) VALUES (?, ?, ?)'),
      eventBySeq: db.prepare(`SELECT pos & ${SEQ_MASK} AS seq, body, source FROM events WHERE pos = ?`),
      subjectHead: db.prepare('SELECT seq FROM subjects WHERE list_id = ? AND subject = ?').pluck(),
      upsertSubject: db.prepare(
        'INSERT INTO subjects (list_id, subject, seq) VALUES (?, ?, ?) ON CONFLICT (list_id, subject) DO UPDATE SET seq = max(seq, excluded.seq)',
      ),
    };
    // Made once: building the transaction wrapper per commit showed up in profiles of single publishes.
    this.group = db.transaction(this.appendGroupInTransaction.bind(this));
  }

  /** Load the lists, read events beyond each index watermark back into the overlay, and persist it. */
  open(): void {
    const rows = this.db.prepare('SELECT id, name, head, last_time AS lastTime, indexed_seq AS indexed FROM lists').all() as (WriterList & {
      name: string;
      indexed: number;
    })[];
    for (const row of rows) {
      this.lists.set(row.name, { id: row.id, head: row.head, lastTime: row.lastTime });
      if (row.indexed < row.head) this.recoverIndexes(row.id, row.indexed);
    }
    if (this.overlay.active.size > 0) this.flushNow();
    // Persist the overlay when ingest pauses, so a restart has little to replay.
    this.idleTimer = setInterval(() => {
      if (!this.flushing && this.overlay.active.size > 0 && Date.now() - this.lastAppend > 1000) this.startFlush();
    }, 1000);
    this.idleTimer.unref();
  }

  /** Finish a running flush and write out the rest of the overlay (the caller closes the connection). */
  async close(): Promise<void> {
    if (this.idleTimer) clearInterval(this.idleTimer);
    await this.flushing;
    if (this.overlay.active.size > 0) this.flushNow();
  }

  appendGroup(requests: AppendRequest[]): GroupCommit {
    const { outcomes, rows } = this.group.immediate(requests, keysOf(requests), Date.now());
    // Committed: heads and the index overlay move only now.
    const heads: ListHead[] = [];
    for (const h of rows.heads.values()) {
      const list = this.lists.get(h.name)!;
      list.head = h.head;
      list.lastTime = h.lastTime;
      heads.push({ name: h.name, head: h.head, lastTime: h.lastTime });
    }
    const layer = this.overlay.active;
    for (let i = 0; i < rows.seq.length; i++) {
      layer.addKey(rows.listId[i], rows.key[i], rows.seq[i]);
      const subject = rows.subject[i];
      if (subject !== null) layer.setSubject(rows.listId[i], subject, rows.seq[i]);
    }
    this.lastAppend = Date.now();
    if (layer.size >= FLUSH_AT) this.startFlush();
    return { outcomes, heads };
  }

  /**
   * The group transaction: decide every request (append-plan.ts), then write
   * the planned rows. Nothing is written before the whole group is decided, so
   * a failing request needs no savepoint.
   */
  private appendGroupInTransaction(requests: AppendRequest[], keys: bigint[][], now: number): GroupPlan {
    const plan = planGroup(requests, keys, this.planSource, now);
    const { rows } = plan;
    this.insertRows(rows);
    for (const [id, h] of rows.heads) this.stmts.setHead.run(h.head, h.lastTime, id);
    return plan;
  }

  /** The planned rows: INSERT_ROWS at a time, the rest one by one. */
  private insertRows(rows: GroupRows): void {
    const n = rows.seq.length;
    const values: unknown[] = new Array(INSERT_ROWS * 7);
    let i = 0;
    for (; i + INSERT_ROWS <= n; i += INSERT_ROWS) {
      for (let row = i, at = 0; row < i + INSERT_ROWS; row++, at += 7) {
        values[at] = pos(rows.listId[row], rows.seq[row]);
        values[at + 1] = rows.time[row];
        values[at + 2] = rows.prevSeq[row];
        values[at + 3] = rows.type[row];
        values[at + 4] = rows.source[row];
        values[at + 5] = rows.subject[row];
        values[at + 6] = rows.body[row];
      }
      this.stmts.insertEvents.run(values);
    }
    for (; i < n; i++) {
      this.stmts.insertEvent.run(pos(rows.listId[i], rows.seq[i]), rows.time[i], rows.prevSeq[i], rows.type[i], rows.source[i], rows.subject[i], rows.body[i]);
    }
  }

  /** What the planner asks about the state before a group: the overlay first, then the index tables. */
  private readonly planSource: PlanSource = {
    list: (name) => this.list(name),
    stored: (listId, key) => {
      // Almost every key is new: a miss in memory and one probe of the table, with nothing allocated.
      let seqs = this.overlay.keySeqs(listId, key);
      if (this.stmts.findKey.get(listId, key) !== undefined) {
        seqs ??= [];
        for (const seq of this.stmts.findKey.all(listId, key) as number[]) if (!seqs.includes(seq)) seqs.push(seq);
      }
      if (seqs === undefined) return undefined;
      const found: StoredMatch[] = [];
      for (const seq of seqs) {
        const row = this.stmts.eventBySeq.get(pos(listId, seq)) as StoredMatch | undefined;
        if (row) found.push({ seq: row.seq, source: row.source, body: row.body });
      }
      return found;
    },
    subjectHead: (listId, subject) => this.subjectHead(listId, subject),
  };

  /** A list by name: known, or created since by the store's other connection. */
  private list(name: string): WriterList | undefined {
    let list = this.lists.get(name);
    if (!list) {
      list = this.stmts.listByName.get(name) as WriterList | undefined;
      if (list) this.lists.set(name, list);
    }
    return list;
  }

  /** The last seq of a subject in a list (committed), or undefined. */
  subjectHead(listId: number, subject: string): number | undefined {
    return this.overlay.subject(listId, subject) ?? (this.stmts.subjectHead.get(listId, subject) as number | undefined);
  }

  /** Events with the seqs they had (export/import keeps numbers); the indexes learn them through the overlay. */
  importEvents(name: string, stored: StoredEvent[]): ListHead {
    const state = this.list(name);
    if (!state) throw new Error(`import: no list '${name}'`);
    const events = prepareImport(name, state.head, stored, MAX_SEQ);
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
    return { name, head: state.head, lastTime: state.lastTime };
  }

  /** Delete a list's events up to `seq` (retention); the number deleted. */
  trimThrough(listId: number, seq: number): number {
    // Keys of deleted events go too (a republish after retention is a new event);
    // those still in the overlay are dropped when the overlay is flushed and re-read.
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM idempotency WHERE list_id = ? AND seq <= ?').run(listId, seq);
      return this.db.prepare('DELETE FROM events WHERE pos > ? AND pos <= ?').run(pos(listId, 0), pos(listId, Math.min(seq, MAX_SEQ))).changes;
    })();
  }

  /** Delete a list with its events and everything that hangs off it; false if it does not exist. */
  async deleteList(name: string): Promise<boolean> {
    const state = this.list(name);
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

  /** Synchronous flush of everything (start-up, close, list deletion). */
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
}
