import { randomUUID } from 'node:crypto';
import { isMaskedSinkOf, maskSinkUrl } from './amqp-settings.js';
import type { AttemptRow, DeadLetterRow, SubscriptionRecord } from '../../store/types.js';
import { HubError, invalid, notFound } from '../errors.js';
import type { EventPredicate, Hub } from '../hub.js';
import { SubscriptionQuota } from './quota.js';
import { type SpecAuthor, type SubscriptionSpec, compileSubscriptionPredicate, parseSubscriptionSpec } from './spec.js';

/** What the delivery side offers the subscription service (implemented by the dispatcher). */
export interface SubscriptionRuntime {
  refresh(id: string): Promise<void>;
  remove(id: string): Promise<void>;
  redeliver(id: string, seqs: number[]): boolean;
  position(id: string): number | undefined;
  disable(id: string, reason: string): Promise<void>;
}

/** Checks a sink before a subscription is stored: egress policy, webhook handshake. */
export interface SinkChecker {
  check(spec: SubscriptionSpec): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** A new signing secret for a protocol that signs (HTTP), or undefined. */
  newSecret(spec: SubscriptionSpec): string | undefined;
}

export interface SubscriptionView {
  id: string;
  list: string;
  owner: string;
  types?: string[];
  source?: string;
  filters?: unknown[];
  sink: string;
  protocol: string;
  protocolsettings: Record<string, unknown>;
  config: Record<string, unknown>;
  status: 'active' | 'disabled';
  disabledReason?: string;
  position: string;
  lag: string;
  createdAt: string;
  updatedAt: string;
}

/** The most events one range redelivery may cover; larger ranges are split by the caller. */
export const MAX_REDELIVER = 100_000;

/** Subscriptions as a domain: create, change, delete, inspect, redeliver. */
export class SubscriptionService {
  constructor(
    private readonly hub: Hub,
    private readonly runtime: SubscriptionRuntime,
    private readonly sinks: SinkChecker,
    private readonly quota = new SubscriptionQuota(100),
  ) {}

  async create(list: string, body: unknown, owner: string, author: SpecAuthor): Promise<{ view: SubscriptionView; secret?: string }> {
    await this.hub.requireList(list);
    const spec = parseSubscriptionSpec(body, author);
    await this.checkSink(spec);
    const secret = this.sinks.newSecret(spec);
    const now = new Date().toISOString();
    const head = this.hub.head(list);
    const record: SubscriptionRecord = {
      id: `sub_${randomUUID().replace(/-/g, '')}`,
      list,
      owner,
      spec,
      secrets: secret ? [{ secret, expiresAt: null }] : [],
      status: 'active',
      disabledReason: null,
      position: spec.config.start === 'head' ? head : spec.config.start,
      failingSince: null,
      createdAt: now,
      updatedAt: now,
    };
    await this.quota.admit(owner, () => this.hub.store.listSubscriptions(), () => this.hub.store.createSubscription(record));
    await this.runtime.refresh(record.id);
    return { view: this.view(record), secret };
  }

  async get(id: string): Promise<SubscriptionRecord> {
    const record = await this.hub.store.getSubscription(id);
    if (!record) throw notFound(`Subscription '${id}'`);
    return record;
  }

  async list(list?: string): Promise<SubscriptionView[]> {
    return (await this.hub.store.listSubscriptions(list)).map((r) => this.view(r));
  }

  /** PUT: replace the description; position, secrets and status stay. */
  async replace(id: string, body: unknown, author: SpecAuthor): Promise<SubscriptionView> {
    const record = await this.get(id);
    const spec = parseSubscriptionSpec(body, author);
    const old = record.spec as SubscriptionSpec;
    if (spec.protocol !== old.protocol) {
      throw invalid('The protocol of a subscription cannot change; create a new subscription.', [{ pointer: '/protocol', message: `is ${old.protocol}` }]);
    }
    if (isMaskedSinkOf(spec.sink, old.sink)) spec.sink = old.sink; // a view sent back keeps the stored password
    if (spec.sink !== old.sink || JSON.stringify(spec.protocolsettings) !== JSON.stringify(old.protocolsettings)) await this.checkSink(spec);
    const updated: SubscriptionRecord = { ...record, spec, updatedAt: new Date().toISOString() };
    await this.hub.store.updateSubscription(updated);
    await this.runtime.refresh(id);
    return this.view(await this.get(id));
  }

  async delete(id: string): Promise<void> {
    await this.get(id);
    await this.runtime.remove(id);
    await this.hub.store.deleteSubscription(id);
  }

  async enable(id: string): Promise<SubscriptionView> {
    const record = await this.get(id);
    if (record.status !== 'active') {
      await this.hub.store.updateSubscription({ ...record, status: 'active', disabledReason: null, failingSince: null, updatedAt: new Date().toISOString() });
      await this.runtime.refresh(id);
    }
    return this.view(await this.get(id));
  }

  async disable(id: string, reason: string): Promise<SubscriptionView> {
    await this.get(id);
    await this.runtime.disable(id, reason);
    return this.view(await this.get(id));
  }

  /** A new signing secret, shown once; the old ones keep working for `graceSeconds`. */
  async rotateSecret(id: string, graceSeconds: number): Promise<{ secret: string; view: SubscriptionView }> {
    const record = await this.get(id);
    const secret = this.sinks.newSecret(record.spec as SubscriptionSpec);
    if (!secret) throw new HubError(409, 'conflict', 'No signing secret', 'Only HTTP subscriptions are signed.');
    const expiresAt = Date.now() + graceSeconds * 1000;
    const kept = record.secrets
      .filter((s) => s.expiresAt === null || s.expiresAt > Date.now())
      .map((s) => ({ secret: s.secret, expiresAt: s.expiresAt === null ? expiresAt : Math.min(s.expiresAt, expiresAt) }));
    await this.hub.store.updateSubscription({ ...record, secrets: [{ secret, expiresAt: null }, ...kept], updatedAt: new Date().toISOString() });
    await this.runtime.refresh(id);
    return { secret, view: this.view(await this.get(id)) };
  }

  async attempts(id: string, before: number | undefined, limit: number): Promise<(AttemptRow & { id: number })[]> {
    await this.get(id);
    return this.hub.store.listAttempts(id, before, limit);
  }

  async deadLetters(id: string, after: number, limit: number): Promise<DeadLetterRow[]> {
    await this.get(id);
    return this.hub.store.listDeadLetters(id, after, limit);
  }

  /**
   * Deliver events again: given seqs, a seq range, or every dead letter. Only
   * events the subscription matches are sent; each keeps its delivery id.
   */
  async redeliver(id: string, body: { seqs?: number[]; from?: number; to?: number; deadletters?: boolean }, scope?: EventPredicate): Promise<{ redelivering: number }> {
    const record = await this.get(id);
    if (record.status !== 'active') {
      throw new HubError(409, 'conflict', 'Subscription disabled', `Subscription '${id}' is disabled (${record.disabledReason}). Enable it first: POST /subscriptions/${id}/enable.`);
    }
    let seqs: number[];
    if (body.deadletters) {
      seqs = await this.hub.store.takeDeadLetters(id);
    } else {
      const spec = record.spec as SubscriptionSpec;
      const own = compileSubscriptionPredicate(spec);
      const predicate: EventPredicate | undefined = own && scope ? (e) => own(e) && scope(e) : (own ?? scope);
      const head = this.hub.head(record.list);
      const from = body.seqs ? Math.min(...body.seqs) : body.from!;
      const to = body.seqs ? Math.max(...body.seqs) : Math.min(body.to ?? head, head);
      if (to - from + 1 > MAX_REDELIVER && !body.seqs) {
        throw invalid(`A redelivery covers at most ${MAX_REDELIVER} events; split the range.`, [{ pointer: '/to', message: 'range too large' }]);
      }
      const wanted = body.seqs ? new Set(body.seqs) : undefined;
      seqs = [];
      let after = from - 1;
      while (after < to) {
        const page = await this.hub.read(record.list, { after, limit: 1000, predicate, maxScan: to - after });
        for (const e of page.events) if (e.seq <= to && (!wanted || wanted.has(e.seq))) seqs.push(e.seq);
        if (page.next <= after) break;
        after = page.next;
      }
      await this.hub.store.takeDeadLetters(id, seqs);
    }
    if (seqs.length > 0) this.runtime.redeliver(id, seqs);
    return { redelivering: seqs.length };
  }

  view(record: SubscriptionRecord): SubscriptionView {
    const spec = record.spec as SubscriptionSpec;
    const position = Math.max(record.position, this.runtime.position(record.id) ?? 0);
    const settings = { ...spec.protocolsettings };
    if (settings.token !== undefined) settings.token = '[set]';
    const config: Record<string, unknown> = { ...spec.config, start: spec.config.start === 'head' ? 'head' : String(spec.config.start) };
    const view: SubscriptionView = {
      id: record.id,
      list: record.list,
      owner: record.owner,
      sink: maskSinkUrl(spec.sink),
      protocol: spec.protocol,
      protocolsettings: settings,
      config,
      status: record.status,
      position: String(position),
      lag: String(Math.max(0, this.hub.head(record.list) - position)),
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
    };
    if (spec.types) view.types = spec.types;
    if (spec.source !== undefined) view.source = spec.source;
    if (spec.filters) view.filters = spec.filters;
    if (record.disabledReason) view.disabledReason = record.disabledReason;
    return view;
  }

  private async checkSink(spec: SubscriptionSpec): Promise<void> {
    const result = await this.sinks.check(spec);
    if (!result.ok) throw invalid(`The sink cannot be used: ${result.reason}.`, [{ pointer: '/sink', message: result.reason }]);
  }
}
