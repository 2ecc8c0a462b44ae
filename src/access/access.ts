import { EventEmitter } from 'node:events';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { EventPredicate } from '../hub/predicate.js';
import { isReservedListName, RESERVED_LIST_PREFIX, SYSTEM_LIST } from '../hub/system-events.js';
import type { AccessStore, ApiKeyRecord, EventLog, GrantRecord, PublisherRecord, SettingsStore } from '../store/types.js';
import { anyOf, compileStoredRowFilter } from './filters.js';
import { type JwtIssuer, JwtVerifier } from './jwt.js';
import { hashKey } from './keys.js';
import { HubError } from '../hub/errors.js';
import type { Credential, Principal, Scope, ScopeParts } from './scope.js';
import { GrantExpiry } from './grant-expiry.js';

export type { Credential, Principal, Scope } from './scope.js';

export type Action =
  | 'lists.list'
  | 'list.read'
  | 'list.put'
  | 'events.publish'
  | 'events.read'
  | 'subscriptions.create'
  | 'subscription.manage'
  | 'list.manage'
  | 'access.request'
  | 'audit.read'
  | 'admin'
  | 'docs.read';

/** A refusal's kind: no valid credentials, not allowed, or (for what the caller may not know of) absent. */
export type DenialKind = 'unauthorized' | 'forbidden' | 'not-found';

export type Decision = { allowed: true; scope: Scope } | { allowed: false; kind: DenialKind; detail: string };

const DENIAL_TITLES: Record<DenialKind, string> = { unauthorized: 'Unauthorized', forbidden: 'Forbidden', 'not-found': 'Not found' };

/** A refusal as the hub's error, for any door to render in its own shape. */
export function denialError(decision: { kind: DenialKind; detail: string }): HubError {
  return new HubError(decision.kind, decision.kind, DENIAL_TITLES[decision.kind], decision.detail);
}

/** A change that narrows someone's access: open streams and subscriptions must follow at once. */
export interface AccessChange {
  principal?: string;
  list?: string;
  keyId?: string;
}

const ADMIN_KEY_SETTING = 'admin_key_sha256';

/** What nobody may do to a list whose name is reserved for the hub. */
const WRITES = new Set<Action>(['list.put', 'events.publish']);

const DENY_AUTH: Decision = { allowed: false, kind: 'unauthorized', detail: 'This needs credentials: send Authorization: Bearer <API key or token>.' };

interface CompiledGrant {
  record: GrantRecord;
  predicate: EventPredicate | undefined;
}

/**
 * The one access decision point. Every door authenticates the caller here and
 * asks `decide` before it reads or writes; none may bypass it. Roles and
 * grants are held in memory (loaded at start, updated in the same call that
 * changes the store), so a decision costs no query and a revocation is in
 * force for the very next event.
 */
/** A console session's reference to its credential (stored as JSON; no secret in it). */
export type SessionBinding =
  | { kind: 'admin-key'; fingerprint: string }
  | { kind: 'api-key'; id: string }
  | { kind: 'jwt'; issuer: string; expiresAt: number }
  | { kind: 'insecure' };

/** Tells whether the admin key changed, without storing anything that verifies a guess of it. */
const fingerprint = (adminKeyHash: Buffer) => createHash('sha256').update('herold console session\0').update(adminKeyHash).digest('hex').slice(0, 16);

export class Access extends EventEmitter<{ change: [AccessChange] }> {
  private adminKeyHash: Buffer | null = null;
  private keysByHash = new Map<string, ApiKeyRecord>();
  private owners = new Map<string, string>();
  private publishers = new Map<string, Map<string, string[]>>();
  private grants = new Map<string, Map<string, CompiledGrant[]>>();
  /** Lists every principal may find (the catalogue's `discoverable`). */
  private discoverable: (list: string) => boolean = () => false;
  private readonly jwt: JwtVerifier;
  /** Wakes when the next grant ends by itself (grant-expiry.ts). */
  private readonly grantExpiry = new GrantExpiry(() => this.grantsOf({}), (g) => this.emit('change', { principal: g.principal, list: g.list }));

  constructor(
    private readonly store: AccessStore & SettingsStore & Pick<EventLog, 'listLists'>,
    private readonly options: { insecure?: boolean; jwtIssuers?: JwtIssuer[]; jwtMaxLifetimeSeconds?: number; log?: { warn(obj: object, msg: string): void } } = {},
  ) {
    super();
    this.jwt = new JwtVerifier(options.jwtIssuers ?? [], { maxLifetimeSeconds: options.jwtMaxLifetimeSeconds });
  }

  get insecure(): boolean {
    return this.options.insecure === true;
  }

  /**
   * Establish the admin key (configured, stored from an earlier start, or new)
   * and load roles and grants. Returns the key only when newly generated, so
   * that it can be printed exactly once.
   */
  async bootstrap(configuredKey: string | undefined): Promise<{ generatedKey?: string }> {
    let generatedKey: string | undefined;
    if (configuredKey !== undefined) {
      if (configuredKey.length < 32) {
        throw new Error('HEROLD_ADMIN_KEY must be at least 32 characters. Generate one with: openssl rand -hex 24');
      }
      this.adminKeyHash = Buffer.from(hashKey(configuredKey), 'hex');
      await this.store.setSetting(ADMIN_KEY_SETTING, this.adminKeyHash.toString('hex'));
    } else {
      const stored = await this.store.getSetting(ADMIN_KEY_SETTING);
      if (stored) this.adminKeyHash = Buffer.from(stored, 'hex');
      else {
        generatedKey = `hk_admin_${randomBytes(24).toString('base64url')}`;
        this.adminKeyHash = Buffer.from(hashKey(generatedKey), 'hex');
        await this.store.setSetting(ADMIN_KEY_SETTING, this.adminKeyHash.toString('hex'));
      }
    }
    await this.reload();
    return { generatedKey };
  }

  /** Read every key, owner, publisher and grant from the store. */
  async reload(): Promise<void> {
    this.keysByHash = new Map((await this.store.listApiKeys()).map((k) => [k.hash, k]));
    this.owners = new Map();
    for (const l of await this.store.listLists()) if (l.owner) this.owners.set(l.name, l.owner);
    this.publishers = new Map();
    for (const p of await this.store.listPublishers()) this.addPublisherInMemory(p);
    this.grants = new Map();
    for (const g of await this.store.listGrants()) this.addGrantInMemory(g);
    this.grantExpiry.schedule();
  }

  /** Stop the grant expiry timer (the hub is closing). */
  stop(): void {
    this.grantExpiry.stop();
  }

  // ---- authentication ------------------------------------------------------

  /** Resolve an Authorization header to a principal; null when absent, an error text when not valid. */
  async authenticate(authorization: string | undefined): Promise<Principal | null | { error: string }> {
    if (!authorization) return this.insecure ? { id: 'anonymous', admin: true, credential: { kind: 'insecure' } } : null;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) return { error: 'Authorization must be "Bearer <key or token>".' };
    const token = match[1];
    const hash = hashKey(token);
    if (this.adminKeyHash && timingSafeEqual(Buffer.from(hash, 'hex'), this.adminKeyHash)) return { id: 'admin', admin: true, credential: { kind: 'admin-key' } };
    const key = this.keysByHash.get(hash);
    if (key) {
      if (key.revokedAt !== null) return { error: 'This API key has been revoked.' };
      if (key.expiresAt !== null && key.expiresAt <= Date.now()) return { error: 'This API key has expired; ask an admin for a new one.' };
      return { id: key.principal, admin: key.admin, keyId: key.id, expiresAt: key.expiresAt ?? undefined, credential: { kind: 'api-key', id: key.id } };
    }
    if (token.split('.').length === 3 && this.jwt.enabled) {
      const result = await this.jwt.verify(token);
      if ('error' in result) return { error: `The bearer token is not accepted: ${result.error}.` };
      return { id: result.principal, admin: false, expiresAt: result.expiresAt, credential: { kind: 'jwt', issuer: result.issuer } };
    }
    return { error: 'The credentials in Authorization are not valid. Check the key, or ask an admin for a new one.' };
  }

  // ---- decisions -----------------------------------------------------------

  owner(list: string): string | undefined {
    return this.owners.get(list);
  }

  /** The lists this principal owns. */
  ownedBy(principal: string): string[] {
    return [...this.owners].filter(([, owner]) => owner === principal).map(([list]) => list);
  }

  /**
   * Where the hub reads which lists are discoverable: their description (never
   * their events, head or grants) is for every authenticated principal, who may
   * then ask for access.
   */
  discoverWith(discoverable: (list: string) => boolean): void {
    this.discoverable = discoverable;
  }

  /** Whether the principal may find the list without seeing it (list.read answers, with access "none"). */
  discovers(principal: Principal, list: string): boolean {
    return list !== SYSTEM_LIST && !this.canSee(principal, list) && this.discoverable(list);
  }

  /** Whether the principal may know that the list exists. */
  canSee(principal: Principal, list: string): boolean {
    if (principal.admin) return true;
    if (list === SYSTEM_LIST) return false;
    return this.owners.get(list) === principal.id || this.publishers.get(list)?.has(principal.id) === true || this.activeGrants(list, principal.id).length > 0;
  }

  /**
   * The one decision: may this principal do `action` (on `list`), and within
   * what scope. Something the principal may not see answers exactly like
   * something that does not exist: the answer depends only on what the
   * principal may know, never on whether a hidden list exists.
   */
  decide(principal: Principal | null, action: Action, list?: string, resourceOwner?: string): Decision {
    if (!principal) return DENY_AUTH;
    if (list !== undefined && isReservedListName(list) && WRITES.has(action)) {
      return { allowed: false, kind: 'forbidden', detail: `List names beginning with '${RESERVED_LIST_PREFIX}' are reserved for the hub: nobody creates, changes or publishes into '${list}'.` };
    }
    const allow = (parts: ScopeParts = {}): Decision => ({ allowed: true, scope: brandScope(principal, list, parts) });
    if (action === 'access.request' || action === 'docs.read' || action === 'lists.list') return allow();
    if (principal.admin) return allow();
    if (action === 'subscription.manage') {
      // Another principal's subscription does not exist for the caller (the caller names it in the 404).
      return resourceOwner === principal.id ? allow() : { allowed: false, kind: 'not-found', detail: 'does not exist or is not visible to you' };
    }
    const hidden: Decision = { allowed: false, kind: 'not-found', detail: `List '${list}' does not exist or is not visible to you.` };
    const forbidden = (what: string): Decision => ({ allowed: false, kind: 'forbidden', detail: `You may not ${what}.` });
    switch (action) {
      case 'admin':
        return forbidden('do this; it needs an admin key');
      case 'audit.read':
        return [...this.owners.values()].includes(principal.id) ? allow() : forbidden('read the audit log; it needs an admin or a list owner');
      case 'list.put':
        // The same answer for a list that is hidden from the caller and one that does not exist.
        return list !== undefined && this.owners.get(list) === principal.id && this.canSee(principal, list)
          ? allow({ fingerprint: 'owner' })
          : forbidden(`create or change list '${list}'; only an admin, or the list's owner, may`);
    }
    if (list === undefined) return hidden;
    if (!this.canSee(principal, list)) return action === 'list.read' && this.discovers(principal, list) ? allow({ fingerprint: 'discovers' }) : hidden;
    const isOwner = this.owners.get(list) === principal.id;
    switch (action) {
      case 'list.read':
        return allow({ fingerprint: isOwner ? 'owner' : 'member' });
      case 'list.manage':
        return isOwner ? allow({ fingerprint: 'owner' }) : forbidden(`manage list '${list}'; only its owner or an admin may`);
      case 'events.publish': {
        const sources = this.publishers.get(list)?.get(principal.id);
        if (!sources) return forbidden(`publish to list '${list}'; you are not one of its publishers`);
        return allow({ sources: sources.includes('') ? undefined : sources, fingerprint: 'publisher' });
      }
      case 'events.read':
      case 'subscriptions.create': {
        if (isOwner) return allow({ fingerprint: 'owner' });
        const grants = this.activeGrants(list, principal.id);
        if (grants.length === 0) return forbidden(`read list '${list}'; ask its owner for access (POST /lists/${list}/access-requests)`);
        return allow(scopeOf(grants));
      }
    }
    return forbidden('do this');
  }

  // ---- subscriptions (SubscriptionAccess) ------------------------------------

  mayManage(caller: Principal, record: { owner: string; list: string }): boolean {
    return this.decide(caller, 'subscription.manage', record.list, record.owner).allowed;
  }

  /**
   * Whether the caller may know that a grant or an access request exists: an
   * admin, the owner of its list, or the principal it is for. To anyone else
   * it answers exactly like one that does not exist.
   */
  mayKnow(caller: Principal, record: { list: string; principal: string }): boolean {
    return caller.admin || record.principal === caller.id || (this.owners.get(record.list) === caller.id && this.canSee(caller, record.list));
  }

  /** The scope a subscription's deliveries run under, or why it may not deliver now. */
  deliveryScope(record: { owner: string; list: string; runAs: unknown }): Scope | { paused: string } {
    const principal = this.subscriptionPrincipal(record.owner, record.runAs);
    if ('paused' in principal) return principal;
    const decision = this.decide(principal, 'events.read', record.list);
    if (!decision.allowed) return { paused: `The owner '${record.owner}' may no longer read list '${record.list}'.` };
    return decision.scope;
  }

  /**
   * The credential a new subscription of this principal delivers under:
   * stored with it, so that admin stays a property of the credential.
   */
  runAsOf(principal: Principal): RunAs {
    // A token's `exp` bounds what it made; an API key's rights are looked up at each start.
    const expiresAt = principal.credential.kind === 'jwt' ? principal.expiresAt : undefined;
    return { credential: principal.credential, ...(expiresAt !== undefined && { expiresAt }) };
  }

  /**
   * The principal a stored subscription delivers as, or why it may not
   * deliver now (credential revoked or expired). An admin API key keeps admin
   * rights only while it works; a JWT's rights end at its expiry.
   */
  subscriptionPrincipal(owner: string, runAs: unknown, now = Date.now()): Principal | { paused: string } {
    const r = (runAs ?? null) as RunAs | null;
    const credential = r?.credential;
    switch (credential?.kind) {
      case 'admin-key':
        return { id: owner, admin: true, credential };
      case 'insecure':
        if (this.insecure) return { id: owner, admin: true, credential };
        return { paused: 'It was made on a hub running without credentials (--insecure); enable it again with a credential.' };
      case 'jwt':
        if (r!.expiresAt !== undefined && r!.expiresAt <= now) {
          return { paused: `The token it was made with expired at ${new Date(r!.expiresAt).toISOString()}; enable it again with a valid token to resume.` };
        }
        return { id: owner, admin: false, credential, ...(r!.expiresAt !== undefined && { expiresAt: r!.expiresAt }) };
    }
    // API keys (and subscriptions stored before credentials were recorded): the
    // owner's keys. Admin only through the very key it was made with, while it works.
    const active = this.activeKeys(owner, now);
    if (active.length === 0) return { paused: `The owner '${owner}' has no API key that works any more (revoked or expired).` };
    const made = credential?.kind === 'api-key' ? active.find((k) => k.id === credential.id) : undefined;
    // Admin rights end when the admin key expires, even if the owner has keys that live longer:
    // the subscription is restarted then (dispatcher) and delivers as the owner's grants allow.
    const admin = made?.admin === true;
    const expires = admin ? (made.expiresAt ?? undefined) : active.some((k) => k.expiresAt === null) ? undefined : Math.max(...active.map((k) => k.expiresAt!));
    return { id: owner, admin, credential: credential ?? { kind: 'api-key', id: active[0].id }, ...(expires !== undefined && { expiresAt: expires }) };
  }

  /**
   * What a console session stores to stand for the credential it was made
   * with: a reference, never the key or token (see console-sessions.ts).
   * Undefined for credentials a session cannot be made with.
   */
  sessionBinding(principal: Principal): SessionBinding | undefined {
    const c = principal.credential;
    switch (c.kind) {
      case 'admin-key':
        return this.adminKeyHash ? { kind: 'admin-key', fingerprint: fingerprint(this.adminKeyHash) } : undefined;
      case 'api-key':
        return { kind: 'api-key', id: c.id };
      case 'jwt':
        return principal.expiresAt === undefined ? undefined : { kind: 'jwt', issuer: c.issuer, expiresAt: principal.expiresAt };
      case 'insecure':
        return { kind: 'insecure' };
      default:
        return undefined;
    }
  }

  /**
   * The principal a console session stands for now, decided again on every
   * request, on whichever node it arrives: the very API key it was made with
   * must still work (not revoked, not expired), a token's session ends at the
   * token's expiry, and an admin-key session ends when the admin key changes.
   */
  sessionPrincipal(principal: string, binding: unknown, now = Date.now()): Principal | { ended: string } {
    const b = (binding ?? {}) as Partial<SessionBinding> & Record<string, unknown>;
    switch (b.kind) {
      case 'admin-key':
        if (this.adminKeyHash && b.fingerprint === fingerprint(this.adminKeyHash)) return { id: 'admin', admin: true, credential: { kind: 'admin-key' } };
        return { ended: 'The admin key this session was made with has changed.' };
      case 'api-key': {
        const key = [...this.keysByHash.values()].find((k) => k.id === b.id);
        if (!key || key.principal !== principal) return { ended: 'The API key this session was made with no longer exists.' };
        if (key.revokedAt !== null) return { ended: 'This API key has been revoked.' };
        if (key.expiresAt !== null && key.expiresAt <= now) return { ended: 'This API key has expired; ask an admin for a new one.' };
        return { id: key.principal, admin: key.admin, keyId: key.id, expiresAt: key.expiresAt ?? undefined, credential: { kind: 'api-key', id: key.id } };
      }
      case 'jwt':
        if (typeof b.expiresAt !== 'number' || b.expiresAt <= now) return { ended: 'The token this session was made with has expired.' };
        if (typeof b.issuer !== 'string' || !this.jwt.trusts(b.issuer)) return { ended: 'The issuer of the token this session was made with is no longer trusted.' };
        return { id: principal, admin: false, expiresAt: b.expiresAt, credential: { kind: 'jwt', issuer: b.issuer } };
      case 'insecure':
        if (this.insecure) return { id: 'anonymous', admin: true, credential: { kind: 'insecure' } };
        return { ended: 'The hub no longer runs without credentials.' };
      default:
        return { ended: 'The session does not name a credential.' };
    }
  }

  /** The principal the operator named in the config file (AMQP ingest): 'admin' there is the operator's own. */
  configuredPrincipal(id: string): Principal {
    return { id, admin: id === 'admin', credential: { kind: 'config' } };
  }

  private activeKeys(principal: string, now: number): ApiKeyRecord[] {
    return [...this.keysByHash.values()].filter((k) => k.principal === principal && k.revokedAt === null && (k.expiresAt === null || k.expiresAt > now));
  }

  // ---- changes (persisted, then in force at once) --------------------------

  async createApiKey(key: ApiKeyRecord): Promise<void> {
    await this.store.createApiKey(key);
    this.keysByHash.set(key.hash, key);
  }

  async revokeApiKey(id: string): Promise<boolean> {
    const now = Date.now();
    if (!(await this.store.revokeApiKey(id, now))) return false;
    for (const k of this.keysByHash.values()) {
      if (k.id === id) {
        k.revokedAt = now;
        this.emit('change', { keyId: id, principal: k.principal });
      }
    }
    return true;
  }

  listApiKeys(): ApiKeyRecord[] {
    return [...this.keysByHash.values()];
  }

  async setOwner(list: string, owner: string | null): Promise<void> {
    const previous = this.owners.get(list);
    await this.store.setListOwner(list, owner);
    if (owner) this.owners.set(list, owner);
    else this.owners.delete(list);
    if (previous && previous !== owner) this.emit('change', { principal: previous, list });
  }

  /**
   * The list was deleted (the store removed its owner, publishers and grants
   * with it): nobody holds a role on it any more, and whatever reads it closes.
   */
  forgetList(list: string): void {
    this.owners.delete(list);
    this.publishers.delete(list);
    this.grants.delete(list);
    this.grantExpiry.schedule();
    this.emit('change', { list });
  }

  async addPublisher(p: PublisherRecord): Promise<void> {
    await this.store.addPublisher(p);
    this.addPublisherInMemory(p);
  }

  async removePublisher(list: string, principal: string): Promise<boolean> {
    const removed = await this.store.removePublisher(list, principal);
    this.publishers.get(list)?.delete(principal);
    if (removed) this.emit('change', { principal, list });
    return removed;
  }

  publishersOf(list: string): { principal: string; source: string }[] {
    return [...(this.publishers.get(list) ?? new Map<string, string[]>())].flatMap(([principal, sources]) => sources.map((source) => ({ principal, source })));
  }

  async createGrant(g: GrantRecord): Promise<void> {
    await this.store.createGrant(g);
    this.addGrantInMemory(g);
    if (g.expiresAt !== null) this.grantExpiry.schedule();
    // A wider scope: streams reconnect to pick it up.
    this.emit('change', { principal: g.principal, list: g.list });
  }

  /** Change a grant's filter, fields or expiry: in force at once, like a new grant. */
  async updateGrant(g: GrantRecord): Promise<boolean> {
    if (!(await this.store.updateGrant(g))) return false;
    this.removeGrantInMemory(g);
    this.addGrantInMemory(g);
    this.grantExpiry.schedule();
    this.emit('change', { principal: g.principal, list: g.list });
    return true;
  }

  async deleteGrant(id: string): Promise<GrantRecord | undefined> {
    const grant = this.findGrant(id);
    if (!grant || !(await this.store.deleteGrant(id))) return undefined;
    this.removeGrantInMemory(grant);
    this.emit('change', { principal: grant.principal, list: grant.list });
    return grant;
  }

  findGrant(id: string): GrantRecord | undefined {
    for (const byPrincipal of this.grants.values()) {
      for (const gs of byPrincipal.values()) for (const g of gs) if (g.record.id === id) return g.record;
    }
    return undefined;
  }

  grantsOf(filter: { list?: string; principal?: string }): GrantRecord[] {
    const out: GrantRecord[] = [];
    for (const [list, byPrincipal] of this.grants) {
      if (filter.list !== undefined && list !== filter.list) continue;
      for (const [principal, gs] of byPrincipal) {
        if (filter.principal !== undefined && principal !== filter.principal) continue;
        out.push(...gs.map((g) => g.record));
      }
    }
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }

  /** The grants of a principal on a list in force now: one past its `expiresAt` no longer applies. */
  private activeGrants(list: string, principal: string, now = Date.now()): CompiledGrant[] {
    return (this.grants.get(list)?.get(principal) ?? []).filter((g) => g.record.expiresAt === null || g.record.expiresAt > now);
  }

  private removeGrantInMemory(grant: GrantRecord): void {
    const forPrincipal = this.grants.get(grant.list)?.get(grant.principal);
    if (!forPrincipal) return;
    const left = forPrincipal.filter((g) => g.record.id !== grant.id);
    if (left.length > 0) this.grants.get(grant.list)!.set(grant.principal, left);
    else this.grants.get(grant.list)!.delete(grant.principal);
  }

  private addPublisherInMemory(p: PublisherRecord): void {
    let byPrincipal = this.publishers.get(p.list);
    if (!byPrincipal) this.publishers.set(p.list, (byPrincipal = new Map()));
    const sources = byPrincipal.get(p.principal) ?? [];
    if (!sources.includes(p.source)) sources.push(p.source);
    byPrincipal.set(p.principal, sources);
  }

  private addGrantInMemory(g: GrantRecord): void {
    let byPrincipal = this.grants.get(g.list);
    if (!byPrincipal) this.grants.set(g.list, (byPrincipal = new Map()));
    const predicate = compileStoredRowFilter(g.filter, (err) => this.options.log?.warn({ grant: g.id, list: g.list, principal: g.principal, err }, 'grant filter no longer compiles: the grant lets no event through'));
    byPrincipal.set(g.principal, [...(byPrincipal.get(g.principal) ?? []), { record: g, predicate }]);
  }
}

/** A subscription's stored credential (SubscriptionRecord.runAs). */
export interface RunAs {
  credential: Credential;
  expiresAt?: number;
}

/** Scopes are made here and nowhere else: the brand is asserted only in this module. */
function brandScope(principal: Principal, list: string | undefined, parts: ScopeParts): Scope {
  return { ...parts, principal, list, expiresAt: principal.expiresAt, fingerprint: parts.fingerprint ?? (principal.admin ? 'admin' : 'all') } as unknown as Scope;
}

/** Several grants on one list: any of their filters, and the union of their fields. */
function scopeOf(grants: CompiledGrant[]): ScopeParts {
  const predicate = anyOf(grants.map((g) => g.predicate));
  const fields = grants.some((g) => g.record.fields === null) ? undefined : [...new Set(grants.flatMap((g) => g.record.fields ?? []))];
  const filters = grants.map((g) => g.record.filter ?? null);
  // Which grants, in force now: a changed grant changes every ETag it served.
  const fingerprint = 'grants:' + grants.map((g) => g.record.id).sort().join(',');
  return { predicate, fields, filters: filters.every((f) => f === null) ? undefined : filters, fingerprint };
}
