import type { Access, AccessChange } from '../access/access.js';
import type { AuditRecorder } from '../access/audit.js';
import { auditScope } from '../access/audit-scope.js';
import { queryRequirements, type Hub } from '../hub/hub.js';
import { type SubscriptionSpec, compileSubscriptionPredicate } from '../hub/subscriptions/spec.js';
import { SYSTEM_LIST, publishSystemEvent } from '../hub/system-events.js';
import type { Metrics } from '../metrics.js';
import { filterRequirements } from '../cesql/index.js';
import type { SubscriptionRecord } from '../store/types.js';
import type { EgressPolicy } from './egress/index.js';
import { DeliveryJournal } from './journal.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
import type { Sink } from './sink.js';
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
  audit?: AuditRecorder;
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

  constructor(
    private readonly hub: Hub,
    private readonly access: Access,
    private readonly options: DispatcherOptions,
  ) {
    this.journal = new DeliveryJournal(hub.store, 50, (error) => options.log.error({ err: error }, 'could not save delivery progress; will retry'));
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
      for (const record of await this.hub.store.listSubscriptions()) {
        if (record.status === 'active') await this.startWorker(record);
      }
    }
    this.pruneTimer = setInterval(() => {
      this.hub.store.pruneAttempts(1000).catch((error) => this.options.log.warn({ err: error }, 'pruning attempts failed'));
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
    const record = await this.hub.store.getSubscription(id);
    if (!record || record.status !== 'active') {
      await this.options.leases?.release(id);
      return;
    }
    // Roles and grants reach each node through the change log; take the latest before deciding.
    if (!this.access.decide(this.access.principalFor(record.owner), 'events.read', record.list).allowed) await this.access.reload();
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
    const record = await this.hub.store.getSubscription(id);
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
   * Someone's access narrowed: their subscriptions restart under the new
   * scope, or are disabled if they may no longer read (or lost their last key).
   */
  async onAccessChange(change: AccessChange): Promise<void> {
    const affected = [...this.workers.values()].filter((w) => (change.principal === undefined || w.owner === change.principal) && (change.list === undefined || w.list === change.list));
    for (const w of affected) {
      if (change.keyId !== undefined && !this.access.hasActiveKey(w.owner) && !this.access.principalFor(w.owner).admin) {
        await this.disable(w.id, `The owner's last API key was revoked.`);
      } else {
        await this.refresh(w.id);
      }
    }
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
    const decision = this.access.decide(this.access.principalFor(record.owner), 'events.read', record.list);
    if (!decision.allowed) {
      await this.disable(record.id, `The owner '${record.owner}' may no longer read list '${record.list}'.`);
      return;
    }
    let predicate;
    try {
      predicate = compileSubscriptionPredicate({ filters: spec.filters });
    } catch (error) {
      // Stored under older rules (a filter over today's CESQL budget, say): disable it rather than fail the start.
      await this.disable(record.id, `Its filters no longer compile: ${(error as Error).message}`);
      return;
    }
    // What the audit records with each delivery: fixed for this worker's life, so made once.
    const deliveryScope = auditScope({ grants: decision.scope.filters, subscription: { types: spec.types, source: spec.source, filters: spec.filters } });
    const channel = spec.protocol === 'AMQP' ? 'amqp' : 'webhook';
    // Exact type/source filters go into the store's query; the rest runs per event.
    const worker = new SubscriptionWorker({
      hub: this.hub,
      journal: this.journal,
      sink,
      record,
      config: spec.config,
      predicate,
      requires: queryRequirements({ types: spec.types, sources: spec.source === undefined ? undefined : [spec.source], requires: filterRequirements(spec.filters) }),
      types: spec.types,
      sources: spec.source === undefined ? undefined : [spec.source],
      scope: decision.scope,
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
      onDelivered: (seq) => this.options.audit?.record(record.owner, record.list, channel, [seq], deliveryScope),
      onResult: (result) => {
        this.options.metrics?.deliveries.inc({ outcome: result.outcome });
        this.options.metrics?.deliveryDuration.observe(result.latencyMs / 1000);
      },
      log: this.options.log,
    });
    this.workers.set(record.id, worker);
    await worker.start();
  }

  private sinkFor(record: SubscriptionRecord, spec: SubscriptionSpec): Sink | undefined {
    if (spec.protocol === 'HTTP') return httpSink(record, spec, this.options.egress, this.options.origin);
    return this.options.sinkFactories?.[spec.protocol]?.(record, spec);
  }

  /** Disable with a reason, stop the worker, and tell admins on the system list. */
  async disable(id: string, reason: string): Promise<void> {
    const record = await this.hub.store.getSubscription(id);
    if (!record || record.status === 'disabled') return;
    const worker = this.workers.get(id);
    this.workers.delete(id);
    void worker?.stop();
    await this.journal.flush();
    const fresh = (await this.hub.store.getSubscription(id)) ?? record;
    await this.hub.store.updateSubscription({ ...fresh, status: 'disabled', disabledReason: reason, updatedAt: new Date().toISOString() });
    if (this.options.leases?.holds(id)) await this.options.leases.release(id).catch(() => undefined);
    this.options.log.warn({ subscription: id, reason }, 'subscription disabled');
    await publishSystemEvent(this.hub, 'subscription.disabled', id, { subscription: id, list: record.list, reason }).catch((error) =>
      this.options.log.warn({ err: error }, 'could not publish system event'),
    );
  }
}
