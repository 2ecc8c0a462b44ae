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
        last_time INTEGER NOT NULL DEFAULT 0,
        -- The idempotency and subjects tables hold every event up to this seq;
        -- later ones are rebuilt from the events table at start (see index-overlay.ts).
        indexed_seq INTEGER NOT NULL DEFAULT 0
      );
      -- The rowid is the position in the log: list_id * 2^40 + seq. Appends then
      -- land at the end of one B-tree and need no secondary index; a list holds
      -- up to 2^40 (about 1.1 trillion) events. Commit time never decreases with
      -- seq, so time windows are found by binary search, with no index either.
      CREATE TABLE events (
        pos INTEGER PRIMARY KEY,
        time INTEGER NOT NULL,
        prev_seq INTEGER,
        type TEXT NOT NULL,
        source TEXT NOT NULL,
        subject TEXT,
        body TEXT NOT NULL
      );
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
  {
    version: 2,
    sql: `
      CREATE TABLE subscriptions (
        id TEXT PRIMARY KEY,
        list TEXT NOT NULL,
        owner TEXT NOT NULL,
        spec TEXT NOT NULL,
        secrets TEXT NOT NULL,
        status TEXT NOT NULL,
        disabled_reason TEXT,
        position INTEGER NOT NULL,
        failing_since INTEGER,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX subscriptions_by_list ON subscriptions(list);
      -- Only failed deliveries get rows (DESIGN.md "One log, many doors").
      CREATE TABLE retries (
        subscription_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        subject TEXT,
        state TEXT NOT NULL,
        failures INTEGER NOT NULL,
        first_failure_at INTEGER,
        next_at INTEGER,
        last_status INTEGER,
        last_error TEXT,
        PRIMARY KEY (subscription_id, seq)
      ) WITHOUT ROWID;
      CREATE TABLE dead_letters (
        subscription_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        reason TEXT NOT NULL,
        failures INTEGER NOT NULL,
        last_status INTEGER,
        last_response TEXT,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (subscription_id, seq)
      ) WITHOUT ROWID;
      CREATE TABLE attempts (
        id INTEGER PRIMARY KEY,
        subscription_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        webhook_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        status INTEGER,
        latency_ms REAL NOT NULL,
        response TEXT,
        error TEXT
      );
      CREATE INDEX attempts_by_subscription ON attempts(subscription_id, id);
    `,
  },
  {
    version: 3,
    sql: `
      ALTER TABLE lists ADD COLUMN owner TEXT;
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        principal TEXT NOT NULL,
        admin INTEGER NOT NULL,
        prefix TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        expires_at INTEGER,
        revoked_at INTEGER,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE publishers (
        list TEXT NOT NULL,
        principal TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        PRIMARY KEY (list, principal, source)
      ) WITHOUT ROWID;
      CREATE TABLE grants (
        id TEXT PRIMARY KEY,
        list TEXT NOT NULL,
        principal TEXT NOT NULL,
        filter TEXT,
        fields TEXT,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE access_requests (
        id TEXT PRIMARY KEY,
        list TEXT NOT NULL,
        principal TEXT NOT NULL,
        purpose TEXT NOT NULL,
        filter TEXT,
        status TEXT NOT NULL,
        decided_by TEXT,
        reason TEXT,
        grant_id TEXT,
        created_at INTEGER NOT NULL,
        decided_at INTEGER
      );
      CREATE INDEX access_requests_by_list ON access_requests(list, created_at);
      -- Who received which events: one row per delivered range (a page, a stream write, a webhook).
      CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        principal TEXT NOT NULL,
        list TEXT NOT NULL,
        channel TEXT NOT NULL,
        first_seq INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        count INTEGER NOT NULL,
        scope TEXT
      );
      CREATE INDEX audit_by_list ON audit(list, last_seq);
      CREATE INDEX audit_by_principal ON audit(principal, at);
      CREATE INDEX audit_by_time ON audit(at);
    `,
  },
  {
    version: 4,
    sql: `
      -- The credential a subscription delivers under: admin is a property of a
      -- credential, never of a principal's name. Subscriptions made before this
      -- by the bootstrap admin (owner 'admin') keep delivering as it.
      ALTER TABLE subscriptions ADD COLUMN run_as TEXT;
      UPDATE subscriptions SET run_as = '{"credential":{"kind":"admin-key"}}' WHERE owner = 'admin';
    `,
  },
  {
    version: 5,
    sql: `
      -- The event type catalogue (src/hub/catalogue/): per list, how published
      -- events are checked and whether strangers may find the list; declared
      -- types and extension attributes (spec is the declaration as JSON); and
      -- how many events of each type were committed, added in batches.
      CREATE TABLE catalogue_lists (
        list TEXT PRIMARY KEY,
        validate TEXT NOT NULL,
        discoverable INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE catalogue_declarations (
        kind TEXT NOT NULL,
        list TEXT NOT NULL,
        name TEXT NOT NULL,
        spec TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (kind, list, name)
      ) WITHOUT ROWID;
      CREATE TABLE catalogue_seen (
        list TEXT NOT NULL,
        type TEXT NOT NULL,
        count INTEGER NOT NULL,
        invalid INTEGER NOT NULL,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        PRIMARY KEY (list, type)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 6,
    sql: `
      -- Lifecycle (issue 12): grants end by themselves at expires_at (null:
      -- never); access requests carry a legal basis, the attributes wished and
      -- a wished end date, as their own fields.
      ALTER TABLE grants ADD COLUMN expires_at INTEGER;
      ALTER TABLE access_requests ADD COLUMN legal_basis TEXT;
      ALTER TABLE access_requests ADD COLUMN fields TEXT;
      ALTER TABLE access_requests ADD COLUMN until INTEGER;
      -- A deleted list leaves its name and head: re-created, it continues after
      -- that head, so a seq a consumer kept never names a different event.
      CREATE TABLE deleted_lists (
        name TEXT PRIMARY KEY,
        head INTEGER NOT NULL,
        deleted_at INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 7,
    sql: `
      -- The request headers of a delivery attempt (JSON, the bearer token
      -- redacted), and every "who received events about X" search, itself
      -- personal data processing, kept as long as the audit log.
      ALTER TABLE attempts ADD COLUMN request_headers TEXT;
      CREATE TABLE audit_searches (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        principal TEXT NOT NULL,
        list TEXT NOT NULL,
        subject TEXT NOT NULL,
        since INTEGER,
        until INTEGER,
        results INTEGER NOT NULL
      );
      CREATE INDEX audit_searches_by_time ON audit_searches(at);
      -- Web console sessions, for every node (see access/console-sessions.ts):
      -- the hash of the session id and a reference to the credential.
      CREATE TABLE console_sessions (
        id_hash TEXT PRIMARY KEY,
        principal TEXT NOT NULL,
        via TEXT NOT NULL,
        credential TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        ends_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX console_sessions_by_end ON console_sessions(ends_at);
    `,
  },
];
