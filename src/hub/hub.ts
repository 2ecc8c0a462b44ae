import type { CloudEvent } from '../cloudevents/event.js';
import type { AppendEvent, EventStore, ListInput, ListRecord, RangeFilter, StoredEvent } from '../store/types.js';
import { Appender } from './appender.js';
import { HubError, notFound } from './errors.js';
import { LiveBus } from './live-bus.js';
import { LiveTail, parsedOf } from './live-tail.js';
import { allOfRequirements, NO_REQUIREMENTS, type Requirements } from '../cesql/index.js';

/** A predicate over a structured CloudEvent (CESQL filter, grant row filter). */
export type EventPredicate = (event: Record<string, unknown>) => boolean;

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
}

export interface PublishResult {
  results: { seq: number; duplicate: boolean }[];
}

export interface HubOptions {
  maxGroupEvents?: number;
  onAppended?: (list: string, count: number) => void;
}

const DEFAULT_MAX_SCAN = 100_000;

/**
 * The domain service every door goes through: lists, append, read, live.
 * It knows nothing of HTTP; doors translate to and from it.
 */
export class Hub {
  readonly bus = new LiveBus();
  private readonly tail = new LiveTail();
  private readonly appender: Appender;

  constructor(
    readonly store: EventStore,
    private readonly options: HubOptions = {},
  ) {
    this.appender = new Appender(store, {
      maxGroupEvents: options.maxGroupEvents ?? 20_000,
      onCommit: (added) => {
        for (const [list, events] of added) {
          this.tail.add(list, events);
          this.bus.announce(list, events[events.length - 1].seq);
        }
      },
    });
  }

  async start(): Promise<void> {
    await this.store.open();
    for (const list of await this.store.listLists()) this.bus.announce(list.name, list.head);
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
        if (events.length === head - known && this.bus.head(list) === known) this.tail.add(list, events);
      } catch {
        // The readers read the store themselves.
      }
    }
    this.bus.announce(list, head);
  }

  /** Finish every accepted publish, then close the store. */
  async stop(): Promise<void> {
    await this.appender.drain();
    await this.store.close();
  }

  // ---- lists -------------------------------------------------------------

  async putList(input: ListInput): Promise<{ created: boolean; list: ListRecord }> {
    return this.store.upsertList(input);
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
  async publish(list: string, events: CloudEvent[], serialized?: readonly string[]): Promise<PublishResult> {
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
      return { results: outcome.results };
    }
    if (outcome.reason === 'no-such-list') throw notFound(`List '${list}'`);
    const ev = events[outcome.index];
    throw new HubError(
      409,
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
    if (!(await this.store.getList(list))) throw notFound(`List '${list}'`);
  }

  /**
   * One page after a cursor. Exact-match filters run inside the store's query;
   * the predicate runs on each candidate. The page is full whenever enough
   * matching events exist within the scan budget, and `next` moves past
   * everything looked at, so a consumer never rereads filtered-out events.
   */
  async read(list: string, q: ReadQuery): Promise<Page> {
    const head = this.bus.head(list);
    let cursor = q.after;
    let upTo = head;
    if (q.since !== undefined) cursor = Math.max(cursor, await this.store.seqBefore(list, q.since));
    if (q.until !== undefined) upTo = Math.min(upTo, await this.store.seqBefore(list, q.until));
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
      return { events, next: Math.max(cursor, q.after), head };
    }
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

  async getEvent(list: string, seq: number): Promise<StoredEvent> {
    const event = await this.store.getEvent(list, seq);
    if (!event) throw notFound(`Event ${seq} in list '${list}'`);
    return event;
  }

  /**
   * Every matching event in (after, head at call time], page by page. The
   * consumer pulls the next page only when it has written the previous one,
   * so memory stays bounded whatever the range.
   */
  async *scan(list: string, q: Omit<ReadQuery, 'limit'>, pageSize = 1000): AsyncGenerator<StoredEvent[]> {
    const stopAt = this.bus.head(list);
    let after = q.after;
    while (after < stopAt) {
      const page = await this.read(list, { ...q, after, limit: pageSize, until: q.until });
      if (page.events.length > 0) yield page.events.filter((e) => e.seq <= stopAt);
      if (page.next <= after) break;
      after = page.next;
    }
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
