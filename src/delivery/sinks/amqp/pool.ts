/**
 * Shared AMQP connections for delivery: one connection and one confirm
 * channel per broker URL, whatever the number of subscriptions using it.
 *
 * - Connections open on demand and recover by themselves: when one drops
 *   (broker restart, `rabbitmqctl close_connection`, network), publishes in
 *   flight fail at once (their confirm callbacks get "channel closed") and
 *   are classified `retry` by the sink; reconnection starts immediately and
 *   then backs off exponentially with jitter (200 ms … 10 s) while the broker
 *   stays unreachable. A publish waits for the connection up to its timeout.
 * - Every publish is `mandatory` and confirmed: the broker's basic.ack is
 *   success, basic.nack is a failure, and a basic.return (unroutable; it
 *   always precedes the ack of the same message on the channel) turns the
 *   following ack into a failure. Returns are matched by `message-id`.
 * - A channel-level error (e.g. publishing to an exchange that was deleted,
 *   404) closes the shared channel; the next publish opens a new one. To keep
 *   one subscription's missing exchange from disturbing the others, each
 *   destination is checked (passive declare, or declared when asked) on a
 *   throwaway channel before the first publish on every new channel.
 * - A connection nobody published on for `idleCloseMs` is closed.
 * - Every connection goes through the egress policy (see `connect.ts`).
 */
import { type Channel, type ChannelModel, type ConfirmChannel, IllegalOperationError } from 'amqplib';
import type { EgressPolicy, Resolver } from '../../egress/index.js';
import type { AmqpMessage } from '../../../cloudevents/amqp-encode.js';
import { amqpReplyCode, connectAmqp, describeAmqpError } from './connect.js';
import { maskSinkUrl } from '../../../hub/subscriptions/amqp-settings.js';

export interface AmqpLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface AmqpPoolOptions {
  policy: EgressPolicy;
  resolve?: Resolver;
  /** Prefix of the broker-visible connection name (`<name> delivery`). */
  connectionName?: string;
  connectTimeoutMs?: number;
  /** Reconnect backoff: first delay and cap, ms. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Close a connection nobody published on for this long (default 5 min). */
  idleCloseMs?: number;
  heartbeatSeconds?: number;
  log?: AmqpLog;
}

export type PublishFailure = 'unavailable' | 'returned' | 'nacked' | 'closed' | 'timeout' | 'encode';

export type PublishOutcome = { ok: true } | { ok: false; kind: PublishFailure; error: string; replyCode?: number };

/** What a sink needs to exist on the broker before it publishes. */
export interface Destination {
  /** Identifies the check, e.g. `exchange:orders` or `declare:queue:cms`. */
  key: string;
  /** Runs on a throwaway channel; rejects (often closing that channel) when the destination is unusable. */
  ensure(channel: Channel): Promise<void>;
}

/** The broker could not be reached within the caller's timeout (reconnection goes on). */
export class BrokerUnavailableError extends Error {
  readonly code = 'EUNAVAILABLE';
}

const NOOP_LOG: AmqpLog = { info() {}, warn() {} };

const CONFIRMED: PublishOutcome = Object.freeze({ ok: true });

interface Pending {
  deadline: number;
  remaining: number;
  /** Settles the publish; null once settled. */
  finish: ((outcome: PublishOutcome) => void) | null;
}

export class AmqpPool {
  private readonly brokers = new Map<string, Broker>();
  private readonly idleTimer: NodeJS.Timeout;
  private closed = false;

  constructor(readonly options: AmqpPoolOptions) {
    const idle = options.idleCloseMs ?? 300_000;
    this.idleTimer = setInterval(() => {
      for (const b of this.brokers.values()) b.closeIfIdle(idle);
    }, Math.max(1000, Math.min(60_000, idle / 2)));
    this.idleTimer.unref();
  }

  /** The shared broker for this URL (created on first use; connects lazily). */
  broker(url: string): Broker {
    if (this.closed) throw new Error('the AMQP connection pool is closed');
    let b = this.brokers.get(url);
    if (!b) this.brokers.set(url, (b = new Broker(url, this.options)));
    return b;
  }

  /** Brokers with an open connection (for tests and metrics). */
  openConnections(): number {
    let n = 0;
    for (const b of this.brokers.values()) if (b.isOpen()) n++;
    return n;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.idleTimer);
    await Promise.all([...this.brokers.values()].map((b) => b.close()));
    this.brokers.clear();
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.());

export class Broker {
  readonly masked: string;
  private model: ChannelModel | null = null;
  private channel: ConfirmChannel | null = null;
  private channelOpening: Promise<void> | null = null;
  private generation = 0;
  private loop: Promise<void> | null = null;
  private failures = 0;
  private nextAttemptAt = 0;
  private lastError: string | null = null;
  private closed = false;
  private lastUsed = 0;
  private inflight = 0;
  private readonly waiters = new Set<() => void>();
  /** Callers waiting in ready(); the connect loop keeps going while there are any. */
  private wanted = 0;
  private backgroundUntil = 0;
  /** message-id → return reasons, for the current channel. */
  private returns = new Map<string, string[]>();
  private verified = new Set<string>();
  private readonly verifying = new Map<string, Promise<void>>();
  private readonly log: AmqpLog;
  /** Publishes waiting for their confirm, and the one timer that times them out. */
  private readonly pending = new Set<Pending>();
  private deadlineTimer: NodeJS.Timeout | null = null;
  private deadlineAt = Infinity;

  constructor(
    readonly url: string,
    private readonly options: AmqpPoolOptions,
  ) {
    this.masked = maskSinkUrl(url);
    this.log = options.log ?? NOOP_LOG;
  }

  isOpen(): boolean {
    return this.model !== null;
  }

  /** Publish with mandatory + publisher confirm. Never rejects. */
  publish(exchange: string, routingKey: string, message: AmqpMessage, timeoutMs: number): Promise<PublishOutcome> {
    // The channel is open (the usual case): publish now, without waiting a turn for ready().
    if (this.model && this.channel) return this.publishOn(this.channel, this.returns, exchange, routingKey, message, timeoutMs);
    const deadline = Date.now() + timeoutMs;
    return this.ready(timeoutMs).then(
      ({ channel, returns }) => this.publishOn(channel, returns, exchange, routingKey, message, Math.max(1, deadline - Date.now())),
      (error: unknown): PublishOutcome => ({ ok: false, kind: 'unavailable', error: describeAmqpError(error, this.url) }),
    );
  }

  /** Whether the destination is known to exist on the open channel (no need for ensureDestination). */
  verifiedNow(dest: Destination): boolean {
    return this.model !== null && this.channel !== null && this.verified.has(dest.key);
  }

  private publishOn(channel: ConfirmChannel, returns: Map<string, string[]>, exchange: string, routingKey: string, message: AmqpMessage, remaining: number): Promise<PublishOutcome> {
    const id = message.options.messageId;
    this.inflight++;
    this.lastUsed = Date.now();
    return new Promise<PublishOutcome>((resolve) => {
      const pending: Pending = { deadline: this.lastUsed + remaining, remaining, finish: null };
      const finish = (outcome: PublishOutcome) => {
        if (pending.finish === null) return;
        pending.finish = null;
        this.pending.delete(pending);
        if (this.pending.size === 0) this.disarmDeadlines();
        this.inflight--;
        resolve(outcome);
      };
      pending.finish = finish;
      this.pending.add(pending);
      this.armDeadlines(pending.deadline);
      try {
        message.options.mandatory = true;
        channel.publish(exchange, routingKey, message.content, message.options, (err: unknown) => {
          const returned = typeof id === 'string' && returns.size > 0 ? takeReturn(returns, id) : undefined;
          if (err) {
            const text = describeAmqpError(err, this.url);
            finish({ ok: false, kind: text === 'message nacked' ? 'nacked' : 'closed', error: text === 'message nacked' ? 'the broker refused the message (basic.nack)' : `the channel closed before the broker confirmed (${text})` });
          } else if (returned !== undefined) {
            finish({ ok: false, kind: 'returned', error: returned, replyCode: Number.parseInt(returned, 10) || undefined });
          } else finish(CONFIRMED);
        });
      } catch (error) {
        const closed = error instanceof IllegalOperationError;
        finish({ ok: false, kind: closed ? 'closed' : 'encode', error: describeAmqpError(error, this.url) });
      }
    });
  }

  /**
   * Publishes waiting for their confirm share one timer (not one each: a
   * subscription keeps up to a thousand in flight), set for the earliest
   * deadline; when it fires, the overdue ones time out and it is set again.
   */
  private armDeadlines(deadline: number): void {
    if (this.deadlineTimer !== null && this.deadlineAt <= deadline) return;
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    this.deadlineAt = deadline;
    this.deadlineTimer = setTimeout(() => this.expire(), Math.max(0, deadline - Date.now()));
  }

  private disarmDeadlines(): void {
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
    this.deadlineAt = Infinity;
  }

  private expire(): void {
    this.deadlineTimer = null;
    this.deadlineAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const p of [...this.pending]) {
      if (p.deadline <= now) p.finish?.({ ok: false, kind: 'timeout', error: `no publisher confirm from the broker within ${p.remaining} ms` });
      else next = Math.min(next, p.deadline);
    }
    if (next !== Infinity) this.armDeadlines(next);
  }

  /**
   * Make sure a destination exists (checked or declared) on this connection
   * before publishing to it; remembered until the channel is replaced.
   * Rejects with the broker's reason (404 NOT_FOUND for a missing one).
   */
  async ensureDestination(dest: Destination, timeoutMs: number): Promise<void> {
    const { model } = await this.ready(timeoutMs);
    if (this.verified.has(dest.key)) return;
    let pending = this.verifying.get(dest.key);
    if (!pending) {
      const generation = this.generation;
      pending = (async () => {
        const ch = await model.createChannel();
        ch.on('error', () => undefined); // a failed passive declare closes this channel; the rejection says why
        try {
          await dest.ensure(ch);
        } finally {
          try {
            await ch.close();
          } catch {
            // already closed by the broker
          }
        }
        if (generation === this.generation) this.verified.add(dest.key);
      })().finally(() => this.verifying.delete(dest.key));
      this.verifying.set(dest.key, pending);
    }
    await pending;
  }

  closeIfIdle(idleMs: number): void {
    if (this.model && this.inflight === 0 && this.wanted === 0 && Date.now() - this.lastUsed > idleMs) {
      const model = this.model;
      this.detach();
      this.log.info({ broker: this.masked }, 'closing idle AMQP connection');
      model.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.notify();
    const model = this.model;
    this.detach();
    // A connect attempt still running closes its connection itself when it sees `closed`.
    if (model) await model.close().catch(() => undefined);
  }

  // ---- connection state ----------------------------------------------------

  /** The open channel (and its connection), waiting up to `timeoutMs` for (re)connection. */
  private async ready(timeoutMs: number): Promise<{ model: ChannelModel; channel: ConfirmChannel; returns: Map<string, string[]> }> {
    this.lastUsed = Date.now();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.closed) throw new BrokerUnavailableError('the AMQP connection pool is closed');
      if (this.model && this.channel) return { model: this.model, channel: this.channel, returns: this.returns };
      if (this.model) {
        try {
          await this.openChannel();
        } catch (error) {
          this.lastError = describeAmqpError(error, this.url);
          await sleep(Math.min(100, Math.max(0, deadline - Date.now())));
        }
      } else {
        const remaining = deadline - Date.now();
        if (remaining <= 0) {
          throw new BrokerUnavailableError(`the broker ${this.hostLabel()} is not reachable${this.lastError ? ` (${this.lastError})` : ''}; reconnecting`);
        }
        this.wanted++;
        try {
          this.ensureLoop();
          await this.waitForChange(remaining);
        } finally {
          this.wanted--;
        }
      }
      if (Date.now() >= deadline && !(this.model && this.channel)) {
        throw new BrokerUnavailableError(`the broker ${this.hostLabel()} is not reachable${this.lastError ? ` (${this.lastError})` : ''}; reconnecting`);
      }
    }
  }

  private hostLabel(): string {
    try {
      const u = new URL(this.url);
      return `${u.host}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
    } catch {
      return 'broker';
    }
  }

  private waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  private ensureLoop(): void {
    if (this.loop || this.closed || this.model) return;
    this.loop = this.connectLoop().finally(() => {
      this.loop = null;
      this.notify();
    });
  }

  private backoff(failures: number): number {
    const initial = this.options.backoffInitialMs ?? 200;
    const cap = this.options.backoffMaxMs ?? 10_000;
    const ceiling = Math.min(cap, initial * 2 ** Math.min(failures - 1, 20));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  private async connectLoop(): Promise<void> {
    while (!this.closed && !this.model) {
      const wait = this.nextAttemptAt - Date.now();
      if (wait > 0) {
        // Nobody waiting for the connection: stop; the next publish starts the loop again.
        if (this.wanted === 0 && Date.now() >= this.backgroundUntil) return;
        await sleep(Math.min(wait, 1000));
        continue;
      }
      try {
        const model = await connectAmqp(this.url, {
          policy: this.options.policy,
          resolve: this.options.resolve,
          connectionName: `${this.options.connectionName ?? 'herold'} delivery`,
          timeoutMs: this.options.connectTimeoutMs ?? 10_000,
          heartbeatSeconds: this.options.heartbeatSeconds ?? 15,
        });
        if (this.closed) {
          await model.close().catch(() => undefined);
          return;
        }
        this.attach(model);
        if (this.failures > 0 || this.lastError) this.log.info({ broker: this.masked, after: this.failures }, 'AMQP connection recovered');
        this.failures = 0;
        this.lastError = null;
        this.notify();
      } catch (error) {
        this.failures++;
        this.lastError = describeAmqpError(error, this.url);
        const delay = this.backoff(this.failures);
        this.nextAttemptAt = Date.now() + delay;
        this.log.warn({ broker: this.masked, error: this.lastError, retryInMs: delay }, 'AMQP connection failed');
        this.notify();
      }
    }
  }

  private attach(model: ChannelModel): void {
    this.model = model;
    coalesceWrites(model);
    this.channel = null;
    this.verified = new Set();
    model.on('error', (error: unknown) => {
      this.lastError = describeAmqpError(error, this.url);
    });
    model.on('blocked', (reason: string) => this.log.warn({ broker: this.masked, reason }, 'the broker blocked publishing (resource alarm)'));
    model.on('unblocked', () => this.log.info({ broker: this.masked }, 'the broker unblocked publishing'));
    model.on('close', (error?: unknown) => {
      if (this.model !== model) return;
      this.detach();
      this.lastError = error ? describeAmqpError(error, this.url) : 'connection closed';
      if (this.closed) return;
      this.log.warn({ broker: this.masked, error: this.lastError }, 'AMQP connection lost; reconnecting');
      this.nextAttemptAt = Date.now();
      this.notify();
      // Reconnect at once if the connection was in use recently.
      if (Date.now() - this.lastUsed < (this.options.idleCloseMs ?? 300_000)) this.ensureLoopBackground();
    });
  }

  /** Reconnect without anyone waiting: keeps trying (with backoff) for a minute. */
  private ensureLoopBackground(): void {
    this.backgroundUntil = Date.now() + 60_000;
    this.ensureLoop();
  }

  private detach(): void {
    this.model = null;
    this.channel = null;
    this.returns = new Map();
    this.verified = new Set();
  }

  private openChannel(): Promise<void> {
    this.channelOpening ??= (async () => {
      const model = this.model;
      if (!model) return;
      const ch = await model.createConfirmChannel();
      if (this.model !== model) {
        ch.close().catch(() => undefined);
        return;
      }
      this.generation++;
      const returns = new Map<string, string[]>();
      ch.on('return', (m: { fields: { replyCode?: number; replyText?: string; exchange?: string; routingKey?: string }; properties: { messageId?: unknown } }) => {
        const id = m.properties.messageId;
        if (typeof id !== 'string') return;
        const f = m.fields;
        const reason = `${f.replyCode ?? 312} ${f.replyText ?? 'NO_ROUTE'}`;
        const list = returns.get(id);
        if (list) list.push(reason);
        else returns.set(id, [reason]);
      });
      ch.on('error', (error: unknown) => {
        this.lastError = describeAmqpError(error, this.url);
        this.log.warn({ broker: this.masked, error: this.lastError, code: amqpReplyCode(error) }, 'AMQP channel closed by the broker; reopening');
      });
      ch.on('close', () => {
        if (this.channel !== ch) return;
        this.channel = null;
        this.verified = new Set();
        this.notify();
      });
      this.returns = returns;
      this.verified = new Set();
      this.channel = ch;
      this.notify();
    })().finally(() => {
      this.channelOpening = null;
    });
    return this.channelOpening;
  }
}

/**
 * amqplib writes each queued frame buffer to the socket on its own (one
 * system call per message). Its writer drains every channel in one turn, so
 * corking the socket around that turn sends them together. Only where
 * amqplib's writer (`connection.muxer`, 2.x) is what this expects.
 */
function coalesceWrites(model: ChannelModel): void {
  const muxer = (model as unknown as { connection?: { muxer?: Muxer } }).connection?.muxer;
  const drain = muxer?._readIncoming;
  if (typeof drain !== 'function' || typeof muxer?.out?.cork !== 'function') return;
  muxer._readIncoming = function (this: Muxer): void {
    this.out.cork();
    try {
      drain.call(this);
    } finally {
      this.out.uncork();
    }
  };
}

interface Muxer {
  out: { cork(): void; uncork(): void };
  _readIncoming(): void;
}

function takeReturn(returns: Map<string, string[]>, id: string): string | undefined {
  const list = returns.get(id);
  if (!list) return undefined;
  const reason = list.shift();
  if (list.length === 0) returns.delete(id);
  return reason;
}
