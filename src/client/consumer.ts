import { type BackoffOptions, anySignal, backoffDelay, sleep } from './backoff.js';
import { Deduper } from './dedupe.js';
import { HandlerError, HeroldError, isTransient } from './errors.js';
import { type ConnectionOptions, Transport } from './http.js';
import { Sequencer } from './sequencer.js';
import { type CursorStore, type TransactionalCursorStore, isTransactional } from './stores/types.js';
import { MemoryCursorStore } from './stores/memory.js';
import { SseUnavailable, type StreamItem, pullSession, sseSession } from './stream.js';
import type { EventFilters, ServedEvent } from './types.js';

export interface ConsumerOptions extends ConnectionOptions, EventFilters {
  list: string;
  /** Where `run` keeps the position (default: in memory). */
  cursorStore?: CursorStore;
  /** The consumer's name in the cursor store (default: the list name). */
  name?: string;
  /** Stops `events` and `run` when it aborts. */
  signal?: AbortSignal;
  /** `auto` (default): Server-Sent Events, pages when the hub or a proxy does not stream; or only one of them. */
  transport?: 'auto' | 'sse' | 'pull';
  /** Pull: ms between polls once caught up (default 1000). */
  pollMs?: number;
  /** Pull: events per page (default 1000). */
  pageSize?: number;
  /**
   * Pull: how to catch up when behind (at the start, and after a full page): 'export' (default)
   * reads up to the head in one NDJSON export, a line at a time; 'pages' asks page after page.
   * Once caught up, both poll pages.
   */
  catchUp?: 'export' | 'pages';
  /** SSE: reconnect when nothing arrived for this long, ms (default 60,000; the hub sends a heartbeat every 15 s). */
  idleTimeoutMs?: number;
  /** Delays between reconnects (default 250 ms doubling to 30 s, with jitter). */
  backoff?: BackoffOptions;
  /** When retention deleted events you had not read: throw RetentionTrimmedError (default) or go on. */
  onTrimmed?: 'throw' | 'continue';
  /** The clock compared with the list's retention (default Date.now). */
  now?: () => number;
  /** Called before each reconnect (for logs and metrics). */
  onReconnect?: (info: { attempt: number; delayMs: number; error?: unknown; reason?: string }) => void;
}

export interface EventsOptions {
  /** Start after this sequence number: '0' is the start of the list, 'head' its current end. Default '0'. */
  from?: string;
  signal?: AbortSignal;
}

/** What a handler is told besides the event. Read it, do not keep or change it: a first try without a transaction gets one shared (frozen) object. */
export interface HandlerContext<Tx = undefined> {
  /** The cursor store's transaction (a pg client, a better-sqlite3 database) when the store is transactional. */
  tx: Tx;
  /** 1 for the first try, then 2, 3 ... on retries. */
  attempt: number;
  signal: AbortSignal;
}

export interface RunOptions<Tx = undefined> {
  cursorStore?: CursorStore | TransactionalCursorStore<Tx>;
  name?: string;
  /** Start here instead of the stored position. */
  from?: string;
  signal?: AbortSignal;
  /** Retries of a failing handler before onFailure applies (default 5). */
  retries?: number;
  retryBackoff?: BackoffOptions;
  /** After the retries: 'stop' (default; run rejects with HandlerError, the cursor stays before the event) or 'park' (keep it aside and go on). */
  onFailure?: 'stop' | 'park';
  /** Where parked events go (default: the cursor store's `park`). */
  park?: (event: ServedEvent, error: unknown) => Promise<void>;
  /** Skip events whose (source, id) was handled among the last N (default 10,000; false: off). */
  dedupe?: number | false;
  /** Non-transactional stores: save the position after this many events (default 100) ... */
  commitEvery?: number;
  /** ... or this many ms after the oldest unsaved one (default 1000), whichever comes first. */
  commitIntervalMs?: number;
}

/**
 * A consumer of one list: `events()` hands out every event you may read, in
 * order, exactly once per run, across hub restarts and network drops; `run()`
 * adds a handler, retries and a cursor saved only after the handler is done.
 */
export class Consumer {
  readonly transport: Transport;
  private mode: 'sse' | 'pull';
  private lastPosition: bigint | undefined;

  constructor(readonly options: ConsumerOptions) {
    if (!options?.list) throw new TypeError("Consumer: 'list' is required");
    this.transport = new Transport(options);
    this.mode = options.transport === 'pull' ? 'pull' : 'sse';
  }

  /** The sequence number of the last event handed out (or passed over on the hub's word). */
  get position(): string | undefined {
    return this.lastPosition?.toString();
  }

  /** Every event after `from`, live, forever (until a signal aborts). */
  async *events(options: EventsOptions = {}): AsyncGenerator<ServedEvent> {
    const signal = anySignal(this.options.signal, options.signal);
    for await (const batch of this.batches(options.from ?? '0', signal)) {
      for (let i = 0; i < batch.length; i++) {
        const item = batch[i];
        // Messages already read from the socket are not handed out once stopped.
        if (signal.aborted) return;
        this.lastPosition = item.seq;
        if (item.event) yield item.event;
      }
    }
  }

  /**
   * Events and bare position moves, for `run` (which saves positions the hub
   * moved past filtered events too, so a restart does not scan them again).
   */
  async *items(options: EventsOptions = {}): AsyncGenerator<{ seq: bigint; event?: ServedEvent }> {
    const signal = anySignal(this.options.signal, options.signal);
    for await (const batch of this.batches(options.from ?? '0', signal)) {
      for (const item of batch) {
        // Messages already read from the socket are not handed out once stopped.
        if (signal.aborted) return;
        this.lastPosition = item.seq;
        yield item.event ? { seq: item.seq, event: item.event } : { seq: item.seq };
      }
    }
  }

  /**
   * The reading loop: sessions (SSE, or pages), sequenced, reconnected with
   * backoff until `signal` aborts. Yields what a session read at once (a
   * chunk of the stream, a page), so a fast reader does not pay for an async
   * step per event.
   */
  private async *batches(from: string, signal: AbortSignal): AsyncGenerator<{ seq: bigint; event?: ServedEvent }[]> {
    const o = this.options;
    const start = await this.resolveFrom(from, signal);
    if (start === undefined) return;
    const ownFilters = Boolean(o.filter || o.type || o.subject || o.source);
    const seq = new Sequencer(start, this.transport, o.list, { ownFilters, onTrimmed: o.onTrimmed ?? 'throw', now: o.now ?? Date.now });
    this.lastPosition = start;
    const session = { signal, idleTimeoutMs: o.idleTimeoutMs ?? 60_000, pollMs: o.pollMs ?? 1000, pageSize: o.pageSize ?? 1000, catchUp: o.catchUp ?? 'export' };
    const filters: EventFilters = { filter: o.filter, type: o.type, subject: o.subject, source: o.source };
    let attempt = 0;
    let authRetries = 0;
    for (;;) {
      let error: unknown;
      let ended: Extract<StreamItem, { kind: 'end' }> | undefined;
      seq.startSession();
      try {
        const open = this.mode === 'pull' ? pullSession : sseSession;
        for await (const items of open(this.transport, o.list, filters, seq.current, session)) {
          const out: { seq: bigint; event?: ServedEvent }[] = [];
          for (let i = 0; i < items.length; i++) {
            const item = items[i];
            if (item.kind === 'end') {
              ended = item;
              break;
            }
            const verdict = seq.accept(item);
            if (verdict === 'stale') continue;
            if (verdict === 'jump') {
              // Hand out what came before the jump first: a probe that fails reconnects from after it.
              if (out.length > 0) {
                if (signal.aborted) return;
                yield out.splice(0);
              }
              await seq.explainJump(item);
            }
            out.push(item); // an event item carries `event`; a position item has none
          }
          if (out.length > 0) {
            attempt = 0;
            authRetries = 0;
            if (signal.aborted) return;
            yield out;
          }
          if (ended) break;
        }
        if (signal.aborted) return;
        // `end`: the window (until) is complete; close and error: reconnect and resume.
        if (ended?.event === 'end') return;
      } catch (e) {
        if (signal.aborted) return;
        if (e instanceof SseUnavailable && o.transport !== 'sse') {
          this.mode = 'pull';
          continue;
        }
        // A token provider gets another chance: a credential that expired mid-stream is renewed on reconnect.
        const renewable = e instanceof HeroldError && e.status === 401 && typeof o.key === 'function' && authRetries++ < 3;
        if (!isTransient(e) && !renewable) throw e;
        error = e;
      }
      const delayMs = error instanceof HeroldError && error.retryAfter ? error.retryAfter * 1000 : backoffDelay(attempt, o.backoff);
      o.onReconnect?.({ attempt: ++attempt, delayMs, error, reason: ended?.reason });
      if (!(await sleep(delayMs, signal))) return;
    }
  }

  private async resolveFrom(from: string, signal: AbortSignal): Promise<bigint | undefined> {
    if (from !== 'head') {
      if (!/^\d{1,19}$/.test(from)) throw new TypeError(`Consumer: from must be a sequence number ('0' for the start) or 'head'; got '${from}'`);
      return BigInt(from);
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const list = await this.transport.json<{ head: string }>('GET', `/lists/${encodeURIComponent(this.options.list)}`, { signal });
        return BigInt(list.head);
      } catch (error) {
        if (signal.aborted) return undefined;
        if (!isTransient(error)) throw error;
        if (!(await sleep(backoffDelay(attempt, this.options.backoff), signal))) return undefined;
      }
    }
  }

  /**
   * Hand every event to `handler`, in order, and save the position only after
   * it resolved (at-least-once). A failing handler is retried with backoff,
   * then stops the run or parks the event. With a transactional store the
   * position is saved in the handler's own transaction (`ctx.tx`). Resolves
   * when a signal aborts, after saving the position.
   */
  async run<Tx = undefined>(handler: (event: ServedEvent, ctx: HandlerContext<Tx>) => unknown | Promise<unknown>, options: RunOptions<Tx> = {}): Promise<void> {
    const store = options.cursorStore ?? this.options.cursorStore ?? new MemoryCursorStore();
    const name = options.name ?? this.options.name ?? this.options.list;
    const signal = anySignal(this.options.signal, options.signal);
    const from = options.from ?? (await store.load(name)) ?? '0';
    const dedupe = options.dedupe === false ? undefined : new Deduper(options.dedupe ?? 10_000);
    const retries = options.retries ?? 5;
    const transactional = isTransactional<Tx>(store);
    const committer = new Committer(store, name, options.commitEvery ?? 100, options.commitIntervalMs ?? 1000);
    if (/^\d{1,19}$/.test(from)) committer.savedElsewhere(BigInt(from));
    // The context of a first try without a transaction is the same for every event: one object.
    const firstTry = Object.freeze({ attempt: 1, signal, tx: undefined }) as HandlerContext<Tx>;
    let failure: unknown;
    try {
      events: for await (const batch of this.batches(from, signal)) for (let i = 0; i < batch.length; i++) {
        const item = batch[i];
        if (signal.aborted) break events;
        this.lastPosition = item.seq;
        const event = item.event;
        if (!event || dedupe?.has(event)) {
          committer.done(item.seq);
          continue;
        }
        for (let attempt = 1; ; attempt++) {
          try {
            if (transactional) {
              await store.transaction(name, item.seq.toString(), (tx) => handler(event, { attempt, signal, tx }) as Promise<unknown>);
              committer.savedElsewhere(item.seq);
            } else {
              const result = handler(event, attempt === 1 ? firstTry : ({ attempt, signal, tx: undefined } as HandlerContext<Tx>));
              // A handler that returns a promise is awaited; one that returns at once costs no async step.
              if (isThenable(result)) await result;
            }
            break;
          } catch (error) {
            // Stopping while retrying is no failure: the position stays before this event.
            if (signal.aborted) break events;
            if (attempt <= retries) {
              if (await sleep(backoffDelay(attempt - 1, options.retryBackoff ?? { initialMs: 200, maxMs: 10_000 }), signal)) continue;
              break events;
            }
            if (options.onFailure !== 'park') throw new HandlerError(event, attempt, error);
            const park = options.park ?? store.park?.bind(store, name);
            if (!park) throw new TypeError("Consumer.run: onFailure 'park' needs a park function or a cursor store that parks");
            await park(event, error);
            break;
          }
        }
        dedupe?.add(event);
        if (!transactional) committer.done(item.seq);
      }
    } catch (error) {
      failure = error;
    }
    // Save what is done, also after a failure (the position then stays before the failed event).
    try {
      await committer.flush();
    } catch (error) {
      failure ??= error;
    }
    if (failure !== undefined) throw failure;
  }
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';

/**
 * Saves positions for stores that are not transactional, in the background:
 * one save at a time, of the latest position whose event is done, started
 * after `every` events or `intervalMs` after the first unsaved one, and at
 * the end. The handler never waits for the disk (a file store's fsync takes
 * milliseconds); a save that fails stops the run at the next event. Never
 * saves a position below one already saved (a transactional store saves its
 * own).
 */
class Committer {
  private saved = -1n;
  private pending: bigint | undefined;
  private count = 0;
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> | undefined;
  private again = false;
  private failed: unknown;

  constructor(
    private readonly store: CursorStore,
    private readonly name: string,
    private readonly every: number,
    private readonly intervalMs: number,
  ) {}

  savedElsewhere(seq: bigint): void {
    if (seq > this.saved) this.saved = seq;
    if (this.pending !== undefined && this.pending <= seq) this.pending = undefined;
  }

  /** The event at `seq` is done. Throws when an earlier save failed. */
  done(seq: bigint): void {
    if (this.failed !== undefined) throw this.failed;
    this.pending = seq;
    if (++this.count >= this.every) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), this.intervalMs);
  }

  /** Save what is done and wait for it. */
  async flush(): Promise<void> {
    this.kick();
    await this.saving;
    if (this.failed !== undefined) throw this.failed;
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.count = 0;
    if (this.failed !== undefined) return;
    // A save is under way: it saves again when done, with the latest position then.
    if (this.saving) {
      this.again = true;
      return;
    }
    this.saving = (async () => {
      try {
        do {
          this.again = false;
          const seq = this.pending;
          if (seq === undefined || seq <= this.saved) break;
          this.pending = undefined;
          await this.store.save(this.name, seq.toString());
          this.saved = seq;
        } while (this.again);
      } catch (error) {
        this.failed = error;
      } finally {
        this.saving = undefined;
      }
    })();
  }
}
