import type * as A from './api-types.js';
import { TransportError } from './errors.js';
import { type ConnectionOptions, type Query, type RequestOptions, Transport, errorOf } from './http.js';
import { parseNdjsonChunks } from './ndjson.js';
import { eventsPath, filterQuery } from './stream.js';
import type { EventFilters, EventPage, OutgoingEvent, ServedEvent } from './types.js';

/**
 * Every route of the hub's API that this client calls, by method name. A
 * test compares this table with the hub's /openapi.json both ways, so a route
 * the hub adds or drops fails the build until the client follows.
 */
export const ROUTES = {
  health: ['GET', '/healthz'],
  ready: ['GET', '/readyz'],
  metrics: ['GET', '/metrics'],
  listLists: ['GET', '/lists'],
  getList: ['GET', '/lists/{list}'],
  putList: ['PUT', '/lists/{list}'],
  deleteList: ['DELETE', '/lists/{list}'],
  publish: ['POST', '/lists/{list}/events'],
  publishBatch: ['POST', '/lists/{list}/events'],
  read: ['GET', '/lists/{list}/events'],
  exportEvents: ['GET', '/lists/{list}/events'],
  getEvent: ['GET', '/lists/{list}/events/{seq}'],
  activity: ['GET', '/lists/{list}/activity'],
  createSubscription: ['POST', '/lists/{list}/subscriptions'],
  listSubscriptions: ['GET', '/subscriptions'],
  getSubscription: ['GET', '/subscriptions/{id}'],
  updateSubscription: ['PUT', '/subscriptions/{id}'],
  deleteSubscription: ['DELETE', '/subscriptions/{id}'],
  enableSubscription: ['POST', '/subscriptions/{id}/enable'],
  disableSubscription: ['POST', '/subscriptions/{id}/disable'],
  rotateSecret: ['POST', '/subscriptions/{id}/secret/rotate'],
  attempts: ['GET', '/subscriptions/{id}/attempts'],
  deadLetters: ['GET', '/subscriptions/{id}/deadletters'],
  redeliver: ['POST', '/subscriptions/{id}/redeliver'],
  testSubscription: ['POST', '/subscriptions/{id}/test'],
  createApiKey: ['POST', '/api-keys'],
  listApiKeys: ['GET', '/api-keys'],
  revokeApiKey: ['DELETE', '/api-keys/{id}'],
  addPublisher: ['POST', '/lists/{list}/publishers'],
  listPublishers: ['GET', '/lists/{list}/publishers'],
  removePublisher: ['DELETE', '/lists/{list}/publishers/{principal}'],
  createGrant: ['POST', '/lists/{list}/grants'],
  grantsOfList: ['GET', '/lists/{list}/grants'],
  listGrants: ['GET', '/grants'],
  getGrant: ['GET', '/grants/{id}'],
  updateGrant: ['PATCH', '/grants/{id}'],
  revokeGrant: ['DELETE', '/grants/{id}'],
  requestAccess: ['POST', '/lists/{list}/access-requests'],
  listAccessRequests: ['GET', '/access-requests'],
  getAccessRequest: ['GET', '/access-requests/{id}'],
  approveAccessRequest: ['POST', '/access-requests/{id}/approve'],
  denyAccessRequest: ['POST', '/access-requests/{id}/deny'],
  audit: ['GET', '/audit'],
  auditSearches: ['GET', '/audit/searches'],
  usage: ['GET', '/usage'],
  listTypes: ['GET', '/lists/{list}/types'],
  getType: ['GET', '/lists/{list}/types/{type}'],
  putType: ['PUT', '/lists/{list}/types/{type}'],
  deleteType: ['DELETE', '/lists/{list}/types/{type}'],
  typeSchema: ['GET', '/lists/{list}/types/{type}/schema'],
  listAttributes: ['GET', '/lists/{list}/attributes'],
  getAttribute: ['GET', '/lists/{list}/attributes/{name}'],
  putAttribute: ['PUT', '/lists/{list}/attributes/{name}'],
  deleteAttribute: ['DELETE', '/lists/{list}/attributes/{name}'],
  registry: ['GET', '/registry'],
  asyncapi: ['GET', '/lists/{list}/asyncapi.json'],
} as const satisfies Record<string, readonly [string, string]>;

export type RouteName = keyof typeof ROUTES;

export interface ReadOptions extends EventFilters {
  after?: string;
  limit?: number;
  since?: string;
  until?: string;
  signal?: AbortSignal;
}

/** Typed methods for the hub's HTTP API (lists, events, subscriptions, access, audit). */
export class HeroldClient {
  readonly transport: Transport;

  constructor(options: ConnectionOptions) {
    this.transport = new Transport(options);
  }

  private call<T>(route: RouteName, params: Record<string, string | number> = {}, options: Omit<RequestOptions, 'raw'> = {}): Promise<T> {
    const [method, template] = ROUTES[route];
    const path = template.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(String(params[k])));
    return this.transport.json<T>(method, path, options);
  }

  // ---- operations ---------------------------------------------------------
  health(): Promise<{ status: string }> {
    return this.call('health');
  }
  ready(): Promise<{ status: string }> {
    return this.call('ready');
  }
  async metrics(): Promise<string> {
    const res = await this.transport.request('GET', ROUTES.metrics[1]);
    return res.text();
  }

  // ---- lists --------------------------------------------------------------
  async listLists(): Promise<A.ListView[]> {
    return (await this.call<{ lists: A.ListView[] }>('listLists')).lists;
  }
  getList(list: string): Promise<A.ListView> {
    return this.call('getList', { list });
  }
  putList(list: string, body: A.ListBody = {}): Promise<A.ListView> {
    return this.call('putList', { list }, { body });
  }
  /** Delete a list with its events, grants and catalogue (owner or admin); `force` deletes its subscriptions too. */
  async deleteList(list: string, options: { force?: boolean } = {}): Promise<void> {
    await this.call('deleteList', { list }, { query: options.force ? { force: 'true' } : {} });
  }

  // ---- events -------------------------------------------------------------
  /**
   * One event (structured mode), sent as given: a duplicate (same source, id
   * and content) answers with the original seq. `Publisher` batches and retries.
   */
  publish(list: string, event: Record<string, unknown>): Promise<{ seq: string; duplicate?: boolean }> {
    return this.call('publish', { list }, { body: event, contentType: 'application/cloudevents+json' });
  }
  /** Events stored all or none (batch mode), sent as given. */
  publishBatch(list: string, events: Record<string, unknown>[], options: { signal?: AbortSignal } = {}): Promise<{ results: { seq: string; duplicate: boolean }[] }> {
    return this.call('publishBatch', { list }, { body: events, contentType: 'application/cloudevents-batch+json', signal: options.signal });
  }
  /** One page after `after` (default 0). */
  read(list: string, options: ReadOptions = {}): Promise<EventPage> {
    const { after, limit, since, until, signal, ...filters } = options;
    return this.call('read', { list }, { query: { ...filterQuery(filters), after, limit, since, until }, signal });
  }
  /**
   * Every matching event after `after` up to the head at the time of the
   * request, streamed as NDJSON (bounded memory however long the list).
   */
  async exportEvents(list: string, options: Omit<ReadOptions, 'limit'> = {}): Promise<{ head: string; events: AsyncGenerator<ServedEvent> }> {
    const { after, since, until, signal, ...filters } = options;
    const res = await this.transport.request(ROUTES.exportEvents[0], eventsPath(list), {
      query: { ...filterQuery(filters), after, since, until } as Query,
      headers: { accept: 'application/x-ndjson' },
      signal,
      raw: true,
    });
    if (!res.ok) throw await errorOf(res);
    if (!res.body) throw new TransportError('the export answered without a body');
    return { head: res.headers.get('herold-head') ?? '0', events: ndjson(res.body as unknown as AsyncIterable<Uint8Array>) };
  }
  getEvent(list: string, seq: string): Promise<ServedEvent> {
    return this.call('getEvent', { list, seq });
  }
  /** Events per minute you may read over the last `minutes` (default 60), oldest first: counts only, not audited. */
  activity(list: string, minutes?: number): Promise<A.Activity> {
    return this.call('activity', { list }, { query: { minutes } });
  }

  // ---- subscriptions ------------------------------------------------------
  createSubscription(list: string, body: A.SubscriptionBody): Promise<A.SubscriptionView> {
    return this.call('createSubscription', { list }, { body });
  }
  async listSubscriptions(query: { list?: string } = {}): Promise<A.SubscriptionView[]> {
    return (await this.call<{ subscriptions: A.SubscriptionView[] }>('listSubscriptions', {}, { query })).subscriptions;
  }
  getSubscription(id: string): Promise<A.SubscriptionView> {
    return this.call('getSubscription', { id });
  }
  updateSubscription(id: string, body: A.SubscriptionBody): Promise<A.SubscriptionView> {
    return this.call('updateSubscription', { id }, { body });
  }
  async deleteSubscription(id: string): Promise<void> {
    await this.call('deleteSubscription', { id });
  }
  enableSubscription(id: string): Promise<A.SubscriptionView> {
    return this.call('enableSubscription', { id });
  }
  disableSubscription(id: string, reason?: string): Promise<A.SubscriptionView> {
    return this.call('disableSubscription', { id }, { body: reason === undefined ? {} : { reason } });
  }
  rotateSecret(id: string, graceSeconds?: number): Promise<A.SubscriptionView & { secret: string }> {
    return this.call('rotateSecret', { id }, { body: graceSeconds === undefined ? {} : { graceSeconds } });
  }
  attempts(id: string, query: { before?: string; limit?: number } = {}): Promise<{ attempts: A.Attempt[]; next?: string }> {
    return this.call('attempts', { id }, { query });
  }
  async deadLetters(id: string, query: { after?: string; limit?: number } = {}): Promise<A.DeadLetter[]> {
    return (await this.call<{ deadletters: A.DeadLetter[] }>('deadLetters', { id }, { query })).deadletters;
  }
  redeliver(id: string, body: A.RedeliverBody): Promise<{ redelivering: number }> {
    return this.call('redeliver', { id }, { body });
  }
  /** Send a `herold.test` event to the sink now; the answer is the attempt. */
  testSubscription(id: string): Promise<A.TestAttempt> {
    return this.call('testSubscription', { id });
  }

  // ---- access -------------------------------------------------------------
  createApiKey(body: { principal: string; admin?: boolean; expiresAt?: string }): Promise<A.NewApiKey> {
    return this.call('createApiKey', {}, { body });
  }
  async listApiKeys(): Promise<A.ApiKeyView[]> {
    return (await this.call<{ keys: A.ApiKeyView[] }>('listApiKeys')).keys;
  }
  async revokeApiKey(id: string): Promise<void> {
    await this.call('revokeApiKey', { id });
  }
  addPublisher(list: string, body: { principal: string; source?: string }): Promise<{ list: string; principal: string; source: string | null }> {
    return this.call('addPublisher', { list }, { body });
  }
  async listPublishers(list: string): Promise<A.Publisher[]> {
    return (await this.call<{ publishers: A.Publisher[] }>('listPublishers', { list })).publishers;
  }
  async removePublisher(list: string, principal: string): Promise<void> {
    await this.call('removePublisher', { list, principal });
  }
  createGrant(list: string, body: A.GrantBody): Promise<A.GrantView> {
    return this.call('createGrant', { list }, { body });
  }
  async grantsOfList(list: string): Promise<A.GrantView[]> {
    return (await this.call<{ grants: A.GrantView[] }>('grantsOfList', { list })).grants;
  }
  /** Your own grants (an admin: all). */
  async listGrants(): Promise<A.GrantView[]> {
    return (await this.call<{ grants: A.GrantView[] }>('listGrants')).grants;
  }
  getGrant(id: string): Promise<A.GrantView> {
    return this.call('getGrant', { id });
  }
  /** Change a grant's filter, fields or end (null clears one); the list owner or an admin. */
  updateGrant(id: string, body: { filter?: unknown; fields?: string[] | null; expiresAt?: string | null }): Promise<A.GrantView> {
    return this.call('updateGrant', { id }, { body });
  }
  async revokeGrant(id: string): Promise<void> {
    await this.call('revokeGrant', { id });
  }
  requestAccess(list: string, body: { purpose: string; legalBasis?: string; filter?: unknown; fields?: string[]; until?: string }): Promise<A.AccessRequestView> {
    return this.call('requestAccess', { list }, { body });
  }
  async listAccessRequests(query: { list?: string; status?: 'pending' | 'approved' | 'denied' } = {}): Promise<A.AccessRequestView[]> {
    return (await this.call<{ requests: A.AccessRequestView[] }>('listAccessRequests', {}, { query })).requests;
  }
  getAccessRequest(id: string): Promise<A.AccessRequestView> {
    return this.call('getAccessRequest', { id });
  }
  approveAccessRequest(id: string, body: { filter?: unknown; fields?: string[]; expiresAt?: string | null } = {}): Promise<A.AccessRequestView & { grant: A.GrantView }> {
    return this.call('approveAccessRequest', { id }, { body });
  }
  denyAccessRequest(id: string, reason: string): Promise<A.AccessRequestView> {
    return this.call('denyAccessRequest', { id }, { body: { reason } });
  }
  audit(query: A.AuditQuery = {}): Promise<A.AuditAnswer> {
    return this.call('audit', {}, { query: { ...query } });
  }
  /** Who searched the audit log for which subject, newest first (admin). */
  async auditSearches(query: { principal?: string; list?: string; since?: string; until?: string; limit?: number } = {}): Promise<A.AuditSearch[]> {
    return (await this.call<{ searches: A.AuditSearch[] }>('auditSearches', {}, { query: { ...query } })).searches;
  }
  /** Events delivered per UTC day, principal, list and channel (admin; owners for their lists). */
  async usage(query: { principal?: string; list?: string; since?: string; until?: string } = {}): Promise<A.UsageRow[]> {
    return (await this.call<{ usage: A.UsageRow[] }>('usage', {}, { query: { ...query } })).usage;
  }

  // ---- event type catalogue (docs/catalogue.md) ------------------------------
  /** Declared types (owners, publishers and admins also get the types seen, with counts). */
  listTypes(list: string): Promise<Record<string, unknown>> {
    return this.call('listTypes', { list });
  }
  getType(list: string, type: string): Promise<A.TypeDeclaration> {
    return this.call('getType', { list, type });
  }
  /** Declare or change a type (the list owner or an admin). */
  putType(list: string, type: string, body: A.TypeDeclaration): Promise<A.TypeDeclaration> {
    return this.call('putType', { list, type }, { body });
  }
  async deleteType(list: string, type: string): Promise<void> {
    await this.call('deleteType', { list, type });
  }
  /** The JSON Schema of a type's data. */
  typeSchema(list: string, type: string): Promise<Record<string, unknown>> {
    return this.call('typeSchema', { list, type });
  }
  listAttributes(list: string): Promise<{ attributes: A.AttributeDeclaration[] }> {
    return this.call('listAttributes', { list });
  }
  getAttribute(list: string, name: string): Promise<A.AttributeDeclaration> {
    return this.call('getAttribute', { list, name });
  }
  putAttribute(list: string, name: string, body: A.AttributeDeclaration): Promise<A.AttributeDeclaration> {
    return this.call('putAttribute', { list, name }, { body });
  }
  async deleteAttribute(list: string, name: string): Promise<void> {
    await this.call('deleteAttribute', { list, name });
  }
  /** xRegistry: the lists you may read or discover. */
  registry(): Promise<Record<string, unknown>> {
    return this.call('registry');
  }
  /** AsyncAPI 3.0 for a list, as your grant serves it. */
  asyncapi(list: string): Promise<Record<string, unknown>> {
    return this.call('asyncapi', { list });
  }
}

/** `specversion` 1.0 and a new UUID `id` unless given: a retried event keeps the id it was given the first time. */
export function withDefaults(event: OutgoingEvent): Record<string, unknown> {
  if (event.specversion !== undefined && event.id !== undefined) return event;
  return { specversion: '1.0', ...event, id: event.id ?? crypto.randomUUID() };
}

async function* ndjson(body: AsyncIterable<Uint8Array>): AsyncGenerator<ServedEvent> {
  for await (const events of parseNdjsonChunks(body)) yield* events;
}
