import { INDEXED_ATTRIBUTES, mayMatch, type IndexedAttribute, type Requirements } from '../cesql/index.js';
import type { StoredEvent } from '../store/types.js';
import type { CommitSummary } from './live-bus.js';

/** A recent event with its parsed form, made once and shared by every reader. */
export interface TailEntry {
  event: StoredEvent;
  parsed?: Record<string, unknown>;
}

/** The values of the indexed attributes in one chunk, made on first use. */
type ChunkSummary = Record<IndexedAttribute, Set<string>>;

/** An event's type, source and subject as the publisher's request gave them (the appender has them at hand). */
export interface EventAttributes {
  readonly type: string;
  readonly source: string;
  readonly subject: string | null;
}

/** One commit's events (contiguous seqs). */
export interface TailChunk {
  readonly first: number;
  readonly entries: TailEntry[];
  summary?: ChunkSummary;
}

/**
 * The most recent events of each list, in memory, one chunk per commit.
 * Readers that are caught up (live SSE clients, subscription workers) read
 * new events from here instead of each running its own query, and each event
 * is parsed at most once for all their filters: filtering before fan-out.
 *
 * Each chunk also knows, once someone asks, which types, sources and subjects
 * it holds, so a reader whose filter requires values the chunk lacks skips it
 * whole (see cesql/requirements.ts).
 */
export class LiveTail {
  private readonly lists = new Map<string, { chunks: TailChunk[]; size: number }>();

  constructor(private readonly capacity = 20_000) {}

  /**
   * Append committed events (in seq order, contiguous with what is held).
   * `attributes` (each event's type, source and subject, same order): when
   * given, the chunk's summary is made from them now, without parsing the
   * events; the attributes themselves are not kept (their strings may hold
   * whole request bodies alive). Returns the new chunk.
   */
  add(list: string, events: StoredEvent[], attributes?: readonly EventAttributes[]): TailChunk | undefined {
    if (events.length === 0) return undefined;
    let tail = this.lists.get(list);
    if (!tail) this.lists.set(list, (tail = { chunks: [], size: 0 }));
    const last = lastSeq(tail.chunks.at(-1));
    // A gap means some commits were not seen here: start over from these.
    if (last !== undefined && events[0].seq !== last + 1) {
      tail.chunks = [];
      tail.size = 0;
    }
    const chunk: TailChunk = { first: events[0].seq, entries: events.map((event) => ({ event })), summary: attributes && summariseAttributes(attributes) };
    tail.chunks.push(chunk);
    tail.size += events.length;
    while (tail.chunks.length > 1 && tail.size - tail.chunks[0].entries.length >= this.capacity) {
      tail.size -= tail.chunks.shift()!.entries.length;
    }
    return chunk;
  }

  /** A chunk as the live bus's commit summary: waiters whose filter it cannot match sleep on. */
  static commitSummary(chunk: TailChunk): CommitSummary {
    return { first: chunk.first, mayMatch: (requirements) => LiveTail.mayMatch(chunk, requirements) };
  }

  /** Forget events up to `seq` (retention deleted them). */
  dropThrough(list: string, seq: number): void {
    const tail = this.lists.get(list);
    if (!tail) return;
    const kept: TailChunk[] = [];
    for (const chunk of tail.chunks) {
      if (lastSeq(chunk)! <= seq) continue;
      if (chunk.first > seq) kept.push(chunk);
      else kept.push({ first: seq + 1, entries: chunk.entries.slice(seq + 1 - chunk.first) });
    }
    tail.chunks = kept;
    tail.size = kept.reduce((n, c) => n + c.entries.length, 0);
  }

  /**
   * The chunks holding seqs in (after, upTo], in order (the first and last may
   * reach beyond the range), or undefined when the tail does not reach back
   * to `after` or forward to `upTo` (the caller reads the store instead).
   */
  chunks(list: string, after: number, upTo: number): TailChunk[] | undefined {
    const chunks = this.lists.get(list)?.chunks;
    if (!chunks || chunks.length === 0) return undefined;
    if (after < chunks[0].first - 1 || upTo > lastSeq(chunks.at(-1))!) return undefined;
    // Chunks are few (one per commit); find the first one ending after `after`.
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (lastSeq(chunks[mid])! <= after) lo = mid + 1;
      else hi = mid;
    }
    const out: TailChunk[] = [];
    for (let i = lo; i < chunks.length && chunks[i].first <= upTo; i++) out.push(chunks[i]);
    return out;
  }

  /** One recent event by seq, or undefined when the tail does not hold it. */
  entry(list: string, seq: number): TailEntry | undefined {
    const found = this.chunks(list, seq - 1, seq);
    const chunk = found?.[0];
    return chunk && seq >= chunk.first ? chunk.entries[seq - chunk.first] : undefined;
  }

  /** False when no event of the chunk can satisfy the requirements. */
  static mayMatch(chunk: TailChunk, requirements: Requirements): boolean {
    const summary = (chunk.summary ??= summarise(chunk));
    return mayMatch(requirements, (name, values) => {
      const seen = summary[name];
      if (seen.size === 0) return false;
      for (const v of values) if (seen.has(v)) return true;
      return false;
    });
  }
}

function lastSeq(chunk: TailChunk | undefined): number | undefined {
  return chunk === undefined ? undefined : chunk.first + chunk.entries.length - 1;
}

function summariseAttributes(attributes: readonly EventAttributes[]): ChunkSummary {
  const summary = { type: new Set<string>(), source: new Set<string>(), subject: new Set<string>() };
  for (const a of attributes) {
    summary.type.add(a.type);
    summary.source.add(a.source);
    if (a.subject !== null) summary.subject.add(a.subject);
  }
  return summary;
}

function summarise(chunk: TailChunk): ChunkSummary {
  const summary = { type: new Set<string>(), source: new Set<string>(), subject: new Set<string>() };
  for (const entry of chunk.entries) {
    const e = parsedOf(entry);
    for (const name of INDEXED_ATTRIBUTES) {
      const v = e[name];
      if (typeof v === 'string') summary[name].add(v);
    }
  }
  return summary;
}

export function parsedOf(entry: TailEntry): Record<string, unknown> {
  return (entry.parsed ??= JSON.parse(entry.event.body) as Record<string, unknown>);
}
