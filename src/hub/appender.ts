import type { AppendEvent, AppendOutcome, AppendRequest, EventLog, StoredEvent } from '../store/types.js';
import type { EventAttributes } from './live-tail.js';

/** One list's events of a commit, with their type, source and subject as read at publish (same order). */
export interface Committed {
  events: StoredEvent[];
  attributes: EventAttributes[];
}

interface Pending {
  request: AppendRequest;
  resolve: (outcome: AppendOutcome) => void;
  reject: (error: unknown) => void;
}

export interface AppenderOptions {
  /** Most events one shared commit takes; the rest wait for the next one. */
  maxGroupEvents: number;
  /** Called after each commit with the events it added, per list, in seq order. */
  onCommit: (added: Map<string, Committed>) => void;
}

/**
 * Group commit. Publishes that arrive while a commit is running queue up and
 * are written together in the next transaction; each publisher is answered
 * only after that shared commit, so "acknowledged" still means "durable".
 */
export class Appender {
  private queue: Pending[] = [];
  private running: Promise<void> | null = null;
  private scheduled = false;

  constructor(
    private readonly store: Pick<EventLog, 'appendGroup' | 'appendsOffThread'>,
    private readonly options: AppenderOptions,
  ) {}

  append(list: string, events: AppendEvent[]): Promise<AppendOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ request: { list, events }, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when every publish accepted so far has been committed and answered. */
  async drain(): Promise<void> {
    while (this.running || this.queue.length > 0 || this.scheduled) {
      if (this.running) await this.running;
      else await new Promise((r) => setImmediate(r));
    }
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    const start = () => {
      this.scheduled = false;
      this.running = this.flush().finally(() => {
        this.running = null;
        if (this.queue.length > 0) this.schedule();
      });
    };
    // A store that commits on this thread blocks it: let the requests already read off the sockets
    // join this group first. One that commits elsewhere gets the first request at once, and this
    // thread reads and parses the next ones while it commits (they form the next group).
    if (this.store.appendsOffThread) queueMicrotask(start);
    else setImmediate(start);
  }

  private async flush(): Promise<void> {
    const group: Pending[] = [];
    let events = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0];
      if (group.length > 0 && events + next.request.events.length > this.options.maxGroupEvents) break;
      group.push(this.queue.shift()!);
      events += next.request.events.length;
    }
    let outcomes: AppendOutcome[];
    try {
      outcomes = await this.store.appendGroup(group.map((p) => p.request));
    } catch (error) {
      for (const p of group) p.reject(error);
      return;
    }
    const added = new Map<string, Committed>();
    outcomes.forEach((outcome, i) => {
      if (!outcome.ok) return;
      const { list, events } = group[i].request;
      outcome.results.forEach((r, j) => {
        if (r.duplicate) return;
        let forList = added.get(list);
        if (!forList) added.set(list, (forList = { events: [], attributes: [] }));
        const e = events[j];
        forList.events.push({ seq: r.seq, prevSeq: r.prevSeq ?? null, time: r.time ?? Date.now(), body: e.body });
        // Read off the event at publish: the commit's summary, when someone asks, needs no parse.
        forList.attributes.push(e);
      });
    });
    if (added.size > 0) this.options.onCommit(added);
    outcomes.forEach((outcome, i) => group[i].resolve(outcome));
  }
}
