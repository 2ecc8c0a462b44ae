import type { ServedEvent } from '../types.js';
import { optionalPeer, tableName } from './sql.js';
import { type TransactionalCursorStore, describeError } from './types.js';

/** The part of a pg client this store uses (and hands to handlers as `tx`). */
export interface PgClient {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount?: number | null }>;
}
/** The part of a pg Pool this store uses. */
export interface PgPool extends PgClient {
  connect(): Promise<PgClient & { release(error?: Error | boolean): void }>;
  end(): Promise<void>;
}

export interface PostgresCursorStoreOptions {
  /** Your pg Pool (handlers' writes then share your connections) ... */
  pool?: PgPool;
  /** ... or a connection string; the store makes its own pool (an optional peer dependency: pg). */
  connectionString?: string;
  /** Default `herold_cursors` (may be schema-qualified); parked events go to `<table>_parked`. */
  table?: string;
}

/**
 * Positions in a PostgreSQL table. Transactional: `run` hands the handler a
 * client inside BEGIN ... COMMIT as `ctx.tx`, and writes the position with
 * the same client before COMMIT, so your rows and the position commit
 * together or not at all; a crash in between leaves neither, and the event
 * comes again.
 */
export class PostgresCursorStore implements TransactionalCursorStore<PgClient> {
  private pool: PgPool | undefined;
  private opening: Promise<PgPool> | undefined;
  private readonly table: string;

  constructor(readonly options: PostgresCursorStoreOptions) {
    if (!options?.pool && !options?.connectionString) throw new TypeError('PostgresCursorStore needs { pool } or { connectionString }');
    this.table = tableName(options.table ?? 'herold_cursors', 'PostgresCursorStore');
  }

  private ready(): Promise<PgPool> {
    this.opening ??= (async () => {
      let pool = this.options.pool;
      if (!pool) {
        const pg = await optionalPeer<{ default: { Pool: new (o: { connectionString: string; max?: number }) => PgPool } }>('pg', 'PostgresCursorStore');
        pool = new pg.default.Pool({ connectionString: this.options.connectionString!, max: 4 });
      }
      await pool.query(`CREATE TABLE IF NOT EXISTS ${this.table} (name text PRIMARY KEY, seq bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`);
      await pool.query(
        `CREATE TABLE IF NOT EXISTS ${this.table}_parked (name text NOT NULL, seq bigint NOT NULL, event jsonb NOT NULL, error text NOT NULL, parked_at timestamptz NOT NULL DEFAULT now())`,
      );
      this.pool = pool;
      return pool;
    })();
    this.opening.catch(() => (this.opening = undefined));
    return this.opening;
  }

  private write(client: PgClient, name: string, seq: string) {
    return client.query(
      `INSERT INTO ${this.table} (name, seq) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, updated_at = now()`,
      [name, seq],
    );
  }

  async load(name: string): Promise<string | undefined> {
    const { rows } = await (await this.ready()).query(`SELECT seq::text AS seq FROM ${this.table} WHERE name = $1`, [name]);
    return rows[0]?.seq as string | undefined;
  }

  async save(name: string, seq: string): Promise<void> {
    await this.write(await this.ready(), name, seq);
  }

  async transaction<T>(name: string, seq: string, work: (tx: PgClient) => Promise<T>): Promise<T> {
    const client = await (await this.ready()).connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      try {
        const result = await work(client);
        await this.write(client, name, seq);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((e: Error) => (broken = e));
        throw error;
      }
    } finally {
      client.release(broken);
    }
  }

  async park(name: string, event: ServedEvent, error: unknown): Promise<void> {
    await (await this.ready()).query(`INSERT INTO ${this.table}_parked (name, seq, event, error) VALUES ($1, $2, $3, $4)`, [
      name,
      event.heroldseq,
      JSON.stringify(event),
      describeError(error),
    ]);
  }

  /** Ends the pool if this store made it. */
  async close(): Promise<void> {
    if (this.pool && !this.options.pool) await this.pool.end();
    this.pool = undefined;
    this.opening = undefined;
  }
}
