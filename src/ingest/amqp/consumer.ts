/**
 * AMQP ingest for one list: consume the provider's queue, validate each
 * message as a CloudEvent, append it, and acknowledge only after the commit.
 *
 * | message                                   | what Herold does                                   |
 * |-------------------------------------------|----------------------------------------------------|
 * | valid, stored (or a duplicate)            | ack after `hub.publish` resolved (= committed)      |
 * | invalid CloudEvent, too large, source not | dead-lettered with the reason (see below), then    |
 * | allowed, same (source, id) other content  | acked; never dropped silently                      |
 * | store error, list missing, principal may  | nack with requeue after a backoff (250 ms doubling |
 * | not publish (operator problems)           | to 10 s); the message stays in the queue           |
 *
 * Dead-lettering with a reason: an AMQP nack cannot carry one, so when
 * `deadLetterExchange` is configured Herold republishes the message itself
 * (same body and properties, plus the headers `x-herold-error` with the
 * reason in words, `x-herold-list`, `x-herold-queue` and
 * `x-herold-rejected-at`) to that exchange (routing key
 * `deadLetterRoutingKey`, else the message's own), waits for the broker's
 * confirm, and only then acks the original. Without `deadLetterExchange`, or
 * if that republish fails, the message is rejected (`basic.nack`,
 * requeue=false) so the queue's own dead-letter exchange gets it with
 * RabbitMQ's `x-death` header, and the reason goes to Herold's log.
 *
 * `prefetch` bounds the unacknowledged messages held (memory). Appends run
 * concurrently and share group commits; (source, id) idempotency makes a
 * redelivered message a harmless duplicate. The connection recovers with
 * backoff (250 ms … 10 s). `stop()` cancels the consumer, finishes the
 * messages in hand (ack or requeue), then closes.
 */
import { randomUUID } from 'node:crypto';
import { type ChannelModel, type ConfirmChannel, type ConsumeMessage, IllegalOperationError } from 'amqplib';
import type { CloudEvent } from '../../cloudevents/index.js';
import { connectAmqp, describeAmqpError } from '../../delivery/sinks/amqp/connect.js';
import { maskSinkUrl } from '../../hub/subscriptions/amqp-settings.js';
import { HubError, isRequestFault } from '../../hub/errors.js';
import { describePrefixes, sourceAllowed } from '../../access/source-prefix.js';
import { decodeAmqpMessage } from '../../cloudevents/amqp-decode.js';
import type { DeclaredAmqpIngest } from '../../hub/declared-lists.js';

/** One list's AMQP ingest, as declared in the lists file. */
export type AmqpIngestConfig = DeclaredAmqpIngest;

export type IngestDecision = { allowed: true; sources?: string[] } | { allowed: false; detail: string };

export interface IngestLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface AmqpIngestDeps {
  hub: { publish(list: string, events: CloudEvent[]): Promise<{ results: { seq: number; duplicate: boolean }[] }> };
  /** May this principal publish to this list now (asked per message, so changes apply at once)? */
  authorize(principal: string, list: string): IngestDecision;
  maxEventBytes: number;
  /** Most events in one batch-mode message (default 1000). */
  maxBatchEvents?: number;
  log: IngestLog;
  /** Prefix of the broker-visible connection name (`<name> ingest <list>`). */
  connectionName?: string;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Called with the number of events newly stored (not duplicates). */
  onStored?(list: string, count: number): void;
}

export interface IngestStats {
  consuming: boolean;
  received: number;
  stored: number;
  duplicates: number;
  deadLettered: number;
  requeued: number;
  connects: number;
}

const HEADER_ERROR = 'x-herold-error';
const MAX_REASON = 4000;

type Verdict = { kind: 'ack' } | { kind: 'dead'; reason: string } | { kind: 'requeue'; reason: string };

export class AmqpIngestConsumer {
  private model: ChannelModel | null = null;
  private channel: ConfirmChannel | null = null;
  private consumerTag: string | null = null;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | null = null;
  private inflight = 0;
  private transientFailures = 0;
  private readonly returns = new Map<string, string>();
  private readyWaiters: (() => void)[] = [];
  /** Resolved by stop() once the messages in hand are settled: only then may the connection close. */
  private drainedResolve!: () => void;
  private readonly drained = new Promise<void>((resolve) => (this.drainedResolve = resolve));
  readonly stats: IngestStats = { consuming: false, received: 0, stored: 0, duplicates: 0, deadLettered: 0, requeued: 0, connects: 0 };
  readonly masked: string;

  constructor(
    readonly config: AmqpIngestConfig,
    private readonly deps: AmqpIngestDeps,
  ) {
    this.masked = maskSinkUrl(config.url);
  }

  /** Start consuming in the background (connects and reconnects by itself). */
  start(): void {
    this.loop ??= this.run();
  }

  /** Resolves once the consumer is registered with the broker (for tests and startup logs). */
  whenConsuming(timeoutMs = 10_000): Promise<void> {
    if (this.stats.consuming) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`AMQP ingest for '${this.config.list}' is not consuming after ${timeoutMs} ms`)), timeoutMs);
      this.readyWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Graceful: stop consuming, finish the messages in hand (bounded), close. */
  async stop(waitMs = 10_000): Promise<void> {
    if (this.stopping.signal.aborted) return this.loop ?? undefined;
    this.stopping.abort();
    const channel = this.channel;
    if (channel && this.consumerTag) await channel.cancel(this.consumerTag).catch(() => undefined);
    const deadline = Date.now() + waitMs;
    while (this.inflight > 0 && Date.now() < deadline) await sleep(20);
    this.drainedResolve();
    await this.loop;
  }

  // ---- connection loop -------------------------------------------------------

  private backoff(n: number): number {
    const initial = this.deps.backoffInitialMs ?? 250;
    const cap = this.deps.backoffMaxMs ?? 10_000;
    const ceiling = Math.min(cap, initial * 2 ** Math.min(n - 1, 20));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  private async run(): Promise<void> {
    const { list, queue } = this.config;
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      let closed: Promise<unknown> | undefined;
      try {
        const model = await connectAmqp(this.config.url, {
          connectionName: `${this.deps.connectionName ?? 'herold'} ingest ${list}`,
          timeoutMs: 10_000,
          heartbeatSeconds: 15,
        });
        this.model = model;
        closed = new Promise((resolve) => model.once('close', resolve));
        model.on('error', (error: unknown) => this.deps.log.warn({ list, broker: this.masked, error: describeAmqpError(error, this.config.url) }, 'AMQP ingest connection error'));
        if (this.stopping.signal.aborted) break;
        const channel = await model.createConfirmChannel();
        this.channel = channel;
        channel.on('error', (error: unknown) => this.deps.log.warn({ list, queue, error: describeAmqpError(error, this.config.url) }, 'AMQP ingest channel closed by the broker'));
        channel.on('close', () => {
          // A channel closed on its own (e.g. the queue was deleted): drop the connection and start over.
          if (this.model === model && !this.stopping.signal.aborted) model.close().catch(() => undefined);
        });
        channel.on('return', (m: { properties: { headers?: Record<string, unknown> }; fields: { replyCode?: number; replyText?: string } }) => {
          const id = m.properties.headers?.['x-herold-rejection-id'];
          if (typeof id === 'string') this.returns.set(id, `${m.fields.replyCode ?? 312} ${m.fields.replyText ?? 'NO_ROUTE'}`);
        });
        await channel.prefetch(this.config.prefetch);
        const { consumerTag } = await channel.consume(queue, (msg) => this.onMessage(channel, msg), { noAck: false });
        this.consumerTag = consumerTag;
        this.stats.consuming = true;
        this.stats.connects++;
        if (failures > 0) this.deps.log.info({ list, queue, broker: this.masked }, 'AMQP ingest recovered');
        else this.deps.log.info({ list, queue, broker: this.masked }, 'AMQP ingest consuming');
        failures = 0;
        for (const w of this.readyWaiters.splice(0)) w();
        await Promise.race([closed, aborted(this.stopping.signal)]);
      } catch (error) {
        if (!this.stopping.signal.aborted) {
          this.deps.log.error({ list, queue, broker: this.masked, error: describeAmqpError(error, this.config.url) }, 'AMQP ingest cannot consume');
        }
      }
      this.stats.consuming = false;
      if (this.stopping.signal.aborted) break;
      this.consumerTag = null;
      const model = this.model;
      this.model = null;
      this.channel = null;
      if (model) await model.close().catch(() => undefined);
      failures++;
      const delay = this.backoff(failures);
      this.deps.log.warn({ list, queue, broker: this.masked, retryInMs: delay }, 'AMQP ingest disconnected; reconnecting');
      await sleep(delay, this.stopping.signal);
    }
    // Stopping: the acks of the messages in hand go out before the connection closes.
    // Close the channel first: its close is ordered after its acks, while a
    // connection close (channel 0) may overtake frames still queued for it.
    await this.drained;
    const model = this.model;
    const channel = this.channel;
    this.model = null;
    this.channel = null;
    this.consumerTag = null;
    if (channel) await channel.close().catch(() => undefined);
    if (model) await model.close().catch(() => undefined);
  }

  // ---- messages -----------------------------------------------------------

  private onMessage(channel: ConfirmChannel, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // The broker cancelled the consumer (queue deleted): reconnect, which fails loudly until the queue is back.
      this.deps.log.warn({ list: this.config.list, queue: this.config.queue }, 'the broker cancelled the AMQP ingest consumer');
      channel.close().catch(() => undefined);
      return;
    }
    this.stats.received++;
    this.inflight++;
    this.handle(channel, msg)
      .catch((error) => {
        this.deps.log.error({ list: this.config.list, error: (error as Error)?.message }, 'AMQP ingest failed to settle a message; the broker redelivers it');
      })
      .finally(() => this.inflight--);
  }

  private async handle(channel: ConfirmChannel, msg: ConsumeMessage): Promise<void> {
    let verdict: Verdict;
    try {
      verdict = await this.judge(msg);
    } catch (error) {
      verdict = { kind: 'requeue', reason: `unexpected error: ${(error as Error)?.message ?? String(error)}` };
    }
    switch (verdict.kind) {
      case 'ack':
        this.transientFailures = 0;
        settle(() => channel.ack(msg));
        return;
      case 'dead':
        await this.deadLetter(channel, msg, verdict.reason);
        return;
      case 'requeue': {
        this.transientFailures++;
        const delay = this.backoff(this.transientFailures);
        this.deps.log.error({ list: this.config.list, queue: this.config.queue, reason: verdict.reason, retryInMs: delay }, 'AMQP ingest could not store a message; requeueing it');
        await sleep(delay, this.stopping.signal);
        this.stats.requeued++;
        settle(() => channel.nack(msg, false, true));
        return;
      }
    }
  }

  /** Decode, authorise, append. Only a resolved append (a commit) yields 'ack'. */
  private async judge(msg: ConsumeMessage): Promise<Verdict> {
    const { list, principal } = this.config;
    let decoded;
    try {
      decoded = decodeAmqpMessage(msg, { maxEventBytes: this.deps.maxEventBytes, maxBatchEvents: this.deps.maxBatchEvents });
    } catch (error) {
      // A bug, not the provider's fault; still never dropped: it goes where invalid messages go.
      return { kind: 'dead', reason: `Herold could not read the message: ${(error as Error)?.message ?? String(error)}` };
    }
    if (!decoded.ok) return { kind: 'dead', reason: decoded.reason };
    const decision = this.deps.authorize(principal, list);
    if (!decision.allowed) return { kind: 'requeue', reason: `the ingest principal '${principal}' may not publish to '${list}': ${decision.detail}` };
    if (decision.sources) {
      const prefixes = decision.sources;
      const bad = decoded.events.find((e) => !sourceAllowed(e.source, prefixes));
      if (bad) return { kind: 'dead', reason: `source '${bad.source}' is not allowed: '${principal}' may publish to '${list}' only events whose source is ${describePrefixes(prefixes)}` };
    }
    try {
      const { results } = await this.deps.hub.publish(list, decoded.events);
      const fresh = results.filter((r) => !r.duplicate).length;
      this.stats.stored += fresh;
      this.stats.duplicates += results.length - fresh;
      if (fresh > 0) this.deps.onStored?.(list, fresh);
      return { kind: 'ack' };
    } catch (error) {
      if (error instanceof HubError && isRequestFault(error)) {
        return { kind: 'dead', reason: error.detail };
      }
      return { kind: 'requeue', reason: error instanceof Error ? error.message : String(error) };
    }
  }

  private async deadLetter(channel: ConfirmChannel, msg: ConsumeMessage, reason: string): Promise<void> {
    const { list, queue, deadLetterExchange } = this.config;
    const text = reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason;
    this.stats.deadLettered++;
    if (deadLetterExchange !== undefined) {
      const outcome = await this.republish(channel, msg, deadLetterExchange, text);
      if (outcome === 'ok') {
        this.deps.log.warn({ list, queue, reason: text, deadLetterExchange }, 'AMQP ingest dead-lettered an invalid message');
        settle(() => channel.ack(msg));
        return;
      }
      this.deps.log.error({ list, queue, deadLetterExchange, error: outcome }, 'could not dead-letter with the reason; rejecting to the queue\'s own dead-letter exchange');
    }
    this.deps.log.warn({ list, queue, reason: text }, 'AMQP ingest rejected an invalid message (nack, requeue=false)');
    settle(() => channel.nack(msg, false, false));
  }

  /** Copy the message to the dead-letter exchange with the reason; resolves 'ok' on the broker's confirm. */
  private republish(channel: ConfirmChannel, msg: ConsumeMessage, exchange: string, reason: string): Promise<'ok' | string> {
    const p = msg.properties;
    const id = randomUUID();
    const headers: Record<string, unknown> = {
      ...(p.headers ?? {}),
      [HEADER_ERROR]: reason,
      'x-herold-list': this.config.list,
      'x-herold-queue': this.config.queue,
      'x-herold-rejected-at': new Date().toISOString(),
      'x-herold-rejection-id': id,
    };
    const routingKey = this.config.deadLetterRoutingKey ?? msg.fields.routingKey;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve('no confirm from the broker within 10 s'), 10_000);
      try {
        channel.publish(
          exchange,
          routingKey,
          msg.content,
          {
            mandatory: true,
            persistent: p.deliveryMode === 2 || p.deliveryMode === undefined,
            contentType: p.contentType,
            contentEncoding: p.contentEncoding,
            headers,
            priority: p.priority,
            correlationId: p.correlationId,
            replyTo: p.replyTo,
            messageId: p.messageId,
            timestamp: p.timestamp,
            type: p.type,
            appId: p.appId,
          },
          (err: unknown) => {
            clearTimeout(timer);
            const returned = this.returns.get(id);
            this.returns.delete(id);
            if (err) resolve(describeAmqpError(err, this.config.url));
            else if (returned) resolve(`the dead-letter exchange '${exchange}' could not route it (${returned})`);
            else resolve('ok');
          },
        );
      } catch (error) {
        clearTimeout(timer);
        resolve(describeAmqpError(error, this.config.url));
      }
    });
  }
}

/** Ack/nack on a channel that may have closed meanwhile (the broker then redelivers: harmless). */
function settle(action: () => void): void {
  try {
    action();
  } catch (error) {
    if (!(error instanceof IllegalOperationError)) throw error;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
