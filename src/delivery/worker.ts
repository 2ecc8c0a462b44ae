import { hash } from 'node:crypto';
import type { Scope } from '../access/access.js';
import { HubError } from '../hub/errors.js';
import { queryRequirements, type EventQuery, type Hub, type ServedEvent } from '../hub/hub.js';
import type { MatchingWait } from '../hub/live-bus.js';
import type { Requirements } from '../cesql/index.js';
import type { DeliveryConfig } from '../hub/subscriptions/spec.js';
import type { RetryRow, SubscriptionRecord, SubscriptionStore } from '../store/types.js';
import type { DeliveryJournal } from './journal.js';
import { type RetryPolicy, nextRetryDelayMs } from './retry.js';
import { type DeliveryResult, type Sink, SinkDelivery } from './sink.js';

export interface WorkerDeps {
  hub: Hub;
  /** Where its retry rows are (loaded at start). */
  store: Pick<SubscriptionStore, 'listRetries'>;
  journal: DeliveryJournal;
  sink: Sink;
  record: SubscriptionRecord;
  config: DeliveryConfig;
  /** The subscription as a reader's query (subscriptions/read-query.ts): exact filters and its own filter. */
  query: Omit<EventQuery, 'after'>;
  /** The owner's scope: the hub composes its row filter, minimises and links within it. */
  scope: Scope;
  retry: RetryPolicy;
  /** Disable after failing continuously this long. */
  disableAfterMs: number;
  onDisable(reason: string): void;
  onDeadLetter(seq: number, reason: string, result: DeliveryResult): void;
  onResult?(result: DeliveryResult): void;
  /** An event reached the sink (for the audit log). */
  onDelivered?(seq: number): void;
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/** The delivery id of an event for a subscription: the same across retries and redeliveries. */
export function deliveryId(subscriptionId: string, seq: number): string {
  return 'msg_' + hash('sha256', `${subscriptionId}:${seq}`, 'base64url').slice(0, 27);
}

const READ_PAGE = 200;

/**
 * Drives one subscription: a cursor over its list plus its filter and its
 * owner's scope (DESIGN.md "One log, many doors"). It reads matching events
 * after its position, hands them to the sink, and moves the position only over
 * events that are delivered, dead-lettered, or recorded as retries, so the
 * position is safe to persist at any moment (at-least-once).
 *
 * Ordering 'subject': a subject's events go out one at a time in seq order; a
 * failing subject parks its later events (as 'blocked' rows) and blocks only
 * itself. Ordering 'none': up to `concurrency` deliveries in flight.
 */
export class SubscriptionWorker {
  private position: number;
  private readCursor: number;
  private failingSince: number | null;
  /** Seqs read but not yet finished or persisted as retry rows; the position stays below them. */
  private readonly outstanding = new Set<number>();
  private readonly outstandingOrder: number[] = [];
  private outstandingHead = 0;
  private readonly retries = new Map<number, RetryRow>();
  private readonly inflight = new Set<number>();
  /** Read and cleared to go, waiting for a free delivery slot (in seq order). */
  private readonly ready: { seq: number; json: string; subject: string | null }[] = [];
  /** ordering 'subject': subjects with a delivery in flight or a retry pending, and what waits behind. */
  private readonly busy = new Map<string, { waiting: (ServedEvent | number)[]; failed: boolean }>();
  private stopped = false;
  private readonly abort = new AbortController();
  private wake: (() => void) | null = null;
  /** The bus wait of the current waitForWork, if it waits for new events. */
  private waiting: MatchingWait | null = null;
  /** What an event must be for the subscription's own filters to match it (never stronger than they are). */
  private readonly requirements: Requirements;
  private loop: Promise<void> | null = null;
  private readonly maxOutstanding: number;
  /** Deliveries in flight at most: the subscription's concurrency, or the sink's window when it pipelines. */
  private readonly inflightLimit: number;

  constructor(private readonly d: WorkerDeps) {
    this.position = d.record.position;
    this.readCursor = d.record.position;
    this.failingSince = d.record.failingSince;
    this.inflightLimit = Math.max(d.config.concurrency, d.sink.window ?? 0);
    this.maxOutstanding = Math.max(64, d.config.concurrency * 8, this.inflightLimit * 2);
    // The owner's own filters only: a grant's row filter may change under a running worker's scope
    // (it is restarted then), the subscription's filters may not (a PUT restarts it too).
    const q = d.query;
    this.requirements = queryRequirements({ types: q.types, sources: q.sources, subjects: q.subjects, requires: q.filter?.requires });
  }

  get id(): string {
    return this.d.record.id;
  }

  get owner(): string {
    return this.d.record.owner;
  }

  get list(): string {
    return this.d.record.list;
  }

  async start(): Promise<void> {
    const rows = await this.d.store.listRetries(this.id);
    for (const row of rows) {
      this.retries.set(row.seq, row);
      if (this.d.config.ordering === 'subject' && row.subject !== null && row.failures > 0) {
        this.busyEntry(row.subject).failed = true;
      }
    }
    // Blocked rows wait behind their subject's failed one, in seq order.
    for (const row of rows) {
      if (row.state !== 'blocked' || row.subject === null) continue;
      const entry = this.busy.get(row.subject);
      if (entry) entry.waiting.push(row.seq);
      else this.retries.set(row.seq, { ...row, state: 'retry', nextAt: Date.now() });
    }
    this.loop = this.run().catch((error) => this.d.log.error({ err: error, subscription: this.id }, 'delivery worker failed'));
  }

  /** Stop reading; wait (bounded) for deliveries in flight. */
  async stop(waitMs = 15_000): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.poke();
    const deadline = Date.now() + waitMs;
    while (this.inflight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await this.loop;
  }

  /** Stop reading at once (a restart under another scope follows); deliveries in flight finish. */
  halt(): void {
    this.stopped = true;
    this.poke();
  }

  /** Deliver these seqs again now (explicit redelivery; outside subject ordering). */
  redeliver(seqs: number[]): void {
    const now = Date.now();
    for (const seq of seqs) {
      const existing = this.retries.get(seq);
      const row: RetryRow = existing
        ? { ...existing, state: 'retry', nextAt: now }
        : { subscriptionId: this.id, seq, subject: null, state: 'retry', failures: 0, firstFailureAt: null, nextAt: now, lastStatus: null, lastError: null };
      this.retries.set(seq, row);
      this.d.journal.upsertRetry(row);
    }
    this.poke();
  }

  status(): { position: number; inflight: number; retrying: number } {
    // Waiting with nothing unfinished: the commits the bus passed over hold nothing for it.
    const idle = this.waiting !== null && this.outstanding.size === 0 && this.position === this.readCursor;
    const position = idle ? Math.max(this.position, this.waiting!.clearThrough) : this.position;
    return { position, inflight: this.inflight.size, retrying: this.retries.size };
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async run(): Promise<void> {
    const { hub, record } = this.d;
    while (!this.stopped) {
      const now = Date.now();
      // 1. Retries that are due.
      let nextDue = Infinity;
      for (const row of this.retries.values()) {
        if (this.inflight.size >= this.inflightLimit) break;
        if (row.state !== 'retry' || this.inflight.has(row.seq)) continue;
        if ((row.nextAt ?? 0) <= now) void this.launchStored(row.seq, row);
        else nextDue = Math.min(nextDue, row.nextAt!);
      }
      // 2. New events.
      if (this.ready.length === 0 && this.inflight.size < this.inflightLimit && this.outstanding.size < this.maxOutstanding && this.readCursor < hub.head(record.list)) {
        let page;
        try {
          // Recorded in the audit when the sink acknowledges, not when read.
          page = await hub.read(this.d.scope, { ...this.d.query, after: this.readCursor, limit: Math.min(READ_PAGE, this.maxOutstanding - this.outstanding.size) }, null);
        } catch (error) {
          // The store is away for a moment (a networked database): try again, do not give up on the subscription.
          this.d.log.warn({ err: error, subscription: this.id }, 'could not read events; trying again in 1 s');
          await new Promise((r) => setTimeout(r, 1000));
          continue;
        }
        if (this.stopped) break;
        for (const e of page.events) this.accept(e);
        this.pump();
        this.readCursor = page.next;
        this.advance();
        continue;
      }
      // 3. Wait for a completion, a due retry, a new event, or stop.
      await this.waitForWork(Math.min(30_000, Math.max(1, nextDue - Date.now())));
    }
  }

  private waitForWork(timeoutMs: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const { hub, record } = this.d;
    return new Promise<void>((resolve) => {
      // Each wait has its own bus waiter, cancelled when the wait ends, and a
      // stale wake-up may not clear a newer wait's handle.
      let wait: MatchingWait | null = null;
      const done = () => {
        clearTimeout(timer);
        if (this.wake === done) this.wake = null;
        if (wait) {
          wait.cancel();
          if (this.waiting === wait) this.waiting = null;
          this.skipThrough(wait.clearThrough);
          wait = null;
        }
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.wake = done;
      // Room for more: a new event in the list is work too, but only a commit that may hold one the
      // filters match wakes it (live-bus.ts). stop() pokes this wait, which ends it and cancels the bus waiter.
      if (this.inflight.size < this.inflightLimit && this.outstanding.size < this.maxOutstanding) {
        wait = hub.bus.onceMatching(record.list, this.readCursor, this.requirements, done);
        if (wait !== null && this.wake === done) this.waiting = wait;
      }
    });
  }

  /**
   * The bus passed over commits up to `seq` that hold nothing the filters
   * match: as if a read had returned no events there. Only from the cursor
   * the wait began at, so nothing is skipped that was not looked at. Also
   * when stopping: the position saved at stop then covers them, as if they
   * had been read (a filter PUT restarts the worker and must not see them).
   */
  private skipThrough(seq: number): void {
    if (seq <= this.readCursor) return;
    this.readCursor = seq;
    this.advance();
  }

  /** ordering 'subject': the stored subject, whether or not the owner is served it. */
  private subjectOf(e: ServedEvent): string | null {
    return this.d.config.ordering === 'subject' ? e.orderKey : null;
  }

  private busyEntry(subject: string) {
    let entry = this.busy.get(subject);
    if (!entry) this.busy.set(subject, (entry = { waiting: [], failed: false }));
    return entry;
  }

  private accept(e: ServedEvent): void {
    const subject = this.subjectOf(e);
    if (subject !== null) {
      const entry = this.busy.get(subject);
      if (entry?.failed) {
        // Park it durably behind the failing one; the position may pass it.
        const row: RetryRow = { subscriptionId: this.id, seq: e.seq, subject, state: 'blocked', failures: 0, firstFailureAt: null, nextAt: null, lastStatus: null, lastError: null };
        this.retries.set(e.seq, row);
        this.d.journal.upsertRetry(row);
        entry.waiting.push(e.seq);
        return;
      }
      this.addOutstanding(e.seq);
      if (entry) {
        entry.waiting.push(e);
        return;
      }
      this.busyEntry(subject);
    } else {
      this.addOutstanding(e.seq);
    }
    this.ready.push({ seq: e.seq, json: e.json, subject });
  }

  /** Start deliveries from the ready queue while there is a free slot. */
  private pump(): void {
    while (this.ready.length > 0 && this.inflight.size < this.inflightLimit && !this.stopped) {
      const next = this.ready.shift()!;
      void this.launch(next.seq, next.json, undefined, next.subject);
    }
  }

  private addOutstanding(seq: number): void {
    this.outstanding.add(seq);
    this.outstandingOrder.push(seq);
  }

  private finishOutstanding(seq: number): void {
    this.outstanding.delete(seq);
  }

  /** Move the position up to just below the oldest unfinished event. */
  private advance(): void {
    while (this.outstandingHead < this.outstandingOrder.length && !this.outstanding.has(this.outstandingOrder[this.outstandingHead])) {
      this.outstandingHead++;
    }
    if (this.outstandingHead > 4096) {
      this.outstandingOrder.splice(0, this.outstandingHead);
      this.outstandingHead = 0;
    }
    const oldest = this.outstandingOrder[this.outstandingHead];
    const next = oldest === undefined ? this.readCursor : oldest - 1;
    if (next > this.position) {
      this.position = next;
      this.d.journal.setProgress(this.id, this.position, this.failingSince);
    }
  }

  /** Deliver an event known only by seq (a retry or a parked event). */
  private async launchStored(seq: number, row: RetryRow): Promise<void> {
    this.inflight.add(seq);
    let json: string | undefined;
    try {
      json = (await this.d.hub.getEvent(this.d.scope, seq, null)).json;
    } catch (error) {
      // Gone from the list, or no longer visible to the owner: nothing to deliver.
      if (!(error instanceof HubError && error.kind === 'not-found')) {
        this.inflight.delete(seq);
        this.d.log.warn({ err: error, subscription: this.id, seq }, 'could not load event for retry');
        return;
      }
    }
    this.inflight.delete(seq);
    if (json === undefined) {
      this.retries.delete(seq);
      this.d.journal.deleteRetry(this.id, seq);
      this.releaseSubject(row.subject);
      this.poke();
      return;
    }
    await this.launch(seq, json, row, row.subject);
  }

  private async launch(seq: number, json: string, row: RetryRow | undefined, orderSubject: string | null): Promise<void> {
    this.inflight.add(seq);
    const webhookId = deliveryId(this.id, seq);
    let result: DeliveryResult;
    try {
      result = await this.d.sink.deliver(new SinkDelivery(this.id, seq, webhookId, json));
    } catch (error) {
      result = { outcome: 'retry', latencyMs: 0, error: (error as Error).message };
    }
    this.inflight.delete(seq);
    if (this.stopped && this.abort.signal.aborted && result.outcome !== 'success') {
      // Shutting down: leave it unfinished; it is delivered again after restart.
      this.poke();
      return;
    }
    this.d.onResult?.(result);
    this.d.journal.attempt({
      subscriptionId: this.id,
      seq,
      webhookId,
      at: Date.now(),
      outcome: result.outcome,
      status: result.status ?? null,
      latencyMs: result.latencyMs,
      response: result.responseSnippet ?? null,
      error: result.error ?? null,
      requestHeaders: result.requestHeaders ?? null,
    });
    const subject = row?.subject ?? orderSubject;
    switch (result.outcome) {
      case 'success':
        this.d.onDelivered?.(seq);
        this.failingSince = null;
        this.done(seq, row);
        this.releaseSubject(subject);
        break;
      case 'dead':
        this.deadLetter(seq, subject, `The sink refused the event (${result.status ?? result.error ?? 'error'}); it is not retried.`, result, row);
        // A sink that refuses everything is failing too: it counts towards auto-disable.
        this.failingSince ??= Date.now();
        if (Date.now() - this.failingSince >= this.d.disableAfterMs) {
          this.d.onDisable(`Deliveries have failed continuously since ${new Date(this.failingSince).toISOString()}.`);
        }
        break;
      case 'gone':
        this.d.onDisable(`The sink answered 410 Gone at ${new Date().toISOString()}.`);
        break;
      case 'retry':
        this.scheduleRetry(seq, subject, result, row);
        break;
    }
    this.pump();
    this.advance();
    this.poke();
  }

  private done(seq: number, row: RetryRow | undefined): void {
    this.finishOutstanding(seq);
    if (row || this.retries.has(seq)) {
      this.retries.delete(seq);
      this.d.journal.deleteRetry(this.id, seq);
    }
  }

  private deadLetter(seq: number, subject: string | null, reason: string, result: DeliveryResult, row: RetryRow | undefined): void {
    this.finishOutstanding(seq);
    this.retries.delete(seq);
    this.d.journal.deadLetter({
      subscriptionId: this.id,
      seq,
      reason,
      failures: (row?.failures ?? 0) + 1,
      lastStatus: result.status ?? null,
      lastResponse: result.responseSnippet ?? result.error ?? null,
      createdAt: Date.now(),
    });
    this.d.onDeadLetter(seq, reason, result);
    this.releaseSubject(subject);
  }

  private scheduleRetry(seq: number, subject: string | null, result: DeliveryResult, row: RetryRow | undefined): void {
    const now = Date.now();
    this.failingSince ??= now;
    const failures = (row?.failures ?? 0) + 1;
    const firstFailureAt = row?.firstFailureAt ?? now;
    // Retry-After sets the time of the next attempt, but not how many there are or for how long.
    const scheduled = nextRetryDelayMs(this.d.retry, failures, firstFailureAt, now);
    const delay = scheduled === null ? null : (result.retryAfterMs ?? scheduled);
    if (delay === null) {
      this.deadLetter(seq, subject, `Retries exhausted after ${failures} attempts; last: ${result.status ?? result.error ?? 'error'}.`, result, row);
    } else {
      const next: RetryRow = {
        subscriptionId: this.id,
        seq,
        subject,
        state: 'retry',
        failures,
        firstFailureAt,
        nextAt: now + delay,
        lastStatus: result.status ?? null,
        lastError: result.error ?? null,
      };
      this.retries.set(seq, next);
      this.d.journal.upsertRetry(next);
      this.finishOutstanding(seq);
      if (subject !== null) this.failSubject(subject);
    }
    if (now - this.failingSince >= this.d.disableAfterMs) {
      this.d.onDisable(`Deliveries have failed continuously since ${new Date(this.failingSince).toISOString()}.`);
    }
  }

  /** A subject's delivery failed: what waits behind it in memory is parked durably. */
  private failSubject(subject: string): void {
    const entry = this.busyEntry(subject);
    entry.failed = true;
    entry.waiting = entry.waiting.map((w) => {
      if (typeof w === 'number') return w;
      const row: RetryRow = { subscriptionId: this.id, seq: w.seq, subject, state: 'blocked', failures: 0, firstFailureAt: null, nextAt: null, lastStatus: null, lastError: null };
      this.retries.set(w.seq, row);
      this.d.journal.upsertRetry(row);
      this.finishOutstanding(w.seq);
      return w.seq;
    });
  }

  /** The subject's current event is finished: send the next one waiting behind it. */
  private releaseSubject(subject: string | null): void {
    if (subject === null) return;
    const entry = this.busy.get(subject);
    if (!entry) return;
    const next = entry.waiting.shift();
    if (next === undefined) {
      this.busy.delete(subject);
      return;
    }
    entry.failed = false;
    if (typeof next === 'number') {
      const row = this.retries.get(next);
      if (row) void this.launchStored(next, row);
      else this.releaseSubject(subject);
    } else {
      this.ready.push({ seq: next.seq, json: next.json, subject: this.subjectOf(next) });
      this.pump();
    }
  }
}
