import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import pg from 'pg';
import type {
  AccessRequestRecord,
  ApiKeyRecord,
  AppendOutcome,
  AppendRequest,
  AttemptRow,
  AuditQuery,
  AuditRow,
  AuditSearchQuery,
  AuditSearchRow,
  ConsoleSessionRow,
  UsageRow,
  DeadLetterRow,
  DeletedListRecord,
  EventStore,
  GrantRecord,
  ListInput,
  ListRecord,
  PublisherRecord,
  RangeQuery,
  RetryRow,
  StoredEvent,
  SubscriptionRecord,
  DeliveryWork,
  CatalogueSettingsRecord,
  DeclarationRecord,
  SeenTypeRecord,
} from '../types.js';
import { type AccessChangePayload, PgAccessTables } from './access-tables.js';
import { PgCatalogueTables } from './catalogue-tables.js';
import { type GroupPlan, type GroupRows, type PlanList, keysOf, planGroup, subjectsOf } from '../append-plan.js';
import { type KeyMatch, lookups, prefetchedSource } from './append.js';
import { ClusterLink, type ClusterLog, headsPayloads, recordChange } from './cluster.js';
import { type PgSettings, parsePgUrl, pgTypes, wrapError } from './connection.js';
import { Db } from './db.js';
import { PgLeases } from './leases.js';
import { MIGRATIONS } from './migrations.js';
import { SubjectHeads, upsertSubjects } from './subject-heads.js';
import { PgSubscriptionTables } from './subscription-tables.js';
import { idempotencyKey } from '../idempotency-key.js';
import { prepareImport } from '../import-events.js';
import { type ListRow, listOf } from '../rows.js';

export interface PostgresStoreOptions {
  /** postgres:// URL; `options=-c search_path=<schema>` selects a schema (created if missing). */
  url: string;
  log?: ClusterLog;
}


/** Most rows or body bytes per INSERT statement while writing a group. */
const CHUNK_ROWS = 5000;
const CHUNK_BYTES = 32 * 1024 * 1024;

/** After a group found a head moved under it, how long appends take the locks first. */
const LOCKED_AFTER_CONFLICT_MS = 1000;

const SILENT: ClusterLog = { warn: () => undefined };

/**
 * The PostgreSQL event store: one database (or one schema of it) shared by
 * every node of a cluster. See docs/architecture.md "Exact visibility on
 * PostgreSQL" for how sequence numbers stay gap-free under concurrency.
 */
export class PostgresStore implements EventStore {
  readonly kind = 'postgres' as const;
  readonly settings: PgSettings;
  /** This process in the cluster (leases, change log). */
  readonly nodeId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private pool!: pg.Pool;
  private db!: Db;
  private subs!: PgSubscriptionTables;
  private access!: PgAccessTables;
  private catalogue!: PgCatalogueTables;
  private readonly listIds = new Map<string, number>();
  private readonly rangeShapes = new Set<string>();
  private schema = '';
  private channel = '';
  private link: ClusterLink | null = null;
  private subjects!: SubjectHeads;
  private leases: PgLeases | null = null;
  private readonly log: ClusterLog;
  /** Until then, appends lock the lists before they read (see appendGroup). */
  private lockedUntil = 0;

  constructor(options: PostgresStoreOptions) {
    this.settings = parsePgUrl(options.url);
    this.log = options.log ?? SILENT;
  }

  /** Cross-node signals: heads of other nodes' commits, access and subscription changes. */
  get cluster(): ClusterLink {
    if (!this.link) throw new Error('The PostgreSQL store is not open.');
    return this.link;
  }

  /** Subscription leases for this node (one holder per subscription across the cluster). */
  get subscriptionLeases(): PgLeases {
    this.leases ??= new PgLeases(this.db, this.nodeId, this.settings.leaseSeconds, (c, id) => this.subscriptionChanged(c, id), this.log);
    return this.leases;
  }

  async open(): Promise<void> {
    this.pool = new pg.Pool({
      connectionString: this.settings.connectionString,
      max: this.settings.poolMax,
      types: pgTypes,
      keepAlive: true,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
    });
    // Idle connections die when the server restarts; the pool replaces them on demand.
    this.pool.on('error', (error) => this.log.warn({ err: error }, 'postgres: an idle connection failed'));
    this.db = new Db(this.pool);
    try {
      await this.migrate();
    } catch (error) {
      await this.pool.end().catch(() => undefined);
      throw wrapError(error);
    }
    this.channel = `herold_${createHash('sha1').update(this.schema).digest('hex').slice(0, 16)}`;
    this.subjects = new SubjectHeads(this.db, this.log);
    this.subs = new PgSubscriptionTables(this.db, (c, id) => this.subscriptionChanged(c, id));
    this.access = new PgAccessTables(this.db, (c, payload) => this.accessChanged(c, payload));
    this.catalogue = new PgCatalogueTables(this.db, (c, payload) => recordChange(c, this.channel, this.nodeId, 'catalogue', payload));
    this.link = new ClusterLink(this.pool, this.settings.connectionString, this.channel, this.nodeId, this.log);
    // A list deleted through another node: its id is stale here (a re-created list gets a new one).
    this.link.on('change', (change) => {
      if (typeof change.payload.deletedList === 'string') this.listIds.delete(change.payload.deletedList);
      if (change.kind === 'lost') this.listIds.clear();
    });
    await this.link.start();
  }

  /** Apply missing migrations under an advisory lock per schema: safe when several nodes start at once. */
  private async migrate(): Promise<void> {
    await this.db.tx(async (c) => {
      let { rows } = await c.query<{ schema: string | null; path: string }>(`SELECT current_schema() AS schema, current_setting('search_path') AS path`);
      let schema = rows[0].schema;
      const wanted = schema ?? firstSchema(rows[0].path);
      if (!wanted) throw new Error(`PostgreSQL: no schema to create tables in (search_path is '${rows[0].path}').`);
      await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`herold:migrate:${wanted}`]);
      if (schema === null) {
        await c.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(wanted)}`);
        ({ rows } = await c.query(`SELECT current_schema() AS schema, current_setting('search_path') AS path`));
        schema = rows[0].schema;
        if (schema === null) throw new Error(`PostgreSQL: could not create schema '${wanted}'.`);
      }
      this.schema = schema;
      await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
      const applied = new Set((await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
      for (const m of MIGRATIONS) {
        if (applied.has(m.version)) continue;
        await c.query(m.sql);
        await c.query('INSERT INTO schema_migrations (version) VALUES ($1)', [m.version]);
      }
    });
  }

  private async subscriptionChanged(c: pg.ClientBase, id: string): Promise<void> {
    await recordChange(c, this.channel, this.nodeId, 'subscription', { id });
  }

  private async accessChanged(c: pg.ClientBase, payload: AccessChangePayload): Promise<void> {
    await recordChange(c, this.channel, this.nodeId, 'access', payload);
  }

  async close(): Promise<void> {
    if (!this.pool) return;
    await this.leases?.stop().catch(() => undefined);
    await this.subjects?.flushAll().catch(() => undefined);
    await this.link?.stop();
    await this.pool.end().catch(() => undefined);
  }

  async ping(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  // ---- lists ---------------------------------------------------------------

  async upsertList(input: ListInput): Promise<{ created: boolean; list: ListRecord }> {
    const now = new Date().toISOString();
    return this.db.tx(async (c) => {
      const inserted = await c.query<ListRow>(
        `INSERT INTO lists (name, title, description, retention_days, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (name) DO NOTHING RETURNING *`,
        [input.name, input.title ?? null, input.description ?? null, input.retentionDays ?? null, input.createdAt ?? now, input.updatedAt ?? input.createdAt ?? now],
      );
      const created = inserted.rows.length > 0;
      if (created) {
        // A name used before continues after the head of the list deleted under it.
        await c.query(
          `WITH gone AS (DELETE FROM deleted_lists WHERE name = $1 RETURNING head)
           UPDATE lists SET head = gone.head FROM gone WHERE lists.name = $1`,
          [input.name],
        );
      }
      if (!created) {
        await c.query(
          `UPDATE lists SET
             title = CASE WHEN $2 THEN $3 ELSE title END,
             description = CASE WHEN $4 THEN $5 ELSE description END,
             retention_days = CASE WHEN $6 THEN $7::integer ELSE retention_days END,
             updated_at = $8
           WHERE name = $1`,
          [
            input.name,
            input.title !== undefined,
            input.title ?? null,
            input.description !== undefined,
            input.description ?? null,
            input.retentionDays !== undefined,
            input.retentionDays ?? null,
            now,
          ],
        );
      }
      if (input.owner !== undefined) await this.access.setOwnerIn(c, input.name, input.owner);
      const { rows } = await c.query<ListRow>('SELECT * FROM lists WHERE name = $1', [input.name]);
      this.listIds.set(rows[0].name, rows[0].id);
      return { created, list: listOf(rows[0]) };
    });
  }

  async deleteList(name: string): Promise<boolean> {
    const deleted = await this.db.tx(async (c) => {
      const { rows } = await c.query<{ id: number; head: number }>('SELECT id, head FROM lists WHERE name = $1 FOR UPDATE', [name]);
      if (rows.length === 0) return false;
      const { id, head } = rows[0];
      await c.query(
        `INSERT INTO deleted_lists (name, head, deleted_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET head = excluded.head, deleted_at = excluded.deleted_at`,
        [name, head, Date.now()],
      );
      for (const table of ['events', 'subjects', 'subject_watermarks']) await c.query(`DELETE FROM ${table} WHERE list_id = $1`, [id]);
      for (const table of ['retries', 'dead_letters', 'attempts']) {
        await c.query(`DELETE FROM ${table} WHERE subscription_id IN (SELECT id FROM subscriptions WHERE list = $1)`, [name]);
      }
      await c.query('DELETE FROM subscription_leases WHERE subscription_id IN (SELECT id FROM subscriptions WHERE list = $1)', [name]);
      for (const table of ['subscriptions', 'publishers', 'grants', 'catalogue_lists', 'catalogue_declarations', 'catalogue_seen']) {
        await c.query(`DELETE FROM ${table} WHERE list = $1`, [name]);
      }
      // Decided requests stay: they record who asked, why, and who decided.
      await c.query("DELETE FROM access_requests WHERE list = $1 AND status = 'pending'", [name]);
      await c.query('DELETE FROM lists WHERE id = $1', [id]);
      // Every node reloads roles, grants and the catalogue, and closes what reads the list.
      await this.accessChanged(c, { change: { list: name }, deletedList: name });
      await recordChange(c, this.channel, this.nodeId, 'catalogue', { list: name });
      return true;
    });
    if (deleted) this.listIds.delete(name);
    return deleted;
  }

  async getList(name: string): Promise<ListRecord | undefined> {
    const [row] = await this.db.rows<ListRow>('SELECT * FROM lists WHERE name = $1', [name], 'herold_get_list');
    if (row) this.listIds.set(row.name, row.id);
    return row && listOf(row);
  }

  async listLists(): Promise<ListRecord[]> {
    const rows = await this.db.rows<ListRow>('SELECT * FROM lists ORDER BY name COLLATE "C"');
    for (const row of rows) this.listIds.set(row.name, row.id);
    return rows.map(listOf);
  }

  private async listId(name: string): Promise<number | undefined> {
    const cached = this.listIds.get(name);
    if (cached !== undefined) return cached;
    const [row] = await this.db.rows<{ id: number }>('SELECT id FROM lists WHERE name = $1', [name], 'herold_list_id');
    if (row) this.listIds.set(name, row.id);
    return row?.id;
  }

  // ---- append ----------------------------------------------------------------

  /**
   * A group is first planned from one read and written with one call that
   * commits only if no head moved in between (appendOptimistic): two round
   * trips and the lists' locks held only while writing. When a head did move
   * (another node appends to the same list), the group is planned again under
   * the locks (appendLocked), and so are the groups of the next second.
   *
   * Under the locks: one transaction for the whole group. The rows of the lists it appends to
   * are locked first (in id order, so groups never deadlock); seqs are taken
   * after the locked head, and the head moves in the same transaction. Every
   * duplicate and conflict is decided before anything is written, so each
   * request is stored whole or not at all, and the group costs a constant
   * number of round trips whatever its size. The new heads go out as one
   * NOTIFY, delivered to the other nodes when (and only if) the group commits.
   */
  async appendGroup(requests: AppendRequest[]): Promise<AppendOutcome[]> {
    const keys = keysOf(requests);
    const names = [...new Set(requests.map((r) => r.list))];
    if (Date.now() >= this.lockedUntil && fitsOneStatement(requests)) {
      const outcomes = await this.appendOptimistic(requests, keys, names);
      if (outcomes) return outcomes;
      // Another transaction appended between the read and the write: others are appending
      // to these lists too, so take the locks first for a while rather than plan twice.
      this.lockedUntil = Date.now() + LOCKED_AFTER_CONFLICT_MS;
    }
    return this.appendLocked(requests, keys, names);
  }

  /**
   * The append in two statements and no transaction of its own: one read, in
   * one snapshot, of the lists' heads, the stored events that share the
   * group's keys and the subjects' rows; the plan made from it (as
   * appendLocked makes it under the locks); and one call of
   * herold_append_at, which locks the lists, writes only if every head is
   * still the one read, and commits. A head that has not moved means nothing
   * was appended since the read, so the read was as complete as one made
   * under the lock. Undefined: a head moved, nothing was written.
   */
  private async appendOptimistic(requests: AppendRequest[], keys: bigint[][], names: string[]): Promise<AppendOutcome[] | undefined> {
    const touched: number[] = [];
    let planned: GroupPlan | undefined;
    try {
      planned = await this.db.withClient(async (c) => {
        // What to look up, by the list ids this node knows (checked against the read below);
        // the subjects are those its map does not answer.
        const known = new Map<string, PlanList>();
        for (const name of names) {
          const id = this.listIds.get(name);
          if (id !== undefined) known.set(name, { id, head: 0, lastTime: 0 });
        }
        const guess = lookups(requests, known, keys);
        const allKeys = known.size === names.length ? guess.keys : [...new Set(keys.flat())];
        const asked = new Map<number, string[]>();
        const askedIds: number[] = [];
        const askedSubjects: string[] = [];
        for (const [id, subjects] of guess.subjects) {
          const unknown = this.subjects.unknown(id, subjects);
          if (!unknown) continue;
          asked.set(id, unknown);
          if (unknown.length > 0) askedIds.push(id);
          for (const subject of unknown) askedSubjects.push(subject);
        }
        const read = await c.query<{ kind: number; list_id: number; text: string | null; seq: number; num: string | null; body: string | null }>({
          name: 'herold_append_read',
          text: APPEND_READ,
          values: [names, intArray(allKeys), intArray(askedIds), askedSubjects.length > 0 ? askedSubjects.join('\u001e') : null],
        });
        const lists = new Map<string, PlanList>();
        const matches: KeyMatch[] = [];
        const tableRows = new Map<number, Map<string, number>>();
        for (const r of read.rows) {
          if (r.kind === 0) {
            lists.set(r.text!, { id: r.list_id, head: r.seq, lastTime: Number(r.num) });
            this.listIds.set(r.text!, r.list_id);
          } else if (r.kind === 1) {
            matches.push({ listId: r.list_id, key: BigInt(r.num!), seq: r.seq, source: r.text!, body: r.body! });
          } else {
            let m = tableRows.get(r.list_id);
            if (!m) tableRows.set(r.list_id, (m = new Map()));
            m.set(r.text!, r.seq);
          }
        }
        const sameLists = lists.size === known.size && [...lists].every(([name, l]) => known.get(name)?.id === l.id);
        const want = sameLists ? guess : lookups(requests, lists, keys);
        const subjectHeads = new Map<number, Map<string, number>>();
        for (const list of lists.values()) {
          const subjects = want.subjects.get(list.id);
          if (!subjects) continue;
          touched.push(list.id);
          const a = asked.get(list.id);
          const prefetched = a ? { asked: new Set(a), rows: tableRows.get(list.id) ?? new Map<string, number>() } : undefined;
          subjectHeads.set(list.id, await this.subjects.lookup(c, list.id, list.head, subjects, prefetched));
        }
        const plan = planGroup(requests, keys, prefetchedSource(lists, matches, subjectHeads), Date.now());
        if (plan.rows.seq.length === 0) return plan;
        const ids = [...plan.rows.heads.keys()];
        const byId = new Map([...lists.values()].map((l) => [l.id, l]));
        const heads = ids.map((id) => plan.rows.heads.get(id)!);
        const { rows } = await c.query<{ ok: boolean }>({
          name: 'herold_append_at',
          text: 'SELECT herold_append_at($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) AS ok',
          values: [
            intArray(ids),
            intArray(ids.map((id) => byId.get(id)!.head)),
            intArray(heads.map((h) => h.head)),
            intArray(heads.map((h) => h.lastTime)),
            ...eventColumns(plan.rows, 0, plan.rows.seq.length),
            this.channel,
            headsPayloads(
              this.nodeId,
              heads.map((h) => [h.name, h.head]),
            ),
          ],
        });
        return rows[0].ok ? plan : undefined;
      });
    } catch (error) {
      for (const id of touched) this.subjects.forget(id);
      throw error;
    }
    if (!planned) return undefined;
    for (const [id, h] of planned.rows.heads) this.subjects.committed(id, h.head, subjectsOf(planned.rows, id));
    return planned.outcomes;
  }

  /** The append under the lists' row locks, taken first (see appendGroup). */
  private async appendLocked(requests: AppendRequest[], keys: bigint[][], names: string[]): Promise<AppendOutcome[]> {
    const touched: number[] = [];
    let outcomes: AppendOutcome[];
    let rows: GroupRows;
    try {
    ({ outcomes, rows } = await this.db.tx(async (c) => {
      const locked = await c.query<{ id: number; name: string; head: number; last_time: number }>({
        name: 'herold_lock_lists',
        text: 'SELECT id, name, head, last_time FROM lists WHERE name = ANY($1::text[]) ORDER BY id FOR UPDATE',
        values: [names],
      });
      const lists = new Map<string, PlanList>();
      for (const r of locked.rows) {
        lists.set(r.name, { id: r.id, head: r.head, lastTime: r.last_time });
        this.listIds.set(r.name, r.id);
      }
      const want = lookups(requests, lists, keys);
      let matches: KeyMatch[] = [];
      if (want.keys.length > 0) {
        const res = await c.query<{ list_id: number; key: string; seq: number; source: string; body: string }>({
          name: 'herold_find_keys',
          // The hash index finds the keys; `+ 0` keeps the planner from also scanning the primary key for the list.
          text: `SELECT list_id, key::text AS key, seq, source, body FROM events WHERE key = ANY($1::bigint[]) AND list_id + 0 = ANY($2::int[])`,
          values: [intArray(want.keys), intArray(want.listIds)],
        });
        matches = res.rows.map((r) => ({ listId: r.list_id, key: BigInt(r.key), seq: r.seq, source: r.source, body: r.body }));
      }
      const subjectHeads = new Map<number, Map<string, number>>();
      for (const list of lists.values()) {
        const subjects = want.subjects.get(list.id);
        if (!subjects) continue;
        touched.push(list.id);
        subjectHeads.set(list.id, await this.subjects.lookup(c, list.id, list.head, subjects));
      }
      const planned = planGroup(requests, keys, prefetchedSource(lists, matches, subjectHeads), Date.now());
      if (planned.rows.seq.length > 0) await this.writeGroup(c, planned.rows);
      return planned;
    }));
    } catch (error) {
      for (const id of touched) this.subjects.forget(id);
      throw error;
    }
    // Committed: the subjects' new last events join this node's map.
    for (const [id, h] of rows.heads) this.subjects.committed(id, h.head, subjectsOf(rows, id));
    return outcomes;
  }

  private async writeGroup(c: pg.ClientBase, rows: GroupRows): Promise<void> {
    // Large groups: events in chunks first, then the last chunk with subjects, heads and the notification.
    let from = 0;
    const n = rows.seq.length;
    let end = chunkEnd(rows, from);
    while (end < n) {
      await c.query({ name: 'herold_insert_events', text: INSERT_EVENTS, values: eventColumns(rows, from, end) });
      from = end;
      end = chunkEnd(rows, from);
    }
    const heads = [...rows.heads.entries()];
    await c.query({
      name: 'herold_write_group',
      text: WRITE_GROUP,
      values: [
        ...eventColumns(rows, from, end),
        intArray(heads.map(([id]) => id)),
        intArray(heads.map(([, h]) => h.head)),
        intArray(heads.map(([, h]) => h.lastTime)),
        this.channel,
        headsPayloads(
          this.nodeId,
          heads.map(([, h]) => [h.name, h.head]),
        ),
      ],
    });
  }

  // ---- read ------------------------------------------------------------------

  async readRange(list: string, q: RangeQuery): Promise<StoredEvent[]> {
    if (q.limit <= 0 || q.upTo <= q.after) return [];
    const id = await this.listId(list);
    if (id === undefined) return [];
    const params: unknown[] = [id, q.after, q.upTo];
    let where = 'list_id = $1 AND seq > $2 AND seq <= $3';
    let shape = 'r';
    const addIn = (column: string, values: string[] | undefined) => {
      if (!values || values.length === 0) return;
      params.push(values);
      where += ` AND ${column} = ANY($${params.length}::text[])`;
      shape += column[0] + column[1];
    };
    addIn('type', q.types);
    addIn('subject', q.subjects);
    addIn('source', q.sources);
    params.push(q.limit);
    const text = `SELECT seq, prev_seq AS "prevSeq", time, body FROM events WHERE ${where} ORDER BY seq LIMIT $${params.length}`;
    const name = `herold_range_${shape}`;
    this.rangeShapes.add(shape);
    return this.db.rows<StoredEvent>(text, params, name);
  }

  async getEvent(list: string, seq: number): Promise<StoredEvent | undefined> {
    if (!Number.isSafeInteger(seq) || seq < 1) return undefined;
    const id = await this.listId(list);
    if (id === undefined) return undefined;
    const [row] = await this.db.rows<StoredEvent>(
      'SELECT seq, prev_seq AS "prevSeq", time, body FROM events WHERE list_id = $1 AND seq = $2',
      [id, seq],
      'herold_get_event',
    );
    return row;
  }

  async seqBefore(list: string, time: number): Promise<number> {
    const id = await this.listId(list);
    if (id === undefined) return 0;
    const [row] = await this.db.rows<{ seq: number }>('SELECT herold_seq_before($1, $2) AS seq', [id, Math.trunc(time)], 'herold_seq_before');
    return row?.seq ?? 0;
  }

  async trimThrough(list: string, seq: number): Promise<number> {
    const id = await this.listId(list);
    if (id === undefined || seq <= 0) return 0;
    // The idempotency keys live on the event rows and go with them.
    return (await this.db.query('DELETE FROM events WHERE list_id = $1 AND seq <= $2', [id, seq])).rowCount ?? 0;
  }

  async subjectSeqs(list: string, subject: string, max: number): Promise<number[]> {
    const id = await this.listId(list);
    if (id === undefined || max <= 0) return [];
    // The last event: in the subjects table, or after its watermark in the log.
    const rows = await this.db.rows<{ seq: number }>(
      `WITH RECURSIVE chain(seq, n) AS (
         SELECT seq, 1 FROM (
           SELECT GREATEST(
             (SELECT seq FROM subjects WHERE list_id = $1 AND subject = $2),
             (SELECT max(seq) FROM events WHERE list_id = $1 AND subject = $2
                AND seq > COALESCE((SELECT seq FROM subject_watermarks WHERE list_id = $1), 0))) AS seq
         ) last WHERE seq IS NOT NULL
         UNION ALL
         SELECT e.prev_seq, c.n + 1 FROM chain c JOIN events e ON e.list_id = $1 AND e.seq = c.seq
         WHERE e.prev_seq IS NOT NULL AND c.n < $3
       ) SELECT seq FROM chain ORDER BY n`,
      [id, subject, max],
    );
    return rows.map((r) => r.seq);
  }

  // ---- settings --------------------------------------------------------------

  async getSetting(key: string): Promise<string | undefined> {
    const [row] = await this.db.rows<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]);
    return row?.value;
  }

  async setSetting(key: string, value: string): Promise<void> {
    await this.db.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  // ---- subscriptions -----------------------------------------------------------

  createSubscription(record: SubscriptionRecord): Promise<void> {
    return this.subs.create(record);
  }

  getSubscription(id: string): Promise<SubscriptionRecord | undefined> {
    return this.subs.get(id);
  }

  listSubscriptions(list?: string): Promise<SubscriptionRecord[]> {
    return this.subs.list(list);
  }

  updateSubscription(record: SubscriptionRecord): Promise<void> {
    return this.subs.update(record);
  }

  deleteSubscription(id: string): Promise<boolean> {
    return this.subs.delete(id);
  }

  saveDeliveryWork(work: DeliveryWork): Promise<void> {
    return this.subs.saveWork(work);
  }

  listRetries(subscriptionId: string): Promise<RetryRow[]> {
    return this.subs.retries(subscriptionId);
  }

  listDeadLetters(subscriptionId: string, after: number, limit: number): Promise<DeadLetterRow[]> {
    return this.subs.deadLetters(subscriptionId, after, limit);
  }

  takeDeadLetters(subscriptionId: string, seqs?: number[]): Promise<number[]> {
    return this.subs.takeDeadLetters(subscriptionId, seqs);
  }

  listAttempts(subscriptionId: string, before: number | undefined, limit: number): Promise<(AttemptRow & { id: number })[]> {
    return this.subs.attempts(subscriptionId, before, limit);
  }

  pruneAttempts(keep: number): Promise<void> {
    return this.subs.pruneAttempts(keep);
  }

  // ---- access --------------------------------------------------------------------

  setListOwner(list: string, owner: string | null): Promise<void> {
    return this.access.setOwner(list, owner);
  }

  createApiKey(key: ApiKeyRecord): Promise<void> {
    return this.access.createKey(key);
  }

  listApiKeys(): Promise<ApiKeyRecord[]> {
    return this.access.keys();
  }

  revokeApiKey(id: string, at: number): Promise<boolean> {
    return this.access.revokeKey(id, at);
  }

  addPublisher(p: PublisherRecord): Promise<void> {
    return this.access.addPublisher(p);
  }

  removePublisher(list: string, principal: string): Promise<boolean> {
    return this.access.removePublisher(list, principal);
  }

  listPublishers(): Promise<PublisherRecord[]> {
    return this.access.publishers();
  }

  createGrant(g: GrantRecord): Promise<void> {
    return this.access.createGrant(g);
  }

  updateGrant(g: GrantRecord): Promise<boolean> {
    return this.access.updateGrant(g);
  }

  deleteGrant(id: string): Promise<boolean> {
    return this.access.deleteGrant(id);
  }

  listGrants(): Promise<GrantRecord[]> {
    return this.access.grants();
  }

  createAccessRequest(r: AccessRequestRecord): Promise<void> {
    return this.access.createRequest(r);
  }

  updateAccessRequest(r: AccessRequestRecord): Promise<void> {
    return this.access.updateRequest(r);
  }

  getAccessRequest(id: string): Promise<AccessRequestRecord | undefined> {
    return this.access.getRequest(id);
  }

  listAccessRequests(filter: { list?: string; principal?: string; status?: string }): Promise<AccessRequestRecord[]> {
    return this.access.requests(filter);
  }

  appendAudit(rows: AuditRow[]): Promise<void> {
    return this.access.appendAudit(rows);
  }

  queryAudit(q: AuditQuery): Promise<(AuditRow & { id: number })[]> {
    return this.access.queryAudit(q);
  }

  auditUsage(q: Omit<AuditQuery, 'seqs' | 'limit'>): Promise<UsageRow[]> {
    return this.access.auditUsage(q);
  }

  pruneAudit(before: number): Promise<number> {
    return this.access.pruneAudit(before);
  }

  putConsoleSession(row: ConsoleSessionRow): Promise<void> {
    return this.access.putConsoleSession(row);
  }

  getConsoleSession(idHash: string): Promise<ConsoleSessionRow | undefined> {
    return this.access.getConsoleSession(idHash);
  }

  deleteConsoleSession(idHash: string): Promise<void> {
    return this.access.deleteConsoleSession(idHash);
  }

  pruneConsoleSessions(now: number): Promise<number> {
    return this.access.pruneConsoleSessions(now);
  }

  recordAuditSearch(row: AuditSearchRow): Promise<void> {
    return this.access.recordAuditSearch(row);
  }

  queryAuditSearches(q: AuditSearchQuery): Promise<(AuditSearchRow & { id: number })[]> {
    return this.access.queryAuditSearches(q);
  }

  // ---- event type catalogue --------------------------------------------------

  catalogueSettings(): Promise<CatalogueSettingsRecord[]> {
    return this.catalogue.catalogueSettings();
  }

  putCatalogueSettings(record: CatalogueSettingsRecord): Promise<void> {
    return this.catalogue.putCatalogueSettings(record);
  }

  declarations(kind: 'type' | 'attribute'): Promise<DeclarationRecord[]> {
    return this.catalogue.declarations(kind);
  }

  putDeclaration(kind: 'type' | 'attribute', record: DeclarationRecord): Promise<void> {
    return this.catalogue.putDeclaration(kind, record);
  }

  deleteDeclaration(kind: 'type' | 'attribute', list: string, name: string): Promise<boolean> {
    return this.catalogue.deleteDeclaration(kind, list, name);
  }

  addSeenTypes(rows: SeenTypeRecord[]): Promise<void> {
    return this.catalogue.addSeenTypes(rows);
  }

  seenTypes(list: string): Promise<SeenTypeRecord[]> {
    return this.catalogue.seenTypes(list);
  }

  async sizeBytes(): Promise<number> {
    const [row] = await this.db.rows<{ bytes: number | null }>(
      `SELECT sum(pg_total_relation_size(c.oid))::bigint AS bytes FROM pg_class c
       WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'm')`,
    );
    return row?.bytes ?? 0;
  }

  // ---- bulk import (herold import / migrate) ----------------------------------------

  async deletedLists(): Promise<DeletedListRecord[]> {
    return this.db.rows<DeletedListRecord>('SELECT name, head, deleted_at AS "deletedAt" FROM deleted_lists ORDER BY name COLLATE "C"');
  }

  async importDeletedList(r: DeletedListRecord): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO deleted_lists (name, head, deleted_at) SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM lists WHERE name = $1)
       ON CONFLICT (name) DO UPDATE SET head = GREATEST(deleted_lists.head, excluded.head), deleted_at = GREATEST(deleted_lists.deleted_at, excluded.deleted_at)`,
      [r.name, r.head, r.deletedAt],
    );
    return (rowCount ?? 0) > 0;
  }

  /** Under the list row's lock, write events with the seqs they had (export/import keeps numbers). */
  async importEvents(list: string, stored: StoredEvent[]): Promise<void> {
    if (stored.length === 0) return;
    await this.db.tx(async (c) => {
      const { rows } = await c.query<{ id: number; head: number; last_time: number }>('SELECT id, head, last_time FROM lists WHERE name = $1 FOR UPDATE', [list]);
      if (rows.length === 0) throw new Error(`import: no list '${list}'`);
      const { id, head } = rows[0];
      const events = prepareImport(list, head, stored);
      const subjects = new Map<string, number>();
      for (const e of events) if (e.subject !== null) subjects.set(e.subject, e.seq);
      const last = events[events.length - 1];
      const rowsToWrite: GroupRows = {
        listId: events.map(() => id),
        seq: events.map((e) => e.seq),
        time: events.map((e) => e.time),
        prevSeq: events.map((e) => e.prevSeq),
        key: events.map((e) => idempotencyKey(e.source, e.id)),
        type: events.map((e) => e.type),
        source: events.map((e) => e.source),
        subject: events.map((e) => e.subject),
        body: events.map((e) => e.body),
        heads: new Map([[id, { head: last.seq, lastTime: Math.max(last.time, rows[0].last_time), name: list }]]),
      };
      await this.writeGroup(c, rowsToWrite);
      const sorted = [...subjects].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      for (let i = 0; i < sorted.length; i += 10_000) await upsertSubjects(c, id, sorted.slice(i, i + 10_000));
      // Was the subjects table complete up to the old head, it is now complete up to the new one.
      const wm = (await c.query<{ seq: number }>('SELECT seq FROM subject_watermarks WHERE list_id = $1', [id])).rows[0]?.seq ?? 0;
      if (wm >= head) {
        await c.query(
          `INSERT INTO subject_watermarks (list_id, seq) VALUES ($1, $2) ON CONFLICT (list_id) DO UPDATE SET seq = GREATEST(subject_watermarks.seq, excluded.seq)`,
          [id, last.seq],
        );
      }
    });
    this.subjects.forget((await this.listId(list)) ?? -1);
  }
}

// Text columns travel as one string each, joined with U+001E (record separator), NULL as U+001F:
// parsing a text[] literal of escaped JSON costs the server several times more than splitting.
// Neither character can occur: the attributes are CloudEvents strings (no control characters) and
// the body is JSON, which escapes them.
const EVENT_ARRAYS =
  '$1::int[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], string_to_array($6, chr(30)), string_to_array($7, chr(30)), string_to_array($8, chr(30), chr(31)), string_to_array($9, chr(30))';

const INSERT_EVENTS = `INSERT INTO events (list_id, seq, time, prev_seq, key, type, source, subject, body) SELECT * FROM unnest(${EVENT_ARRAYS})`;

const WRITE_GROUP = `
  WITH ins AS (
    ${INSERT_EVENTS}
  ), upd AS (
    UPDATE lists l SET head = v.head, last_time = v.last_time
    FROM unnest($10::int[], $11::bigint[], $12::bigint[]) AS v(id, head, last_time) WHERE l.id = v.id
  )
  SELECT pg_notify($13, p) FROM unnest($14::text[]) AS p`;

// The optimistic append's read, in one snapshot: kind 0, the lists' rows (text: name, seq: head,
// num: last time); 1, stored events that share a key with the group's (text: source, num: key);
// 2, the subjects table's rows asked for (text: subject).
const APPEND_READ = `
  WITH l AS (SELECT id, name, head, last_time FROM lists WHERE name = ANY($1::text[]))
  SELECT 0 AS kind, id AS list_id, name AS text, head AS seq, last_time::text AS num, NULL AS body FROM l
  UNION ALL
  -- The hash index finds the keys; \`+ 0\` keeps the planner from also scanning the primary key for the list.
  SELECT 1, e.list_id, e.source, e.seq, e.key::text, e.body FROM events e
  WHERE e.key = ANY($2::bigint[]) AND e.list_id + 0 = ANY(ARRAY(SELECT id FROM l))
  UNION ALL
  -- Index probes for every (list, subject) pair; a row for a pair not asked about is still true.
  SELECT 2, s.list_id, s.subject, s.seq, NULL, NULL FROM subjects s
  WHERE s.list_id = ANY($3::int[]) AND s.subject = ANY(string_to_array($4, chr(30)))`;

/** Whether a group is written by one INSERT (larger ones are written in chunks under the locks). */
function fitsOneStatement(requests: AppendRequest[]): boolean {
  let rows = 0;
  let bytes = 0;
  for (const r of requests) {
    rows += r.events.length;
    for (const e of r.events) bytes += e.body.length;
  }
  return rows <= CHUNK_ROWS && bytes < CHUNK_BYTES;
}

function chunkEnd(rows: GroupRows, from: number): number {
  let bytes = 0;
  let i = from;
  while (i < rows.seq.length && i - from < CHUNK_ROWS) {
    bytes += rows.body[i].length;
    i++;
    if (bytes >= CHUNK_BYTES) break;
  }
  return i;
}

function eventColumns(rows: GroupRows, from: number, to: number): unknown[] {
  return [
    intArray(rows.listId.slice(from, to)),
    intArray(rows.seq.slice(from, to)),
    intArray(rows.time.slice(from, to)),
    intArray(rows.prevSeq.slice(from, to)),
    intArray(rows.key.slice(from, to)),
    joinText(rows.type.slice(from, to)),
    joinText(rows.source.slice(from, to)),
    joinText(rows.subject.slice(from, to)),
    joinText(rows.body.slice(from, to)),
  ];
}

/** An integer array literal built directly (pg's own array encoder quotes and escapes every element). */
function intArray(values: readonly (number | bigint | string | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const v = values[i];
    out += v === null ? 'NULL' : v;
  }
  return out + '}';
}

/** Texts as one parameter for string_to_array($n, chr(30), chr(31)); null for an empty list. */
function joinText(values: (string | null)[]): string | null {
  if (values.length === 0) return null;
  return values.map((v) => (v === null ? '\u001f' : v)).join('\u001e');
}

/** The first schema named in a search_path setting (not "$user"). */
function firstSchema(path: string): string | undefined {
  for (const part of path.split(',')) {
    const name = part.trim().replace(/^"(.*)"$/, '$1');
    if (name && name !== '$user') return name;
  }
  return undefined;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
