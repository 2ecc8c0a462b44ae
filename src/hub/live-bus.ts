import type { Requirements } from '../cesql/index.js';

/** What a commit announced on the bus holds, when the announcer knows (live-tail.ts). */
export interface CommitSummary {
  /** First seq of the commit; it ends at the announced head. */
  readonly first: number;
  /** False when no event of the commit can satisfy the requirements. */
  mayMatch(requirements: Requirements): boolean;
}

/**
 * A wait for commits that may hold events a filter matches (Hub.onceMatching).
 * `clearThrough` is how far the list is known to hold nothing the filter
 * matches: the waiter's `after`, moved over each commit passed by whole.
 */
export interface MatchingWait {
  readonly clearThrough: number;
  cancel(): void;
}

interface MatchingWaiter {
  requirements: Requirements;
  clearThrough: number;
  wake: () => void;
}

/**
 * In-process wake-up signal: the appender announces a list's new head after
 * each commit, and live readers waiting on that list wake at once (no polling).
 * A cluster backend feeds the same bus from the database's notifications.
 */
export class LiveBus {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly matching = new Map<string, Set<MatchingWaiter>>();
  private readonly heads = new Map<string, number>();

  head(list: string): number {
    return this.heads.get(list) ?? 0;
  }

  /**
   * Record a list's head and wake everyone waiting on it; a waiter for
   * matching commits sleeps on when `commit` (the events in (old head, head])
   * cannot hold anything its filter requires. Without a summary, all wake.
   */
  announce(list: string, head: number, commit?: CommitSummary): void {
    const before = this.head(list);
    if (head <= before) return;
    this.heads.set(list, head);
    const set = this.waiters.get(list);
    if (set) {
      this.waiters.delete(list);
      for (const wake of set) wake();
    }
    const filtered = this.matching.get(list);
    if (!filtered) return;
    const whole = commit !== undefined && commit.first === before + 1;
    for (const w of filtered) {
      // Only a commit right after what the waiter knows is clear may be passed over (no gap).
      if (whole && w.clearThrough === before && !commit.mayMatch(w.requirements)) {
        w.clearThrough = head;
        continue;
      }
      filtered.delete(w);
      w.wake();
    }
    if (filtered.size === 0) this.matching.delete(list);
  }

  /**
   * Calls `wake` once when the list's head passes `after` (at once if it
   * already has). Returns a cancel function. No timer and no promise: SSE
   * streams and subscription workers wait like this once per commit, ten
   * thousand of them at a time, each with its own timer.
   */
  onceBeyond(list: string, after: number, wake: () => void): () => void {
    if (this.head(list) > after) {
      wake();
      return () => undefined;
    }
    let set = this.waiters.get(list);
    if (!set) this.waiters.set(list, (set = new Set()));
    const waiter = () => wake();
    set.add(waiter);
    return () => {
      this.waiters.get(list)?.delete(waiter);
    };
  }

  /**
   * Like onceBeyond, but commits that hold nothing the requirements allow
   * (by the announcer's summary) do not wake: the wait's `clearThrough`
   * moves past them instead. A thousand subscriptions whose filters match
   * nothing in a commit then cost a set lookup each, not a wake-up and a read.
   */
  onceMatching(list: string, after: number, requirements: Requirements, wake: () => void): MatchingWait {
    if (this.head(list) > after) {
      wake();
      return { clearThrough: after, cancel: () => undefined };
    }
    let set = this.matching.get(list);
    if (!set) this.matching.set(list, (set = new Set()));
    const waiter: MatchingWaiter = { requirements, clearThrough: after, wake };
    set.add(waiter);
    return {
      get clearThrough() {
        return waiter.clearThrough;
      },
      cancel: () => {
        const s = this.matching.get(list);
        if (!s) return;
        s.delete(waiter);
        if (s.size === 0) this.matching.delete(list);
      },
    };
  }

  /** Whether a wait for matching commits is open on the list (then a commit's summary will be asked for). */
  filtersWaiting(list: string): boolean {
    return this.matching.has(list);
  }

  /** Number of live readers waiting right now (metrics). */
  waiting(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    for (const set of this.matching.values()) n += set.size;
    return n;
  }
}
