import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import pg from 'pg';

/**
 * Backend selection for the test suites: with HEROLD_TEST_DATABASE_URL set
 * (a postgres:// URL), every test hub runs on PostgreSQL in a fresh schema of
 * its own, so the suites stay independent; without it, on SQLite.
 */
export function testDatabaseUrl(): string | undefined {
  const url = process.env.HEROLD_TEST_DATABASE_URL;
  return url && /^postgres(ql)?:\/\//.test(url) ? url : undefined;
}

export const backend = testDatabaseUrl() ? 'postgres' : 'sqlite';

/** The URL with `search_path` set to `schema` (the store creates the schema on open). */
export function urlForSchema(base: string, schema: string, extra: Record<string, string> = {}): string {
  const u = new URL(base);
  u.searchParams.set('options', `-c search_path=${schema}`);
  for (const [k, v] of Object.entries(extra)) u.searchParams.set(k, v);
  return u.toString();
}

/** A new schema name for one test hub. */
export function freshSchema(prefix = 'herold_t'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** The same schema for the same data directory (child hubs restarted on one directory keep their data). */
export function schemaForDir(dataDir: string): string {
  return `herold_c_${createHash('sha1').update(dataDir).digest('hex').slice(0, 20)}`;
}

async function withClient<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: testDatabaseUrl() });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  if (!testDatabaseUrl()) return;
  await withClient((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)).catch(() => undefined);
}

/** Remember which directory a child hub's schema belongs to, so that leftovers can be dropped later. */
export async function tagSchema(schema: string, dataDir: string): Promise<void> {
  await withClient(async (c) => {
    await c.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await c.query(`COMMENT ON SCHEMA "${schema}" IS ${pg.escapeLiteral(dataDir)}`);
  }).catch(() => undefined);
}

let collected = false;
/**
 * Drop schemas of child hubs whose data directory is gone (the test removed
 * it) and test-hub and cluster schemas older than a day (left by a run that
 * was killed): nothing stays behind for long, and a run in parallel is never
 * disturbed.
 */
export async function collectSchemas(): Promise<void> {
  if (collected || !testDatabaseUrl()) return;
  collected = true;
  await withClient(async (c) => {
    const { rows } = await c.query<{ name: string; dir: string | null }>(
      `SELECT nspname AS name, obj_description(oid, 'pg_namespace') AS dir FROM pg_namespace WHERE nspname ~ '^herold_[ctk]_'`,
    );
    const dayAgo = Date.now() - 86_400_000;
    for (const { name, dir } of rows) {
      const stale = name.startsWith('herold_c_') ? dir !== null && !existsSync(dir) : parseInt(name.split('_')[2], 36) < dayAgo;
      if (stale) await c.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`).catch(() => undefined);
    }
  }).catch(() => undefined);
}
