import type { StoredEvent } from '../store/types.js';

/** A recent event with its parsed form, made once and shared by every reader. */
export interface TailEntry {
  event: StoredEvent;
  parsed?: Record<string, unknown>;
}

/**
 * The most recent events of each list, in memory. Readers that are caught up
 * (live SSE clients, subscription workers) read new events from here instead
 * of each running its own query, and each event is parsed at most once for
 * all their filters: filtering before fan-out.
 */
export class LiveTail {
  private readonly lists = new Map<string, TailEntry[]>();

  constructor(private readonly capacity = 20_000) {}

  /** Append committed events (in seq order, contiguous with what is held). */
  add(list: string, events: StoredEvent[]): void {
    let entries = this.lists.get(list);
    if (!entries) this.lists.set(list, (entries = []));
    const last = entries.at(-1)?.event.seq;
    // A gap means some commits were not seen here: start over from these.
    if (last !== undefined && events[0].seq !== last + 1) entries.length = 0;
    for (const event of events) entries.push({ event });
    if (entries.length > this.capacity * 1.5) entries.splice(0, entries.length - this.capacity);
  }

  /** Forget events up to `seq` (retention deleted them). */
  dropThrough(list: string, seq: number): void {
    const entries = this.lists.get(list);
    if (!entries) return;
    const keep = entries.findIndex((e) => e.event.seq > seq);
    if (keep < 0) entries.length = 0;
    else entries.splice(0, keep);
  }

  /**
   * Entries with seq in (after, upTo], or undefined when the tail does not
   * reach back to `after` (the caller reads the store instead).
   */
  range(list: string, after: number, upTo: number): TailEntry[] | undefined {
    const entries = this.lists.get(list);
    if (!entries || entries.length === 0) return undefined;
    const first = entries[0].event.seq;
    if (after < first - 1 || upTo > entries[entries.length - 1].event.seq) return undefined;
    const start = after - first + 1;
    const end = upTo - first + 1;
    return entries.slice(Math.max(0, start), Math.max(0, end));
  }
}

export function parsedOf(entry: TailEntry): Record<string, unknown> {
  return (entry.parsed ??= JSON.parse(entry.event.body) as Record<string, unknown>);
}
