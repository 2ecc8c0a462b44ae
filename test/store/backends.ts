import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres/pg-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { EventStore } from '../../src/store/types.js';
import { freshSchema, urlForSchema } from '../helpers/pg.js';

/**
 * The backends a store test runs against: SQLite always; PostgreSQL when it
 * answers (HEROLD_TEST_DATABASE_URL, else the local server), each store in
 * a fresh schema that is dropped afterwards. Under CI=true PostgreSQL is
 * required: `missing` then names it, and the suite fails instead of skipping.
 */
export const PG_BASE_URL = process.env.HEROLD_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** A new, opened, empty store; `drop` removes what it left behind after close. */
  open(): Promise<{ store: EventStore; drop(): Promise<void> }>;
}

async function pgAnswers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

const sqlite: Backend = {
  name: 'sqlite',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'herold-store-'));
    const store = new SqliteStore({ file: join(dir, 'herold.db'), synchronous: 'normal' });
    await store.open();
    return { store, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  },
};

const postgres: Backend = {
  name: 'postgres',
  async open() {
    const schema = freshSchema('herold_t');
    const store = new PostgresStore({ url: urlForSchema(PG_BASE_URL, schema) });
    await store.open();
    return {
      store,
      drop: async () => {
        const c = new pg.Client({ connectionString: PG_BASE_URL });
        await c.connect();
        try {
          await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        } finally {
          await c.end();
        }
      },
    };
  },
};

const pgUp = await pgAnswers(PG_BASE_URL);
if (!pgUp) {
  const how = process.env.CI === 'true' ? 'FAILS (CI=true requires it)' : 'is SKIPPED (set CI=true to require it)';
  process.stderr.write(`\n*** store contract: PostgreSQL does not answer at ${PG_BASE_URL}; the PostgreSQL half ${how} ***\n\n`);
}

export const backends: Backend[] = pgUp ? [sqlite, postgres] : [sqlite];
/** A backend that must run but cannot (PostgreSQL down under CI=true). */
export const missing: string[] = !pgUp && process.env.CI === 'true' ? [`postgres at ${PG_BASE_URL}`] : [];
