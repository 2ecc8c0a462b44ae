/**
 * In-process wake-up signal: the appender announces a list's new head after
 * each commit, and live readers waiting on that list wake at once (no polling).
 * A cluster backend feeds the same bus from the database's notifications.
 */
export class LiveBus {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly heads = new Map<string, number>();

  head(list: string): number {
    return this.heads.get(list) ?? 0;
  }

  /** Record a list's head and wake everyone waiting on it. */
  announce(list: string, head: number): void {
    if (head <= this.head(list)) return;
    this.heads.set(list, head);
    const set = this.waiters.get(list);
    if (!set) return;
    this.waiters.delete(list);
    for (const wake of set) wake();
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

  /** Number of live readers waiting right now (metrics). */
  waiting(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }
}
