/** A served event: the structured CloudEvent as published, plus the hub's `heroldseq`, `heroldtime` and (when there is one you may see) `heroldprevseq`. */
export type ServedEvent = Record<string, unknown> & {
  specversion: string;
  id: string;
  source: string;
  type: string;
  subject?: string;
  data?: unknown;
  heroldseq: string;
  heroldtime: string;
  heroldprevseq?: string;
};

/** A CloudEvent to publish (structured form); `specversion` defaults to "1.0" and `id` to a new UUID. */
export type OutgoingEvent = Record<string, unknown> & { source: string; type: string; id?: string; specversion?: string };

/** Filters applied inside the hub's read (on top of your grant). */
export interface EventFilters {
  /** A CESQL expression; it may test only attributes your grant serves. */
  filter?: string;
  type?: string | string[];
  subject?: string | string[];
  source?: string | string[];
}

/** A page of events (`GET /lists/{list}/events`). */
export interface EventPage {
  events: ServedEvent[];
  /** Pass as `after` for the next page; moves past filtered-out events too. */
  next: string;
  head: string;
}

/** Sequence numbers are decimal strings on the wire; compare them as BigInt. */
export const seqOf = (value: string | number | bigint): bigint => BigInt(value);
