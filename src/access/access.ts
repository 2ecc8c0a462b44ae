import { EventEmitter } from 'node:events';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { EventPredicate } from '../hub/hub.js';
import type { ApiKeyRecord, EventStore, GrantRecord, PublisherRecord } from '../store/types.js';
import { anyOf, compileStoredRowFilter } from './filters.js';
import { JwtVerifier } from './jwt.js';
import { hashKey } from './keys.js';

/** Who is calling. */
export interface Principal {
  id: string;
  admin: boolean;
  /** The API key used, when it was one (revoking it ends this principal's streams). */
  keyId?: string;
}

export type Action =
  | 'lists.list'
  | 'list.read'
  | 'list.create'
  | 'list.update'
  | 'events.publish'
  | 'events.read'
  | 'subscriptions.create'
  | 'list.manage'
  | 'access.request'
  | 'audit.read'
  | 'admin'
  | 'docs.read';

/** What a principal may see of a list: every door applies it the same way. */
export interface Scope {
  /** Row filter composed into every read. */
  predicate?: EventPredicate;
  /** Attributes the principal may see; undefined means all. */
  fields?: string[];
  /** The grants' filters, for the audit record (JSON-able). */
  filters?: unknown[];
  /** Required source prefixes for a publisher; undefined means any source. */
  sources?: string[];
}

export type Decision = { allowed: true; scope: Scope } | { allowed: false; status: 401 | 403 | 404; detail: string };

/** A change that narrows someone's access: open streams and subscriptions must follow at once. */
export interface AccessChange {
  principal?: string;
  list?: string;
  keyId?: string;
}

const ADMIN_KEY_SETTING = 'admin_key_sha256';
export const SYSTEM_LIST_NAME = 'herold.system';

const DENY_AUTH: Decision = { allowed: false, status: 401, detail: 'This needs credentials: send Authorization: Bearer <API key or token>.' };

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
export class Access extends EventEmitter<{ change: [AccessChange] }> {
  private adminKeyHash: Buffer | null = null;
  private keysByHash = new Map<string, ApiKeyRecord>();
  private owners = new Map<string, string>();
  private publishers = new Map<string, Map<string, string[]>>();
  private grants = new Map<string, Map<string, CompiledGrant[]>>();
  private readonly jwt: JwtVerifier;

  constructor(
    private readonly store: EventStore,
    private readonly options: { insecure?: boolean; jwtIssuers?: ConstructorParameters<typeof JwtVerifier>[0]; log?: { warn(obj: object, msg: string): void } } = {},
  ) {
    super();
    this.jwt = new JwtVerifier(options.jwtIssuers ?? []);
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
  }

  // ---- authentication ------------------------------------------------------

  /** Resolve an Authorization header to a principal; null when absent, an error text when not valid. */
  async authenticate(authorization: string | undefined): Promise<Principal | null | { error: string }> {
    if (!authorization) return this.insecure ? { id: 'anonymous', admin: true } : null;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) return { error: 'Authorization must be "Bearer <key or token>".' };
    const token = match[1];
    const hash = hashKey(token);
    if (this.adminKeyHash && timingSafeEqual(Buffer.from(hash, 'hex'), this.adminKeyHash)) return { id: 'admin', admin: true };
    const key = this.keysByHash.get(hash);
    if (key) {
      if (key.revokedAt !== null) return { error: 'This API key has been revoked.' };
      if (key.expiresAt !== null && key.expiresAt <= Date.now()) return { error: 'This API key has expired; ask an admin for a new one.' };
      return { id: key.principal, admin: key.admin, keyId: key.id };
    }
    if (token.split('.').length === 3 && this.jwt.enabled) {
      const result = await this.jwt.verify(token);
      if ('principal' in result) return { id: result.principal, admin: false };
      return { error: `The bearer token is not accepted: ${result.error}.` };
    }
    return { error: 'The credentials in Authorization are not valid. Check the key, or ask an admin for a new one.' };
  }

  // ---- decisions -----------------------------------------------------------

  owner(list: string): string | undefined {
    return this.owners.get(list);
  }

  /** Whether the principal may know that the list exists. */
  canSee(principal: Principal, list: string): boolean {
    if (principal.admin) return true;
    if (list === SYSTEM_LIST_NAME) return false;
    return this.owners.get(list) === principal.id || this.publishers.get(list)?.has(principal.id) === true || (this.grants.get(list)?.get(principal.id)?.length ?? 0) > 0;
  }

  decide(principal: Principal | null, action: Action, list?: string): Decision {
    if (!principal) return DENY_AUTH;
    if (action === 'access.request' || action === 'docs.read' || action === 'lists.list') return { allowed: true, scope: {} };
    if (principal.admin) return { allowed: true, scope: {} };
    const hidden: Decision = { allowed: false, status: 404, detail: `List '${list}' does not exist or is not visible to you.` };
    const forbidden = (what: string): Decision => ({ allowed: false, status: 403, detail: `You may not ${what}.` });
    switch (action) {
      case 'admin':
      case 'list.create':
        return forbidden('do this; it needs an admin key');
      case 'audit.read':
        return [...this.owners.values()].includes(principal.id) ? { allowed: true, scope: {} } : forbidden('read the audit log; it needs an admin or a list owner');
    }
    if (list === undefined || !this.canSee(principal, list)) return hidden;
    const isOwner = this.owners.get(list) === principal.id;
    switch (action) {
      case 'list.read':
        return { allowed: true, scope: {} };
      case 'list.update':
      case 'list.manage':
        return isOwner ? { allowed: true, scope: {} } : forbidden(`manage list '${list}'; only its owner or an admin may`);
      case 'events.publish': {
        const sources = this.publishers.get(list)?.get(principal.id);
        if (!sources) return forbidden(`publish to list '${list}'; you are not one of its publishers`);
        return { allowed: true, scope: { sources: sources.includes('') ? undefined : sources } };
      }
      case 'events.read':
      case 'subscriptions.create': {
        if (isOwner) return { allowed: true, scope: {} };
        const grants = this.grants.get(list)?.get(principal.id);
        if (!grants || grants.length === 0) return forbidden(`read list '${list}'; ask its owner for access (POST /lists/${list}/access-requests)`);
        return { allowed: true, scope: scopeOf(grants) };
      }
    }
    return forbidden('do this');
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

  /** A principal as stored on a subscription: admin if it is the bootstrap admin or holds an admin key. */
  principalFor(id: string): Principal {
    if (id === 'admin' || (this.insecure && id === 'anonymous')) return { id, admin: true };
    const now = Date.now();
    const admin = [...this.keysByHash.values()].some((k) => k.principal === id && k.admin && k.revokedAt === null && (k.expiresAt === null || k.expiresAt > now));
    return { id, admin };
  }

  /** Whether the principal still has an API key that works (JWT principals are not tracked). */
  hasActiveKey(principal: string): boolean {
    const now = Date.now();
    return [...this.keysByHash.values()].some((k) => k.principal === principal && k.revokedAt === null && (k.expiresAt === null || k.expiresAt > now));
  }

  async setOwner(list: string, owner: string | null): Promise<void> {
    const previous = this.owners.get(list);
    await this.store.setListOwner(list, owner);
    if (owner) this.owners.set(list, owner);
    else this.owners.delete(list);
    if (previous && previous !== owner) this.emit('change', { principal: previous, list });
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
    // A wider scope: streams reconnect to pick it up.
    this.emit('change', { principal: g.principal, list: g.list });
  }

  async deleteGrant(id: string): Promise<GrantRecord | undefined> {
    const grant = this.findGrant(id);
    if (!grant || !(await this.store.deleteGrant(id))) return undefined;
    const forPrincipal = this.grants.get(grant.list)?.get(grant.principal);
    if (forPrincipal) {
      const left = forPrincipal.filter((g) => g.record.id !== id);
      if (left.length > 0) this.grants.get(grant.list)!.set(grant.principal, left);
      else this.grants.get(grant.list)!.delete(grant.principal);
    }
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

/** Several grants on one list: any of their filters, and the union of their fields. */
function scopeOf(grants: CompiledGrant[]): Scope {
  const predicate = anyOf(grants.map((g) => g.predicate));
  const fields = grants.some((g) => g.record.fields === null) ? undefined : [...new Set(grants.flatMap((g) => g.record.fields ?? []))];
  const filters = grants.map((g) => g.record.filter ?? null);
  return { predicate, fields, filters: filters.every((f) => f === null) ? undefined : filters };
}
