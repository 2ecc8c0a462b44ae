import type { Scope } from '../access/scope.js';
import type { StoredEvent } from '../store/types.js';
import { projectEvent, serves } from './project.js';
import { renderEvent, renderShared } from './render.js';

/** An event as one caller may see it: rendered, minimised, linked within the caller's view. */
export class ServedEvent {
  constructor(
    readonly seq: number,
    /** The structured CloudEvent JSON this caller receives. */
    readonly json: string,
    private readonly stored: StoredEvent,
  ) {}

  /**
   * The stored subject, for the hub's own use (ordered delivery keeps one
   * subject's events in order, whether or not the subject is served). Never
   * rendered: `json` holds what is served.
   */
  get orderKey(): string | null {
    return subjectOf(this.stored);
  }
}

/** Looks an event up (the live tail first, then the store), with its parsed form. */
export type EventLookup = (seq: number) => Promise<{ event: StoredEvent; parsed: Record<string, unknown> } | undefined>;

/** How many earlier events one call may look at to link `heroldprevseq` within a caller's view. */
const MAX_LINK_LOOKUPS = 10_000;

/**
 * `heroldprevseq` as this caller may see it: the previous event of the same
 * subject *that the caller may see*, or none. Undefined when the stored links
 * are already right (the caller sees every event). Absent when the caller is
 * not served the subject: the links would tell which events share one.
 *
 * Chains are followed breadth-first, all the events of a page at once, so a
 * networked store answers one round of lookups per step back, not one per event.
 */
export async function linkWithinView(scope: Scope, events: readonly StoredEvent[], lookup: EventLookup): Promise<(number | null)[] | undefined> {
  if (!serves(scope.fields, 'heroldprevseq')) return events.map(() => null);
  const grant = scope.predicate;
  if (!grant) return undefined;
  const visible = new Map<number, boolean>();
  const prevOf = new Map<number, number | null>();
  // The page's events passed the grant's row filter (composed into the read).
  for (const e of events) visible.set(e.seq, true);
  const links: (number | null)[] = events.map((e) => e.prevSeq);
  let lookups = 0;
  for (;;) {
    const unknown = new Set<number>();
    for (let i = 0; i < links.length; i++) {
      let p = links[i];
      while (p !== null && visible.get(p) === false) p = prevOf.get(p) ?? null;
      links[i] = p;
      if (p !== null && !visible.has(p)) unknown.add(p);
    }
    if (unknown.size === 0) return links;
    if (lookups + unknown.size > MAX_LINK_LOOKUPS) {
      // Too far back to tell: no link rather than a link to something hidden.
      return links.map((p) => (p !== null && visible.get(p) === true ? p : null));
    }
    lookups += unknown.size;
    const found = await Promise.all([...unknown].map(async (seq) => [seq, await lookup(seq)] as const));
    for (const [seq, hit] of found) {
      // Gone (retention): nothing to link to.
      visible.set(seq, hit !== undefined && grant(hit.parsed));
      prevOf.set(seq, hit ? hit.event.prevSeq : null);
    }
  }
}

/**
 * Render events for a scope, with the links linkWithinView made (undefined: as
 * stored). `shared`: the events are the live tail's objects, read by many
 * streams, so a whole rendering is remembered per object; a replay's objects
 * are read once, and remembering them would only burden the collector.
 */
export function serveEvents(scope: Scope, events: readonly StoredEvent[], links: (number | null)[] | undefined, shared = false): ServedEvent[] {
  const out: ServedEvent[] = new Array(events.length);
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    out[i] = new ServedEvent(e.seq, serveOne(e, links ? links[i] : undefined, scope.fields, shared), e);
  }
  return out;
}

function serveOne(e: StoredEvent, link: number | null | undefined, fields: readonly string[] | undefined, shared: boolean): string {
  const linked = link === undefined || link === e.prevSeq ? e : { ...e, prevSeq: link };
  // Many live streams of one event share its rendering when they see it whole.
  if (!fields) return linked === e && shared ? renderShared(e) : renderEvent(linked);
  return JSON.stringify(projectEvent(JSON.parse(renderEvent(linked)) as Record<string, unknown>, fields));
}

const subjects = new WeakMap<StoredEvent, string | null>();

function subjectOf(e: StoredEvent): string | null {
  let s = subjects.get(e);
  if (s === undefined) {
    const v = (JSON.parse(e.body) as { subject?: unknown }).subject;
    subjects.set(e, (s = typeof v === 'string' ? v : null));
  }
  return s;
}
