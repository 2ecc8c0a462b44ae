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

/** A push subscription with its delivery progress. `spec` is opaque to the store. */
export interface SubscriptionRecord {
  id: string;
  list: string;
  /** The principal that owns it (its access scope applies to every delivery). */
  owner: string;
  spec: unknown;
  /** Signing secrets, newest first; an old one stays valid until `expiresAt` (epoch ms). */
  secrets: { secret: string; expiresAt: number | null }[];
  status: 'active' | 'disabled';
  disabledReason: string | null;
  /** Every event up to this seq is delivered, dead-lettered, not matching, or has a retry row. */
  position: number;
  /** When the current run of failures began (epoch ms), or null. */
  failingSince: number | null;
  createdAt: string;
  updatedAt: string;
}

/** A failed delivery waiting for its next attempt, or (ordering 'subject') waiting behind one. */
export interface RetryRow {
  subscriptionId: string;
  seq: number;
  subject: string | null;
  /** 'retry': due at `nextAt`; 'blocked': waits for an earlier event of its subject. */
  state: 'retry' | 'blocked';
  failures: number;
  firstFailureAt: number | null;
  nextAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
}

export interface DeadLetterRow {
  subscriptionId: string;
  seq: number;
  reason: string;
  failures: number;
  lastStatus: number | null;
  lastResponse: string | null;
  createdAt: number;
}

export interface AttemptRow {
  subscriptionId: string;
  seq: number;
  webhookId: string;
  at: number;
  outcome: string;
  status: number | null;
  latencyMs: number;
  response: string | null;
  error: string | null;
}

/** Delivery state that changes as a subscription works; written in batches. */
export interface DeliveryProgress {
  subscriptionId: string;
  position: number;
  failingSince: number | null;
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

  // ---- subscriptions -------------------------------------------------------

  createSubscription(record: SubscriptionRecord): Promise<void>;
  getSubscription(id: string): Promise<SubscriptionRecord | undefined>;
  listSubscriptions(list?: string): Promise<SubscriptionRecord[]>;
  /** Replace the mutable fields (spec, secrets, status, reason). */
  updateSubscription(record: SubscriptionRecord): Promise<void>;
  /** Delete it with its retries, dead letters and attempts. */
  deleteSubscription(id: string): Promise<boolean>;

  /**
   * One atomic write of a dispatcher's accumulated work: positions, retry rows
   * to upsert or delete, dead letters (which also drop their retry rows) and
   * attempts. Positions must only cover events whose rows are in the same write.
   */
  saveDeliveryWork(work: {
    progress: DeliveryProgress[];
    retries: RetryRow[];
    deleteRetries: { subscriptionId: string; seq: number }[];
    deadLetters: DeadLetterRow[];
    attempts: AttemptRow[];
  }): Promise<void>;
  listRetries(subscriptionId: string): Promise<RetryRow[]>;
  listDeadLetters(subscriptionId: string, after: number, limit: number): Promise<DeadLetterRow[]>;
  /** Remove dead letters (for redelivery); returns the seqs removed. */
  takeDeadLetters(subscriptionId: string, seqs?: number[]): Promise<number[]>;
  listAttempts(subscriptionId: string, before: number | undefined, limit: number): Promise<(AttemptRow & { id: number })[]>;
  /** Keep the newest `keep` attempts per subscription. */
  pruneAttempts(keep: number): Promise<void>;

  /** Bytes used on disk (for metrics). */
  sizeBytes(): Promise<number>;
}
