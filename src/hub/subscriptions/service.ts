import { randomUUID } from 'node:crypto';
import { isMaskedSinkOf, maskSinkUrl } from './amqp-settings.js';
import type { Principal, Scope } from '../../access/scope.js';
import type { AttemptRow, DeadLetterRow, SubscriptionRecord, SubscriptionStore } from '../../store/types.js';
import { checkQueryAttributes } from '../caller-query.js';
import { HubError, invalid, notFound } from '../errors.js';
import type { Hub } from '../hub.js';
import { subscriptionQuery } from './read-query.js';
import { SubscriptionQuota } from './quota.js';
import { type SubscriptionSpec, parseSubscriptionSpec } from './spec.js';

/** What the delivery side offers the subscription service (implemented by the dispatcher). */
export interface SubscriptionRuntime {
  refresh(id: string): Promise<void>;
  remove(id: string): Promise<void>;
  redeliver(id: string, seqs: number[]): boolean;
  position(id: string): number | undefined;
  disable(id: string, reason: string): Promise<void>;
  /** Deliver one event outside the stream (not retried, not recorded). */
  deliverOnce(record: SubscriptionRecord, delivery: { subscriptionId: string; seq: number; deliveryId: string; event: Record<string, unknown> }): Promise<TestAttempt>;
}

/** How one delivery went, as a sink tells it. */
export interface TestAttempt {
  outcome: string;
  status?: number;
  latencyMs: number;
  responseSnippet?: string;
  error?: string;
  requestHeaders?: Record<string, string>;
}

/**
 * The attributes that name a delivered event, as the subscription's owner is
 * served them: an attribute the owner's grant does not serve is absent.
 * Null when the owner may no longer read the event (or the list, or the
 * subscription's credential has ended): hidden and gone look alike.
 */
export type EventNames = { id?: string; type?: string; subject?: string } | null;

/** Checks a sink before a subscription is stored: egress policy, webhook handshake. */
export interface SinkChecker {
  check(spec: SubscriptionSpec): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** A new signing secret for a protocol that signs (HTTP), or undefined. */
  newSecret(spec: SubscriptionSpec): string | undefined;
}

/**
 * What access decides for subscriptions (implemented by access/access.ts):
 * who may manage one, and the scope its deliveries run under.
 */
export interface SubscriptionAccess {
  /** Its owner or an admin: to anyone else a subscription does not exist. */
  mayManage(caller: Principal, record: Pick<SubscriptionRecord, 'owner' | 'list'>): boolean;
  /** The owner's scope under the credential the subscription was made with, or why it may not deliver now. */
  deliveryScope(record: Pick<SubscriptionRecord, 'owner' | 'list' | 'runAs'>): Scope | { paused: string };
  /** The credential a principal's new (or re-enabled) subscription delivers under. */
  runAsOf(principal: Principal): unknown;
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
    private readonly store: SubscriptionStore,
    private readonly access: SubscriptionAccess,
    private readonly runtime: SubscriptionRuntime,
    private readonly sinks: SinkChecker,
    private readonly quota = new SubscriptionQuota(100),
  ) {}

  /** A new subscription of the scope's principal on the scope's list, delivering under its credential. */
  async create(scope: Scope, body: unknown): Promise<{ view: SubscriptionView; secret?: string }> {
    const list = scope.list!;
    const owner = scope.principal.id;
    await this.hub.requireList(list);
    const spec = parseSubscriptionSpec(body, scope.principal);
    // Its filters may test only what the owner is served (the same rule as every reader's filter).
    checkQueryAttributes(scope, subscriptionQuery(spec));
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
      runAs: this.access.runAsOf(scope.principal),
      createdAt: now,
      updatedAt: now,
    };
    await this.quota.admit(owner, () => this.store.listSubscriptions(), () => this.store.createSubscription(record));
    await this.runtime.refresh(record.id);
    return { view: this.view(record), secret };
  }

  /** A subscription the caller may manage; any other answers exactly like one that does not exist. */
  async get(caller: Principal, id: string): Promise<SubscriptionRecord> {
    const record = await this.store.getSubscription(id);
    if (!record || !this.access.mayManage(caller, record)) throw notFound(`Subscription '${id}'`);
    return record;
  }

  /** The subscriptions the caller may manage, optionally on one list. */
  async list(caller: Principal, list?: string): Promise<SubscriptionView[]> {
    return (await this.store.listSubscriptions(list)).filter((r) => this.access.mayManage(caller, r)).map((r) => this.view(r));
  }

  async show(caller: Principal, id: string): Promise<SubscriptionView> {
    return this.view(await this.get(caller, id));
  }

  /**
   * PUT: replace the description; position, secrets and status stay. The
   * owner's own change rebinds it to the owner's current credential.
   */
  async replace(caller: Principal, id: string, body: unknown): Promise<SubscriptionView> {
    const record = await this.get(caller, id);
    const spec = parseSubscriptionSpec(body, caller);
    const scope = this.access.deliveryScope(this.rebound(caller, record));
    if (!('paused' in scope)) checkQueryAttributes(scope, subscriptionQuery(spec));
    const old = record.spec as SubscriptionSpec;
    if (spec.protocol !== old.protocol) {
      throw invalid('The protocol of a subscription cannot change; create a new subscription.', [{ pointer: '/protocol', message: `is ${old.protocol}` }]);
    }
    if (isMaskedSinkOf(spec.sink, old.sink)) spec.sink = old.sink; // a view sent back keeps the stored password
    if (spec.sink !== old.sink || JSON.stringify(spec.protocolsettings) !== JSON.stringify(old.protocolsettings)) await this.checkSink(spec);
    const updated: SubscriptionRecord = { ...this.rebound(caller, record), spec, updatedAt: new Date().toISOString() };
    await this.store.updateSubscription(updated);
    await this.runtime.refresh(id);
    return this.show(caller, id);
  }

  async delete(caller: Principal, id: string): Promise<void> {
    await this.get(caller, id);
    await this.runtime.remove(id);
    await this.store.deleteSubscription(id);
  }

  /** The subscriptions on a list, whoever owns them (deleting the list). */
  async onList(list: string): Promise<SubscriptionRecord[]> {
    return this.store.listSubscriptions(list);
  }

  /** Stop and remove every subscription on a list, with their delivery rows (deleting the list). */
  async removeAllOn(list: string): Promise<number> {
    const records = await this.store.listSubscriptions(list);
    for (const r of records) {
      await this.runtime.remove(r.id);
      await this.store.deleteSubscription(r.id);
    }
    return records.length;
  }

  /** Resume delivery; the owner's own enable rebinds it to the owner's current credential. */
  async enable(caller: Principal, id: string): Promise<SubscriptionView> {
    const record = await this.get(caller, id);
    const rebound = this.rebound(caller, record);
    if (record.status !== 'active' || rebound !== record) {
      await this.store.updateSubscription({ ...rebound, status: 'active', disabledReason: null, failingSince: null, updatedAt: new Date().toISOString() });
      await this.runtime.refresh(id);
    }
    return this.show(caller, id);
  }

  async disable(caller: Principal, id: string, reason: string): Promise<SubscriptionView> {
    await this.get(caller, id);
    await this.runtime.disable(id, reason);
    return this.show(caller, id);
  }

  /** A new signing secret, shown once; the old ones keep working for `graceSeconds`. */
  async rotateSecret(caller: Principal, id: string, graceSeconds: number): Promise<{ secret: string; view: SubscriptionView }> {
    const record = await this.get(caller, id);
    const secret = this.sinks.newSecret(record.spec as SubscriptionSpec);
    if (!secret) throw new HubError('conflict', 'conflict', 'No signing secret', 'Only HTTP subscriptions are signed.');
    const expiresAt = Date.now() + graceSeconds * 1000;
    const kept = record.secrets
      .filter((s) => s.expiresAt === null || s.expiresAt > Date.now())
      .map((s) => ({ secret: s.secret, expiresAt: s.expiresAt === null ? expiresAt : Math.min(s.expiresAt, expiresAt) }));
    await this.store.updateSubscription({ ...record, secrets: [{ secret, expiresAt: null }, ...kept], updatedAt: new Date().toISOString() });
    await this.runtime.refresh(id);
    return { secret, view: await this.show(caller, id) };
  }

  async attempts(caller: Principal, id: string, before: number | undefined, limit: number): Promise<(AttemptRow & { id: number; event: EventNames })[]> {
    const record = await this.get(caller, id);
    const rows = await this.store.listAttempts(id, before, limit);
    const names = await this.eventNames(record, rows.map((r) => r.seq));
    return rows.map((r) => ({ ...r, event: names.get(r.seq) ?? null }));
  }

  async deadLetters(caller: Principal, id: string, after: number, limit: number): Promise<(DeadLetterRow & { event: EventNames })[]> {
    const record = await this.get(caller, id);
    const rows = await this.store.listDeadLetters(id, after, limit);
    const names = await this.eventNames(record, rows.map((r) => r.seq));
    return rows.map((r) => ({ ...r, event: names.get(r.seq) ?? null }));
  }

  /**
   * The id, type and subject of these events as the subscription delivers
   * them: named by the hub under the owner's delivery scope (whoever asks,
   * owner or admin), so minimisation holds here as on the wire. None when the
   * subscription's credential no longer works.
   */
  private async eventNames(record: SubscriptionRecord, seqs: number[]): Promise<Map<number, EventNames>> {
    const scope = this.access.deliveryScope(record);
    if ('paused' in scope) return new Map();
    return this.hub.eventNames(scope, seqs).catch((error: unknown) => {
      // An expired scope names nothing: the owner may no longer read the list.
      if (error instanceof HubError) return new Map<number, EventNames>();
      throw error;
    });
  }

  /**
   * Deliver events again: given seqs, a seq range, or every dead letter. Only
   * events the subscription would deliver are counted and sent: its filter
   * and its owner's scope, read through the same scoped read as any door, so
   * a redelivery can neither reach nor count an event the owner may not see.
   * Each keeps its delivery id.
   */
  async redeliver(
    caller: Principal,
    id: string,
    body: { seqs?: number[]; from?: number; to?: number; since?: number; until?: number; deadletters?: boolean },
  ): Promise<{ redelivering: number }> {
    const record = await this.get(caller, id);
    if (record.status !== 'active') {
      throw new HubError('conflict', 'conflict', 'Subscription disabled', `Subscription '${id}' is disabled (${record.disabledReason}). Enable it first: POST /subscriptions/${id}/enable.`);
    }
    let seqs: number[];
    if (body.deadletters) {
      seqs = await this.store.takeDeadLetters(id);
    } else {
      const scope = this.access.deliveryScope(record);
      if ('paused' in scope) throw new HubError('conflict', 'conflict', 'Subscription paused', `Subscription '${id}' cannot deliver now: ${scope.paused}`);
      const query = subscriptionQuery(record.spec as SubscriptionSpec);
      const head = this.hub.head(record.list);
      // A commit-time window (since inclusive, until exclusive) is the seq range committed in it.
      const byTime = body.since !== undefined || body.until !== undefined;
      const [timeFrom, timeTo] = byTime
        ? [body.since === undefined ? 1 : (await this.hub.seqBefore(record.list, body.since)) + 1, body.until === undefined ? head : await this.hub.seqBefore(record.list, body.until)]
        : [undefined, undefined];
      const from = body.seqs ? Math.min(...body.seqs) : (timeFrom ?? body.from!);
      const to = body.seqs ? Math.max(...body.seqs) : Math.min(timeTo ?? body.to ?? head, head);
      if (to - from + 1 > MAX_REDELIVER && !body.seqs) {
        throw invalid(`A redelivery covers at most ${MAX_REDELIVER} events; split the range.`, [{ pointer: byTime ? '/until' : '/to', message: 'range too large' }]);
      }
      const wanted = body.seqs ? new Set(body.seqs) : undefined;
      seqs = [];
      let after = from - 1;
      while (after < to) {
        const page = await this.hub.read(scope, { ...query, after, limit: 1000, maxScan: to - after }, null);
        for (const e of page.events) if (e.seq <= to && (!wanted || wanted.has(e.seq))) seqs.push(e.seq);
        if (page.next <= after) break;
        after = page.next;
      }
      await this.store.takeDeadLetters(id, seqs);
    }
    if (seqs.length > 0) this.runtime.redeliver(id, seqs);
    return { redelivering: seqs.length };
  }

  /**
   * Send a `herold.test` event to the sink, at once and once, and say how it
   * went. The event is made here, not read from the list, so it carries
   * nothing from it; a disabled subscription may be tested (to check a sink
   * before enabling it again).
   */
  async test(caller: Principal, id: string): Promise<TestAttempt & { id: string }> {
    const record = await this.get(caller, id);
    const eventId = `test_${randomUUID().replace(/-/g, '')}`;
    const event = {
      specversion: '1.0',
      id: eventId,
      source: '/herold',
      type: 'herold.test',
      subject: `subscriptions/${id}`,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      data: { subscription: id, list: record.list, message: 'A test event from Herold. It is not an event of the list; nothing needs to be done.' },
    };
    const result = await this.runtime.deliverOnce(record, { subscriptionId: id, seq: 0, deliveryId: eventId, event });
    return { id: eventId, ...result };
  }

  /** The record delivering under the caller's credential when the caller is its owner. */
  private rebound(caller: Principal, record: SubscriptionRecord): SubscriptionRecord {
    if (caller.id !== record.owner) return record;
    const runAs = this.access.runAsOf(caller);
    return JSON.stringify(runAs) === JSON.stringify(record.runAs) ? record : { ...record, runAs };
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
