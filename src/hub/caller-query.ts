import type { Scope } from '../access/scope.js';
import { auditScope } from '../access/audit-scope.js';
import { CesqlParseError, cesqlAttributes, compileCesql, filterAttributes, filterRequirements, type Requirements } from '../cesql/index.js';
import { invalid } from './errors.js';
import type { EventPredicate } from './predicate.js';
import { serves } from './project.js';

/**
 * A caller's own filter, compiled by whichever door it came through (CESQL
 * `filter=`, subscription dialects, a GraphQL `where`), with the attributes it
 * reads, so the hub can refuse one that tests an attribute the caller's
 * grant does not serve.
 */
export interface CallerFilter {
  predicate: EventPredicate;
  /** Lower-cased names of the attributes the filter reads. */
  attributes: ReadonlySet<string>;
  /** What a match must have as type, source or subject (live tail skipping). */
  requires?: Requirements;
  /** Where in the caller's request the filter was, for a 400's pointer. */
  pointer: string;
  /** What the audit row records of it. */
  audit: Record<string, unknown>;
}

/** What a caller asks to read: a cursor, exact filters, a time window and its own filter. */
export interface EventQuery {
  after: number;
  limit?: number;
  types?: string[];
  subjects?: string[];
  sources?: string[];
  /** Commit-time window, epoch ms: since inclusive, until exclusive. */
  since?: number;
  until?: number;
  filter?: CallerFilter;
  /** How many seqs one call may look through before it returns a short page. */
  maxScan?: number;
}

/** A CESQL expression as a caller's filter; a bad or hostile one is a 400 at `pointer`. */
export function cesqlFilter(expression: string, pointer: string): CallerFilter {
  try {
    const compiled = compileCesql(expression);
    return {
      predicate: compiled.matches,
      attributes: cesqlAttributes(expression),
      requires: filterRequirements([{ sql: expression }]),
      pointer,
      audit: { filter: expression },
    };
  } catch (error) {
    if (error instanceof CesqlParseError) {
      throw invalid(`filter is not a valid CESQL expression: ${error.message}.`, [{ pointer, message: error.message }]);
    }
    throw error;
  }
}

/**
 * Refuse a query that tests an attribute the scope does not serve. The
 * answer names the attribute and depends only on the grant, never on data,
 * so it tells the caller nothing it was not told when granted.
 */
export function checkQueryAttributes(scope: Scope, q: Pick<EventQuery, 'subjects' | 'filter'>): void {
  if (!scope.fields) return;
  const tested: [string, string][] = [];
  if (q.subjects) tested.push(['subject', '/subject']);
  for (const name of q.filter?.attributes ?? []) tested.push([name, q.filter!.pointer]);
  const hidden = tested.filter(([name]) => !serves(scope.fields, name));
  if (hidden.length === 0) return;
  const names = [...new Set(hidden.map(([name]) => name))];
  throw invalid(
    `Your grant on list '${scope.list}' does not serve the attribute${names.length > 1 ? 's' : ''} ${names.map((n) => `'${n}'`).join(', ')}, so you cannot filter on ${names.length > 1 ? 'them' : 'it'}. ` +
      `Filter only on attributes you receive (${['specversion', 'id', 'source', 'type', 'heroldseq', 'heroldtime', ...scope.fields].join(', ')}), or ask the list's owner for a wider grant.`,
    hidden.map(([name, pointer]) => ({ pointer, message: `'${name}' is not served by your grant` })),
  );
}

/** The predicate a read runs: the caller's filter and the grant's row filter, both. */
export function composedPredicate(scope: Scope, q: EventQuery): EventPredicate | undefined {
  const own = q.filter?.predicate;
  const grant = scope.predicate;
  if (!own) return grant;
  if (!grant) return own;
  return (event) => grant(event) && own(event);
}

type AuditedQuery = Pick<EventQuery, 'types' | 'subjects' | 'sources' | 'filter'>;
const auditRecords = new WeakMap<AuditedQuery, WeakMap<Scope, unknown>>();

/**
 * What an audit row records about a read: the grants in force and the
 * caller's filters. The same object for the same query and scope, so a
 * delivery worker's rows are serialised once (access/audit.ts).
 */
export function auditRecordOf(scope: Scope, q: AuditedQuery): unknown {
  let byScope = auditRecords.get(q);
  if (!byScope) auditRecords.set(q, (byScope = new WeakMap()));
  if (!byScope.has(scope)) byScope.set(scope, auditScope({ grants: scope.filters, types: q.types, subjects: q.subjects, sources: q.sources, ...q.filter?.audit }));
  return byScope.get(scope);
}

/** The attributes Subscriptions API filters read, with `types` and `source`. */
export function subscriptionAttributes(spec: { types?: string[]; source?: string; filters?: unknown[] }): Set<string> {
  const out = filterAttributes(spec.filters ?? []);
  if (spec.types) out.add('type');
  if (spec.source !== undefined) out.add('source');
  return out;
}
