/** A problem+json answer from the hub (RFC 9457). */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  errors?: { pointer: string; message: string }[];
  /** DELETE /lists/{list} answering 409: how many subscriptions the list has. */
  subscriptions?: number;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
  }
  get status(): number {
    return this.problem.status;
  }
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Called when the hub answers 401: the session has ended (signed out, key expired or revoked). */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/**
 * The public HTTP API, with the session cookie as credentials. The browser
 * adds `Origin` to every write, which the hub requires for cookie writes.
 */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const problem = (json as Problem | undefined) ?? { status: res.status };
    if (res.status === 401 && !path.startsWith('/console/session')) for (const l of unauthorizedListeners) l();
    throw new ApiError({ ...problem, status: res.status });
  }
  return json as T;
}

export const get = <T>(path: string) => api<T>('GET', path);

/** Build a path with a query string, leaving out empty values. */
export function withQuery(path: string, query: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export const enc = encodeURIComponent;

// ---- shapes the screens read -------------------------------------------------

export interface Me {
  principal: string;
  admin: boolean;
  via: 'key' | 'oidc' | 'header';
  endsAt: string | null;
}

export interface EventList {
  name: string;
  title: string | null;
  description: string | null;
  head: string;
  owner: string | null;
  retentionDays?: number | null;
  /** `none`: a discoverable list this principal may only find and ask for access to (no head, owner or events). */
  access?: string;
  /** Declared event types (every list view carries them). */
  types?: string[];
  discoverable?: boolean;
}

/** A served CloudEvent: the attributes the caller's grant serves, plus the hub's. */
export interface CloudEvent {
  id?: string;
  source?: string;
  type?: string;
  subject?: string;
  time?: string;
  data?: unknown;
  heroldseq: string;
  heroldprevseq?: string;
  heroldtime: string;
  [attribute: string]: unknown;
}

export interface EventPage {
  events: CloudEvent[];
  next: string;
  head: string;
}

export interface Grant {
  id: string;
  list: string;
  principal: string;
  filter: unknown;
  fields: string[] | null;
  createdBy: string;
  createdAt: string;
  expiresAt?: string | null;
}

export interface AccessRequest {
  id: string;
  list: string;
  principal: string;
  purpose: string;
  legalBasis?: string | null;
  filter: unknown;
  fields?: string[] | null;
  until?: string | null;
  status: 'pending' | 'approved' | 'denied';
  decidedBy: string | null;
  reason: string | null;
  grantId: string | null;
  createdAt: string;
  decidedAt: string | null;
}

export interface Subscription {
  id: string;
  list: string;
  owner: string;
  sink: string;
  protocol: string;
  status: 'active' | 'disabled';
  disabledReason?: string;
  position: string;
  lag: string;
  secret?: string;
  types?: string[];
  filters?: unknown[];
}

/** A delivered event's id, type and subject as the subscription's owner is served them; null when no longer served. */
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

export interface ApiKey {
  id: string;
  principal: string;
  admin: boolean;
  prefix: string;
  expiresAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

/** One recorded audit search (GET /audit/searches, admins). */
export interface AuditSearch {
  at: string;
  principal: string;
  list: string;
  subject: string;
  since: string | null;
  until: string | null;
  results: number;
}

export interface Delivery {
  principal: string;
  channel: string;
  at: string;
  seq: string;
  type: string;
}
