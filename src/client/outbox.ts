import { type BackoffOptions, backoffDelay, sleep } from './backoff.js';
import { HeroldClient, withDefaults } from './client.js';
import { HeroldError, isTransient } from './errors.js';
import type { ConnectionOptions } from './http.js';
import type { PgClient, PgPool } from './stores/postgres.js';
import { optionalPeer, tableName } from './stores/sql.js';
import type { OutgoingEvent } from './types.js';

export interface PostgresOutboxOptions {
  pool?: PgPool;
  connectionString?: string;
  /** Default `herold_outbox` (may be schema-qualified). */
  table?: string;
}

export interface RelayOptions extends ConnectionOptions {
  /** Events per request (default 500). */
  batchSize?: number;
  /** Look for new rows this often when nothing woke the relay, ms (default 1000). */
  pollMs?: number;
  backoff?: BackoffOptions;
  signal?: AbortSignal;
  /** Rows the hub refused (4xx): marked with the error and passed over, so the rest go on. */
  onRefused?: (row: { pos: string; list: string; event: Record<string, unknown>; error: unknown }) => void;
}

interface Row {
  pos: string;
  list: string;
  event: Record<string, unknown>;
}

/**
 * The transactional outbox for a provider on PostgreSQL: `add(tx, list,
 * event)` writes the event in the provider's own transaction (so the change
 * and its notification commit together), and a relay publishes the rows in
 * order and marks them sent. A relay that dies between publishing and marking
 * publishes the rows again with the same ids, which the hub answers as
 * duplicates: nothing is lost, nothing is stored twice. One relay runs at a
 * time (a PostgreSQL advisory lock), so the order holds with several processes.
 */
export class PostgresOutbox {
  private pool: PgPool | undefined;
  private readonly table: string;

  constructor(readonly options: PostgresOutboxOptions) {
    if (!options?.pool && !options?.connectionString) throw new TypeError('PostgresOutbox needs { pool } or { connectionString }');
    this.table = tableName(options.table ?? 'herold_outbox', 'PostgresOutbox');
  }

  private get channel(): string {
    return this.table.toLowerCase().replace('.', '_');
  }

  private async db(): Promise<PgPool> {
    if (this.pool) return this.pool;
    if (this.options.pool) return (this.pool = this.options.pool);
    const pg = await optionalPeer<{ default: { Pool: new (o: { connectionString: string; max?: number }) => PgPool } }>('pg', 'PostgresOutbox');
    return (this.pool = new pg.default.Pool({ connectionString: this.options.connectionString!, max: 4 }));
  }

  /** Create the outbox table if it is not there. */
  async install(): Promise<void> {
    const db = await this.db();
    await db.query(
      `CREATE TABLE IF NOT EXISTS ${this.table} (pos bigserial PRIMARY KEY, list text NOT NULL, event jsonb NOT NULL, ` +
        'created_at timestamptz NOT NULL DEFAULT now(), sent_at timestamptz, seq bigint, error text)',
    );
    await db.query(`CREATE INDEX IF NOT EXISTS ${this.channel}_unsent ON ${this.table} (pos) WHERE sent_at IS NULL AND error IS NULL`);
  }

  /** Write `event` for `list` with `tx`, the client of your open transaction. Returns the event's id (fixed now, kept on every retry). */
  async add(tx: PgClient, list: string, event: OutgoingEvent): Promise<{ id: string }> {
    const full = withDefaults(event);
    await tx.query(`INSERT INTO ${this.table} (list, event) VALUES ($1, $2)`, [list, JSON.stringify(full)]);
    // Delivered at COMMIT (and not at all on ROLLBACK): wakes the relay at once.
    await tx.query(`SELECT pg_notify($1, '')`, [this.channel]);
    return { id: String(full.id) };
  }

  /** Rows not sent yet. */
  async pending(): Promise<number> {
    const { rows } = await (await this.db()).query(`SELECT count(*)::int AS n FROM ${this.table} WHERE sent_at IS NULL AND error IS NULL`);
    return rows[0]!.n as number;
  }

  /**
   * Publish rows in order until `signal` aborts. Waits for the relay lock
   * first, so a second relay stands by until the first stops.
   */
  async relay(options: RelayOptions): Promise<void> {
    const client = new HeroldClient(options);
    const db = await this.db();
    const conn = await db.connect();
    let wake: (() => void) | undefined;
    const listener = (msg: { channel: string }) => msg.channel === this.channel && wake?.();
    const events = conn as unknown as { on?(e: string, f: (m: { channel: string }) => void): void; off?(e: string, f: (m: { channel: string }) => void): void };
    try {
      const pollMs = options.pollMs ?? 1000;
      while (!(await conn.query('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [this.table])).rows[0]!.locked) {
        if (!(await sleep(pollMs, options.signal))) return;
      }
      events.on?.('notification', listener);
      await conn.query(`LISTEN ${this.channel}`);
      while (!options.signal?.aborted) {
        const sent = await this.relayOnce(client, conn, options);
        if (sent > 0) continue;
        await new Promise<void>((resolve) => {
          wake = resolve;
          void sleep(pollMs, options.signal).then(() => resolve());
        });
        wake = undefined;
      }
    } finally {
      events.off?.('notification', listener);
      await conn.query(`UNLISTEN ${this.channel}`).catch(() => undefined);
      await conn.query('SELECT pg_advisory_unlock(hashtext($1))', [this.table]).catch(() => undefined);
      conn.release();
    }
  }

  /** One pass: publish up to `batchSize` unsent rows, in order. Returns how many were handled. */
  private async relayOnce(client: HeroldClient, conn: PgClient, options: RelayOptions): Promise<number> {
    const { rows } = await conn.query(
      `SELECT pos::text AS pos, list, event FROM ${this.table} WHERE sent_at IS NULL AND error IS NULL ORDER BY pos LIMIT $1`,
      [options.batchSize ?? 500],
    );
    const all = rows as unknown as Row[];
    // Consecutive rows of the same list go out as one batch.
    for (let i = 0; i < all.length; ) {
      let j = i + 1;
      while (j < all.length && all[j]!.list === all[i]!.list) j++;
      const group = all.slice(i, j);
      if (!(await this.publishGroup(client, conn, group, options))) return i;
      i = j;
    }
    return all.length;
  }

  /** Publish one list's rows (retrying what is transient); false when stopped. */
  private async publishGroup(client: HeroldClient, conn: PgClient, group: Row[], options: RelayOptions): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        const { results } = await client.publishBatch(
          group[0]!.list,
          group.map((r) => r.event),
          { signal: options.signal },
        );
        await conn.query(
          `UPDATE ${this.table} o SET sent_at = now(), seq = v.seq FROM unnest($1::bigint[], $2::bigint[]) AS v(pos, seq) WHERE o.pos = v.pos`,
          [group.map((r) => r.pos), results.map((r) => r.seq)],
        );
        return true;
      } catch (error) {
        if (options.signal?.aborted) return false;
        if (isTransient(error)) {
          const wait = error instanceof HeroldError && error.retryAfter ? error.retryAfter * 1000 : backoffDelay(attempt, options.backoff);
          if (!(await sleep(wait, options.signal))) return false;
          continue;
        }
        if (group.length > 1) {
          for (const row of group) if (!(await this.publishGroup(client, conn, [row], options))) return false;
          return true;
        }
        const row = group[0]!;
        await conn.query(`UPDATE ${this.table} SET error = $2 WHERE pos = $1`, [row.pos, (error as Error).message ?? String(error)]);
        options.onRefused?.({ ...row, error });
        return true;
      }
    }
  }

  /** Ends the pool if the outbox made it. */
  async close(): Promise<void> {
    if (this.pool && !this.options.pool) await this.pool.end();
    this.pool = undefined;
  }
}
