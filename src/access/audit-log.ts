import { notFound } from '../hub/errors.js';
import type { Hub } from '../hub/hub.js';
import type { AuditRow, AuditSearchRow, AuditStore, UsageRow } from '../store/types.js';
import type { Access, Principal } from './access.js';
import { auditPredicate } from './audit-scope.js';

export interface AuditFilter {
  list?: string;
  principal?: string;
  since?: number;
  until?: number;
  limit: number;
}

export interface SearchFilter {
  principal?: string;
  list?: string;
  since?: number;
  until?: number;
  limit: number;
}

export interface Delivery {
  principal: string;
  channel: string;
  at: number;
  seq: number;
  type: unknown;
}

/** How many of a subject's events a "who received events about X" answer looks at. */
const MAX_SUBJECT_EVENTS = 500;

/**
 * Reading the audit log, always as somebody: an admin reads every row, a list
 * owner the rows of the lists they own. Visibility is part of the query, so
 * `limit` counts only rows the caller may see, and a list the caller does not
 * own answers like a list that does not exist.
 */
export class AuditLog {
  constructor(
    private readonly store: Pick<AuditStore, 'queryAudit' | 'auditUsage' | 'recordAuditSearch' | 'queryAuditSearches'>,
    private readonly hub: Hub,
    private readonly access: Access,
  ) {}

  /** The newest rows first. */
  async records(caller: Principal, filter: AuditFilter): Promise<AuditRow[]> {
    return this.store.queryAudit({ ...filter, lists: this.visibleLists(caller, filter.list) });
  }

  /**
   * Events delivered per UTC day, principal, list and channel (the basis of
   * volume-based agreements), from the same rows and with the same visibility.
   */
  async usage(caller: Principal, filter: Omit<AuditFilter, 'limit'>): Promise<UsageRow[]> {
    return this.store.auditUsage({ ...filter, lists: this.visibleLists(caller, filter.list) });
  }

  /**
   * Every delivery of an event about `subject` in `list`: each audit row's
   * range holds the seqs sent, and its scope tells which of the subject's
   * events in that range the row's filter let through.
   *
   * The search is itself recorded before it is answered (who searched for
   * which subject, when, over which window, how many deliveries it found):
   * looking a person up is processing personal data too. A search the caller
   * may not make (not the list's owner) is refused before it reads anything,
   * and is not recorded.
   */
  async deliveriesAbout(caller: Principal, list: string, subject: string, filter: Omit<AuditFilter, 'list'>): Promise<Delivery[]> {
    const lists = this.visibleLists(caller, list);
    // The events are read in the owner's (or admin's) scope: the whole event, not audited as a delivery.
    const decision = this.access.decide(caller, 'list.manage', list);
    if (!decision.allowed) throw notFound(`List '${list}'`);
    const seqs = await this.hub.subjectSeqs(list, subject, MAX_SUBJECT_EVENTS);
    const rows = await this.store.queryAudit({ ...filter, list, lists, seqs });
    const events = new Map<number, Record<string, unknown>>();
    for (const seq of seqs) {
      const e = await this.hub.getEvent(decision.scope, seq, null).catch(() => undefined);
      if (e) events.set(seq, JSON.parse(e.json));
    }
    const deliveries: Delivery[] = [];
    for (const row of rows) {
      const matches = auditPredicate(row.scope);
      for (const seq of seqs) {
        const e = events.get(seq);
        if (seq < row.firstSeq || seq > row.lastSeq || !e || (matches && !matches(e))) continue;
        deliveries.push({ principal: row.principal, channel: row.channel, at: row.at, seq, type: e.type });
      }
    }
    await this.store.recordAuditSearch({
      at: Date.now(),
      principal: caller.id,
      list,
      subject,
      since: filter.since ?? null,
      until: filter.until ?? null,
      results: deliveries.length,
    });
    return deliveries;
  }

  /** Who searched the audit log for whom: admins only (a search record names a person, and the searcher). */
  async searches(caller: Principal, filter: SearchFilter): Promise<AuditSearchRow[]> {
    if (!caller.admin) throw notFound('Audit searches');
    return this.store.queryAuditSearches(filter);
  }

  /** Undefined for an admin (every list); else the lists the caller owns, which must include `list` when one is named. */
  private visibleLists(caller: Principal, list: string | undefined): string[] | undefined {
    if (caller.admin) return undefined;
    const owned = this.access.ownedBy(caller.id);
    if (list !== undefined && !owned.includes(list)) throw notFound(`List '${list}'`);
    return owned;
  }
}
