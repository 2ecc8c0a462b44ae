import pg from 'pg';
import { freshSchema, urlForSchema } from '../helpers/pg.js';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A PostgreSQL for the client's stores: HEROLD_TEST_DATABASE_URL, or the local
 * default. When none answers the suite is skipped loudly, and with CI=true it
 * fails instead (CI must run it).
 */
export async function clientPgUrl(): Promise<string | undefined> {
  const url = process.env.HEROLD_TEST_DATABASE_URL || DEFAULT_URL;
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    return url;
  } catch (error) {
    if (process.env.CI === 'true') throw new Error(`PostgreSQL at ${url} does not answer (${(error as Error).message}); CI runs the PostgreSQL store tests`);
    console.warn(`\n*** SKIPPED PostgreSQL client tests: ${url} does not answer (${(error as Error).message}).\n`);
    return undefined;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** A fresh schema on `base`, and the URL that uses it. */
export async function pgSchema(base: string): Promise<{ url: string; schema: string; drop(): Promise<void> }> {
  const schema = freshSchema('herold_client');
  const c = new pg.Client({ connectionString: base });
  await c.connect();
  await c.query(`CREATE SCHEMA "${schema}"`);
  await c.end();
  return {
    url: urlForSchema(base, schema),
    schema,
    async drop() {
      const d = new pg.Client({ connectionString: base });
      await d.connect();
      await d.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await d.end();
    },
  };
}
