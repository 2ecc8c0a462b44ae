import { CesqlParseError, compileCesql, FilterError } from '../cesql/index.js';
import type { EventPredicate } from '../hub/hub.js';
import { compileSubscriptionPredicate } from '../hub/subscriptions/spec.js';
import { allOf, anyOf, compileRowFilter } from './filters.js';

/** What filtered a delivery, as recorded in an audit row. */
export interface AuditScope {
  grants?: unknown[];
  types?: string[];
  subjects?: string[];
  sources?: string[];
  filter?: string;
  subscription?: { types?: string[]; source?: string; filters?: unknown[] };
}

/** Drop empty parts so equal scopes serialise equally. */
export function auditScope(s: AuditScope): AuditScope | undefined {
  const out: AuditScope = {};
  for (const [k, v] of Object.entries(s) as [keyof AuditScope, unknown][]) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return Object.keys(out).length === 0 ? undefined : out;
}

/**
 * Re-create the filter of an audit row, to tell which events of its range were
 * sent. A filter recorded before today's CESQL limits that no longer compiles
 * counts every event of its range: an audit may over-report, never hide.
 */
export function auditPredicate(scopeText: string | null): EventPredicate | undefined {
  try {
    return recordedPredicate(scopeText);
  } catch (error) {
    if (error instanceof CesqlParseError || error instanceof FilterError) return undefined;
    throw error;
  }
}

function recordedPredicate(scopeText: string | null): EventPredicate | undefined {
  if (scopeText === null) return undefined;
  const s = JSON.parse(scopeText) as AuditScope;
  const inSet = (attr: string, values?: string[]): EventPredicate | undefined => (values ? (e) => values.includes(e[attr] as string) : undefined);
  return allOf(
    s.grants ? anyOf(s.grants.map(compileRowFilter)) : undefined,
    inSet('type', s.types),
    inSet('subject', s.subjects),
    inSet('source', s.sources),
    s.filter ? compileCesql(s.filter).matches : undefined,
    s.subscription ? compileSubscriptionPredicate(s.subscription) : undefined,
  );
}
