import type { Channel } from '../access/audit.js';
import type { Scope } from '../access/scope.js';
import type { EventQuery } from './caller-query.js';
import type { ReadQuery } from './hub.js';
import type { ServedEvent } from './serve.js';

/** What a caught-up stream is pushed: a commit's events as it may see them (or only a cursor moved past others), or a heartbeat. */
export type LiveStep = { kind: 'events'; events: ServedEvent[]; next: number } | { kind: 'idle' };

/**
 * Where a caught-up live reader takes pushed steps (a door's writer). Called
 * synchronously from the commit. 'taken': written, stay in the fast set;
 * 'full': written, but the reader's buffer is full, so it leaves the fast set
 * (its door waits for the drain under the stall rule); 'declined': not
 * written (too large to push at once), it leaves and reads the step itself.
 */
export interface LiveSink {
  /** Whether a push now would be written (the door is not waiting for a drain). */
  ready(): boolean;
  push(step: LiveStep): 'taken' | 'full' | 'declined';
}

/** Why a reader left the fast set, with where its cursor is and when it was last sent something. */
export interface LiveExit {
  why: 'left' | 'expired' | 'aborted';
  cursor: number;
  lastStep: number;
  /** What its audit rows record of the read, made on its first push. */
  auditRecord?: unknown;
}

/** A reader in the fast set. `cursor` is the list's head when it joined or was last pushed. */
export interface LiveMember {
  readonly scope: Scope;
  readonly q: EventQuery;
  /** The read it runs (the caller's and the grant's filters composed). */
  readonly query: Omit<ReadQuery, 'limit'>;
  readonly channel: Channel | null;
  readonly sink: LiveSink;
  readonly idleMs: number;
  cursor: number;
  lastStep: number;
  /** What its audit rows record of the read, made on its first push. */
  auditRecord?: unknown;
}

/** Serves a commit (after, head] for the members of one view, or undefined when it cannot at once (they read it themselves). */
export type ServeCommit = (list: string, member: LiveMember, after: number, head: number) => LiveStep | undefined;
/** Records that a member was sent these seqs (the audit row of its stream). */
export type AuditPushed = (list: string, member: LiveMember, seqs: number[]) => void;

interface Joined {
  member: LiveMember;
  list: string;
  view: string;
  signal: AbortSignal;
  onAbort: () => void;
  resolve: (exit: LiveExit) => void;
}

/** How often heartbeats and expiry of readers in the fast set are looked at. */
const SWEEP_MS = 200;

/**
 * The fast set of caught-up live readers: when a commit lands, one
 * synchronous loop pushes it to every one of them on the list, with no
 * generator step, promise or timer per reader and commit. Readers are grouped
 * by view (the same row filters, own filters and projection: `viewKey`), so
 * a commit is filtered and served once per view and every reader of a view is
 * pushed the very same step object (a door shares its bytes across them).
 *
 * A reader is here only while it is caught up: a push it cannot take at once
 * (a full buffer, a step too large), a commit the live tail does not hold, an
 * expired credential or an abort sends it back to its own follow loop
 * (Hub.follow), which reads from its cursor and may join again.
 */
export class LiveFanout {
  private readonly lists = new Map<string, Map<string, Set<Joined>>>();
  private members = 0;
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    private readonly serve: ServeCommit,
    private readonly audit: AuditPushed,
  ) {}

  /** Readers in the fast set (metrics). */
  get size(): number {
    return this.members;
  }

  /**
   * Add a caught-up reader (its cursor at the list's head, checked by the
   * caller in the same synchronous turn). Resolves once it has left.
   */
  join(list: string, view: string, member: LiveMember, signal: AbortSignal): Promise<LiveExit> {
    return new Promise<LiveExit>((resolve) => {
      if (signal.aborted) return resolve({ why: 'aborted', cursor: member.cursor, lastStep: member.lastStep });
      let views = this.lists.get(list);
      if (!views) this.lists.set(list, (views = new Map()));
      let group = views.get(view);
      if (!group) views.set(view, (group = new Set()));
      const joined: Joined = { member, list, view, signal, resolve, onAbort: () => this.leave(joined, 'aborted') };
      signal.addEventListener('abort', joined.onAbort, { once: true });
      group.add(joined);
      this.members++;
      this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
    });
  }

  /** The list's head moved from `before` to `head`: push the commit to every reader in its fast set. */
  commit(list: string, before: number, head: number): void {
    const views = this.lists.get(list);
    if (!views) return;
    const now = Date.now();
    for (const group of views.values()) {
      let step: LiveStep | undefined | null = null;
      for (const joined of group) {
        const m = joined.member;
        if (expired(m.scope, now)) {
          this.leave(joined, 'expired');
          continue;
        }
        // Not at `before`: it missed a commit here (cannot happen while the invariant holds); it reads for itself.
        if (m.cursor !== before) {
          this.leave(joined, 'left');
          continue;
        }
        if (step === null) step = this.serveSafely(list, m, before, head);
        if (step === undefined) {
          this.leave(joined, 'left');
          continue;
        }
        this.pushTo(joined, step, now, head);
      }
    }
  }

  /** This runs inside the appender's commit: a failure sends the view's readers back to their follow loops, which report it. */
  private serveSafely(list: string, m: LiveMember, before: number, head: number): LiveStep | undefined {
    try {
      return this.serve(list, m, before, head);
    } catch {
      return undefined;
    }
  }

  private pushTo(joined: Joined, step: LiveStep, now: number, head: number): void {
    const m = joined.member;
    let taken: 'taken' | 'full' | 'declined';
    try {
      taken = m.sink.push(step);
    } catch {
      taken = 'declined';
    }
    if (taken === 'declined') return this.leave(joined, 'left');
    m.lastStep = now;
    if (step.kind === 'events') {
      m.cursor = head;
      // Recorded as the follow loop records a step: per stream, merged into one row per range (access/audit.ts).
      if (step.events.length > 0) this.audit(joined.list, m, seqsOf(step));
    }
    if (taken === 'full') this.leave(joined, 'left');
  }

  /** Heartbeats for readers that were sent nothing for their idle interval, and the end of expired ones. */
  private sweep(): void {
    const now = Date.now();
    for (const views of this.lists.values()) {
      for (const group of views.values()) {
        for (const joined of group) {
          const m = joined.member;
          if (expired(m.scope, now)) this.leave(joined, 'expired');
          else if (now - m.lastStep >= m.idleMs - 5) this.pushTo(joined, IDLE, now, m.cursor);
        }
      }
    }
  }

  private leave(joined: Joined, why: LiveExit['why']): void {
    const views = this.lists.get(joined.list);
    const group = views?.get(joined.view);
    if (!group?.delete(joined)) return;
    if (group.size === 0) views!.delete(joined.view);
    if (views!.size === 0) this.lists.delete(joined.list);
    this.members--;
    if (this.members === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
    joined.signal.removeEventListener('abort', joined.onAbort);
    joined.resolve({ why, cursor: joined.member.cursor, lastStep: joined.member.lastStep });
  }
}

const IDLE: LiveStep = Object.freeze({ kind: 'idle' });

const seqLists = new WeakMap<LiveStep, number[]>();

/** A step's seqs, made once for all the readers of its view. */
function seqsOf(step: LiveStep & { kind: 'events' }): number[] {
  let seqs = seqLists.get(step);
  if (!seqs) seqLists.set(step, (seqs = step.events.map((e) => e.seq)));
  return seqs;
}

function expired(scope: Scope, now: number): boolean {
  return scope.expiresAt !== undefined && scope.expiresAt <= now;
}

const ids = new WeakMap<object, number>();
let nextId = 1;

function idOf(o: object | undefined): number {
  if (o === undefined) return 0;
  let id = ids.get(o);
  if (id === undefined) ids.set(o, (id = nextId++));
  return id;
}

/**
 * Which readers see a commit alike: the same row filter and own filter (by
 * identity: the compiled functions), exact filters and projection. Readers of
 * one view are served the same events, rendered the same.
 */
export function viewKey(scope: Scope, q: EventQuery): string {
  return `${idOf(scope.predicate)}:${idOf(q.filter)}:${JSON.stringify([scope.fields ?? null, q.types ?? null, q.subjects ?? null, q.sources ?? null])}`;
}
