import type { AttemptRow, DeadLetterRow, RetryRow, SubscriptionStore } from '../store/types.js';

/**
 * Delivery bookkeeping, written in batches: one transaction every few
 * milliseconds instead of one per delivery. A subscription's position and the
 * retry rows that let it move past failed events always land in the same
 * transaction, so a crash can only cause redelivery, never a loss.
 */
export class DeliveryJournal {
  private progress = new Map<string, { position: number; failingSince: number | null }>();
  private retries = new Map<string, RetryRow>();
  private deletes = new Map<string, { subscriptionId: string; seq: number }>();
  private dead = new Map<string, DeadLetterRow>();
  private attempts: AttemptRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Pick<SubscriptionStore, 'saveDeliveryWork'>,
    private readonly intervalMs = 50,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  setProgress(subscriptionId: string, position: number, failingSince: number | null): void {
    this.progress.set(subscriptionId, { position, failingSince });
    this.schedule();
  }

  upsertRetry(row: RetryRow): void {
    const k = `${row.subscriptionId}\u0000${row.seq}`;
    this.deletes.delete(k);
    this.dead.delete(k);
    this.retries.set(k, row);
    this.schedule();
  }

  deleteRetry(subscriptionId: string, seq: number): void {
    const k = `${subscriptionId}\u0000${seq}`;
    this.retries.delete(k);
    this.deletes.set(k, { subscriptionId, seq });
    this.schedule();
  }

  deadLetter(row: DeadLetterRow): void {
    const k = `${row.subscriptionId}\u0000${row.seq}`;
    this.retries.delete(k);
    this.deletes.delete(k);
    this.dead.set(k, row);
    this.schedule();
  }

  attempt(row: AttemptRow): void {
    this.attempts.push(row);
    if (this.attempts.length >= 5000) void this.flush();
    else this.schedule();
  }

  /** Forget everything pending for a deleted subscription. */
  forget(subscriptionId: string): void {
    this.progress.delete(subscriptionId);
    for (const map of [this.retries, this.deletes, this.dead] as Map<string, { subscriptionId: string }>[]) {
      for (const [k, v] of map) if (v.subscriptionId === subscriptionId) map.delete(k);
    }
    this.attempts = this.attempts.filter((a) => a.subscriptionId !== subscriptionId);
  }

  private putBack<T extends { subscriptionId: string; seq: number }>(map: Map<string, T>, row: T): void {
    const k = `${row.subscriptionId}\u0000${row.seq}`;
    if (!this.retries.has(k) && !this.deletes.has(k) && !this.dead.has(k)) map.set(k, row);
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.intervalMs);
  }

  /** Write what is pending; resolves when it is durable. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.flushing = this.flushing.then(async () => {
      if (this.progress.size + this.retries.size + this.deletes.size + this.dead.size + this.attempts.length === 0) return;
      const work = {
        progress: [...this.progress].map(([subscriptionId, p]) => ({ subscriptionId, ...p })),
        retries: [...this.retries.values()],
        deleteRetries: [...this.deletes.values()],
        deadLetters: [...this.dead.values()],
        attempts: this.attempts,
      };
      this.progress = new Map();
      this.retries = new Map();
      this.deletes = new Map();
      this.dead = new Map();
      this.attempts = [];
      try {
        await this.store.saveDeliveryWork(work);
      } catch (error) {
        // Put it back (newer entries win) so that positions never land without their retry rows.
        for (const p of work.progress) if (!this.progress.has(p.subscriptionId)) this.progress.set(p.subscriptionId, p);
        for (const r of work.retries) this.putBack(this.retries, r);
        for (const d of work.deleteRetries) this.putBack(this.deletes, d);
        for (const d of work.deadLetters) this.putBack(this.dead, d);
        this.attempts = [...work.attempts.slice(-10_000), ...this.attempts];
        this.onError(error);
        this.timer ??= setTimeout(() => {
          this.timer = null;
          void this.flush();
        }, 1000);
      }
    });
    return this.flushing;
  }
}
