/** Versioned schema. Append new steps; never edit an applied one. */
export const MIGRATIONS: { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE lists (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        title TEXT,
        description TEXT,
        retention_days INTEGER,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        head INTEGER NOT NULL DEFAULT 0,
        last_time INTEGER NOT NULL DEFAULT 0
      );
      -- Rowid table: bodies are large, so keep them out of the (list_id, seq) index,
      -- whose keys only ever grow at the end (time-ordered, cheap to append).
      CREATE TABLE events (
        list_id INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        time INTEGER NOT NULL,
        prev_seq INTEGER,
        type TEXT NOT NULL,
        source TEXT NOT NULL,
        subject TEXT,
        body TEXT NOT NULL
      );
      CREATE UNIQUE INDEX events_by_seq ON events(list_id, seq);
      CREATE INDEX events_by_time ON events(list_id, time);
      -- Idempotency: 64-bit hash of (source, id); several rows per hash are allowed
      -- so that a hash collision never blocks an event.
      CREATE TABLE idempotency (
        list_id INTEGER NOT NULL,
        key INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (list_id, key, seq)
      ) WITHOUT ROWID;
      -- Last event per subject: gives each new event its heroldprevseq.
      CREATE TABLE subjects (
        list_id INTEGER NOT NULL,
        subject TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (list_id, subject)
      ) WITHOUT ROWID;
      CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `,
  },
];
