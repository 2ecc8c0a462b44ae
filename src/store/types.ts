/**
 * The one storage interface. Every backend (embedded SQLite, PostgreSQL)
 * implements it; the hub never talks SQL. The interface is async so that
 * network-backed stores fit; the SQLite store answers synchronously inside.
 */

export interface ListRecord {
  name: string;
  title: string | null;
  description: string | null;
  retentionDays: number | null;
  createdAt: string;
  updatedAt: string;
  /** Sequence number of the last committed event; 0 for an empty list. */
  head: number;
}

export interface ListInput {
  name: string;
  title?: string | null;
  description?: string | null;
  retentionDays?: number | null;
}

/** An event as stored: the provider's structured JSON untouched, plus hub metadata beside it. */
export interface StoredEvent {
  seq: number;
  /** Seq of the previous event in the list with the same subject, or null. */
  prevSeq: number | null;
  /** Commit time in epoch milliseconds (non-decreasing with seq within a list). */
  time: number;
  /** The structured CloudEvent JSON exactly as accepted (no hub attributes). */
  body: string;
}

/** One event ready to append: indexed attributes extracted, body serialised once. */
export interface AppendEvent {
  source: string;
  id: string;
  type: string;
  subject: string | null;
  body: string;
}

export interface AppendRequest {
  list: string;
  events: AppendEvent[];
}

export type AppendOutcome =
  | { ok: true; results: { seq: number; duplicate: boolean }[] }
  | { ok: false; reason: 'conflict'; index: number; seq: number }
  | { ok: false; reason: 'no-such-list' };

/** Exact-match filters the store applies inside its query. Empty/undefined means "any". */
export interface RangeFilter {
  types?: string[];
  subjects?: string[];
  sources?: string[];
}

export interface RangeQuery extends RangeFilter {
  /** Return events with seq > after ... */
  after: number;
  /** ... and seq <= upTo. */
  upTo: number;
  /** At most this many. If fewer are returned, every match in (after, upTo] was returned. */
  limit: number;
}

export interface EventStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Apply migrations; safe to call on an up-to-date database. */
  open(): Promise<void>;
  close(): Promise<void>;
  /** Whether the database answers (readiness). */
  ping(): Promise<boolean>;

  upsertList(input: ListInput): Promise<{ created: boolean; list: ListRecord }>;
  getList(name: string): Promise<ListRecord | undefined>;
  listLists(): Promise<ListRecord[]>;

  /**
   * Append several independent requests in one durable commit (group commit).
   * Each request is atomic on its own: it is stored whole or not at all, and a
   * failing request does not affect the others in the group.
   */
  appendGroup(requests: AppendRequest[]): Promise<AppendOutcome[]>;

  readRange(list: string, query: RangeQuery): Promise<StoredEvent[]>;
  getEvent(list: string, seq: number): Promise<StoredEvent | undefined>;
  /** The largest seq committed before `time` (epoch ms), or 0. Commit time never decreases with seq. */
  seqBefore(list: string, time: number): Promise<number>;

  getSetting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string): Promise<void>;

  /** Bytes used on disk (for metrics). */
  sizeBytes(): Promise<number>;
}
