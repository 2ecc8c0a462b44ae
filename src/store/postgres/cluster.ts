import { EventEmitter } from 'node:events';
import pg from 'pg';
import { pgTypes } from './connection.js';

/** A change another node must apply: access held in memory, or a subscription it may be driving. */
export interface ClusterChange {
  /** Position in the change log (gap-free: taken under the counter row's lock). */
  n: number;
  /** The node that made it. */
  node: string;
  /** 'access' | 'subscription' | 'lost' (changes were pruned before this node read them: resync everything). */
  kind: string;
  payload: Record<string, unknown>;
  own: boolean;
}

export interface ClusterLog {
  warn(obj: object, msg: string): void;
  info?(obj: object, msg: string): void;
}

/** How often the fallback polls while the listening connection is down, and as a safety net while it is up. */
const POLL_DOWN_MS = 250;
const POLL_UP_MS = 5000;
const PRUNE_MS = 60_000;

/**
 * What other nodes did, as fast as the database can tell: one LISTEN
 * connection on a channel per schema. Each commit batch sends at most one
 * NOTIFY with the new heads of the lists it touched; access and subscription
 * changes go into a gap-free change log and NOTIFY its number.
 *
 * When the listening connection drops, the heads and the change log are
 * polled every 250 ms until it is re-established, and once more right after,
 * so nothing is missed in between: the heads are the lists table itself, and
 * the change log is read by number.
 */
export class ClusterLink extends EventEmitter<{ heads: [[string, number][]]; change: [ClusterChange]; connected: [boolean] }> {
  private listener: pg.Client | null = null;
  private connected = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private backoffMs = 100;
  private lastPoll = 0;
  private lastPrune = 0;
  private lastChange = 0;
  private reading: Promise<void> | null = null;
  private readAgain = false;
  private polling: Promise<void> | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly connectionString: string,
    readonly channel: string,
    readonly nodeId: string,
    private readonly log: ClusterLog,
  ) {
    super();
  }

  isConnected(): boolean {
    return this.connected;
  }

  async start(): Promise<void> {
    this.lastChange = Number((await this.pool.query('SELECT n FROM cluster_counter WHERE id = 1')).rows[0].n);
    await this.connect().catch((error) => {
      this.log.warn({ err: error }, 'cluster: could not listen for other nodes; polling until it can');
      this.scheduleReconnect();
    });
    this.timer = setInterval(() => this.tick(), POLL_DOWN_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const l = this.listener;
    this.listener = null;
    this.connected = false;
    await this.polling?.catch(() => undefined);
    await this.reading?.catch(() => undefined);
    if (l) await l.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString, types: pgTypes, keepAlive: true, connectionTimeoutMillis: 5000 });
    const lost = (error?: Error) => {
      if (this.listener !== client) return;
      this.listener = null;
      if (this.connected) this.log.warn({ err: error }, 'cluster: the listening connection dropped; polling until it is back');
      this.connected = false;
      this.emit('connected', false);
      client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (msg) => this.onNotification(msg.payload ?? ''));
    await client.connect();
    if (this.stopped) {
      await client.end();
      return;
    }
    await client.query(`LISTEN ${this.channel}`);
    this.listener = client;
    this.connected = true;
    this.backoffMs = 100;
    this.emit('connected', true);
    // Whatever happened while nobody listened.
    await this.poll().catch(() => undefined);
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(5000, this.backoffMs * 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.stopped || this.listener) return;
      this.connect().catch(() => this.scheduleReconnect());
    }, delay);
    this.reconnectTimer.unref();
  }

  private tick(): void {
    if (this.stopped || this.polling) return;
    const now = Date.now();
    if (now - this.lastPoll < (this.connected ? POLL_UP_MS : POLL_DOWN_MS)) return;
    this.polling = (async () => {
      try {
        // While connected this is a safety net, and it checks the listening connection itself.
        if (this.connected && this.listener) await this.listener.query('SELECT 1');
        await this.poll();
        if (now - this.lastPrune > PRUNE_MS) {
          this.lastPrune = now;
          await this.pool.query(`DELETE FROM cluster_changes WHERE at < now() - interval '1 hour'`);
        }
      } catch {
        // the database is away; the next tick tries again
      }
    })().finally(() => (this.polling = null));
  }

  private async poll(): Promise<void> {
    this.lastPoll = Date.now();
    const { rows } = await this.pool.query<{ name: string; head: number }>('SELECT name, head FROM lists WHERE head > 0');
    if (rows.length > 0) this.emit('heads', rows.map((r) => [r.name, r.head]));
    await this.readChanges();
  }

  private onNotification(payload: string): void {
    if (payload.startsWith('h')) {
      // h<node>\n<json [[list, head], ...]>
      const nl = payload.indexOf('\n');
      if (payload.slice(1, nl) === this.nodeId) return;
      try {
        this.emit('heads', JSON.parse(payload.slice(nl + 1)) as [string, number][]);
      } catch (error) {
        this.log.warn({ err: error }, 'cluster: unreadable heads notification');
      }
    } else if (payload.startsWith('c')) {
      void this.readChanges().catch(() => undefined);
    }
  }

  /** Read the change log after the last number seen; one reader at a time, again if asked meanwhile. */
  readChanges(): Promise<void> {
    if (this.reading) {
      this.readAgain = true;
      return this.reading;
    }
    this.reading = (async () => {
      try {
        do {
          this.readAgain = false;
          const { rows } = await this.pool.query<{ n: number; node: string; kind: string; payload: string }>(
            'SELECT n, node, kind, payload FROM cluster_changes WHERE n > $1 ORDER BY n LIMIT 1000',
            [this.lastChange],
          );
          if (rows.length > 0 && rows[0].n > this.lastChange + 1) {
            // Pruned before this node read them (it was away for long): resync everything.
            this.emit('change', { n: rows[0].n - 1, node: '', kind: 'lost', payload: {}, own: false });
          }
          for (const row of rows) {
            this.lastChange = row.n;
            let payload: Record<string, unknown> = {};
            try {
              payload = JSON.parse(row.payload) as Record<string, unknown>;
            } catch {
              // keep {}
            }
            this.emit('change', { n: row.n, node: row.node, kind: row.kind, payload, own: row.node === this.nodeId });
          }
          if (rows.length === 1000) this.readAgain = true;
        } while (this.readAgain && !this.stopped);
      } finally {
        this.reading = null;
      }
    })();
    return this.reading;
  }
}

/** Record a change in the log inside the caller's transaction, and wake the other nodes when it commits. */
export async function recordChange(client: pg.ClientBase, channel: string, node: string, kind: string, payload: unknown): Promise<void> {
  await client.query({
    name: 'herold_record_change',
    text: `WITH c AS (UPDATE cluster_counter SET n = n + 1 WHERE id = 1 RETURNING n),
                i AS (INSERT INTO cluster_changes (n, node, kind, payload) SELECT n, $1, $2, $3 FROM c RETURNING n)
           SELECT pg_notify($4, 'c' || n) FROM i`,
    values: [node, kind, JSON.stringify(payload ?? {}), channel],
  });
}

/** NOTIFY payloads must stay under 8000 bytes: heads go in as few notifications as fit. */
export function headsPayloads(node: string, heads: [string, number][]): string[] {
  const out: string[] = [];
  let chunk: [string, number][] = [];
  let size = 0;
  for (const h of heads) {
    const len = h[0].length + 24;
    if (chunk.length > 0 && size + len > 7000) {
      out.push(`h${node}\n${JSON.stringify(chunk)}`);
      chunk = [];
      size = 0;
    }
    chunk.push(h);
    size += len;
  }
  if (chunk.length > 0) out.push(`h${node}\n${JSON.stringify(chunk)}`);
  return out;
}
