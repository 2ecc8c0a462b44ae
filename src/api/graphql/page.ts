import type { Scope } from '../../access/scope.js';
import type { EventQuery, Hub, ServedEvent } from '../../hub/hub.js';
import { invalid } from '../../hub/errors.js';
import type { CompiledWhere, SeqRange } from './where.js';

/** The most sequence numbers one read looks through (the hub's own budget). */
const MAX_SCAN = 100_000;
const ALL: SeqRange[] = [[0, Infinity]];

export interface EventsPage {
  events: ServedEvent[];
  /** Where the next page starts (exclusive): past everything this page looked at. */
  next: number;
  hasNextPage: boolean;
}

/**
 * One connection page through the hub's scoped read. A `where` with eventid
 * bounds reads each allowed range of the log in turn, with the range's end as
 * the read's scan limit, so the hub never reads (nor audits) an event outside
 * it and every event in the page is one the caller asked for. The caller's
 * filter runs inside the read, so the page is full whenever enough events match.
 */
export async function readPage(hub: Hub, scope: Scope, where: CompiledWhere, after: number, first: number): Promise<EventsPage> {
  const ranges = where.ranges ?? ALL;
  const base: Omit<EventQuery, 'after'> = { since: where.since, until: where.until, filter: where.filter };
  const events: ServedEvent[] = [];
  let cursor = after;
  let head = hub.head(scope.list!);
  let budgetSpent = false;
  let windowEnded = false;
  for (const [lo, hi] of ranges) {
    if (hi <= cursor) continue;
    const from = Math.max(cursor, lo - 1);
    const budget = Math.min(hi - from, MAX_SCAN);
    const page = await hub.read(scope, { ...base, after: from, limit: first - events.length, maxScan: budget }, 'graphql');
    events.push(...page.events);
    head = page.head;
    cursor = Math.max(cursor, page.next);
    if (events.length >= first) break;
    if (page.next < Math.min(hi, head)) {
      // Stopped before the end of the range and of the list: the scan budget ran
      // out (more to look at), or the heroldtime window ended (nothing more).
      budgetSpent = page.next >= from + budget;
      windowEnded = !budgetSpent;
      break;
    }
    if (head < hi) break;
  }
  const last = ranges.length > 0 ? ranges[ranges.length - 1][1] : 0;
  return { events, next: cursor, hasNextPage: budgetSpent || (!windowEnded && cursor < Math.min(last, head)) };
}

/**
 * One page newest first (`order: DESC`) through the hub's scoped backward
 * read. The cursor is an exclusive upper bound: `after: <endCursor>` goes on
 * to older events (0: from the head). Allowed eventid ranges are read from
 * the top down, each with its own bounds, so nothing outside them is read or
 * audited; `next` is where the next, older page starts.
 */
export async function readPageDesc(hub: Hub, scope: Scope, where: CompiledWhere, before: number, first: number): Promise<EventsPage> {
  const ranges = [...(where.ranges ?? ALL)].reverse();
  const events: ServedEvent[] = [];
  let cursor = before > 0 ? before : Infinity;
  let budgetSpent = false;
  for (const [lo, hi] of ranges) {
    const top = Math.min(hi, cursor - 1, hub.head(scope.list!));
    if (top < Math.max(lo, 1)) continue;
    const floor = Math.max(lo, 1) - 1;
    const budget = Math.min(top - floor, MAX_SCAN);
    const page = await hub.readBefore(scope, { since: where.since, until: where.until, filter: where.filter, after: floor, before: top + 1, limit: first - events.length, maxScan: budget }, 'graphql');
    events.push(...page.events);
    cursor = page.next;
    if (events.length >= first) break;
    if (page.next > floor + 1) {
      // Stopped above the range's low end with the page not full: the scan budget ran out.
      budgetSpent = true;
      break;
    }
  }
  if (cursor === Infinity) cursor = hub.head(scope.list!) + 1;
  const lowest = ranges.length > 0 ? Math.max(ranges[ranges.length - 1][0], 1) : 1;
  return { events, next: cursor, hasNextPage: budgetSpent || cursor > lowest };
}

const CURSOR_PREFIX = 'eventid:';

/** Cursors are opaque to clients; inside, an eventid, so `after: cursor` equals `eventid: {gt: N}`. */
export function encodeCursor(seq: number): string {
  return Buffer.from(CURSOR_PREFIX + seq).toString('base64url');
}

/** An endCursor, or (for convenience) a plain eventid. */
export function decodeCursor(after: string | null | undefined): number {
  if (after === null || after === undefined || after === '') return 0;
  if (/^\d{1,19}$/.test(after)) return toSeq(after);
  const text = Buffer.from(after, 'base64url').toString('utf8');
  if (text.startsWith(CURSOR_PREFIX) && /^\d{1,19}$/.test(text.slice(CURSOR_PREFIX.length))) return toSeq(text.slice(CURSOR_PREFIX.length));
  throw invalid('after must be an endCursor from an earlier page, or an eventid.', [{ pointer: '/after', message: 'not a cursor this hub made' }]);
}

function toSeq(digits: string): number {
  const big = BigInt(digits);
  if (big > 9223372036854775807n) throw invalid('after is larger than a 64-bit sequence number.', [{ pointer: '/after', message: 'out of range' }]);
  return big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
}
