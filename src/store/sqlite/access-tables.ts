import type { Database as Db } from 'better-sqlite3';
import type { AccessRequestRecord, ApiKeyRecord, AuditQuery, AuditRow, AuditSearchQuery, AuditSearchRow, ConsoleSessionRow, GrantRecord, PublisherRecord, UsageRow } from '../types.js';
import { accessRequestOf, grantOf, jsonText as json } from '../rows.js';

/** API keys, publishers, grants, access requests and audit rows in SQLite. */
export class SqliteAccessTables {
  private readonly s;

  constructor(private readonly db: Db) {
    this.s = {
      setOwner: db.prepare('UPDATE lists SET owner = ? WHERE name = ?'),
      insertKey: db.prepare(
        'INSERT INTO api_keys (id, principal, admin, prefix, hash, expires_at, revoked_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      keys: db.prepare('SELECT * FROM api_keys ORDER BY created_at'),
      revokeKey: db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      addPublisher: db.prepare('INSERT OR REPLACE INTO publishers (list, principal, source, created_at) VALUES (?, ?, ?, ?)'),
      removePublisher: db.prepare('DELETE FROM publishers WHERE list = ? AND principal = ?'),
      publishers: db.prepare('SELECT list, principal, source, created_at AS createdAt FROM publishers'),
      insertGrant: db.prepare('INSERT INTO grants (id, list, principal, filter, fields, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      updateGrant: db.prepare('UPDATE grants SET filter = ?, fields = ?, expires_at = ? WHERE id = ?'),
      deleteGrant: db.prepare('DELETE FROM grants WHERE id = ?'),
      grants: db.prepare('SELECT * FROM grants ORDER BY created_at'),
      insertRequest: db.prepare(
        `INSERT INTO access_requests (id, list, principal, purpose, legal_basis, filter, fields, until, status, decided_by, reason, grant_id, created_at, decided_at)
         VALUES (@id, @list, @principal, @purpose, @legalBasis, @filter, @fields, @until, @status, @decidedBy, @reason, @grantId, @createdAt, @decidedAt)`,
      ),
      updateRequest: db.prepare(
        'UPDATE access_requests SET status = @status, decided_by = @decidedBy, reason = @reason, grant_id = @grantId, decided_at = @decidedAt WHERE id = @id',
      ),
      getRequest: db.prepare('SELECT * FROM access_requests WHERE id = ?'),
      insertAudit: db.prepare(
        'INSERT INTO audit (at, principal, list, channel, first_seq, last_seq, count, scope) VALUES (@at, @principal, @list, @channel, @firstSeq, @lastSeq, @count, @scope)',
      ),
      pruneAudit: db.prepare('DELETE FROM audit WHERE at < ?'),
      pruneSearches: db.prepare('DELETE FROM audit_searches WHERE at < ?'),
      putSession: db.prepare(
        'INSERT OR REPLACE INTO console_sessions (id_hash, principal, via, credential, created_at, ends_at) VALUES (@idHash, @principal, @via, @credential, @createdAt, @endsAt)',
      ),
      getSession: db.prepare(
        'SELECT id_hash AS idHash, principal, via, credential, created_at AS createdAt, ends_at AS endsAt FROM console_sessions WHERE id_hash = ?',
      ),
      deleteSession: db.prepare('DELETE FROM console_sessions WHERE id_hash = ?'),
      pruneSessions: db.prepare('DELETE FROM console_sessions WHERE ends_at <= ?'),
      insertSearch: db.prepare(
        'INSERT INTO audit_searches (at, principal, list, subject, since, until, results) VALUES (@at, @principal, @list, @subject, @since, @until, @results)',
      ),
    };
  }

  setOwner(list: string, owner: string | null): void {
    this.s.setOwner.run(owner, list);
  }

  createKey(k: ApiKeyRecord): void {
    this.s.insertKey.run(k.id, k.principal, k.admin ? 1 : 0, k.prefix, k.hash, k.expiresAt, k.revokedAt, k.createdAt);
  }

  keys(): ApiKeyRecord[] {
    return (this.s.keys.all() as Record<string, unknown>[]).map((r) => ({
      id: r.id as string,
      principal: r.principal as string,
      admin: r.admin === 1,
      prefix: r.prefix as string,
      hash: r.hash as string,
      expiresAt: r.expires_at as number | null,
      revokedAt: r.revoked_at as number | null,
      createdAt: r.created_at as number,
    }));
  }

  revokeKey(id: string, at: number): boolean {
    return this.s.revokeKey.run(at, id).changes > 0;
  }

  addPublisher(p: PublisherRecord): void {
    this.s.addPublisher.run(p.list, p.principal, p.source, p.createdAt);
  }

  removePublisher(list: string, principal: string): boolean {
    return this.s.removePublisher.run(list, principal).changes > 0;
  }

  publishers(): PublisherRecord[] {
    return this.s.publishers.all() as PublisherRecord[];
  }

  createGrant(g: GrantRecord): void {
    this.s.insertGrant.run(g.id, g.list, g.principal, json(g.filter), json(g.fields), g.createdBy, g.createdAt, g.expiresAt);
  }

  updateGrant(g: GrantRecord): boolean {
    return this.s.updateGrant.run(json(g.filter), json(g.fields), g.expiresAt, g.id).changes > 0;
  }

  deleteGrant(id: string): boolean {
    return this.s.deleteGrant.run(id).changes > 0;
  }

  grants(): GrantRecord[] {
    return (this.s.grants.all() as Record<string, unknown>[]).map(grantOf);
  }

  createRequest(r: AccessRequestRecord): void {
    this.s.insertRequest.run({ ...r, filter: json(r.filter), fields: json(r.fields) });
  }

  updateRequest(r: AccessRequestRecord): void {
    this.s.updateRequest.run({ ...r, filter: json(r.filter), fields: json(r.fields) });
  }

  getRequest(id: string): AccessRequestRecord | undefined {
    const r = this.s.getRequest.get(id) as Record<string, unknown> | undefined;
    return r && accessRequestOf(r);
  }

  requests(f: { list?: string; principal?: string; status?: string }): AccessRequestRecord[] {
    let sql = 'SELECT * FROM access_requests WHERE 1 = 1';
    const params: unknown[] = [];
    if (f.list !== undefined) (sql += ' AND list = ?'), params.push(f.list);
    if (f.principal !== undefined) (sql += ' AND principal = ?'), params.push(f.principal);
    if (f.status !== undefined) (sql += ' AND status = ?'), params.push(f.status);
    return (this.db.prepare(sql + ' ORDER BY created_at LIMIT 10000').all(...params) as Record<string, unknown>[]).map(accessRequestOf);
  }

  appendAudit(rows: AuditRow[]): void {
    this.db.transaction(() => {
      for (const r of rows) this.s.insertAudit.run(r);
    })();
  }

  queryAudit(q: AuditQuery): (AuditRow & { id: number })[] {
    let sql = `SELECT id, at, principal, list, channel, first_seq AS firstSeq, last_seq AS lastSeq, count, scope FROM audit WHERE 1 = 1`;
    const params: unknown[] = [];
    if (q.list !== undefined) (sql += ' AND list = ?'), params.push(q.list);
    if (q.lists !== undefined) {
      if (q.lists.length === 0) return [];
      sql += ` AND list IN (${q.lists.map(() => '?').join(', ')})`;
      params.push(...q.lists);
    }
    if (q.principal !== undefined) (sql += ' AND principal = ?'), params.push(q.principal);
    if (q.since !== undefined) (sql += ' AND at >= ?'), params.push(q.since);
    if (q.until !== undefined) (sql += ' AND at < ?'), params.push(q.until);
    if (q.seqs !== undefined) {
      if (q.seqs.length === 0) return [];
      sql += ` AND (${q.seqs.map(() => '(first_seq <= ? AND last_seq >= ?)').join(' OR ')})`;
      for (const seq of q.seqs) params.push(seq, seq);
    }
    sql += ' ORDER BY at DESC, id DESC LIMIT ?';
    params.push(q.limit);
    return this.db.prepare(sql).all(...params) as (AuditRow & { id: number })[];
  }

  auditUsage(q: Omit<AuditQuery, 'seqs' | 'limit'>): UsageRow[] {
    let sql = `SELECT date(at / 1000, 'unixepoch') AS day, principal, list, channel, SUM(count) AS events FROM audit WHERE 1 = 1`;
    const params: unknown[] = [];
    if (q.list !== undefined) (sql += ' AND list = ?'), params.push(q.list);
    if (q.lists !== undefined) {
      if (q.lists.length === 0) return [];
      sql += ` AND list IN (${q.lists.map(() => '?').join(', ')})`;
      params.push(...q.lists);
    }
    if (q.principal !== undefined) (sql += ' AND principal = ?'), params.push(q.principal);
    if (q.since !== undefined) (sql += ' AND at >= ?'), params.push(q.since);
    if (q.until !== undefined) (sql += ' AND at < ?'), params.push(q.until);
    sql += ' GROUP BY day, principal, list, channel ORDER BY day, principal, list, channel';
    return this.db.prepare(sql).all(...params) as UsageRow[];
  }

  pruneAudit(before: number): number {
    this.s.pruneSearches.run(before);
    return this.s.pruneAudit.run(before).changes;
  }

  putConsoleSession(row: ConsoleSessionRow): void {
    this.s.putSession.run(row);
  }

  getConsoleSession(idHash: string): ConsoleSessionRow | undefined {
    return this.s.getSession.get(idHash) as ConsoleSessionRow | undefined;
  }

  deleteConsoleSession(idHash: string): void {
    this.s.deleteSession.run(idHash);
  }

  pruneConsoleSessions(now: number): number {
    return this.s.pruneSessions.run(now).changes;
  }

  recordAuditSearch(row: AuditSearchRow): void {
    this.s.insertSearch.run(row);
  }

  queryAuditSearches(q: AuditSearchQuery): (AuditSearchRow & { id: number })[] {
    let sql = 'SELECT id, at, principal, list, subject, since, until, results FROM audit_searches WHERE 1 = 1';
    const params: unknown[] = [];
    if (q.principal !== undefined) (sql += ' AND principal = ?'), params.push(q.principal);
    if (q.list !== undefined) (sql += ' AND list = ?'), params.push(q.list);
    if (q.since !== undefined) (sql += ' AND at >= ?'), params.push(q.since);
    if (q.until !== undefined) (sql += ' AND at < ?'), params.push(q.until);
    sql += ' ORDER BY at DESC, id DESC LIMIT ?';
    params.push(q.limit);
    return this.db.prepare(sql).all(...params) as (AuditSearchRow & { id: number })[];
  }
}
