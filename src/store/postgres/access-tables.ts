import type pg from 'pg';
import type { AccessRequestRecord, ApiKeyRecord, AuditQuery, AuditRow, AuditSearchQuery, AuditSearchRow, ConsoleSessionRow, GrantRecord, PublisherRecord, UsageRow } from '../types.js';
import { accessRequestOf, grantOf, jsonText as json } from '../rows.js';
import type { Db } from './db.js';

/** What other nodes' access must apply: reload, and (when `change` is set) close streams and restart subscriptions it affects. */
export interface AccessChangePayload {
  change: { principal?: string; list?: string; keyId?: string } | null;
  /** A list that was deleted: other nodes forget it. */
  deletedList?: string;
}

/**
 * API keys, publishers, grants, access requests and audit rows in PostgreSQL.
 * Every change to roles or grants is recorded in the cluster change log in
 * the same transaction, because each node holds them in memory.
 */
export class PgAccessTables {
  constructor(
    private readonly db: Db,
    private readonly changed: (client: pg.ClientBase, payload: AccessChangePayload) => Promise<void>,
  ) {}

  async setOwner(list: string, owner: string | null): Promise<void> {
    await this.db.tx((c) => this.setOwnerIn(c, list, owner));
  }

  /** Set the owner inside a transaction; a different previous owner loses access at once. */
  async setOwnerIn(c: pg.ClientBase, list: string, owner: string | null): Promise<void> {
    const { rows } = await c.query<{ previous: string | null }>(
      `WITH old AS (SELECT owner FROM lists WHERE name = $2 FOR UPDATE)
       UPDATE lists SET owner = $1 WHERE name = $2 RETURNING (SELECT owner FROM old) AS previous`,
      [owner, list],
    );
    if (rows.length === 0) return;
    const previous = rows[0].previous;
    await this.changed(c, { change: previous && previous !== owner ? { principal: previous, list } : null });
  }

  async createKey(k: ApiKeyRecord): Promise<void> {
    await this.db.tx(async (c) => {
      await c.query('INSERT INTO api_keys (id, principal, admin, prefix, hash, expires_at, revoked_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
        k.id,
        k.principal,
        k.admin,
        k.prefix,
        k.hash,
        k.expiresAt,
        k.revokedAt,
        k.createdAt,
      ]);
      await this.changed(c, { change: null });
    });
  }

  async keys(): Promise<ApiKeyRecord[]> {
    const rows = await this.db.rows<Record<string, unknown>>('SELECT * FROM api_keys ORDER BY created_at');
    return rows.map((r) => ({
      id: r.id as string,
      principal: r.principal as string,
      admin: r.admin === true,
      prefix: r.prefix as string,
      hash: r.hash as string,
      expiresAt: r.expires_at as number | null,
      revokedAt: r.revoked_at as number | null,
      createdAt: r.created_at as number,
    }));
  }

  async revokeKey(id: string, at: number): Promise<boolean> {
    return this.db.tx(async (c) => {
      const { rows } = await c.query<{ principal: string }>('UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING principal', [at, id]);
      if (rows.length === 0) return false;
      await this.changed(c, { change: { keyId: id, principal: rows[0].principal } });
      return true;
    });
  }

  async addPublisher(p: PublisherRecord): Promise<void> {
    await this.db.tx(async (c) => {
      await c.query(
        `INSERT INTO publishers (list, principal, source, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (list, principal, source) DO UPDATE SET created_at = excluded.created_at`,
        [p.list, p.principal, p.source, p.createdAt],
      );
      await this.changed(c, { change: null });
    });
  }

  async removePublisher(list: string, principal: string): Promise<boolean> {
    return this.db.tx(async (c) => {
      const removed = ((await c.query('DELETE FROM publishers WHERE list = $1 AND principal = $2', [list, principal])).rowCount ?? 0) > 0;
      if (removed) await this.changed(c, { change: { principal, list } });
      return removed;
    });
  }

  async publishers(): Promise<PublisherRecord[]> {
    return this.db.rows<PublisherRecord>('SELECT list, principal, source, created_at AS "createdAt" FROM publishers');
  }

  async createGrant(g: GrantRecord): Promise<void> {
    await this.db.tx(async (c) => {
      await c.query('INSERT INTO grants (id, list, principal, filter, fields, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
        g.id,
        g.list,
        g.principal,
        json(g.filter),
        json(g.fields),
        g.createdBy,
        g.createdAt,
        g.expiresAt,
      ]);
      // A wider scope: streams reconnect to pick it up (as on the node that made it).
      await this.changed(c, { change: { principal: g.principal, list: g.list } });
    });
  }

  async updateGrant(g: GrantRecord): Promise<boolean> {
    return this.db.tx(async (c) => {
      const { rows } = await c.query<{ list: string; principal: string }>(
        'UPDATE grants SET filter = $2, fields = $3, expires_at = $4 WHERE id = $1 RETURNING list, principal',
        [g.id, json(g.filter), json(g.fields), g.expiresAt],
      );
      if (rows.length === 0) return false;
      // Narrower or wider: every node's streams under it reconnect.
      await this.changed(c, { change: { principal: rows[0].principal, list: rows[0].list } });
      return true;
    });
  }

  async deleteGrant(id: string): Promise<boolean> {
    return this.db.tx(async (c) => {
      const { rows } = await c.query<{ list: string; principal: string }>('DELETE FROM grants WHERE id = $1 RETURNING list, principal', [id]);
      if (rows.length === 0) return false;
      await this.changed(c, { change: { principal: rows[0].principal, list: rows[0].list } });
      return true;
    });
  }

  async grants(): Promise<GrantRecord[]> {
    const rows = await this.db.rows<Record<string, unknown>>('SELECT * FROM grants ORDER BY created_at');
    return rows.map(grantOf);
  }

  async createRequest(r: AccessRequestRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO access_requests (id, list, principal, purpose, legal_basis, filter, fields, until, status, decided_by, reason, grant_id, created_at, decided_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [r.id, r.list, r.principal, r.purpose, r.legalBasis, json(r.filter), json(r.fields), r.until, r.status, r.decidedBy, r.reason, r.grantId, r.createdAt, r.decidedAt],
    );
  }

  async updateRequest(r: AccessRequestRecord): Promise<void> {
    await this.db.query('UPDATE access_requests SET status = $2, decided_by = $3, reason = $4, grant_id = $5, decided_at = $6 WHERE id = $1', [
      r.id,
      r.status,
      r.decidedBy,
      r.reason,
      r.grantId,
      r.decidedAt,
    ]);
  }

  async getRequest(id: string): Promise<AccessRequestRecord | undefined> {
    const [r] = await this.db.rows<Record<string, unknown>>('SELECT * FROM access_requests WHERE id = $1', [id]);
    return r && accessRequestOf(r);
  }

  async requests(f: { list?: string; principal?: string; status?: string }): Promise<AccessRequestRecord[]> {
    let sql = 'SELECT * FROM access_requests WHERE true';
    const params: unknown[] = [];
    if (f.list !== undefined) params.push(f.list), (sql += ` AND list = $${params.length}`);
    if (f.principal !== undefined) params.push(f.principal), (sql += ` AND principal = $${params.length}`);
    if (f.status !== undefined) params.push(f.status), (sql += ` AND status = $${params.length}`);
    return (await this.db.rows<Record<string, unknown>>(sql + ' ORDER BY created_at LIMIT 10000', params)).map(accessRequestOf);
  }

  async appendAudit(rows: AuditRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.query(
      `INSERT INTO audit (at, principal, list, channel, first_seq, last_seq, count, scope)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::int[], $8::text[])`,
      [
        rows.map((r) => r.at),
        rows.map((r) => r.principal),
        rows.map((r) => r.list),
        rows.map((r) => r.channel),
        rows.map((r) => r.firstSeq),
        rows.map((r) => r.lastSeq),
        rows.map((r) => r.count),
        rows.map((r) => r.scope),
      ],
      'herold_append_audit',
    );
  }

  async queryAudit(q: AuditQuery): Promise<(AuditRow & { id: number })[]> {
    let sql = `SELECT id, at, principal, list, channel, first_seq AS "firstSeq", last_seq AS "lastSeq", count, scope FROM audit WHERE true`;
    const params: unknown[] = [];
    const p = (v: unknown) => (params.push(v), `$${params.length}`);
    if (q.list !== undefined) sql += ` AND list = ${p(q.list)}`;
    if (q.lists !== undefined) {
      if (q.lists.length === 0) return [];
      sql += ` AND list = ANY(${p(q.lists)}::text[])`;
    }
    if (q.principal !== undefined) sql += ` AND principal = ${p(q.principal)}`;
    if (q.since !== undefined) sql += ` AND at >= ${p(q.since)}`;
    if (q.until !== undefined) sql += ` AND at < ${p(q.until)}`;
    if (q.seqs !== undefined) {
      if (q.seqs.length === 0) return [];
      sql += ` AND EXISTS (SELECT 1 FROM unnest(${p(q.seqs)}::bigint[]) s WHERE first_seq <= s AND last_seq >= s)`;
    }
    sql += ` ORDER BY at DESC, id DESC LIMIT ${p(q.limit)}`;
    return this.db.rows<AuditRow & { id: number }>(sql, params);
  }

  async auditUsage(q: Omit<AuditQuery, 'seqs' | 'limit'>): Promise<UsageRow[]> {
    let sql = `SELECT to_char(to_timestamp(at / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, principal, list, channel,
                      SUM(count)::bigint AS events FROM audit WHERE true`;
    const params: unknown[] = [];
    const p = (v: unknown) => (params.push(v), `$${params.length}`);
    if (q.list !== undefined) sql += ` AND list = ${p(q.list)}`;
    if (q.lists !== undefined) {
      if (q.lists.length === 0) return [];
      sql += ` AND list = ANY(${p(q.lists)}::text[])`;
    }
    if (q.principal !== undefined) sql += ` AND principal = ${p(q.principal)}`;
    if (q.since !== undefined) sql += ` AND at >= ${p(q.since)}`;
    if (q.until !== undefined) sql += ` AND at < ${p(q.until)}`;
    sql += ' GROUP BY 1, principal, list, channel ORDER BY 1, principal, list, channel';
    return this.db.rows<UsageRow>(sql, params);
  }

  async pruneAudit(before: number): Promise<number> {
    await this.db.query('DELETE FROM audit_searches WHERE at < $1', [before]);
    return (await this.db.query('DELETE FROM audit WHERE at < $1', [before])).rowCount ?? 0;
  }

  async putConsoleSession(r: ConsoleSessionRow): Promise<void> {
    await this.db.query(
      `INSERT INTO console_sessions (id_hash, principal, via, credential, created_at, ends_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id_hash) DO UPDATE SET principal = excluded.principal, via = excluded.via, credential = excluded.credential,
         created_at = excluded.created_at, ends_at = excluded.ends_at`,
      [r.idHash, r.principal, r.via, r.credential, r.createdAt, r.endsAt],
    );
  }

  async getConsoleSession(idHash: string): Promise<ConsoleSessionRow | undefined> {
    const rows = await this.db.rows<ConsoleSessionRow>(
      'SELECT id_hash AS "idHash", principal, via, credential, created_at AS "createdAt", ends_at AS "endsAt" FROM console_sessions WHERE id_hash = $1',
      [idHash],
    );
    return rows[0];
  }

  async deleteConsoleSession(idHash: string): Promise<void> {
    await this.db.query('DELETE FROM console_sessions WHERE id_hash = $1', [idHash]);
  }

  async pruneConsoleSessions(now: number): Promise<number> {
    return (await this.db.query('DELETE FROM console_sessions WHERE ends_at <= $1', [now])).rowCount ?? 0;
  }

  async recordAuditSearch(r: AuditSearchRow): Promise<void> {
    await this.db.query('INSERT INTO audit_searches (at, principal, list, subject, since, until, results) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      r.at,
      r.principal,
      r.list,
      r.subject,
      r.since,
      r.until,
      r.results,
    ]);
  }

  async queryAuditSearches(q: AuditSearchQuery): Promise<(AuditSearchRow & { id: number })[]> {
    let sql = 'SELECT id, at, principal, list, subject, since, until, results FROM audit_searches WHERE true';
    const params: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      params.push(value);
      sql += ` AND ${clause} $${params.length}`;
    };
    if (q.principal !== undefined) add('principal =', q.principal);
    if (q.list !== undefined) add('list =', q.list);
    if (q.since !== undefined) add('at >=', q.since);
    if (q.until !== undefined) add('at <', q.until);
    params.push(q.limit);
    return this.db.rows<AuditSearchRow & { id: number }>(`${sql} ORDER BY at DESC, id DESC LIMIT $${params.length}`, params);
  }
}
