/**
 * Storage behind narrow interfaces, one per concern (at the end of this
 * file); every backend (embedded SQLite, PostgreSQL) implements them all, as
 * `EventStore`, and passes the same contract (test/store/contract.test.ts).
 * The hub never talks SQL. The interfaces are async so that network-backed
 * stores fit; the SQLite store answers synchronously inside.
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
  /** The principal that owns the list and approves access to it. */
  owner: string | null;
}

export interface ListInput {
  name: string;
  title?: string | null;
  description?: string | null;
  retentionDays?: number | null;
  owner?: string | null;
  /** When a list is created: its createdAt and updatedAt (ISO 8601), for an import that keeps them; else now. */
  createdAt?: string;
  updatedAt?: string;
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

/** One event's result; a new event also carries what the store decided for it (for the live tail). */
export interface AppendResult {
  seq: number;
  duplicate: boolean;
  prevSeq?: number | null;
  time?: number;
}

export type AppendOutcome =
  | { ok: true; results: AppendResult[] }
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
  /**
   * The credential the subscription delivers under (opaque to the store; see
   * access/credentials.ts). Null for subscriptions stored before it existed.
   */
  runAs: unknown;
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
  /**
   * The request headers sent (webhook: the HTTP headers, a bearer token
   * redacted; AMQP: the message's properties and headers). Null for attempts
   * recorded before headers were kept.
   */
  requestHeaders: Record<string, string> | null;
}

/** Delivery state that changes as a subscription works; written in batches. */
export interface DeliveryProgress {
  subscriptionId: string;
  position: number;
  failingSince: number | null;
}

export interface ApiKeyRecord {
  id: string;
  principal: string;
  admin: boolean;
  /** The visible start of the key, to recognise it in lists. */
  prefix: string;
  /** SHA-256 of the whole key (hex); the key itself is never stored. */
  hash: string;
  expiresAt: number | null;
  revokedAt: number | null;
  createdAt: number;
}

export interface PublisherRecord {
  list: string;
  principal: string;
  /** Required prefix of the events' source; '' allows any. */
  source: string;
  createdAt: number;
}

export interface GrantRecord {
  id: string;
  list: string;
  principal: string;
  /** CESQL text or a Subscriptions API filter array, or null for every event. */
  filter: unknown;
  fields: string[] | null;
  createdBy: string;
  createdAt: number;
  /** When the grant ends by itself (epoch ms), or null: kept, but it no longer applies after it. */
  expiresAt: number | null;
}

export interface AccessRequestRecord {
  id: string;
  list: string;
  principal: string;
  purpose: string;
  /** The legal basis the consumer names for processing the events (hjemmel), or null. */
  legalBasis: string | null;
  filter: unknown;
  /** The attributes wished, or null for all of them. */
  fields: string[] | null;
  /** The wished end date of the access (epoch ms), or null. */
  until: number | null;
  status: 'pending' | 'approved' | 'denied';
  decidedBy: string | null;
  reason: string | null;
  grantId: string | null;
  createdAt: number;
  decidedAt: number | null;
}

export interface AuditRow {
  at: number;
  principal: string;
  list: string;
  channel: string;
  firstSeq: number;
  lastSeq: number;
  count: number;
  /** The row filter in force (JSON), so a subject query can tell what in the range was sent. */
  scope: string | null;
}

/** One "who received events about X" search: searching for a person is processing personal data too. */
export interface AuditSearchRow {
  at: number;
  /** Who searched. */
  principal: string;
  list: string;
  subject: string;
  /** The time window searched (null: open). */
  since: number | null;
  until: number | null;
  /** How many deliveries the search found. */
  results: number;
}

export interface AuditSearchQuery {
  principal?: string;
  list?: string;
  since?: number;
  until?: number;
  limit: number;
}

export interface AuditQuery {
  list?: string;
  /** Only rows of these lists (what the caller may see); `limit` counts only those. */
  lists?: string[];
  principal?: string;
  since?: number;
  until?: number;
  /** Only rows whose range contains one of these seqs (requires `list`). */
  seqs?: number[];
  limit: number;
}

/** A dispatcher's accumulated delivery state, written in one transaction (saveDeliveryWork). */
export interface DeliveryWork {
  progress: DeliveryProgress[];
  retries: RetryRow[];
  deleteRetries: { subscriptionId: string; seq: number }[];
  deadLetters: DeadLetterRow[];
  attempts: AttemptRow[];
}

/** Opening, closing and health of a backend. */
export interface StoreLifecycle {
  readonly kind: 'sqlite' | 'postgres';
  /** Apply migrations; safe to call on an up-to-date database. */
  open(): Promise<void>;
  close(): Promise<void>;
  /** Whether the database answers (readiness). */
  ping(): Promise<boolean>;
  /** Bytes used on disk (for metrics). */
  sizeBytes(): Promise<number>;
}

/** The event lists and their logs: what only the hub may use. */
export interface EventLog {
  upsertList(input: ListInput): Promise<{ created: boolean; list: ListRecord }>;
  getList(name: string): Promise<ListRecord | undefined>;
  listLists(): Promise<ListRecord[]>;

  /**
   * Append several independent requests in one durable commit (group commit).
   * Each request is atomic on its own: it is stored whole or not at all, and a
   * failing request does not affect the others in the group.
   */
  appendGroup(requests: AppendRequest[]): Promise<AppendOutcome[]>;
  /**
   * True when appendGroup commits on another thread: the appender then sends
   * a group as soon as one request waits, and the next group forms while it
   * commits (absent: the group forms until the next turn of the event loop).
   */
  readonly appendsOffThread?: boolean;

  readRange(list: string, query: RangeQuery): Promise<StoredEvent[]>;
  getEvent(list: string, seq: number): Promise<StoredEvent | undefined>;
  /** The largest seq committed before `time` (epoch ms), or 0. Commit time never decreases with seq. */
  seqBefore(list: string, time: number): Promise<number>;
  /**
   * Retention: delete the events with seq <= `seq` (and their idempotency keys).
   * Returns how many were deleted. Sequence numbers are never reused.
   */
  trimThrough?(list: string, seq: number): Promise<number>;
  /** Seqs of every event about `subject` in a list, newest first (follows heroldprevseq). */
  subjectSeqs(list: string, subject: string, max: number): Promise<number[]>;
}

/**
 * Bulk import with the numbers kept (`herold import` and `herold migrate`):
 * only the CLI uses it, on a store no hub is appending to.
 */
export interface EventImport {
  /**
   * Write events with the seq, commit time and heroldprevseq they had (the
   * body as stored) into an existing list, after its head, in seq order. The
   * idempotency and subject indexes learn them as if they had been appended,
   * so republishing an imported event is a duplicate and new events continue
   * the subjects' chains. Atomic per call; rejects seqs at or below the head.
   */
  importEvents(list: string, events: StoredEvent[]): Promise<void>;
  /** The names and heads deleted lists left behind (ListDeletion), for an export. */
  deletedLists(): Promise<DeletedListRecord[]>;
  /**
   * Record that a list of this name was deleted at this head, so that a list
   * re-created under the name continues after it. An existing record keeps the
   * larger head. False (nothing written) when the store holds a list of that
   * name: it is not the deleted one.
   */
  importDeletedList(record: DeletedListRecord): Promise<boolean>;
}

/** What a deleted list leaves behind: its name and the head it had. */
export interface DeletedListRecord {
  name: string;
  head: number;
  /** Epoch ms. */
  deletedAt: number;
}

/**
 * Deleting a list (DELETE /lists/{list}): its events and indexes, publishers,
 * grants, pending access requests, catalogue and the list itself go in one
 * transaction; its subscriptions are removed before, through the
 * subscription service. Its name and head stay behind: re-created, the list
 * continues after that head (upsertList), so seqs are never reused.
 */
export interface ListDeletion {
  /** False when there is no such list. */
  deleteList(name: string): Promise<boolean>;
}

/** Hub-wide settings (the admin key's hash, ...). */
export interface SettingsStore {
  getSetting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string): Promise<void>;
}

/** Subscriptions and their delivery state: the subscription service and the dispatcher. */
export interface SubscriptionStore {
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
  saveDeliveryWork(work: DeliveryWork): Promise<void>;
  listRetries(subscriptionId: string): Promise<RetryRow[]>;
  listDeadLetters(subscriptionId: string, after: number, limit: number): Promise<DeadLetterRow[]>;
  /** Remove dead letters (for redelivery); returns the seqs removed. */
  takeDeadLetters(subscriptionId: string, seqs?: number[]): Promise<number[]>;
  listAttempts(subscriptionId: string, before: number | undefined, limit: number): Promise<(AttemptRow & { id: number })[]>;
  /** Keep the newest `keep` attempts per subscription. */
  pruneAttempts(keep: number): Promise<void>;
}

/** Keys, owners, publishers, grants and access requests: what `access` and the agreements hold. */
export interface AccessStore {
  setListOwner(list: string, owner: string | null): Promise<void>;
  createApiKey(key: ApiKeyRecord): Promise<void>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  revokeApiKey(id: string, at: number): Promise<boolean>;
  addPublisher(p: PublisherRecord): Promise<void>;
  removePublisher(list: string, principal: string): Promise<boolean>;
  listPublishers(): Promise<PublisherRecord[]>;
  createGrant(g: GrantRecord): Promise<void>;
  /** Replace a grant's filter, fields and expiry; false when it does not exist. */
  updateGrant(g: GrantRecord): Promise<boolean>;
  deleteGrant(id: string): Promise<boolean>;
  listGrants(): Promise<GrantRecord[]>;
  createAccessRequest(r: AccessRequestRecord): Promise<void>;
  updateAccessRequest(r: AccessRequestRecord): Promise<void>;
  getAccessRequest(id: string): Promise<AccessRequestRecord | undefined>;
  listAccessRequests(filter: { list?: string; principal?: string; status?: string }): Promise<AccessRequestRecord[]>;
}

/** Events delivered on one UTC day to one principal from one list over one channel. */
export interface UsageRow {
  /** YYYY-MM-DD (UTC). */
  day: string;
  principal: string;
  list: string;
  channel: string;
  /** Events delivered (the sum of the audit rows' counts). */
  events: number;
}

/**
 * A web console session as the store keeps it, so that any node of a cluster
 * serves it: the SHA-256 of its id (the cookie holds the id) and which
 * credential it was made with, as a reference that `access` checks again on
 * every request. Never a key or a token.
 */
export interface ConsoleSessionRow {
  idHash: string;
  principal: string;
  via: string;
  /** JSON, for `access` (see access/console-sessions.ts). */
  credential: string;
  createdAt: number;
  endsAt: number;
}

export interface ConsoleSessionStore {
  putConsoleSession(row: ConsoleSessionRow): Promise<void>;
  getConsoleSession(idHash: string): Promise<ConsoleSessionRow | undefined>;
  deleteConsoleSession(idHash: string): Promise<void>;
  /** Drops the sessions that ended at or before `now`; answers how many. */
  pruneConsoleSessions(now: number): Promise<number>;
}

/** Who received which events. */
export interface AuditStore {
  appendAudit(rows: AuditRow[]): Promise<void>;
  queryAudit(q: AuditQuery): Promise<(AuditRow & { id: number })[]>;
  /** The audit rows summed per UTC day, principal, list and channel, in that order (a usage report). */
  auditUsage(q: Omit<AuditQuery, 'seqs' | 'limit'>): Promise<UsageRow[]>;
  /** Drops audit rows and audit searches older than `before`; answers the audit rows dropped. */
  pruneAudit(before: number): Promise<number>;
  recordAuditSearch(row: AuditSearchRow): Promise<void>;
  /** The newest first. */
  queryAuditSearches(q: AuditSearchQuery): Promise<(AuditSearchRow & { id: number })[]>;
}

/** How a list checks published events against its catalogue. */
export type ValidateMode = 'off' | 'warn' | 'enforce';

/** A list's catalogue settings (lists without a row: validate off, not discoverable). */
export interface CatalogueSettingsRecord {
  list: string;
  validate: ValidateMode;
  discoverable: boolean;
}

/** A declared event type or extension attribute of a list; `spec` is opaque to the store. */
export interface DeclarationRecord {
  list: string;
  /** The event type, or the attribute name. */
  name: string;
  spec: unknown;
  updatedAt: number;
}

/** How many events of a type a list has committed (declared or not). */
export interface SeenTypeRecord {
  list: string;
  type: string;
  count: number;
  /** Of those, how many failed the list's catalogue while it was set to warn. */
  invalid: number;
  /** Epoch ms of the first and the last commit counted. */
  firstSeen: number;
  lastSeen: number;
}

/** The event type catalogue: declarations, settings and the types seen per list. */
export interface CatalogueStore {
  catalogueSettings(): Promise<CatalogueSettingsRecord[]>;
  putCatalogueSettings(record: CatalogueSettingsRecord): Promise<void>;
  declarations(kind: 'type' | 'attribute'): Promise<DeclarationRecord[]>;
  putDeclaration(kind: 'type' | 'attribute', record: DeclarationRecord): Promise<void>;
  deleteDeclaration(kind: 'type' | 'attribute', list: string, name: string): Promise<boolean>;
  /** Add counts (first/last seen widen): called with a batch of what was counted in memory. */
  addSeenTypes(rows: SeenTypeRecord[]): Promise<void>;
  seenTypes(list: string): Promise<SeenTypeRecord[]>;
}

/**
 * A whole backend (embedded SQLite, PostgreSQL): every narrow interface at
 * once. Only the composition root (server.ts) and the CLI's transfer hold it;
 * each part of the hub is handed the one interface it needs.
 */
export interface EventStore extends StoreLifecycle, EventLog, ListDeletion, EventImport, SettingsStore, SubscriptionStore, AccessStore, AuditStore, CatalogueStore, ConsoleSessionStore {}
