import type { ServedEvent } from '../types.js';
import { optionalPeer, tableName } from './sql.js';
import { type TransactionalCursorStore, describeError } from './types.js';

/** The part of a better-sqlite3 Database this store uses (and hands to handlers as `tx`). */
export interface SqliteDatabase {
  prepare(sql: string): { run(...params: unknown[]): unknown; get(...params: unknown[]): unknown };
  exec(sql: string): unknown;
  close(): unknown;
}

export interface SqliteCursorStoreOptions {
  /** A database file (opened with better-sqlite3, WAL, synchronous=FULL) ... */
  path?: string;
  /** ... or your own better-sqlite3 Database, so handlers write in the same transaction. */
  database?: SqliteDatabase;
  /** Default `herold_cursors`; parked events go to `<table>_parked`. */
  table?: string;
}

/**
 * Positions in a SQLite table (better-sqlite3, an optional peer dependency).
 * Transactional: `run` gives the handler the database as `ctx.tx` inside
 * BEGIN IMMEDIATE ... COMMIT, and the position is written in the same
 * transaction. One run at a time per database connection.
 */
export class SqliteCursorStore implements TransactionalCursorStore<SqliteDatabase> {
  private db: SqliteDatabase | undefined;
  private opening: Promise<SqliteDatabase> | undefined;
  private readonly table: string;

  constructor(readonly options: SqliteCursorStoreOptions) {
    if (!options?.path && !options?.database) throw new TypeError('SqliteCursorStore needs { path } or { database }');
    this.table = tableName(options.table ?? 'herold_cursors', 'SqliteCursorStore');
  }

  private ready(): Promise<SqliteDatabase> {
    this.opening ??= (async () => {
      let db = this.options.database;
      if (!db) {
        const { default: Database } = await optionalPeer<{ default: new (path: string) => SqliteDatabase & { pragma(s: string): unknown } }>('better-sqlite3', 'SqliteCursorStore');
        const opened = new Database(this.options.path!);
        opened.pragma('journal_mode = WAL');
        opened.pragma('synchronous = FULL');
        db = opened;
      }
      db.exec(`CREATE TABLE IF NOT EXISTS ${this.table} (name TEXT PRIMARY KEY, seq TEXT NOT NULL, updated_at TEXT NOT NULL)`);
      db.exec(`CREATE TABLE IF NOT EXISTS ${this.table}_parked (name TEXT NOT NULL, seq TEXT NOT NULL, event TEXT NOT NULL, error TEXT NOT NULL, parked_at TEXT NOT NULL)`);
      this.db = db;
      return db;
    })();
    return this.opening;
  }

  private write(db: SqliteDatabase, name: string, seq: string): void {
    db.prepare(`INSERT INTO ${this.table} (name, seq, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at`).run(
      name,
      seq,
      new Date().toISOString(),
    );
  }

  async load(name: string): Promise<string | undefined> {
    const row = (await this.ready()).prepare(`SELECT seq FROM ${this.table} WHERE name = ?`).get(name) as { seq: string } | undefined;
    return row?.seq;
  }

  async save(name: string, seq: string): Promise<void> {
    this.write(await this.ready(), name, seq);
  }

  async transaction<T>(name: string, seq: string, work: (tx: SqliteDatabase) => Promise<T>): Promise<T> {
    const db = await this.ready();
    db.exec('BEGIN IMMEDIATE');
    try {
      const result = await work(db);
      this.write(db, name, seq);
      db.exec('COMMIT');
      return result;
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }

  async park(name: string, event: ServedEvent, error: unknown): Promise<void> {
    (await this.ready())
      .prepare(`INSERT INTO ${this.table}_parked (name, seq, event, error, parked_at) VALUES (?, ?, ?, ?, ?)`)
      .run(name, event.heroldseq, JSON.stringify(event), describeError(error), new Date().toISOString());
  }

  /** Closes the database if this store opened it. */
  async close(): Promise<void> {
    if (this.db && !this.options.database) this.db.close();
    this.db = undefined;
    this.opening = undefined;
  }
}
