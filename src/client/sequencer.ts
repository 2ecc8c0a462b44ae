import { HeroldError, RetentionTrimmedError, SequenceGapError, isTransient } from './errors.js';
import type { Transport } from './http.js';
import { eventsPath, type StreamItem } from './stream.js';
import type { EventPage } from './types.js';

/**
 * The consumer's position and the check that nothing is lost between what the
 * hub hands out.
 *
 * Sequence numbers are gapless per list (docs/concepts.md). What a reader sees
 * can still jump, for three reasons, and only the third is a loss:
 *  1. the hub announced it: an id-only SSE message or a page's `next` moves the
 *     position past events this reader does not get (taken as is);
 *  2. filters: the reader's own `filter`/`type`/`subject`/`source`, or its
 *     grant's row filter, leave out events between two that it gets; within a
 *     page the hub does not announce those, so a jump is expected;
 *  3. retention deleted events the reader had not read yet.
 * And a jump with none of these reasons would be a hub or proxy bug.
 *
 * So on a jump from P to S that the hub did not announce:
 *  - without filters of its own, the reader asks for event P+1 by itself:
 *    readable (200) means the stream skipped an event it may read, a
 *    SequenceGapError; 404 means hidden by the grant (or deleted), and the
 *    reader stops asking for the rest of this connection;
 *  - on the first jump of a connection (where a retention trim shows up) and
 *    after such a 404, when the list has `retentionDays`, the reader asks
 *    whether events after P are older than the retention (`?after=P&until=now
 *    −retention&limit=1`; the hub answers with seq bounds only). If so, the
 *    jump is retention: a RetentionTrimmedError (or, with onTrimmed:
 *    'continue', the reader goes on from S).
 * A hub's grant hides an event exactly like a missing one (security.md), so
 * for a reader whose grant filters, "deleted by retention" is known only by
 * age: the error says that your position is older than the retention and the
 * hub skipped ahead. Events handed out are never handed out again: an event
 * at or below the position is dropped.
 */
export class Sequencer {
  private atStart = true;
  private viewHides = false;

  constructor(
    private position: bigint,
    private readonly t: Transport,
    private readonly list: string,
    private readonly o: { ownFilters: boolean; onTrimmed: 'throw' | 'continue'; now: () => number },
  ) {}

  get current(): bigint {
    return this.position;
  }

  /** A new connection: the first jump may be retention again; the grant may have changed. */
  startSession(): void {
    this.atStart = true;
    this.viewHides = false;
  }

  /**
   * `deliver` an event, `advance` the position only, or drop a `stale` item;
   * `jump` when the item skips ahead, to be settled by `explainJump` first.
   */
  accept(item: Exclude<StreamItem, { kind: 'end' }>): 'deliver' | 'advance' | 'stale' | 'jump' {
    if (item.seq <= this.position) return 'stale';
    if (item.seq > this.position + 1n) return 'jump';
    this.atStart = false;
    this.position = item.seq;
    return item.kind === 'event' ? 'deliver' : 'advance';
  }

  /** Settle a jump (throws on a loss), then take the item. */
  async explainJump(item: Exclude<StreamItem, { kind: 'end' }>): Promise<'deliver' | 'advance'> {
    await this.explain(item.seq, item.kind === 'position');
    this.atStart = false;
    this.position = item.seq;
    return item.kind === 'event' ? 'deliver' : 'advance';
  }

  private async explain(received: bigint, announced: boolean): Promise<void> {
    const p = this.position;
    let probed = false;
    if (!announced && !this.o.ownFilters && !this.viewHides) {
      if (await this.readable(p + 1n)) throw new SequenceGapError(this.list, p.toString(), received.toString());
      this.viewHides = true;
      probed = true;
    }
    if ((this.atStart || probed) && p > 0n) await this.checkRetention(p, received);
  }

  private async readable(seq: bigint): Promise<boolean> {
    try {
      await this.t.json('GET', `${eventsPath(this.list)}/${seq}`);
      return true;
    } catch (error) {
      if (error instanceof HeroldError && error.status === 404) return false;
      throw error;
    }
  }

  private async checkRetention(p: bigint, received: bigint): Promise<void> {
    if (this.o.onTrimmed === 'continue') return;
    let retentionDays: number | null | undefined;
    try {
      ({ retentionDays } = await this.t.json<{ retentionDays?: number | null }>('GET', `/lists/${encodeURIComponent(this.list)}`));
    } catch (error) {
      if (isTransient(error)) throw error;
      return; // not allowed to describe the list: nothing to compare with
    }
    if (!retentionDays) return;
    const cutoff = new Date(this.o.now() - retentionDays * 86_400_000).toISOString();
    const page = await this.t.json<EventPage>('GET', eventsPath(this.list), { query: { after: p.toString(), until: cutoff, limit: 1 } });
    if (page.events.length > 0 || BigInt(page.next) > p) {
      throw new RetentionTrimmedError(this.list, p.toString(), received.toString(), retentionDays);
    }
  }
}
