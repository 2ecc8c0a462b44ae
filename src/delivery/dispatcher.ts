import type { Access, AccessChange } from '../access/access.js';
import type { AuditRecorder } from '../access/audit.js';
import { auditScope } from '../access/audit-scope.js';
import type { Hub } from '../hub/hub.js';
import { type SubscriptionSpec, compileSubscriptionPredicate } from '../hub/subscriptions/spec.js';
import { SYSTEM_LIST, publishSystemEvent } from '../hub/system-events.js';
import type { Metrics } from '../metrics.js';
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
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/**
 * Runs every active subscription's worker in this process, and applies
 * subscription changes at once (no cache lag): the subscription service calls
 * `refresh` or `remove` in the same request that changed the store.
 */
export class Dispatcher {
  private readonly workers = new Map<string, SubscriptionWorker>();
  private readonly sinks = new Map<string, Sink>();
  readonly journal: DeliveryJournal;
  private pruneTimer: NodeJS.Timeout | null = null;
  private stopping = false;

  constructor(
    private readonly hub: Hub,
    private readonly access: Access,
    private readonly options: DispatcherOptions,
  ) {
    this.journal = new DeliveryJournal(hub.store, 50, (error) => options.log.error({ err: error }, 'could not save delivery progress; will retry'));
  }

  async start(): Promise<void> {
    for (const record of await this.hub.store.listSubscriptions()) {
      if (record.status === 'active') await this.startWorker(record);
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
  }

  /** The subscription changed (created, updated, enabled): restart its worker from the stored state. */
  async refresh(id: string): Promise<void> {
    await this.stopWorker(id);
    await this.journal.flush();
    const record = await this.hub.store.getSubscription(id);
    if (record && record.status === 'active' && !this.stopping) await this.startWorker(record);
  }

  /** The subscription is gone: stop it and drop its pending bookkeeping. */
  async remove(id: string): Promise<void> {
    await this.stopWorker(id);
    this.journal.forget(id);
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
    if (!worker) return false;
    worker.redeliver(seqs);
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
    // Exact type/source filters go into the store's query; the rest runs per event.
    const worker = new SubscriptionWorker({
      hub: this.hub,
      journal: this.journal,
      sink,
      record,
      config: spec.config,
      predicate: compileSubscriptionPredicate({ filters: spec.filters }),
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
      onDelivered: (seq) => {
        const scope = auditScope({ grants: decision.scope.filters, subscription: { types: spec.types, source: spec.source, filters: spec.filters } });
        this.options.audit?.record(record.owner, record.list, spec.protocol === 'AMQP' ? 'amqp' : 'webhook', [seq], scope);
      },
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
    this.options.log.warn({ subscription: id, reason }, 'subscription disabled');
    await publishSystemEvent(this.hub, 'subscription.disabled', id, { subscription: id, list: record.list, reason }).catch((error) =>
      this.options.log.warn({ err: error }, 'could not publish system event'),
    );
  }
}
