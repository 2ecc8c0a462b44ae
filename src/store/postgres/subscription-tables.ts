import type pg from 'pg';
import type { AttemptRow, DeadLetterRow, DeliveryWork, RetryRow, SubscriptionRecord } from '../types.js';
import { type SubscriptionRow, jsonText, subscriptionOf } from '../rows.js';
import type { Db } from './db.js';

const RETRY_COLUMNS = `subscription_id AS "subscriptionId", seq, subject, state, failures, first_failure_at AS "firstFailureAt",
  next_at AS "nextAt", last_status AS "lastStatus", last_error AS "lastError"`;

/** Subscriptions, retries, dead letters and attempts in PostgreSQL. Bulk writes go through unnest(). */
export class PgSubscriptionTables {
  constructor(
    private readonly db: Db,
    /** Tell the other nodes that a subscription changed (inside the writing transaction). */
    private readonly changed: (client: pg.ClientBase, id: string) => Promise<void>,
  ) {}

  async create(r: SubscriptionRecord): Promise<void> {
    await this.db.tx(async (c) => {
      await c.query(
        `INSERT INTO subscriptions (id, list, owner, spec, secrets, status, disabled_reason, position, failing_since, created_at, updated_at, run_as)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [r.id, r.list, r.owner, JSON.stringify(r.spec), JSON.stringify(r.secrets), r.status, r.disabledReason, r.position, r.failingSince, r.createdAt, r.updatedAt, jsonText(r.runAs)],
      );
      await this.changed(c, r.id);
    });
  }

  async get(id: string): Promise<SubscriptionRecord | undefined> {
    const [row] = await this.db.rows<SubscriptionRow>('SELECT * FROM subscriptions WHERE id = $1', [id], 'herold_sub_get');
    return row && subscriptionOf(row);
  }

  async list(list?: string): Promise<SubscriptionRecord[]> {
    const rows =
      list === undefined
        ? await this.db.rows<SubscriptionRow>('SELECT * FROM subscriptions ORDER BY created_at, id')
        : await this.db.rows<SubscriptionRow>('SELECT * FROM subscriptions WHERE list = $1 ORDER BY created_at, id', [list]);
    return rows.map(subscriptionOf);
  }

  async update(r: SubscriptionRecord): Promise<void> {
    await this.db.tx(async (c) => {
      await c.query(
        `UPDATE subscriptions SET spec = $2, secrets = $3, status = $4, disabled_reason = $5,
           position = GREATEST(position, $6), failing_since = $7, updated_at = $8, run_as = $9 WHERE id = $1`,
        [r.id, JSON.stringify(r.spec), JSON.stringify(r.secrets), r.status, r.disabledReason, r.position, r.failingSince, r.updatedAt, jsonText(r.runAs)],
      );
      await this.changed(c, r.id);
    });
  }

  async delete(id: string): Promise<boolean> {
    return this.db.tx(async (c) => {
      await c.query('DELETE FROM retries WHERE subscription_id = $1', [id]);
      await c.query('DELETE FROM dead_letters WHERE subscription_id = $1', [id]);
      await c.query('DELETE FROM attempts WHERE subscription_id = $1', [id]);
      await c.query('DELETE FROM subscription_leases WHERE subscription_id = $1', [id]);
      const deleted = ((await c.query('DELETE FROM subscriptions WHERE id = $1', [id])).rowCount ?? 0) > 0;
      if (deleted) await this.changed(c, id);
      return deleted;
    });
  }

  async saveWork(work: DeliveryWork): Promise<void> {
    await this.db.tx(async (c) => {
      if (work.retries.length > 0) {
        const r = work.retries;
        await c.query({
          name: 'herold_upsert_retries',
          text: `INSERT INTO retries (subscription_id, seq, subject, state, failures, first_failure_at, next_at, last_status, last_error)
             SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::bigint[], $8::int[], $9::text[])
             ON CONFLICT (subscription_id, seq) DO UPDATE SET subject = excluded.subject, state = excluded.state, failures = excluded.failures,
               first_failure_at = excluded.first_failure_at, next_at = excluded.next_at, last_status = excluded.last_status, last_error = excluded.last_error`,
          values: [
            r.map((x) => x.subscriptionId),
            r.map((x) => x.seq),
            r.map((x) => x.subject),
            r.map((x) => x.state),
            r.map((x) => x.failures),
            r.map((x) => x.firstFailureAt),
            r.map((x) => x.nextAt),
            r.map((x) => x.lastStatus),
            r.map((x) => x.lastError),
          ],
        });
      }
      if (work.deleteRetries.length > 0) await this.deleteRetries(c, work.deleteRetries);
      if (work.deadLetters.length > 0) {
        const d = work.deadLetters;
        await c.query({
          name: 'herold_insert_dead',
          text: `INSERT INTO dead_letters (subscription_id, seq, reason, failures, last_status, last_response, created_at)
             SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::int[], $5::int[], $6::text[], $7::bigint[])
             ON CONFLICT (subscription_id, seq) DO UPDATE SET reason = excluded.reason, failures = excluded.failures,
               last_status = excluded.last_status, last_response = excluded.last_response, created_at = excluded.created_at`,
          values: [
            d.map((x) => x.subscriptionId),
            d.map((x) => x.seq),
            d.map((x) => x.reason),
            d.map((x) => x.failures),
            d.map((x) => x.lastStatus),
            d.map((x) => x.lastResponse),
            d.map((x) => x.createdAt),
          ],
        });
        await this.deleteRetries(c, d);
      }
      if (work.attempts.length > 0) {
        const a = work.attempts;
        await c.query({
          name: 'herold_insert_attempts',
          text: `INSERT INTO attempts (subscription_id, seq, webhook_id, at, outcome, status, latency_ms, response, error, request_headers)
             SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::int[], $7::float8[], $8::text[], $9::text[], $10::text[])`,
          values: [
            a.map((x) => x.subscriptionId),
            a.map((x) => x.seq),
            a.map((x) => x.webhookId),
            a.map((x) => x.at),
            a.map((x) => x.outcome),
            a.map((x) => x.status),
            a.map((x) => x.latencyMs),
            a.map((x) => x.response),
            a.map((x) => x.error),
            a.map((x) => (x.requestHeaders === null ? null : JSON.stringify(x.requestHeaders))),
          ],
        });
      }
      if (work.progress.length > 0) {
        const p = work.progress;
        await c.query({
          name: 'herold_progress',
          text: `UPDATE subscriptions s SET position = GREATEST(s.position, v.position), failing_since = v.failing_since
             FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS v(id, position, failing_since) WHERE s.id = v.id`,
          values: [p.map((x) => x.subscriptionId), p.map((x) => x.position), p.map((x) => x.failingSince)],
        });
      }
    });
  }

  private async deleteRetries(c: pg.ClientBase, rows: { subscriptionId: string; seq: number }[]): Promise<void> {
    await c.query({
      name: 'herold_delete_retries',
      text: `DELETE FROM retries r USING unnest($1::text[], $2::bigint[]) AS v(id, seq) WHERE r.subscription_id = v.id AND r.seq = v.seq`,
      values: [rows.map((x) => x.subscriptionId), rows.map((x) => x.seq)],
    });
  }

  async retries(subscriptionId: string): Promise<RetryRow[]> {
    return this.db.rows<RetryRow>(`SELECT ${RETRY_COLUMNS} FROM retries WHERE subscription_id = $1 ORDER BY seq`, [subscriptionId]);
  }

  async deadLetters(subscriptionId: string, after: number, limit: number): Promise<DeadLetterRow[]> {
    return this.db.rows<DeadLetterRow>(
      `SELECT subscription_id AS "subscriptionId", seq, reason, failures, last_status AS "lastStatus", last_response AS "lastResponse",
         created_at AS "createdAt" FROM dead_letters WHERE subscription_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [subscriptionId, after, limit],
    );
  }

  async takeDeadLetters(subscriptionId: string, seqs?: number[]): Promise<number[]> {
    if (seqs === undefined) {
      const rows = await this.db.rows<{ seq: number }>('DELETE FROM dead_letters WHERE subscription_id = $1 RETURNING seq', [subscriptionId]);
      return rows.map((r) => r.seq).sort((a, b) => a - b);
    }
    if (seqs.length === 0) return [];
    const rows = await this.db.rows<{ seq: number }>('DELETE FROM dead_letters WHERE subscription_id = $1 AND seq = ANY($2::bigint[]) RETURNING seq', [
      subscriptionId,
      seqs,
    ]);
    const present = new Set(rows.map((r) => r.seq));
    return seqs.filter((seq) => present.has(seq));
  }

  async attempts(subscriptionId: string, before: number | undefined, limit: number): Promise<(AttemptRow & { id: number })[]> {
    const rows = await this.db.rows<Omit<AttemptRow, 'requestHeaders'> & { id: number; requestHeaders: string | null }>(
      `SELECT id, subscription_id AS "subscriptionId", seq, webhook_id AS "webhookId", at, outcome, status, latency_ms AS "latencyMs",
         response, error, request_headers AS "requestHeaders" FROM attempts WHERE subscription_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`,
      [subscriptionId, before ?? Number.MAX_SAFE_INTEGER, limit],
    );
    return rows.map((r) => ({ ...r, requestHeaders: r.requestHeaders === null ? null : (JSON.parse(r.requestHeaders) as Record<string, string>) }));
  }

  async pruneAttempts(keep: number): Promise<void> {
    await this.db.query(
      `DELETE FROM attempts a USING (
         SELECT s.id, (SELECT x.id FROM attempts x WHERE x.subscription_id = s.id ORDER BY x.id DESC LIMIT 1 OFFSET $1) AS cutoff
         FROM subscriptions s) c
       WHERE a.subscription_id = c.id AND c.cutoff IS NOT NULL AND a.id <= c.cutoff`,
      [keep],
    );
  }
}
