import type { Access, AccessChange } from '../access/access.js';
import type { Hub } from '../hub/hub.js';
import { subscriptionQuery } from '../hub/subscriptions/read-query.js';
import type { SubscriptionSpec } from '../hub/subscriptions/spec.js';
import { SYSTEM_LIST, publishSystemEvent } from '../hub/system-events.js';
import type { Metrics } from '../metrics.js';
import type { SubscriptionRecord, SubscriptionStore } from '../store/types.js';
import type { EgressPolicy } from './egress/index.js';
import { DeliveryJournal } from './journal.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
import type { DeliveryResult, Sink, SinkDelivery } from './sink.js';
import { httpSink } from './sinks/http-sink.js';
import { SubscriptionWorker } from './worker.js';

export interface DispatcherOptions {
  egress: EgressPolicy;
  /** Identifies this hub to receivers (WebHook-Request-Origin). */
  origin: string;
  retry?: Omit<RetryPolicy, 'explicit'>;
  /** Disable a subscription after failing continuously this long (default 5 days). */
  disableAfterMs?: number;
  /** Sinks for other protocols (AMQP), by protocol name. */
  sinkFactories?: Record<string, (record: SubscriptionRecord, spec: SubscriptionSpec) => Sink>;
  metrics?: Metrics;
  /** Cluster: drive only the subscriptions this node holds a lease on (PostgreSQL). Without it, all of them. */
  leases?: SubscriptionLeases;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/**
 * Which node drives which subscription (src/store/postgres/leases.ts). The
 * dispatcher starts a worker when its node gains a lease and stops it when it
 * loses one; changes made through another node reach it as `remoteChange`.
 */
export interface SubscriptionLeases {
  start(handlers: { acquired(id: string): Promise<void>; lost(id: string): Promise<void> }): Promise<void>;
  /** Stop renewing and hand every lease back. */
  stop(): Promise<void>;
  holds(id: string): boolean;
  /** Take the lease now unless another live node holds it. */
  claim(id: string): Promise<boolean>;
  release(id: string): Promise<void>;
  /** Ask the node that holds it to reload the subscription from the store. */
  poke(id: string): Promise<void>;
}

/**
 * Runs every active subscription's worker in this process (or, in a cluster,
 * those whose lease this node holds), and applies
 * subscription changes at once (no cache lag): the subscription service calls
 * `refresh` or `remove` in the same request that changed the store.
 */
export class Dispatcher {
  private readonly workers = new Map<string, SubscriptionWorker>();
  private readonly sinks = new Map<string, Sink>();
  readonly journal: DeliveryJournal;
  private pruneTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  /** Per subscription, the last start/stop in progress: they run one after another. */
  private readonly serials = new Map<string, Promise<void>>();
  /** Per running subscription, the timer that pauses it when its credential expires. */
  private readonly expiries = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly hub: Hub,
    private readonly store: SubscriptionStore,
    private readonly access: Access,
    private readonly options: DispatcherOptions,
  ) {
    this.journal = new DeliveryJournal(store, 250, (error) => options.log.error({ err: error }, 'could not save delivery progress; will retry'));
  }

  async start(): Promise<void> {
    const leases = this.options.leases;
    if (leases) {
      await leases.start({
        acquired: (id) => this.serial(id, () => this.startFromStore(id)),
        lost: (id) =>
          this.serial(id, async () => {
            await this.stopWorker(id);
            await this.journal.flush();
          }),
      });
    } else {
      for (const record of await this.store.listSubscriptions()) {
        if (record.status === 'active') await this.startWorker(record);
      }
    }
    this.pruneTimer = setInterval(() => {
      this.store.pruneAttempts(1000).catch((error) => this.options.log.warn({ err: error }, 'pruning attempts failed'));
    }, 60_000);
    this.pruneTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    // Deliveries in flight get a few seconds; unfinished ones are delivered again after restart.
    await Promise.all([...this.workers.values()].map((w) => w.stop(3000)));
    this.workers.clear();
    await this.journal.flush();
    await Promise.all([...this.sinks.values()].map((s) => s.close?.()));
    await this.options.leases?.stop();
  }

  /** Run start/stop steps of one subscription one after another (lease changes race with API changes). */
  private serial(id: string, fn: () => Promise<void>): Promise<void> {
    const next = (this.serials.get(id) ?? Promise.resolve()).then(fn, fn);
    const tracked = next.catch(() => undefined);
    this.serials.set(id, tracked);
    void tracked.then(() => {
      if (this.serials.get(id) === tracked) this.serials.delete(id);
    });
    return next;
  }

  /** This node gained the lease: drive the subscription from its stored state. */
  private async startFromStore(id: string): Promise<void> {
    if (this.stopping || this.workers.has(id)) return;
    const record = await this.store.getSubscription(id);
    if (!record || record.status !== 'active') {
      await this.options.leases?.release(id);
      return;
    }
    // Roles and grants reach each node through the change log; take the latest before deciding.
    if ('paused' in this.access.deliveryScope(record)) await this.access.reload();
    await this.startWorker(record);
  }

  /** A subscription changed through another node: if this node drives it, restart it from the store. */
  async remoteChange(id: string): Promise<void> {
    const leases = this.options.leases;
    if (!leases || (!this.workers.has(id) && !leases.holds(id))) return;
    await this.serial(id, () => this.restart(id, false));
  }

  /** Changes from other nodes were missed (this node was cut off for long): restart every worker from the store. */
  async remoteChangeAll(): Promise<void> {
    await Promise.all([...this.workers.keys()].map((id) => this.remoteChange(id)));
  }

  /** The subscription changed (created, updated, enabled): restart its worker from the stored state. */
  async refresh(id: string): Promise<void> {
    await this.serial(id, () => this.restart(id, true));
  }

  private async restart(id: string, claim: boolean): Promise<void> {
    await this.stopWorker(id);
    await this.journal.flush();
    const record = await this.store.getSubscription(id);
    const leases = this.options.leases;
    if (record && record.status === 'active' && !this.stopping) {
      // In a cluster, the node that holds the lease drives it; a free one is taken here at once.
      if (!leases || leases.holds(id) || (claim && (await leases.claim(id)))) await this.startWorker(record);
    } else if (leases?.holds(id)) {
      await leases.release(id);
    }
  }

  /** The subscription is gone: stop it and drop its pending bookkeeping. */
  async remove(id: string): Promise<void> {
    await this.serial(id, async () => {
      await this.stopWorker(id);
      this.journal.forget(id);
      if (this.options.leases?.holds(id)) await this.options.leases.release(id);
    });
  }

  /**
   * Someone's access changed: their subscriptions restart under the new
   * scope, or are disabled (paused) when they may no longer deliver: the
   * grant is gone, or the credential they run under was revoked or expired.
   */
  async onAccessChange(change: AccessChange): Promise<void> {
    const affected = [...this.workers.values()].filter((w) => (change.principal === undefined || w.owner === change.principal) && (change.list === undefined || w.list === change.list));
    // Nothing more is read under the old scope from now on, though the restarts (one after another per
    // subscription, each a few store round trips) finish later: an event committed after the change
    // is read only by the restarted worker, under the new scope.
    for (const w of affected) w.halt();
    await Promise.all(affected.map((w) => this.refresh(w.id)));
  }

  redeliver(id: string, seqs: number[]): boolean {
    const worker = this.workers.get(id);
    if (worker) {
      worker.redeliver(seqs);
      return true;
    }
    const leases = this.options.leases;
    if (!leases) return false;
    // Driven by another node (or by none right now): store the retries, then tell the holder to load them.
    const now = Date.now();
    for (const seq of seqs) {
      this.journal.upsertRetry({ subscriptionId: id, seq, subject: null, state: 'retry', failures: 0, firstFailureAt: null, nextAt: now, lastStatus: null, lastError: null });
    }
    void this.journal
      .flush()
      .then(() => leases.poke(id))
      .catch((error) => this.options.log.error({ err: error, subscription: id }, 'could not hand a redelivery to the node driving the subscription'));
    return true;
  }

  /** Live position of a running subscription (ahead of the stored one). */
  position(id: string): number | undefined {
    return this.workers.get(id)?.status().position;
  }

  private async stopWorker(id: string): Promise<void> {
    clearTimeout(this.expiries.get(id));
    this.expiries.delete(id);
    const worker = this.workers.get(id);
    if (!worker) return;
    this.workers.delete(id);
    await worker.stop();
  }

  private async startWorker(record: SubscriptionRecord): Promise<void> {
    const spec = record.spec as SubscriptionSpec;
    const sink = this.sinkFor(record, spec);
    if (!sink) {
      await this.disable(record.id, `No sink for protocol ${spec.protocol} in this hub.`);
      return;
    }
    // Deliveries run under the owner's scope for the credential the subscription was made with.
    const scope = this.access.deliveryScope(record);
    if ('paused' in scope) {
      await this.disable(record.id, scope.paused);
      return;
    }
    let query;
    try {
      query = subscriptionQuery(spec);
    } catch (error) {
      // Stored under older rules (a filter over today's CESQL budget, say): disable it rather than fail the start.
      await this.disable(record.id, `Its filters no longer compile: ${(error as Error).message}`);
      return;
    }
    const channel = spec.protocol === 'AMQP' ? 'amqp' : 'webhook';
    const worker = new SubscriptionWorker({
      hub: this.hub,
      store: this.store,
      journal: this.journal,
      sink,
      record,
      config: spec.config,
      query,
      scope,
      retry: { ...DEFAULT_RETRY, ...this.options.retry, explicit: spec.config.retry },
      disableAfterMs: this.options.disableAfterMs ?? 5 * 86_400_000,
      onDisable: (reason) => void this.disable(record.id, reason),
      onDeadLetter: (seq, reason, result) => {
        this.options.metrics?.deadLetters.inc();
        // Dead letters of a subscription on the system list itself would feed back into it.
        if (record.list === SYSTEM_LIST) return;
        void publishSystemEvent(this.hub, 'subscription.deadlettered', record.id, {
          subscription: record.id,
          list: record.list,
          seq: String(seq),
          reason,
          status: result.status ?? null,
        }).catch((error) => this.options.log.warn({ err: error }, 'could not publish system event'));
      },
      onDelivered: (seq) => this.hub.delivered(scope, query, channel, [seq]),
      onResult: (result) => {
        this.options.metrics?.deliveries.inc({ outcome: result.outcome });
        this.options.metrics?.deliveryDuration.observe(result.latencyMs / 1000);
      },
      log: this.options.log,
    });
    this.workers.set(record.id, worker);
    // The credential's expiry pauses the subscription, like a revocation (within a second of it).
    if (scope.expiresAt !== undefined) {
      const timer = setTimeout(() => void this.refresh(record.id), Math.min(2 ** 31 - 1, Math.max(0, scope.expiresAt - Date.now()) + 5));
      timer.unref();
      this.expiries.set(record.id, timer);
    }
    await worker.start();
  }

  /**
   * One delivery outside the subscription's stream (a test event): through
   * the same sink, egress policy and signing, not retried and not recorded.
   */
  async deliverOnce(record: SubscriptionRecord, delivery: SinkDelivery): Promise<DeliveryResult> {
    const sink = this.sinkFor(record, record.spec as SubscriptionSpec);
    if (!sink) return { outcome: 'dead', latencyMs: 0, error: `No sink for protocol ${(record.spec as SubscriptionSpec).protocol} in this hub.` };
    try {
      return await sink.deliver(delivery);
    } finally {
      await sink.close?.().catch(() => undefined);
    }
  }

  private sinkFor(record: SubscriptionRecord, spec: SubscriptionSpec): Sink | undefined {
    if (spec.protocol === 'HTTP') return httpSink(record, spec, this.options.egress, this.options.origin);
    return this.options.sinkFactories?.[spec.protocol]?.(record, spec);
  }

  /** Disable with a reason, stop the worker, and tell admins on the system list. */
  async disable(id: string, reason: string): Promise<void> {
    const record = await this.store.getSubscription(id);
    if (!record || record.status === 'disabled') return;
    const worker = this.workers.get(id);
    this.workers.delete(id);
    void worker?.stop();
    await this.journal.flush();
    const fresh = (await this.store.getSubscription(id)) ?? record;
    await this.store.updateSubscription({ ...fresh, status: 'disabled', disabledReason: reason, updatedAt: new Date().toISOString() });
    if (this.options.leases?.holds(id)) await this.options.leases.release(id).catch(() => undefined);
    this.options.log.warn({ subscription: id, reason }, 'subscription disabled');
    await publishSystemEvent(this.hub, 'subscription.disabled', id, { subscription: id, list: record.list, reason }).catch((error) =>
      this.options.log.warn({ err: error }, 'could not publish system event'),
    );
  }
}
