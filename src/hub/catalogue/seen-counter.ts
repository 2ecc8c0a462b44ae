import type { CatalogueStore, SeenTypeRecord } from '../../store/types.js';

/**
 * Events per type per list, counted in memory on each commit (a map lookup
 * per event) and added to the store in one batch every few seconds, so the
 * commit path never waits for it. Reads add what is not written yet.
 */
export class SeenCounter {
  private pending = new Map<string, Map<string, SeenTypeRecord>>();
  private writing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Pick<CatalogueStore, 'addSeenTypes' | 'seenTypes'>,
    private readonly onError: (error: unknown) => void,
    private readonly intervalMs = 2000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** Count one committed event (`invalid`: it failed the catalogue under `warn`). */
  count(list: string, type: string, invalid: boolean, now: number): void {
    let byType = this.pending.get(list);
    if (!byType) this.pending.set(list, (byType = new Map()));
    const row = byType.get(type);
    if (row) {
      row.count++;
      if (invalid) row.invalid++;
      row.lastSeen = now;
    } else {
      byType.set(type, { list, type, count: 1, invalid: invalid ? 1 : 0, firstSeen: now, lastSeen: now });
    }
  }

  /** Write what was counted; counts that fail to be written are kept for the next try. */
  flush(): Promise<void> {
    this.writing = this.writing.then(async () => {
      if (this.pending.size === 0) return;
      const batch = this.pending;
      this.pending = new Map();
      const rows = [...batch.values()].flatMap((m) => [...m.values()]);
      try {
        await this.store.addSeenTypes(rows);
      } catch (error) {
        for (const r of rows) this.merge(r);
        this.onError(error);
      }
    });
    return this.writing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  /**
   * The counts of a list: the store's plus what is still in memory. Run in
   * turn with the writes, so that no batch is counted twice or not at all.
   */
  seen(list: string): Promise<SeenTypeRecord[]> {
    const read = this.writing.then(() => this.read(list));
    this.writing = read.then(
      () => undefined,
      () => undefined,
    );
    return read;
  }

  private async read(list: string): Promise<SeenTypeRecord[]> {
    const stored = new Map((await this.store.seenTypes(list)).map((r) => [r.type, { ...r }]));
    for (const r of this.pending.get(list)?.values() ?? []) {
      const s = stored.get(r.type);
      if (!s) stored.set(r.type, { ...r });
      else {
        s.count += r.count;
        s.invalid += r.invalid;
        s.firstSeen = Math.min(s.firstSeen, r.firstSeen);
        s.lastSeen = Math.max(s.lastSeen, r.lastSeen);
      }
    }
    return [...stored.values()].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  }

  private merge(r: SeenTypeRecord): void {
    this.count(r.list, r.type, false, r.lastSeen);
    const row = this.pending.get(r.list)!.get(r.type)!;
    row.count += r.count - 1;
    row.invalid += r.invalid;
    row.firstSeen = Math.min(row.firstSeen, r.firstSeen);
  }
}
