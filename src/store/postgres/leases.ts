import type pg from 'pg';
import type { ClusterLog } from './cluster.js';
import type { Db } from './db.js';

export interface LeaseHandlers {
  /** This node now holds the subscription: start driving it (from the stored state). */
  acquired(id: string): Promise<void>;
  /** This node no longer holds it (expired, taken, or handed back): stop driving it, save progress. */
  lost(id: string): Promise<void>;
}

/**
 * Who drives which subscription, in the database: a lease row per
 * subscription with the holder's node id and an expiry. Every node renews
 * its leases every third of the lease time and takes free or expired ones up
 * to its fair share (active subscriptions / live nodes, rounded up), and
 * hands back what is above its share, so a new node gets work and a dead
 * node's subscriptions move to the others once its leases expire (at most
 * lease time + one renewal interval; 15 s + 5 s by default).
 *
 * A node that cannot renew stops its workers before its leases can expire
 * (self-fencing), so two nodes drive one subscription only in the moment of
 * a takeover, and then at-least-once delivery covers the overlap.
 */
export class PgLeases {
  private readonly held = new Set<string>();
  private readonly releasing = new Set<string>();
  private handlers: LeaseHandlers | null = null;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopped = false;
  /** Local time the last successful renewal was sent. */
  private renewedAt = 0;
  private readonly intervalMs: number;

  constructor(
    private readonly db: Db,
    readonly nodeId: string,
    private readonly leaseSeconds: number,
    private readonly changed: (client: pg.ClientBase, id: string) => Promise<void>,
    private readonly log: ClusterLog,
  ) {
    this.intervalMs = Math.max(500, Math.floor((leaseSeconds * 1000) / 3));
  }

  async start(handlers: LeaseHandlers): Promise<void> {
    this.handlers = handlers;
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Stop renewing and hand every lease back (the workers have stopped and saved their progress). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    try {
      await this.db.query('DELETE FROM subscription_leases WHERE node = $1', [this.nodeId]);
      await this.db.query('DELETE FROM nodes WHERE id = $1', [this.nodeId]);
    } catch (error) {
      this.log.warn({ err: error }, 'leases: could not hand leases back; they expire on their own');
    }
    this.held.clear();
  }

  holds(id: string): boolean {
    return this.held.has(id) && !this.releasing.has(id);
  }

  /** Take the lease now unless another live node holds it. */
  async claim(id: string): Promise<boolean> {
    if (this.stopped) return false;
    if (this.holds(id)) return true;
    const { rows } = await this.db.query(
      `INSERT INTO subscription_leases (subscription_id, node, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))
       ON CONFLICT (subscription_id) DO UPDATE SET node = excluded.node, expires_at = excluded.expires_at
       WHERE subscription_leases.expires_at < now() OR subscription_leases.node = excluded.node
       RETURNING subscription_id`,
      [id, this.nodeId, this.leaseSeconds],
    );
    if (rows.length === 0) return false;
    this.held.add(id);
    return true;
  }

  /** Hand one lease back (its worker has stopped). */
  async release(id: string): Promise<void> {
    this.held.delete(id);
    this.releasing.delete(id);
    await this.db.query('DELETE FROM subscription_leases WHERE subscription_id = $1 AND node = $2', [id, this.nodeId]);
  }

  /** Ask whichever node drives the subscription to reload it from the store (new retry rows to deliver). */
  async poke(id: string): Promise<void> {
    await this.db.tx((c) => this.changed(c, id));
  }

  private tick(): Promise<void> {
    if (this.ticking || this.stopped) return this.ticking ?? Promise.resolve();
    this.ticking = this.work()
      .catch((error) => this.onFailure(error))
      .finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async work(): Promise<void> {
    const sentAt = Date.now();
    const ttl = this.leaseSeconds;
    await this.db.query(
      `WITH beat AS (INSERT INTO nodes (id, seen_at) VALUES ($1, now()) ON CONFLICT (id) DO UPDATE SET seen_at = now())
       DELETE FROM nodes WHERE seen_at < now() - make_interval(secs => $2 * 4)`,
      [this.nodeId, ttl],
    );
    // Renew what this node holds (only active subscriptions; leases of others are dropped).
    const renewed = await this.db.rows<{ subscription_id: string }>(
      `UPDATE subscription_leases l SET expires_at = now() + make_interval(secs => $2)
       FROM subscriptions s WHERE l.node = $1 AND s.id = l.subscription_id AND s.status = 'active'
       RETURNING l.subscription_id`,
      [this.nodeId, ttl],
    );
    this.renewedAt = sentAt;
    const mine = new Set(renewed.map((r) => r.subscription_id));
    await this.db.query(
      `DELETE FROM subscription_leases l WHERE l.node = $1 AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.id = l.subscription_id AND s.status = 'active')`,
      [this.nodeId],
    );
    for (const id of [...this.held]) {
      if (!mine.has(id)) {
        this.held.delete(id);
        this.releasing.delete(id);
        this.runHandler('lost', id);
      }
    }
    if (this.stopped) return;
    // Leases still in this node's name that it let go of (it could not renew for a while): drive them again.
    for (const id of mine) {
      if (this.held.has(id)) continue;
      this.held.add(id);
      this.runHandler('acquired', id);
    }
    // A node counts as alive while it has beaten within two renewal intervals: a dead node stops
    // counting before its leases expire, so the fair share is right when they can be taken.
    const [counts] = await this.db.rows<{ nodes: number; subs: number }>(
      `SELECT (SELECT count(*) FROM nodes WHERE seen_at > now() - make_interval(secs => $1))::int AS nodes,
              (SELECT count(*) FROM subscriptions WHERE status = 'active')::int AS subs`,
      [(2 * this.intervalMs) / 1000],
    );
    const fair = Math.ceil(counts.subs / Math.max(1, counts.nodes));
    const holding = this.held.size - this.releasing.size;
    if (holding < fair) {
      const taken = await this.db.rows<{ subscription_id: string }>(
        `INSERT INTO subscription_leases (subscription_id, node, expires_at)
         SELECT s.id, $1, now() + make_interval(secs => $2) FROM subscriptions s
         LEFT JOIN subscription_leases l ON l.subscription_id = s.id
         WHERE s.status = 'active' AND (l.subscription_id IS NULL OR l.expires_at < now())
         ORDER BY random() LIMIT $3
         ON CONFLICT (subscription_id) DO UPDATE SET node = excluded.node, expires_at = excluded.expires_at
         WHERE subscription_leases.expires_at < now()
         RETURNING subscription_id`,
        [this.nodeId, ttl, fair - holding],
      );
      for (const { subscription_id: id } of taken) {
        if (this.held.has(id)) continue;
        this.held.add(id);
        this.runHandler('acquired', id);
      }
    } else if (holding > fair) {
      // Above the fair share (a node joined): hand the surplus back once its workers have stopped.
      const surplus = [...this.held].filter((id) => !this.releasing.has(id)).slice(0, holding - fair);
      for (const id of surplus) {
        this.releasing.add(id);
        void this.handlers!.lost(id)
          .then(() => this.release(id))
          .catch((error) => this.log.warn({ err: error, subscription: id }, 'leases: could not hand a lease back'));
      }
    }
  }

  private runHandler(kind: 'acquired' | 'lost', id: string): void {
    const handlers = this.handlers;
    if (!handlers) return;
    handlers[kind](id).catch((error) => {
      this.log.warn({ err: error, subscription: id }, `leases: ${kind} handler failed`);
      if (kind === 'acquired') {
        // Let it go so that this node or another takes it again on a later tick.
        this.release(id).catch(() => this.held.delete(id));
      }
    });
  }

  /** The database is away: stop every worker before the leases can expire elsewhere. */
  private onFailure(error: unknown): void {
    const left = this.renewedAt + this.leaseSeconds * 1000 - Date.now();
    if (left > this.intervalMs) {
      this.log.warn({ err: error }, 'leases: renewal failed; trying again');
      return;
    }
    if (this.held.size > 0) this.log.warn({ err: error, held: this.held.size }, 'leases: cannot renew; stopping this node\'s subscription workers until the database is back');
    for (const id of [...this.held]) {
      this.held.delete(id);
      this.releasing.delete(id);
      this.runHandler('lost', id);
    }
  }
}
