import type { GrantRecord } from '../store/types.js';

/** setTimeout's longest delay; a later expiry is re-checked then. */
const MAX_DELAY = 2 ** 31 - 1;

/**
 * Grants end by themselves at their `expiresAt`. Decisions already ignore an
 * expired grant (access.ts checks the time on every decision); this timer
 * announces the end, as a revocation does, so that open streams close and
 * subscriptions refresh within moments of it rather than at their next event.
 * One timer for the nearest expiry, set again after each change.
 */
export class GrantExpiry {
  private timer: NodeJS.Timeout | undefined;
  /** Expiries already announced (grant id → expiresAt), so each is announced once. */
  private readonly announced = new Map<string, number>();

  constructor(
    private readonly grants: () => GrantRecord[],
    private readonly ended: (grant: GrantRecord) => void,
  ) {}

  /** Announce what has ended, and wait for the next expiry. */
  schedule(now = Date.now()): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    let next = Infinity;
    const grants = this.grants();
    const ids = new Set(grants.map((g) => g.id));
    for (const id of this.announced.keys()) if (!ids.has(id)) this.announced.delete(id);
    for (const g of grants) {
      if (g.expiresAt === null) continue;
      if (g.expiresAt <= now) {
        if (this.announced.get(g.id) !== g.expiresAt) {
          this.announced.set(g.id, g.expiresAt);
          this.ended(g);
        }
      } else next = Math.min(next, g.expiresAt);
    }
    if (next === Infinity) return;
    // A few ms late rather than early: the decision compares with the clock.
    this.timer = setTimeout(() => this.schedule(), Math.min(MAX_DELAY, next - now + 5));
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
