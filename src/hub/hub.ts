import type { CloudEvent } from '../cloudevents/event.js';
import type { Channel } from '../access/audit.js';
import type { Scope } from '../access/scope.js';
import type { AppendEvent, EventLog, ListDeletion, ListInput, ListRecord, RangeFilter, StoreLifecycle, StoredEvent } from '../store/types.js';
import { Appender } from './appender.js';
import { auditRecordOf, checkQueryAttributes, composedPredicate, type EventQuery } from './caller-query.js';
import { HubError, notFound } from './errors.js';
import { LiveBus } from './live-bus.js';
import { LiveTail, parsedOf, type TailChunk } from './live-tail.js';
import { LiveFanout, viewKey, type LiveMember, type LiveSink, type LiveStep } from './live-fanout.js';
import type { EventPredicate } from './predicate.js';
import { linkWithinView, serveEvents, type EventLookup, type ServedEvent } from './serve.js';
import { serves } from './project.js';
import { allOfRequirements, NO_REQUIREMENTS, type Requirements } from '../cesql/index.js';
import { structuredPointers, type Violation } from '../cloudevents/index.js';
import type { Catalogue } from './catalogue/catalogue.js';
import type { PointersAt } from './catalogue/check.js';

export type { EventPredicate } from './predicate.js';
export type { CallerFilter, EventQuery } from './caller-query.js';
export type { ServedEvent } from './serve.js';
export type { LiveSink, LiveStep } from './live-fanout.js';

export interface ReadQuery extends RangeFilter {
  after: number;
  limit: number;
  /** Commit-time window, epoch ms: since inclusive, until exclusive. */
  since?: number;
  until?: number;
  /** Applied to each candidate after the store's exact-match filters. */
  predicate?: EventPredicate;
  /**
   * What a matching event's type, source or subject must be
   * (cesql/requirements.ts), for the whole query: make it with
   * queryRequirements(). Optional and never stronger than the filters; it
   * lets the live tail skip whole commits.
   */
  requires?: Requirements;
  /**
   * How many sequence numbers one call may look through before it returns a
   * short (possibly empty) page; `next` then still moves past them.
   */
  maxScan?: number;
}

export interface Page {
  events: StoredEvent[];
  /** Pass as `after` for the following page. Never behind the last event returned. */
  next: number;
  head: number;
  /** The events are the live tail's own objects, which many readers share (read from the store: each reader's own). */
  shared?: boolean;
}

/** A page as one caller may see it. */
export interface ServedPage {
  events: ServedEvent[];
  /** Pass as `after` for the following page; moves past events the caller does not get. */
  next: number;
  head: number;
}

/** What a live reader gets next: events (or only a cursor that moved past others), or a quiet interval. */
export type FollowStep = { kind: 'events'; events: ServedEvent[]; next: number } | { kind: 'idle' };

/** Why a live read ended. */
export type FollowEnd = 'aborted' | 'expired' | 'window-complete';

/** Where the hub writes who received which events (access/audit.ts). */
export interface AuditSink {
  record(principal: string, list: string, channel: Channel, seqs: number[], scope: unknown): void;
}

export interface PublishResult {
  results: { seq: number; duplicate: boolean }[];
  /** What the list's catalogue found under `validate: "warn"` (the events were stored). */
  warnings?: Violation[];
}

export interface HubOptions {
  maxGroupEvents?: number;
  onAppended?: (list: string, count: number) => void;
  /** Every scoped read is recorded here, with the caller and the filters in force. */
  audit?: AuditSink;
  /** Checks published events against their list's catalogue and counts the types committed. */
  catalogue?: Pick<Catalogue, 'admit' | 'appended'>;
}

/** The query of a read by seq: no filters of the caller's own. */
const NO_QUERY: EventQuery = Object.freeze({ after: 0 });

/**
 * Events per page of a live read: while a reader is behind, it replays in
 * pages as large as an export's (`scan`), since each step costs a read, a
 * serving pass and a socket write whatever its size; a caught-up reader's
 * steps are a commit's worth.
 */
const FOLLOW_PAGE = 1000;

const DEFAULT_MAX_SCAN = 100_000;
/** How many seqs a backward read (readBefore) reads at a time, in log order. */
const BACKWARD_WINDOW = 1000;

/**
 * The domain service every door goes through: lists, append, read, live.
 * It knows nothing of HTTP; doors translate to and from it. The store is
 * private: a door reads only through the scoped operations (read, scan,
 * getEvent, follow), which take a Scope that only `access` makes, compose its
 * row filter into the query, minimise, link `heroldprevseq` within the
 * caller's view, and write the audit row.
 */
export class Hub {
  readonly bus = new LiveBus();
  private readonly tail = new LiveTail();
  /** Caught-up live readers that are pushed each commit from one loop. */
  private readonly fanout = new LiveFanout(
    (list, m, after, head) => this.liveStep(list, m, after, head),
    (list, m, seqs) => m.channel && this.options.audit?.record(m.scope.principal.id, list, m.channel, seqs, (m.auditRecord ??= auditRecordOf(m.scope, m.q))),
  );
  private readonly appender: Appender;
  /** Lists known to exist (deleteList forgets one); a miss asks the store. */
  private readonly known = new Set<string>();

  constructor(
    private readonly store: EventLog & ListDeletion & StoreLifecycle,
    private readonly options: HubOptions = {},
  ) {
    this.appender = new Appender(store, {
      maxGroupEvents: options.maxGroupEvents ?? 20_000,
      onCommit: (added) => {
        for (const [list, { events, attributes }] of added) {
          // The summary from the publisher's attributes only when a filtered wait will ask for it:
          // made later from the events, it costs a parse; made always, it kept ingest's garbage alive.
          const chunk = this.tail.add(list, events, this.bus.filtersWaiting(list) ? attributes : undefined);
          this.announce(list, events[events.length - 1].seq, chunk);
        }
      },
    });
  }

  async start(): Promise<void> {
    await this.store.open();
    for (const list of await this.store.listLists()) {
      this.known.add(list.name);
      this.bus.announce(list.name, list.head);
    }
  }

  /** Which backend holds the log (for logs and readiness). */
  get storeKind(): 'sqlite' | 'postgres' {
    return this.store.kind;
  }

  /** Whether the store answers (readiness). */
  ping(): Promise<boolean> {
    return this.store.ping();
  }

  /**
   * Another node committed up to `head` (PostgreSQL cluster). Its new events
   * are read once into the live tail, so that this node's caught-up readers
   * filter them in memory instead of each querying the store; then they wake.
   */
  async remoteCommit(list: string, head: number): Promise<void> {
    const known = this.bus.head(list);
    if (head <= known) return;
    if (head - known <= 5000) {
      try {
        const events = await this.store.readRange(list, { after: known, upTo: head, limit: head - known });
        // Only a complete range, and only if nothing moved the head meanwhile (the tail stays in order).
        if (events.length === head - known && this.bus.head(list) === known) {
          this.announce(list, head, this.tail.add(list, events));
          return;
        }
      } catch {
        // The readers read the store themselves.
      }
    }
    this.announce(list, head);
  }

  /**
   * A list's new head: wake its waiting readers, and push the commit to the
   * caught-up ones in its fast set (live-fanout.ts), which read it from the
   * live tail; without the commit there, they go back to reading for themselves.
   */
  private announce(list: string, head: number, chunk?: TailChunk): void {
    const before = this.bus.head(list);
    this.bus.announce(list, head, chunk && LiveTail.commitSummary(chunk));
    if (head > before) this.fanout.commit(list, before, head);
  }

  /** Finish every accepted publish, then close the store. */
  async stop(): Promise<void> {
    await this.appender.drain();
    await this.store.close();
  }

  // ---- lists -------------------------------------------------------------

  async putList(input: ListInput): Promise<{ created: boolean; list: ListRecord }> {
    const result = await this.store.upsertList(input);
    this.known.add(input.name);
    return result;
  }

  /**
   * Delete a list and its events (list-removal.ts does the rest). Publishes
   * in flight finish first; afterwards the list answers like one that never
   * existed. Its head stays on the live bus: re-created, the list continues
   * after it (the store keeps the head), so no seq is reused.
   */
  async deleteList(name: string): Promise<boolean> {
    this.known.delete(name);
    await this.appender.drain();
    const deleted = await this.store.deleteList(name);
    this.known.delete(name);
    this.tail.dropThrough(name, Number.MAX_SAFE_INTEGER);
    return deleted;
  }

  /** Another node deleted the list (PostgreSQL cluster): forget what this node holds of it. */
  forgetList(name: string): void {
    this.known.delete(name);
    this.tail.dropThrough(name, Number.MAX_SAFE_INTEGER);
  }

  /** Whether a list exists (no scope: for deciding, never for serving). */
  async listExists(name: string): Promise<boolean> {
    if (this.known.has(name)) return true;
    if (!(await this.store.getList(name))) return false;
    this.known.add(name);
    return true;
  }

  async getList(name: string): Promise<ListRecord> {
    const list = await this.store.getList(name);
    if (!list) throw notFound(`List '${name}'`);
    return { ...list, head: Math.max(list.head, this.bus.head(name)) };
  }

  async lists(): Promise<ListRecord[]> {
    return this.store.listLists();
  }

  head(list: string): number {
    return this.bus.head(list);
  }

  /** Live readers in the fast set right now (metrics). */
  get pushedReaders(): number {
    return this.fanout.size;
  }

  /** The largest seq committed before `time` (epoch ms), or 0: a commit time as a cursor. */
  seqBefore(list: string, time: number): Promise<number> {
    return this.store.seqBefore(list, time);
  }

  /**
   * When the list last changed: the commit time (epoch ms) of its head event,
   * or null for an empty list. Like `head`, it tells nothing about any event's content.
   */
  async headTime(list: string): Promise<number | null> {
    const head = this.bus.head(list);
    if (head === 0) return null;
    const hit = await this.lookup(list)(head);
    return hit ? hit.event.time : null;
  }

  /**
   * Retention: delete each list's events committed more than `retentionDays`
   * ago. Readers whose cursor is older simply continue with the oldest event kept.
   */
  async applyRetention(now = Date.now()): Promise<{ list: string; deleted: number }[]> {
    if (!this.store.trimThrough) return [];
    const done: { list: string; deleted: number }[] = [];
    for (const list of await this.store.listLists()) {
      if (!list.retentionDays) continue;
      const through = await this.store.seqBefore(list.name, now - list.retentionDays * 86_400_000);
      if (through === 0) continue;
      const deleted = await this.store.trimThrough(list.name, through);
      this.tail.dropThrough(list.name, through);
      if (deleted > 0) done.push({ list: list.name, deleted });
    }
    return done;
  }

  // ---- publish -----------------------------------------------------------

  /**
   * Append validated events atomically; answers after the commit. `serialized`
   * is each event's JSON when the caller already has it (the codec makes it for
   * its size check), so the hot path does not stringify twice.
   */
  async publish(list: string, events: CloudEvent[], serialized?: readonly string[], at: PointersAt = defaultPointers(events.length)): Promise<PublishResult> {
    const admission = this.options.catalogue?.admit(list, events, at);
    const batch: AppendEvent[] = events.map((event, i) => ({
      source: event.source,
      id: event.id,
      type: event.type,
      subject: typeof event.subject === 'string' ? event.subject : null,
      body: serialized?.[i] ?? JSON.stringify(event),
    }));
    const outcome = await this.appender.append(list, batch);
    if (outcome.ok) {
      const appended = outcome.results.filter((r) => !r.duplicate).length;
      if (appended > 0) this.options.onAppended?.(list, appended);
      this.options.catalogue?.appended(list, events, (i) => outcome.results[i].duplicate, admission);
      return admission ? { results: outcome.results, warnings: admission.warnings } : { results: outcome.results };
    }
    if (outcome.reason === 'no-such-list') throw notFound(`List '${list}'`);
    const ev = events[outcome.index];
    throw new HubError(
      'conflict',
      'conflict',
      'Conflicting event',
      `An event with source '${ev.source}' and id '${ev.id}' is already stored as seq ${outcome.seq} with different content. ` +
        'Events are immutable: publish a change under a new id.',
      [{ pointer: events.length > 1 ? `/${outcome.index}/id` : '/id', message: `already used by seq ${outcome.seq}` }],
      { seq: String(outcome.seq) },
    );
  }

  // ---- read --------------------------------------------------------------

  async requireList(list: string): Promise<void> {
    if (!(await this.listExists(list))) throw notFound(`List '${list}'`);
  }

  /**
   * One page after a cursor. Exact-match filters run inside the store's query;
   * the predicate runs on each candidate. The page is full whenever enough
   * matching events exist within the scan budget, and `next` moves past
   * everything looked at, so a consumer never rereads filtered-out events.
   */
  private async readLog(list: string, q: ReadQuery): Promise<Page> {
    const head = this.bus.head(list);
    let cursor = q.after;
    let upTo = head;
    if (q.since !== undefined) cursor = Math.max(cursor, await this.store.seqBefore(list, q.since));
    if (q.until !== undefined) upTo = Math.min(upTo, await this.store.seqBefore(list, q.until));
    return this.readTail(list, q, cursor, upTo, head) ?? this.readStore(list, q, cursor, upTo, head);
  }

  /**
   * readLog without waiting, when the live tail holds the whole range and no
   * time window needs the store: a caught-up live reader's usual step.
   */
  private readRecent(list: string, q: ReadQuery): Page | undefined {
    if (q.since !== undefined || q.until !== undefined) return undefined;
    const head = this.bus.head(list);
    // Nothing new: what the store read would answer.
    if (q.after >= head) return { events: [], next: q.after, head };
    return this.readTail(list, q, q.after, head, head);
  }

  /** The range (cursor, upTo] from the live tail, or undefined when it does not hold it. */
  private readTail(list: string, q: ReadQuery, cursor: number, upTo: number, head: number): Page | undefined {
    const events: StoredEvent[] = [];
    const maxScan = q.maxScan ?? DEFAULT_MAX_SCAN;
    // Caught-up readers are served from memory: one parse per event for all of them.
    const recent = cursor < upTo && upTo - cursor <= maxScan ? this.tail.chunks(list, cursor, upTo) : undefined;
    if (recent) {
      const { types, subjects, sources, predicate } = q;
      const filtered = types || subjects || sources || predicate;
      const requires = filtered ? (q.requires ?? queryRequirements(q)) : NO_REQUIREMENTS;
      const skippable = requires !== NO_REQUIREMENTS;
      let full = false;
      scan: for (const chunk of recent) {
        // A commit holding none of the values the filter requires is passed over whole.
        if (skippable && !LiveTail.mayMatch(chunk, requires)) {
          cursor = Math.min(chunk.first + chunk.entries.length - 1, upTo);
          continue;
        }
        const from = Math.max(0, cursor + 1 - chunk.first);
        const to = Math.min(chunk.entries.length, upTo + 1 - chunk.first);
        for (let i = from; i < to; i++) {
          const entry = chunk.entries[i];
          cursor = entry.event.seq;
          if (filtered) {
            const e = parsedOf(entry);
            if (types && !types.includes(e.type as string)) continue;
            if (subjects && !subjects.includes(e.subject as string)) continue;
            if (sources && !sources.includes(e.source as string)) continue;
            if (predicate && !predicate(e)) continue;
          }
          events.push(entry.event);
          if (events.length === q.limit) {
            full = true;
            break scan;
          }
        }
      }
      if (!full) cursor = upTo;
      return { events, next: Math.max(cursor, q.after), head, shared: true };
    }
    return undefined;
  }

  private async readStore(list: string, q: ReadQuery, cursor: number, upTo: number, head: number): Promise<Page> {
    const events: StoredEvent[] = [];
    const maxScan = q.maxScan ?? DEFAULT_MAX_SCAN;
    const filter: RangeFilter = { types: q.types, subjects: q.subjects, sources: q.sources };
    const scanStart = cursor;
    while (events.length < q.limit && cursor < upTo) {
      const windowEnd = Math.min(upTo, scanStart + maxScan);
      if (windowEnd <= cursor) break;
      const want = q.limit - events.length;
      const take = q.predicate ? Math.max(want, 256) : want;
      const rows = await this.store.readRange(list, { ...filter, after: cursor, upTo: windowEnd, limit: take });
      let full = false;
      for (const row of rows) {
        cursor = row.seq;
        if (q.predicate && !q.predicate(JSON.parse(row.body))) continue;
        events.push(row);
        if (events.length === q.limit) {
          full = true;
          break;
        }
      }
      if (!full && rows.length < take) cursor = windowEnd;
    }
    // If the list ends before the `after` the caller gave, stay where they were.
    return { events, next: Math.max(cursor, q.after), head };
  }

  // ---- scoped reads: the only way a door reaches events ----------------------

  /**
   * One page after a cursor, as the scope's principal may see it. The grant's
   * row filter runs inside the query with the caller's own (pages are never
   * short because of authorisation), and the caller's filter may test only
   * attributes the grant serves. `channel` names the door for the audit row
   * (null: the caller records deliveries itself, as push delivery does on
   * the sink's acknowledgement).
   */
  async read(scope: Scope, q: EventQuery, channel: Channel | null): Promise<ServedPage> {
    const { list, query } = await this.open(scope, q);
    const page = await this.readLog(list, { ...query, limit: q.limit ?? 100 });
    return this.served(scope, q, page, channel);
  }

  /**
   * The newest events in (after, before) the scope's principal may see,
   * newest first (GraphQL `order: DESC`). The same scoped path as `read`:
   * the grant's row filter composed with the caller's filter, and only the
   * events returned are minimised, linked and audited. The range is read
   * from the top in windows, each in log order through `readLog`; `next` is
   * the exclusive upper bound of the next (older) page, `after + 1` once
   * nothing older can match. At most `maxScan` seqs are looked at.
   */
  async readBefore(scope: Scope, q: EventQuery & { before: number }, channel: Channel | null): Promise<ServedPage> {
    const { list, query } = await this.open(scope, q);
    const limit = q.limit ?? 100;
    const head = this.bus.head(list);
    // Nothing committed before `since` can match: the floor of the read.
    const floor = Math.max(q.after, q.since === undefined ? 0 : await this.store.seqBefore(list, q.since));
    let before = Math.min(q.before, head + 1);
    const lowest = Math.max(floor, before - 1 - (q.maxScan ?? DEFAULT_MAX_SCAN));
    const events: StoredEvent[] = [];
    while (events.length < limit && before - 1 > lowest) {
      const top = before - 1;
      const lo = Math.max(lowest, top - BACKWARD_WINDOW);
      const page = await this.readLog(list, { ...query, after: lo, limit: top - lo, maxScan: top - lo });
      const matches = page.events.filter((e) => e.seq <= top);
      const newest = matches.slice(Math.max(0, matches.length - (limit - events.length))).reverse();
      events.push(...newest);
      before = events.length === limit ? newest[newest.length - 1].seq : lo + 1;
    }
    if (events.length < limit && before - 1 <= floor) before = q.after + 1;
    // Served (and audited, as a range) in log order, answered newest first.
    const page = await this.served(scope, q, { events: events.reverse(), next: before, head }, channel);
    return { ...page, events: page.events.reverse() };
  }

  /**
   * Every event in (after, head at call time] the scope's principal may see,
   * page by page. The consumer pulls the next page only when it has written
   * the previous one, so memory stays bounded whatever the range.
   */
  async scan(scope: Scope, q: EventQuery, channel: Channel | null, pageSize = 1000): Promise<AsyncGenerator<ServedEvent[]>> {
    // Refusals (a hidden attribute, a list that does not exist) come here, before a door answers 200.
    const { list, query } = await this.open(scope, q);
    return this.scanFrom(scope, q, list, query, channel, pageSize);
  }

  private async *scanFrom(scope: Scope, q: EventQuery, list: string, query: Omit<ReadQuery, 'limit'>, channel: Channel | null, pageSize: number): AsyncGenerator<ServedEvent[]> {
    const stopAt = this.bus.head(list);
    let after = q.after;
    while (after < stopAt) {
      this.checkExpiry(scope);
      const page = await this.readLog(list, { ...query, after, limit: pageSize });
      const events = page.events.filter((e) => e.seq <= stopAt);
      if (events.length > 0) yield (await this.served(scope, q, { ...page, events }, channel)).events;
      if (page.next <= after) break;
      after = page.next;
    }
  }

  /**
   * One event, if the scope's principal may see it: a hidden event answers
   * exactly like a missing one. `asSent` is the number as the caller wrote it,
   * for the 404 (a seq beyond 2^53 is held as 2^53 - 1 inside).
   */
  async getEvent(scope: Scope, seq: number, channel: Channel | null, asSent: string = String(seq)): Promise<ServedEvent> {
    const list = this.scopedList(scope);
    this.checkExpiry(scope);
    const hit = (await this.listExists(list)) ? await this.lookup(list)(seq) : undefined;
    if (!hit || (scope.predicate && !scope.predicate(hit.parsed))) throw notFound(`Event ${asSent} in list '${list}'`);
    const links = await linkWithinView(scope, [hit.event], this.lookup(list));
    const [served] = serveEvents(scope, [hit.event], links);
    if (channel) this.options.audit?.record(scope.principal.id, list, channel, [seq], auditRecordOf(scope, NO_QUERY));
    return served;
  }

  /**
   * The id, type and subject of these events as the scope serves them: an
   * event the scope's principal may not see is left out, like a missing one,
   * and an attribute its grant does not serve is absent (the one rule,
   * `serves`). For naming deliveries already made (attempts, dead letters):
   * nothing is linked and nothing is audited.
   */
  async eventNames(scope: Scope, seqs: Iterable<number>): Promise<Map<number, { id?: string; type?: string; subject?: string }>> {
    const list = this.scopedList(scope);
    this.checkExpiry(scope);
    const names = new Map<number, { id?: string; type?: string; subject?: string }>();
    if (!(await this.listExists(list))) return names;
    const lookup = this.lookup(list);
    for (const seq of new Set(seqs)) {
      const hit = await lookup(seq);
      if (!hit || (scope.predicate && !scope.predicate(hit.parsed))) continue;
      const named: { id?: string; type?: string; subject?: string } = {};
      for (const attribute of ['id', 'type', 'subject'] as const) {
        const value = hit.parsed[attribute];
        if (typeof value === 'string' && serves(scope.fields, attribute)) named[attribute] = value;
      }
      names.set(seq, named);
    }
    return names;
  }

  /**
   * Replay from the cursor, then live: each step is a page of new events (or
   * only a cursor that moved past events the caller does not get), or 'idle'
   * when nothing committed for `idleMs` (a door's heartbeat). The next page is
   * read only when the door asks for it, so a slow consumer costs one page.
   * Ends when `signal` aborts, when the credential expires (within a second of
   * it), or when a time window (`until`) is complete.
   *
   * With `live`, a caught-up reader is not stepped per commit: it joins the
   * list's fast set (live-fanout.ts) and each commit, served as this scope
   * may see it, is pushed to `live` synchronously, as are heartbeats; the
   * generator's pending step resumes only when the reader falls out of it
   * (a full buffer, a step too large to push) and reads for itself again.
   */
  async follow(
    scope: Scope,
    q: EventQuery,
    channel: Channel | null,
    opts: { signal: AbortSignal; idleMs: number; live?: LiveSink },
  ): Promise<AsyncGenerator<FollowStep, FollowEnd>> {
    // Refusals come here, before a door answers 200.
    const { list, query } = await this.open(scope, q);
    return this.followFrom(scope, q, list, query, channel, opts);
  }

  private async *followFrom(
    scope: Scope,
    q: EventQuery,
    list: string,
    query: Omit<ReadQuery, 'limit'>,
    channel: Channel | null,
    { signal, idleMs, live }: { signal: AbortSignal; idleMs: number; live?: LiveSink },
  ): AsyncGenerator<FollowStep, FollowEnd> {
    let cursor = q.after;
    let lastStep = Date.now();
    const view = live && this.pushable(scope, query) ? viewKey(scope, q) : undefined;
    // One abort listener for the whole stream, not one per wait (ten thousand streams wait once per commit).
    const waiter = new Waiter(this.bus, signal);
    try {
      while (!signal.aborted) {
        if (this.expired(scope)) return 'expired';
        const before = cursor;
        // A caught-up reader's step is read from the tail and served without waiting: no promise per stream and commit.
        const pageQuery = { ...query, after: cursor, limit: FOLLOW_PAGE };
        const page = this.readRecent(list, pageQuery) ?? (await this.readLog(list, pageQuery));
        if (signal.aborted) break;
        cursor = page.next;
        if (page.events.length > 0 || cursor > before) {
          const served = this.servedNow(scope, q, page, channel) ?? (await this.served(scope, q, page, channel));
          lastStep = Date.now();
          yield { kind: 'events', events: served.events, next: cursor };
        }
        // More at once while reads make progress; a time window (`until`) stops short of the head.
        if (page.events.length === FOLLOW_PAGE || (cursor > before && cursor < this.bus.head(list))) continue;
        if (q.until !== undefined && q.until <= Date.now()) return 'window-complete';
        // Caught up: wait in the fast set, pushed each commit, until it falls out (no await between the check and the join).
        if (view !== undefined && cursor === this.bus.head(list) && live!.ready()) {
          const member: LiveMember = { scope, q, query, channel, sink: live!, idleMs, cursor, lastStep };
          const exit = await this.fanout.join(list, view, member, signal);
          cursor = exit.cursor;
          lastStep = exit.lastStep;
          if (exit.why === 'expired') return 'expired';
          continue;
        }
        const seen = Math.max(cursor, this.bus.head(list));
        const waitMs = Math.max(1, Math.min(idleMs - (Date.now() - lastStep), (scope.expiresAt ?? Infinity) - Date.now()));
        await waiter.beyond(list, seen, waitMs);
        if (!signal.aborted && this.bus.head(list) <= seen && !this.expired(scope) && Date.now() - lastStep >= idleMs - 5) {
          lastStep = Date.now();
          yield { kind: 'idle' };
        }
      }
    } finally {
      waiter.close();
    }
    return 'aborted';
  }

  /**
   * Whether a live reader may be pushed commits from the fast set: its steps
   * are then served from the live tail alone. Not with a time window (the
   * store decides where it starts and ends), nor when linking
   * `heroldprevseq` within its view may need lookups (servedNow's rule).
   */
  private pushable(scope: Scope, query: Omit<ReadQuery, 'limit'>): boolean {
    return query.since === undefined && query.until === undefined && !(scope.predicate && serves(scope.fields, 'heroldprevseq'));
  }

  /**
   * A commit (after, head] as one view of the fast set sees it: from the live
   * tail, filtered and served once for every reader of the view. Undefined
   * when the tail does not hold it or it is more than a page for the view
   * (the readers then read it themselves).
   */
  private liveStep(list: string, m: LiveMember, after: number, head: number): LiveStep | undefined {
    const page = this.readTail(list, { ...m.query, after, limit: FOLLOW_PAGE + 1 }, after, head, head);
    if (!page || page.events.length > FOLLOW_PAGE) return undefined;
    const links = serves(m.scope.fields, 'heroldprevseq') ? undefined : page.events.map(() => null);
    return { kind: 'events', events: serveEvents(m.scope, page.events, links, true), next: page.next };
  }

  /**
   * How many of the events the scope's principal may see were committed in
   * each `bucketMs` since `since` (the console's activity sparkline). Counts
   * only: nothing of an event leaves the hub, so nothing is audited — a
   * glance at a list's overview is not receiving events about persons. At
   * most `maxEvents` of the newest seqs are looked at; `partial` says the
   * window held more.
   */
  async activity(scope: Scope, since: number, bucketMs: number, maxEvents = 10_000): Promise<{ buckets: number[]; partial: boolean }> {
    const { list, query } = await this.open(scope, { after: 0, since });
    const head = this.bus.head(list);
    const floor = await this.store.seqBefore(list, since);
    const buckets = new Array<number>(Math.max(1, Math.ceil((Date.now() - since) / bucketMs))).fill(0);
    let after = Math.max(floor, head - maxEvents);
    while (after < head) {
      const page = await this.readLog(list, { ...query, after, limit: 1000 });
      for (const e of page.events) {
        const i = Math.floor((e.time - since) / bucketMs);
        if (e.seq <= head && i >= 0 && i < buckets.length) buckets[i]++;
      }
      if (page.next <= after) break;
      after = page.next;
    }
    return { buckets, partial: head - maxEvents > floor };
  }

  /**
   * Push delivery: events reached the sink of a reader that read them with
   * `channel` null (recorded on the sink's acknowledgement, not when read).
   */
  delivered(scope: Scope, q: Omit<EventQuery, 'after'>, channel: Channel, seqs: number[]): void {
    this.options.audit?.record(scope.principal.id, this.scopedList(scope), channel, seqs, auditRecordOf(scope, q));
  }

  /** Seqs of the events about a subject, newest first (the audit's subject question). */
  subjectSeqs(list: string, subject: string, max: number): Promise<number[]> {
    return this.store.subjectSeqs(list, subject, max);
  }

  private scopedList(scope: Scope): string {
    if (scope.list === undefined) throw new Error('a read needs a scope decided for a list');
    return scope.list;
  }

  private expired(scope: Scope): boolean {
    return scope.expiresAt !== undefined && scope.expiresAt <= Date.now();
  }

  private checkExpiry(scope: Scope): void {
    if (this.expired(scope)) {
      throw new HubError('unauthorized', 'unauthorized', 'Unauthorized', 'Your credential has expired; authenticate again (a new token or API key) and resume from your cursor.');
    }
  }

  /** The checks every scoped read starts with, and the query it runs. */
  private async open(scope: Scope, q: EventQuery): Promise<{ list: string; query: Omit<ReadQuery, 'limit'> }> {
    const list = this.scopedList(scope);
    this.checkExpiry(scope);
    checkQueryAttributes(scope, q);
    await this.requireList(list);
    const predicate = composedPredicate(scope, q);
    const query = { after: q.after, types: q.types, subjects: q.subjects, sources: q.sources, since: q.since, until: q.until, predicate, maxScan: q.maxScan };
    return { list, query: { ...query, requires: queryRequirements({ ...query, requires: q.filter?.requires }) } };
  }

  /** Minimise, link and audit a page for its reader. */
  private async served(scope: Scope, q: EventQuery, page: Page, channel: Channel | null): Promise<ServedPage> {
    const links = page.events.length > 0 ? await linkWithinView(scope, page.events, this.lookup(scope.list!)) : undefined;
    return this.serveLinked(scope, q, page, channel, links);
  }

  /**
   * `served` without waiting, when linking within the view needs no lookups:
   * the caller is not served `heroldprevseq`, or sees every event (no row
   * filter), so the stored links are right. Otherwise undefined.
   */
  private servedNow(scope: Scope, q: EventQuery, page: Page, channel: Channel | null): ServedPage | undefined {
    if (page.events.length > 0 && serves(scope.fields, 'heroldprevseq') && scope.predicate) return undefined;
    const links = page.events.length > 0 && !serves(scope.fields, 'heroldprevseq') ? page.events.map(() => null) : undefined;
    return this.serveLinked(scope, q, page, channel, links);
  }

  private serveLinked(scope: Scope, q: EventQuery, page: Page, channel: Channel | null, links: (number | null)[] | undefined): ServedPage {
    const list = scope.list!;
    const events = serveEvents(scope, page.events, links, page.shared);
    if (channel && events.length > 0) {
      this.options.audit?.record(scope.principal.id, list, channel, events.map((e) => e.seq), auditRecordOf(scope, q));
    }
    return { events, next: page.next, head: page.head };
  }

  /** An event by seq, from the live tail when it holds it, else the store. */
  private lookup(list: string): EventLookup {
    return async (seq) => {
      const entry = this.tail.entry(list, seq);
      if (entry) return { event: entry.event, parsed: parsedOf(entry) };
      const event = seq > 0 && seq <= this.bus.head(list) ? await this.store.getEvent(list, seq) : undefined;
      return event && { event, parsed: JSON.parse(event.body) as Record<string, unknown> };
    };
  }
}

/**
 * A live reader's waits, one after another: each resolves when the list's
 * head passes `after`, after `ms`, or on abort. The abort listener is added
 * once for all of them.
 */
class Waiter {
  private current: (() => void) | null = null;
  private readonly onAbort = () => this.current?.();

  constructor(
    private readonly bus: LiveBus,
    private readonly signal: AbortSignal,
  ) {
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  beyond(list: string, after: number, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.signal.aborted) return resolve();
      let cancel: (() => void) | undefined;
      const done = () => {
        if (this.current !== done) return;
        this.current = null;
        clearTimeout(timer);
        cancel?.();
        resolve();
      };
      this.current = done;
      const timer = setTimeout(done, ms);
      cancel = this.bus.onceBeyond(list, after, done);
    });
  }

  close(): void {
    this.signal.removeEventListener('abort', this.onAbort);
    this.current?.();
  }
}

/**
 * A query's exact filters as requirements, with those given for its
 * predicate. Readers that read again and again (subscription workers, live
 * streams) compute this once and pass it as `requires`.
 */
export function queryRequirements(q: Pick<ReadQuery, 'types' | 'sources' | 'subjects' | 'requires'>): Requirements {
  let r = q.requires ?? NO_REQUIREMENTS;
  if (q.types) r = allOfRequirements(r, { type: new Set(q.types) });
  if (q.sources) r = allOfRequirements(r, { source: new Set(q.sources) });
  if (q.subjects) r = allOfRequirements(r, { subject: new Set(q.subjects) });
  return Object.keys(r).length === 0 ? NO_REQUIREMENTS : r;
}

/** Pointers into a request of `n` structured events: `/3/...` in a batch. */
function defaultPointers(n: number): PointersAt {
  return n > 1 ? (i) => structuredPointers(`/${i}`) : () => structuredPointers('');
}
