/** The shapes the hub's admin routes answer with (see the hub's /openapi.json). */

export interface ListView {
  name: string;
  title: string | null;
  description: string | null;
  retentionDays: number | null;
  head: string;
  owner: string | null;
  createdAt: string;
  updatedAt: string;
  [more: string]: unknown;
}
export interface ListBody {
  title?: string | null;
  description?: string | null;
  retentionDays?: number | null;
  /** Admins only. */
  owner?: string | null;
  /** Check published events against the declared types: off (default), warn or enforce. */
  validate?: 'off' | 'warn' | 'enforce';
  /** Let every authenticated principal find the list and ask for access. */
  discoverable?: boolean;
  [more: string]: unknown;
}

export interface SubscriptionBody {
  sink: string;
  protocol?: 'HTTP' | 'AMQP';
  types?: string[];
  source?: string;
  filters?: Record<string, unknown>[];
  protocolsettings?: Record<string, unknown>;
  config?: {
    start?: 'head' | string;
    ordering?: 'none' | 'subject';
    mode?: 'structured' | 'binary';
    retry?: number[];
    timeout?: number;
    concurrency?: number;
    [more: string]: unknown;
  };
  [more: string]: unknown;
}
export interface SubscriptionView {
  id: string;
  list: string;
  owner: string;
  sink: string;
  protocol: string;
  status: 'active' | 'disabled';
  disabledReason?: string;
  position: string;
  lag: string;
  /** Only when created or rotated. */
  secret?: string;
  [more: string]: unknown;
}
/** A delivered event's id, type and subject as the subscription's owner is served them (null: no longer readable). */
export type EventNames = { id?: string; type?: string; subject?: string } | null;
export interface Attempt {
  id: string;
  seq: string;
  webhookId: string;
  at: string;
  outcome: string;
  status: number | null;
  latencyMs: number;
  response: string | null;
  error: string | null;
  /** Webhook: the request headers sent (authorization redacted); AMQP: exchange and routing-key. */
  requestHeaders: Record<string, string> | null;
  event: EventNames;
}
export interface DeadLetter {
  seq: string;
  event: EventNames;
  reason: string;
  failures: number;
  lastStatus: number | null;
  lastResponse: string | null;
  at: string;
}
export type RedeliverBody = { seqs: string[] } | { from: string; to?: string } | { since?: string; until?: string } | { deadletters: true };
/** How a test event went (POST /subscriptions/{id}/test). */
export interface TestAttempt {
  id: string;
  outcome: string;
  status: number | null;
  latencyMs: number;
  response: string | null;
  error: string | null;
  requestHeaders: Record<string, string> | null;
}
/** GET /lists/{list}/activity. */
export interface Activity {
  /** Start of the first minute (RFC 3339). */
  since: string;
  perMinute: number[];
  /** True when the window held more events than the hub counts (10,000). */
  partial: boolean;
}

export interface UsageRow {
  day: string;
  principal: string;
  list: string;
  channel: string;
  events: number;
}

export interface ApiKeyView {
  id: string;
  principal: string;
  admin: boolean;
  prefix: string;
  expiresAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}
export interface NewApiKey {
  id: string;
  /** Shown once. */
  key: string;
  prefix: string;
  principal: string;
  admin: boolean;
  expiresAt: string | null;
}
export interface Publisher {
  principal: string;
  source: string | null;
}
export interface GrantView {
  id: string;
  list: string;
  principal: string;
  filter: unknown;
  fields: string[] | null;
  createdBy: string;
  createdAt: string;
  expiresAt?: string | null;
  active?: boolean;
  [more: string]: unknown;
}
export interface GrantBody {
  principal: string;
  /** CESQL (string) or Subscriptions API filter dialects (array). */
  filter?: unknown;
  fields?: string[];
  /** RFC 3339: the grant ends by itself then. */
  expiresAt?: string | null;
  [more: string]: unknown;
}
export interface AccessRequestView {
  id: string;
  list: string;
  principal: string;
  purpose: string;
  filter: unknown;
  status: 'pending' | 'approved' | 'denied';
  decidedBy: string | null;
  reason: string | null;
  grantId: string | null;
  createdAt: string;
  decidedAt: string | null;
  [more: string]: unknown;
}
export interface AuditRecord {
  principal: string;
  list: string;
  channel: string;
  firstSeq: string;
  lastSeq: string;
  count: number;
  at: string;
}
export interface AuditDelivery {
  principal: string;
  channel: string;
  at: string;
  seq: string;
  type: string;
}
export interface AuditQuery {
  list?: string;
  subject?: string;
  principal?: string;
  since?: string;
  until?: string;
  limit?: number;
}
/** One recorded "who received events about X" search (GET /audit/searches). */
export interface AuditSearch {
  at: string;
  principal: string;
  list: string;
  subject: string;
  since: string | null;
  until: string | null;
  results: number;
}
export type AuditAnswer = { records: AuditRecord[] } | { subject: string; list: string; deliveries: AuditDelivery[] };

/** Text in one language, or per language. */
export type Texts = string | { nb?: string; nn?: string; en?: string };
export interface TypeDeclaration {
  title?: Texts;
  description?: Texts;
  /** JSON Schema 2020-12 for `data`. */
  schema?: Record<string, unknown>;
  examples?: Record<string, unknown>[];
  deprecated?: { since: string; replacement?: string };
  [more: string]: unknown;
}
export interface AttributeDeclaration {
  type?: 'String' | 'Integer' | 'Boolean' | 'Timestamp' | 'URI';
  description?: Texts;
  personalData?: 'none' | 'identifier' | 'special';
  legalBasis?: string;
  [more: string]: unknown;
}
