import type { Violation } from '../cloudevents/event.js';
import { CesqlParseError, compileCesql, compileFilters, validateFilters } from '../cesql/index.js';
import type { EventPredicate } from '../hub/hub.js';

/**
 * A grant's or an access request's row filter: a CESQL expression (string) or
 * Subscriptions API dialect filters (array or single object).
 */
export type RowFilter = string | unknown[] | Record<string, unknown>;

export function validateRowFilter(filter: unknown, pointer: string): Violation[] {
  if (filter === undefined || filter === null) return [];
  if (typeof filter === 'string') {
    try {
      compileCesql(filter);
      return [];
    } catch (error) {
      if (error instanceof CesqlParseError) return [{ pointer, message: error.message }];
      throw error;
    }
  }
  if (typeof filter === 'object') return validateFilters(filter).map((v) => ({ pointer: pointer + v.pointer, message: v.message }));
  return [{ pointer, message: 'must be a CESQL expression (string) or filter dialects (array)' }];
}

export function compileRowFilter(filter: unknown): EventPredicate | undefined {
  if (filter === undefined || filter === null) return undefined;
  if (typeof filter === 'string') return compileCesql(filter).matches;
  return compileFilters(filter);
}

const NOTHING: EventPredicate = () => false;

/**
 * A stored grant's row filter. One stored under older rules that no longer
 * compiles (over today's CESQL budget, say) lets no event through: a broken
 * filter must narrow the grant, never widen it, and must not fail the start.
 */
export function compileStoredRowFilter(filter: unknown, onInvalid: (error: Error) => void): EventPredicate | undefined {
  try {
    return compileRowFilter(filter);
  } catch (error) {
    onInvalid(error as Error);
    return NOTHING;
  }
}

/** Any of several predicates; undefined (everything) if any of them is. */
export function anyOf(predicates: (EventPredicate | undefined)[]): EventPredicate | undefined {
  if (predicates.length === 0) return () => false;
  if (predicates.some((p) => p === undefined)) return undefined;
  const ps = predicates as EventPredicate[];
  return ps.length === 1 ? ps[0] : (e) => ps.some((p) => p(e));
}

export function allOf(...predicates: (EventPredicate | undefined)[]): EventPredicate | undefined {
  const ps = predicates.filter((p): p is EventPredicate => p !== undefined);
  if (ps.length === 0) return undefined;
  return ps.length === 1 ? ps[0] : (e) => ps.every((p) => p(e));
}
