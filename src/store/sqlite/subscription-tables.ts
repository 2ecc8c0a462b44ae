import type { Database as Db } from 'better-sqlite3';
import type { AttemptRow, DeadLetterRow, DeliveryWork, RetryRow, SubscriptionRecord } from '../types.js';
import { type SubscriptionRow, jsonText, subscriptionOf } from '../rows.js';

/** Subscriptions, retries, dead letters and attempts in SQLite. */
const INSERT_ATTEMPTS = 'INSERT INTO attempts (subscription_id, seq, webhook_id, at, outcome, status, latency_ms, response, error, request_headers)';
const ATTEMPT_VALUES = 'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const ATTEMPT_BATCH = 50;

/** An attempt's columns into `out` from `at` (positional: cheaper to bind than named). */
function attemptValues(a: AttemptRow, out: unknown[], at: number): unknown[] {
  out[at] = a.subscriptionId;
  out[at + 1] = a.seq;
  out[at + 2] = a.webhookId;
  out[at + 3] = a.at;
  out[at + 4] = a.outcome;
  out[at + 5] = a.status ?? null;
  out[at + 6] = a.latencyMs;
  out[at + 7] = a.response ?? null;
  out[at + 8] = a.error ?? null;
  out[at + 9] = a.requestHeaders == null ? null : headersText(a.requestHeaders);
  return out;
}

/** A sink may hand the same headers object with every attempt (AMQP: exchange and routing key): serialised once. */
const headersTexts = new WeakMap<object, string>();
function headersText(h: Record<string, string>): string {
  let text = headersTexts.get(h);
  if (text === undefined) headersTexts.set(h, (text = JSON.stringify(h)));
  return text;
}

export class SqliteSubscriptionTables {
  private readonly s;

  constructor(private readonly db: Db) {
    this.s = {
      insert: db.prepare(
        `INSERT INTO subscriptions (id, list, owner, spec, secrets, status, disabled_reason, position, failing_since, run_as, created_at, updated_at)
         VALUES (@id, @list, @owner, @spec, @secrets, @status, @disabledReason, @position, @failingSince, @runAs, @createdAt, @updatedAt)`,
      ),
      get: db.prepare('SELECT * FROM subscriptions WHERE id = ?'),
      all: db.prepare('SELECT * FROM subscriptions ORDER BY created_at, id'),
      byList: db.prepare('SELECT * FROM subscriptions WHERE list = ? ORDER BY created_at, id'),
      update: db.prepare(
        `UPDATE subscriptions SET spec = @spec, secrets = @secrets, status = @status, disabled_reason = @disabledReason,
         position = max(position, @position), failing_since = @failingSince, run_as = @runAs, updated_at = @updatedAt WHERE id = @id`,
      ),
      progress: db.prepare('UPDATE subscriptions SET position = max(position, ?), failing_since = ? WHERE id = ?'),
      del: db.prepare('DELETE FROM subscriptions WHERE id = ?'),
      delRetries: db.prepare('DELETE FROM retries WHERE subscription_id = ?'),
      delDead: db.prepare('DELETE FROM dead_letters WHERE subscription_id = ?'),
      delAttempts: db.prepare('DELETE FROM attempts WHERE subscription_id = ?'),
      upsertRetry: db.prepare(
        `INSERT INTO retries (subscription_id, seq, subject, state, failures, first_failure_at, next_at, last_status, last_error)
         VALUES (@subscriptionId, @seq, @subject, @state, @failures, @firstFailureAt, @nextAt, @lastStatus, @lastError)
         ON CONFLICT (subscription_id, seq) DO UPDATE SET subject = excluded.subject, state = excluded.state, failures = excluded.failures,
           first_failure_at = excluded.first_failure_at, next_at = excluded.next_at, last_status = excluded.last_status, last_error = excluded.last_error`,
      ),
      deleteRetry: db.prepare('DELETE FROM retries WHERE subscription_id = ? AND seq = ?'),
      listRetries: db.prepare(
        `SELECT subscription_id AS subscriptionId, seq, subject, state, failures, first_failure_at AS firstFailureAt,
         next_at AS nextAt, last_status AS lastStatus, last_error AS lastError FROM retries WHERE subscription_id = ? ORDER BY seq`,
      ),
      insertDead: db.prepare(
        `INSERT INTO dead_letters (subscription_id, seq, reason, failures, last_status, last_response, created_at)
         VALUES (@subscriptionId, @seq, @reason, @failures, @lastStatus, @lastResponse, @createdAt)
         ON CONFLICT (subscription_id, seq) DO UPDATE SET reason = excluded.reason, failures = excluded.failures,
           last_status = excluded.last_status, last_response = excluded.last_response, created_at = excluded.created_at`,
      ),
      listDead: db.prepare(
        `SELECT subscription_id AS subscriptionId, seq, reason, failures, last_status AS lastStatus, last_response AS lastResponse,
         created_at AS createdAt FROM dead_letters WHERE subscription_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
      ),
      allDeadSeqs: db.prepare('SELECT seq FROM dead_letters WHERE subscription_id = ? ORDER BY seq').pluck(),
      deleteDead: db.prepare('DELETE FROM dead_letters WHERE subscription_id = ? AND seq = ?'),
      insertAttempt: db.prepare(`${INSERT_ATTEMPTS} ${ATTEMPT_VALUES}`),
      // A batch's attempts go in ATTEMPT_BATCH rows to a statement: a delivery each, a thousand a second per subscription.
      insertAttempts: db.prepare(`${INSERT_ATTEMPTS} ${Array(ATTEMPT_BATCH).fill(ATTEMPT_VALUES.slice('VALUES '.length)).join(', ').replace(/^/, 'VALUES ')}`),
      listAttempts: db.prepare(
        `SELECT id, subscription_id AS subscriptionId, seq, webhook_id AS webhookId, at, outcome, status, latency_ms AS latencyMs,
         response, error, request_headers AS requestHeaders FROM attempts WHERE subscription_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
      ),
      subscriptionIds: db.prepare('SELECT id FROM subscriptions').pluck(),
      pruneAttempts: db.prepare(
        `DELETE FROM attempts WHERE subscription_id = ? AND id <=
           (SELECT id FROM attempts WHERE subscription_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
      ),
    };
  }

  create(r: SubscriptionRecord): void {
    this.s.insert.run({ ...r, spec: JSON.stringify(r.spec), secrets: JSON.stringify(r.secrets), runAs: jsonText(r.runAs) });
  }

  get(id: string): SubscriptionRecord | undefined {
    const row = this.s.get.get(id) as SubscriptionRow | undefined;
    return row && subscriptionOf(row);
  }

  list(list?: string): SubscriptionRecord[] {
    const rows = (list === undefined ? this.s.all.all() : this.s.byList.all(list)) as SubscriptionRow[];
    return rows.map(subscriptionOf);
  }

  update(r: SubscriptionRecord): void {
    this.s.update.run({ ...r, spec: JSON.stringify(r.spec), secrets: JSON.stringify(r.secrets), runAs: jsonText(r.runAs) });
  }

  delete(id: string): boolean {
    return this.db.transaction(() => {
      this.s.delRetries.run(id);
      this.s.delDead.run(id);
      this.s.delAttempts.run(id);
      return this.s.del.run(id).changes > 0;
    })();
  }

  saveWork(work: DeliveryWork): void {
    this.db.transaction(() => {
      for (const r of work.retries) this.s.upsertRetry.run(r);
      for (const d of work.deleteRetries) this.s.deleteRetry.run(d.subscriptionId, d.seq);
      for (const d of work.deadLetters) {
        this.s.insertDead.run(d);
        this.s.deleteRetry.run(d.subscriptionId, d.seq);
      }
      this.insertAttempts(work.attempts);
      for (const p of work.progress) this.s.progress.run(p.position, p.failingSince, p.subscriptionId);
    })();
  }

  private insertAttempts(attempts: AttemptRow[]): void {
    const n = attempts.length;
    let i = 0;
    if (n >= ATTEMPT_BATCH) {
      const values: unknown[] = new Array(ATTEMPT_BATCH * 10);
      for (; i + ATTEMPT_BATCH <= n; i += ATTEMPT_BATCH) {
        for (let k = 0; k < ATTEMPT_BATCH; k++) attemptValues(attempts[i + k], values, k * 10);
        this.s.insertAttempts.run(values);
      }
    }
    const one: unknown[] = new Array(10);
    for (; i < n; i++) this.s.insertAttempt.run(attemptValues(attempts[i], one, 0));
  }

  retries(subscriptionId: string): RetryRow[] {
    return this.s.listRetries.all(subscriptionId) as RetryRow[];
  }

  deadLetters(subscriptionId: string, after: number, limit: number): DeadLetterRow[] {
    return this.s.listDead.all(subscriptionId, after, limit) as DeadLetterRow[];
  }

  takeDeadLetters(subscriptionId: string, seqs?: number[]): number[] {
    return this.db.transaction(() => {
      const present = new Set(this.s.allDeadSeqs.all(subscriptionId) as number[]);
      const taken = (seqs ?? [...present]).filter((seq) => present.has(seq));
      for (const seq of taken) this.s.deleteDead.run(subscriptionId, seq);
      return taken;
    })();
  }

  attempts(subscriptionId: string, before: number | undefined, limit: number): (AttemptRow & { id: number })[] {
    const rows = this.s.listAttempts.all(subscriptionId, before ?? Number.MAX_SAFE_INTEGER, limit) as (Omit<AttemptRow, 'requestHeaders'> & { id: number; requestHeaders: string | null })[];
    return rows.map((r) => ({ ...r, requestHeaders: r.requestHeaders === null ? null : (JSON.parse(r.requestHeaders) as Record<string, string>) }));
  }

  pruneAttempts(keep: number): void {
    for (const id of this.s.subscriptionIds.all() as string[]) this.s.pruneAttempts.run(id, id, keep);
  }
}
