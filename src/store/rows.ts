import type { AccessRequestRecord, GrantRecord, ListRecord, SubscriptionRecord } from './types.js';

/**
 * Row mappings shared by the SQLite and PostgreSQL stores: both keep the same
 * columns, and JSON-valued columns as text.
 */

/** A JSON column's text for a value (null stays null). */
export const jsonText = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));

/** A JSON column's value from its text (null stays null). */
export const fromJsonText = (v: string | null): unknown => (v === null ? null : JSON.parse(v));

export interface SubscriptionRow {
  id: string;
  list: string;
  owner: string;
  spec: string;
  secrets: string;
  status: 'active' | 'disabled';
  disabled_reason: string | null;
  position: number;
  failing_since: number | null;
  run_as: string | null;
  created_at: string;
  updated_at: string;
}

export const subscriptionOf = (r: SubscriptionRow): SubscriptionRecord => ({
  id: r.id,
  list: r.list,
  owner: r.owner,
  spec: JSON.parse(r.spec),
  secrets: JSON.parse(r.secrets),
  status: r.status,
  disabledReason: r.disabled_reason,
  position: r.position,
  failingSince: r.failing_since,
  runAs: fromJsonText(r.run_as ?? null),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export function accessRequestOf(r: Record<string, unknown>): AccessRequestRecord {
  return {
    id: r.id as string,
    list: r.list as string,
    principal: r.principal as string,
    purpose: r.purpose as string,
    legalBasis: (r.legal_basis as string | null | undefined) ?? null,
    filter: fromJsonText(r.filter as string | null),
    fields: fromJsonText((r.fields as string | null | undefined) ?? null) as string[] | null,
    until: (r.until as number | null | undefined) ?? null,
    status: r.status as AccessRequestRecord['status'],
    decidedBy: r.decided_by as string | null,
    reason: r.reason as string | null,
    grantId: r.grant_id as string | null,
    createdAt: r.created_at as number,
    decidedAt: r.decided_at as number | null,
  };
}

export function grantOf(r: Record<string, unknown>): GrantRecord {
  return {
    id: r.id as string,
    list: r.list as string,
    principal: r.principal as string,
    filter: fromJsonText(r.filter as string | null),
    fields: fromJsonText(r.fields as string | null) as string[] | null,
    createdBy: r.created_by as string,
    createdAt: r.created_at as number,
    expiresAt: (r.expires_at as number | null | undefined) ?? null,
  };
}

/** The columns of `lists` both stores have (SQLite adds its index watermark). */
export interface ListRow {
  id: number;
  name: string;
  title: string | null;
  description: string | null;
  retention_days: number | null;
  created_at: string;
  updated_at: string;
  head: number;
  last_time: number;
  owner: string | null;
}

export function listOf(row: ListRow): ListRecord {
  return {
    name: row.name,
    title: row.title,
    description: row.description,
    retentionDays: row.retention_days,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    head: row.head,
    owner: row.owner,
  };
}
