import { randomUUID } from 'node:crypto';
import type { Access, Principal } from '../access/access.js';
import { validateRowFilter } from '../access/filters.js';
import type { AccessRequestRecord, AccessStore, GrantRecord } from '../store/types.js';
import type { Violation } from '../cloudevents/event.js';
import { HubError, invalid, notFound } from './errors.js';
import type { Hub } from './hub.js';

/**
 * Agreements: a consumer asks for access to a list with a purpose and the
 * filter it wishes; the list's owner (or an admin) approves — possibly
 * narrowing the filter and the fields — or denies with a reason. Approval
 * creates the grant.
 */
export class Agreements {
  constructor(
    private readonly hub: Hub,
    private readonly access: Access,
    private readonly store: Pick<AccessStore, 'createAccessRequest' | 'getAccessRequest' | 'updateAccessRequest' | 'listAccessRequests'>,
  ) {}

  async createGrant(list: string, input: GrantInput & { principal: string }, by: string): Promise<GrantRecord> {
    await this.hub.requireList(list);
    checkGrantInput(input.filter, input.fields, input.expiresAt);
    const grant: GrantRecord = {
      id: `grant_${randomUUID().replace(/-/g, '')}`,
      list,
      principal: input.principal,
      filter: input.filter ?? null,
      fields: input.fields ?? null,
      createdBy: by,
      createdAt: Date.now(),
      expiresAt: input.expiresAt ?? null,
    };
    await this.access.createGrant(grant);
    return grant;
  }

  /**
   * Change a grant's filter, fields or end (only what `change` names; null
   * clears the filter, the field list or the end). In force at once: the
   * consumer's open streams close and its subscriptions follow.
   */
  async updateGrant(grant: GrantRecord, change: { filter?: unknown; fields?: string[] | null; expiresAt?: number | null }): Promise<GrantRecord> {
    const updated: GrantRecord = {
      ...grant,
      ...(change.filter !== undefined && { filter: change.filter }),
      ...(change.fields !== undefined && { fields: change.fields }),
      ...(change.expiresAt !== undefined && { expiresAt: change.expiresAt }),
    };
    checkGrantInput(updated.filter ?? undefined, updated.fields ?? undefined, change.expiresAt ?? undefined);
    if (!(await this.access.updateGrant(updated))) throw notFound(`Grant '${grant.id}'`);
    return updated;
  }

  /**
   * Filed for a list the principal may see (an owner, publisher or consumer
   * asking for more). Any other name answers exactly like a list that does
   * not exist, and nothing is stored: a request must not tell whether a hidden
   * list exists, nor fill the owner's inbox with requests for names that
   * are not there.
   */
  async request(list: string, principal: Principal, wish: AccessWish): Promise<AccessRequestRecord> {
    if (!this.access.decide(principal, 'list.read', list).allowed) throw notFound(`List '${list}'`);
    await this.hub.requireList(list);
    const { purpose, filter, fields, until, legalBasis } = wish;
    const errors = [...validateRowFilter(filter, '/filter'), ...fieldErrors(fields), ...futureErrors(until, '/until')];
    if (errors.length > 0) throw invalid('The access request is not valid.', errors);
    const record: AccessRequestRecord = {
      id: `areq_${randomUUID().replace(/-/g, '')}`,
      list,
      principal: principal.id,
      purpose,
      legalBasis: legalBasis ?? null,
      filter: filter ?? null,
      fields: fields ?? null,
      until: until ?? null,
      status: 'pending',
      decidedBy: null,
      reason: null,
      grantId: null,
      createdAt: Date.now(),
      decidedAt: null,
    };
    await this.store.createAccessRequest(record);
    return record;
  }

  /** The requests the caller may see: their own, those for lists they own, or (admin) all. */
  async list(caller: Principal, filter: { list?: string; status?: string }): Promise<AccessRequestRecord[]> {
    const all = await this.store.listAccessRequests(filter);
    return all.filter((r) => caller.admin || r.principal === caller.id || this.access.owner(r.list) === caller.id);
  }

  /**
   * A request the caller may decide: one for a list they own (or any, for an
   * admin). Others are invisible, not forbidden: they answer like a request
   * that does not exist.
   */
  async forDecision(caller: Principal, id: string): Promise<AccessRequestRecord> {
    const r = await this.get(id);
    if (!caller.admin && this.access.owner(r.list) !== caller.id) throw notFound(`Access request '${id}'`);
    return r;
  }

  async get(id: string): Promise<AccessRequestRecord> {
    const r = await this.store.getAccessRequest(id);
    if (!r) throw notFound(`Access request '${id}'`);
    return r;
  }

  /** Approve as asked (the wished filter, fields and end), or narrowed by what `narrowed` names. */
  async approve(id: string, by: string, narrowed: GrantInput): Promise<{ request: AccessRequestRecord; grant: GrantRecord }> {
    const r = await this.pending(id);
    const filter = narrowed.filter !== undefined ? narrowed.filter : r.filter;
    const fields = narrowed.fields !== undefined ? narrowed.fields : r.fields;
    const expiresAt = narrowed.expiresAt !== undefined ? narrowed.expiresAt : r.until;
    const grant = await this.createGrant(r.list, { principal: r.principal, filter: filter ?? undefined, fields: fields ?? undefined, expiresAt }, by);
    const request: AccessRequestRecord = { ...r, status: 'approved', decidedBy: by, decidedAt: Date.now(), grantId: grant.id };
    await this.store.updateAccessRequest(request);
    return { request, grant };
  }

  async deny(id: string, by: string, reason: string): Promise<AccessRequestRecord> {
    const r = await this.pending(id);
    const request: AccessRequestRecord = { ...r, status: 'denied', decidedBy: by, decidedAt: Date.now(), reason };
    await this.store.updateAccessRequest(request);
    return request;
  }

  private async pending(id: string): Promise<AccessRequestRecord> {
    const r = await this.get(id);
    if (r.status !== 'pending') throw new HubError('conflict', 'conflict', 'Already decided', `Access request '${id}' was already ${r.status}.`);
    await this.hub.requireList(r.list);
    return r;
  }
}

/** What a grant is made with, beyond whom it is for: its row filter, its fields and its end (epoch ms). */
export interface GrantInput {
  filter?: unknown;
  fields?: string[];
  expiresAt?: number | null;
}

/** What a consumer asks for. */
export interface AccessWish {
  purpose: string;
  legalBasis?: string;
  filter?: unknown;
  fields?: string[];
  /** The wished end of the access (epoch ms). */
  until?: number;
}

export function checkGrantInput(filter: unknown, fields: unknown, expiresAt?: number | null): void {
  const errors = [...validateRowFilter(filter, '/filter'), ...fieldErrors(fields), ...futureErrors(expiresAt ?? undefined, '/expiresAt')];
  if (errors.length > 0) throw invalid('The grant is not valid.', errors);
}

function fieldErrors(fields: unknown): Violation[] {
  if (fields === undefined || (Array.isArray(fields) && fields.every((f) => typeof f === 'string' && /^[a-z0-9_]{1,64}$/.test(f)))) return [];
  return [{ pointer: '/fields', message: 'must be an array of attribute names (a-z, 0-9)' }];
}

/** An end must lie ahead: to end access now, delete the grant. */
function futureErrors(at: number | undefined, pointer: string): Violation[] {
  return at !== undefined && at <= Date.now() ? [{ pointer, message: 'must be a time in the future' }] : [];
}
