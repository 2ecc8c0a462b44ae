import { type BackoffOptions, backoffDelay, sleep } from './backoff.js';
import type { EchoGuard } from './causation.js';
import { HeroldClient, withDefaults } from './client.js';
import { HeroldError, PublishError, isTransient } from './errors.js';
import type { ConnectionOptions } from './http.js';
import type { OutgoingEvent } from './types.js';

export interface PublisherOptions extends ConnectionOptions {
  list: string;
  /** Events per request (default 100). */
  batchSize?: number;
  /** How long a batch waits to fill, ms (default 5). */
  lingerMs?: number;
  /** Events queued or in flight at most; `publish` waits when full (default 10,000). */
  maxQueue?: number;
  /** Delays between retries (default 250 ms doubling to 30 s, with jitter). Retries go on until `signal` aborts. */
  backoff?: BackoffOptions;
  /** Refuse events whose causation chain started at this system (EchoError). */
  echoGuard?: EchoGuard;
  /** Stops retrying: queued events are rejected. */
  signal?: AbortSignal;
}

/** An event taken into the queue: its id (kept on every retry) and the hub's answer once stored. */
export interface Receipt {
  id: string;
  source: string;
  /** Resolves when the hub stored it (or already had it); rejects when the hub refused it. */
  stored: Promise<{ seq: string; duplicate: boolean }>;
}

interface Entry {
  event: Record<string, unknown>;
  resolve(result: { seq: string; duplicate: boolean }): void;
  reject(error: unknown): void;
}

/**
 * Publishes to one list in batches. `publish` takes the event into a bounded
 * queue (and waits while it is full); batches go out one at a time, in order,
 * after `lingerMs` or when `batchSize` is reached. A batch that fails on the
 * way (network, 5xx, 429, a restarting hub) is sent again with the same ids,
 * so the hub's idempotency makes retries safe: nothing is lost or stored
 * twice. Events the hub refuses (4xx) are isolated and reported by `flush`.
 */
export class Publisher {
  private readonly client: HeroldClient;
  private readonly queue: Entry[] = [];
  private inFlight = 0;
  private pumping = false;
  private urgent = false;
  private closed = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private spaceWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private failures: { event: Record<string, unknown>; error: unknown }[] = [];

  constructor(readonly options: PublisherOptions) {
    if (!options?.list) throw new TypeError("Publisher: 'list' is required");
    this.client = new HeroldClient(options);
    options.signal?.addEventListener('abort', () => this.abortAll(), { once: true });
  }

  private get batchSize() {
    return this.options.batchSize ?? 100;
  }

  /** Events queued or in flight. */
  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  /** Take `event` into the queue; waits while the queue is full. The id is fixed here (a new UUID unless given). */
  async publish(event: OutgoingEvent): Promise<Receipt> {
    if (this.closed) throw new Error('Publisher is closed');
    this.options.echoGuard?.check(event);
    while (this.pending >= (this.options.maxQueue ?? 10_000)) {
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
      if (this.closed) throw new Error('Publisher is closed');
    }
    const full = withDefaults(event);
    let entry!: Entry;
    const stored = new Promise<{ seq: string; duplicate: boolean }>((resolve, reject) => (entry = { event: full, resolve, reject }));
    // Failures are also reported by flush(): a caller that ignores `stored` must not crash the process.
    stored.catch(() => undefined);
    this.queue.push(entry);
    this.schedule();
    return { id: String(full.id), source: String(full.source), stored };
  }

  /** Resolves when everything published before it is stored; rejects with PublishError for events the hub refused since the last flush. */
  async flush(): Promise<void> {
    this.urgent = true;
    this.schedule();
    if (this.pending > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.urgent = false;
    const failures = this.failures;
    this.failures = [];
    if (failures.length > 0) throw new PublishError(failures);
  }

  /** Flush, then refuse further events. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      this.closed = true;
      for (const w of this.spaceWaiters.splice(0)) w();
    }
  }

  private schedule(): void {
    if (this.pumping) return;
    if (this.queue.length >= this.batchSize || (this.urgent && this.queue.length > 0)) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
      void this.pump();
    } else if (this.queue.length > 0) {
      this.lingerTimer ??= setTimeout(() => {
        this.lingerTimer = undefined;
        void this.pump();
      }, this.options.lingerMs ?? 5);
    } else if (this.inFlight === 0) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.options.signal?.aborted) {
        const batch = this.queue.splice(0, this.batchSize);
        this.inFlight = batch.length;
        await this.send(batch);
        this.inFlight = 0;
        for (const w of this.spaceWaiters.splice(0)) w();
        // A partly filled batch waits for its linger unless a flush is waiting.
        if (this.queue.length < this.batchSize && !this.urgent) break;
      }
    } finally {
      this.pumping = false;
      this.inFlight = 0;
      this.schedule();
    }
  }

  /** Send a batch until the hub answers; isolate events it refuses. */
  private async send(batch: Entry[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const { results } = await this.client.publishBatch(
          this.options.list,
          batch.map((e) => e.event),
          { signal: this.options.signal },
        );
        batch.forEach((e, i) => e.resolve(results[i]!));
        return;
      } catch (error) {
        if (this.options.signal?.aborted) return this.fail(batch, error);
        if (isTransient(error)) {
          const wait = error instanceof HeroldError && error.retryAfter ? error.retryAfter * 1000 : backoffDelay(attempt, this.options.backoff);
          await sleep(wait, this.options.signal);
          continue;
        }
        // A batch is stored all or none: one bad event refuses all. Send them one by one to find it.
        if (batch.length > 1) {
          for (const entry of batch) await this.send([entry]);
          return;
        }
        return this.fail(batch, error);
      }
    }
  }

  private fail(batch: Entry[], error: unknown): void {
    for (const e of batch) {
      this.failures.push({ event: e.event, error });
      e.reject(error);
    }
  }

  private abortAll(): void {
    const error = this.options.signal?.reason ?? new Error('aborted');
    this.fail(this.queue.splice(0), error);
    this.schedule();
  }
}
