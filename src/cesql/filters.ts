/**
 * CloudEvents Subscriptions API filter dialects (§3.2.4.1): `exact`,
 * `prefix`, `suffix`, `all`, `any`, `not` and `sql`, validated and compiled
 * into one predicate. An array of filters is an implicit `all`; no filters
 * (undefined or an empty array) let every event through.
 *
 * The cost budget (budget.ts) covers a filter set as a whole: at most
 * MAX_NESTING levels of `all`/`any`/`not`, MAX_FILTER_NODES filter objects and
 * attributes, MAX_EXPRESSION_LENGTH characters of `sql` in all, and one
 * evaluation budget per event shared by all its `sql` filters.
 */
import type { Violation } from '../cloudevents/event.js';
import { count, EVALUATION_BUDGET, MAX_FILTER_NODES } from './budget.js';
import { compileCesql, matchesWithin, type CesqlEvent } from './engine.js';
import { CesqlParseError } from './errors.js';
import { MAX_EXPRESSION_LENGTH, MAX_NESTING } from './parser.js';
import { shadowsPrototype, type Ctx } from './values.js';

export type FilterPredicate = (event: CesqlEvent) => boolean;

export const FILTER_DIALECTS = ['exact', 'prefix', 'suffix', 'all', 'any', 'not', 'sql'] as const;
export type FilterDialect = (typeof FILTER_DIALECTS)[number];

/** Thrown by {@link compileFilters}; `errors` address the offending parts by JSON pointer. */
export class FilterError extends Error {
  readonly errors: Violation[];

  constructor(errors: Violation[]) {
    const first = errors[0];
    super(
      first
        ? `invalid filters: ${first.pointer || '/'}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`
        : 'invalid filters',
    );
    this.name = 'FilterError';
    this.errors = errors;
  }
}

const ATTRIBUTE_NAME = /^[a-z0-9]+$/;
const DIALECT_LIST = FILTER_DIALECTS.join(', ');

const ALWAYS: FilterPredicate = () => true;

/** RFC 6901 escaping of one reference token. */
function token(key: string | number): string {
  return `/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function quote(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}

/**
 * The string form of an attribute for the `exact`, `prefix` and `suffix`
 * dialects: strings as they are, integers in base 10, booleans as
 * "true"/"false"; undefined when the attribute is absent (which never matches).
 */
function attributeString(event: CesqlEvent, name: string, own: boolean): string | undefined {
  if (own && !Object.hasOwn(event, name)) return undefined;
  const v = event[name];
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'bigint':
      return String(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return undefined;
  }
}

type Comparison = 'exact' | 'prefix' | 'suffix';

function compare(kind: Comparison, name: string, expected: string): FilterPredicate {
  const own = shadowsPrototype(name);
  switch (kind) {
    case 'exact':
      return (ev) => attributeString(ev, name, own) === expected;
    case 'prefix':
      return (ev) => {
        const s = attributeString(ev, name, own);
        return s !== undefined && s.startsWith(expected);
      };
    case 'suffix':
      return (ev) => {
        const s = attributeString(ev, name, own);
        return s !== undefined && s.endsWith(expected);
      };
  }
}

function allOf(preds: FilterPredicate[]): FilterPredicate {
  if (preds.length === 0) return ALWAYS;
  if (preds.length === 1) return preds[0]!;
  if (preds.length === 2) {
    const [a, b] = preds as [FilterPredicate, FilterPredicate];
    return (ev) => a(ev) && b(ev);
  }
  return (ev) => {
    for (let i = 0; i < preds.length; i++) if (!preds[i]!(ev)) return false;
    return true;
  };
}

function anyOf(preds: FilterPredicate[]): FilterPredicate {
  if (preds.length === 1) return preds[0]!;
  return (ev) => {
    for (let i = 0; i < preds.length; i++) if (preds[i]!(ev)) return true;
    return false;
  };
}

class Builder {
  readonly violations: Violation[] = [];
  /** The evaluation budget shared by every `sql` filter of the set; reset per event by the caller. */
  readonly meter: Ctx = { count: 0, errors: null, budget: EVALUATION_BUDGET };
  private nodes = 0;
  private sqlLength = 0;
  /** Set once the set is over budget: nothing more is compiled. */
  private overBudget = false;

  private fail(pointer: string, message: string): FilterPredicate {
    this.violations.push({ pointer, message });
    return ALWAYS;
  }

  private budgetExceeded(pointer: string, message: string): FilterPredicate {
    this.overBudget = true;
    return this.fail(pointer, message);
  }

  /** Top level: an array of filters, one filter object, or nothing. */
  root(filters: unknown): FilterPredicate {
    if (filters === undefined) return ALWAYS;
    if (Array.isArray(filters)) return allOf(this.each(filters, '', 0));
    if (isPlainObject(filters)) return this.filter(filters, '', 0);
    return this.fail('', 'filters must be an array of filter objects');
  }

  /** The filters of an array, until the set goes over budget. */
  private each(filters: unknown[], at: string, depth: number): FilterPredicate[] {
    const preds: FilterPredicate[] = [];
    for (let i = 0; i < filters.length && !this.overBudget; i++) preds.push(this.filter(filters[i], at + token(i), depth));
    return preds;
  }

  filter(value: unknown, at: string, depth: number): FilterPredicate {
    if (this.overBudget) return ALWAYS;
    if (++this.nodes > MAX_FILTER_NODES) {
      return this.budgetExceeded(at, `the filters have more than ${count(MAX_FILTER_NODES)} filter objects and attributes`);
    }
    if (depth > MAX_NESTING) return this.budgetExceeded(at, `the filters are nested more than ${MAX_NESTING} levels deep`);
    if (!isPlainObject(value)) {
      return this.fail(at, `a filter must be an object with one dialect key (${DIALECT_LIST})`);
    }
    const keys = Object.keys(value);
    if (keys.length !== 1) {
      return this.fail(
        at,
        keys.length === 0
          ? `a filter must have exactly one dialect key (${DIALECT_LIST}), found none`
          : `a filter must have exactly one dialect key, found ${keys.length}: ${keys.join(', ')}`,
      );
    }
    const dialect = keys[0]!;
    const body = value[dialect];
    const here = at + token(dialect);
    switch (dialect) {
      case 'exact':
      case 'prefix':
      case 'suffix':
        return this.comparison(dialect, body, here);
      case 'all':
      case 'any': {
        if (!Array.isArray(body)) return this.fail(here, `'${dialect}' takes an array of filters`);
        if (body.length === 0) return this.fail(here, `'${dialect}' needs at least one filter`);
        const preds = this.each(body, here, depth + 1);
        return dialect === 'all' ? allOf(preds) : anyOf(preds);
      }
      case 'not': {
        if (!isPlainObject(body)) return this.fail(here, "'not' takes one filter object");
        const inner = this.filter(body, here, depth + 1);
        return (ev) => !inner(ev);
      }
      case 'sql':
        return this.sql(body, here);
      default:
        return this.fail(here, `unknown filter dialect ${quote(dialect)} (supported: ${DIALECT_LIST})`);
    }
  }

  private comparison(kind: Comparison, body: unknown, at: string): FilterPredicate {
    if (!isPlainObject(body)) {
      return this.fail(at, `'${kind}' takes an object mapping attribute names to strings`);
    }
    const names = Object.keys(body);
    if (names.length === 0) return this.fail(at, `'${kind}' must name at least one attribute`);
    const preds: FilterPredicate[] = [];
    for (const name of names) {
      if (++this.nodes > MAX_FILTER_NODES) {
        return this.budgetExceeded(at, `the filters have more than ${count(MAX_FILTER_NODES)} filter objects and attributes`);
      }
      const where = at + token(name);
      const expected = body[name];
      if (name === '') {
        this.fail(where, 'the attribute name must not be empty');
      } else if (!ATTRIBUTE_NAME.test(name)) {
        this.fail(where, `${quote(name)} is not a CloudEvents attribute name (lower-case letters a-z and digits only)`);
      } else if (name === 'data') {
        this.fail(where, "'data' is the event payload, not a context attribute");
      } else if (typeof expected !== 'string') {
        this.fail(where, `the value to match must be a string, not ${expected === null ? 'null' : Array.isArray(expected) ? 'an array' : typeof expected}`);
      } else if (expected === '') {
        this.fail(where, 'the value to match must not be empty');
      } else {
        preds.push(compare(kind, name, expected));
      }
    }
    return allOf(preds);
  }

  private sql(body: unknown, at: string): FilterPredicate {
    if (typeof body !== 'string') return this.fail(at, "'sql' takes a CESQL expression as a string");
    this.sqlLength += body.length;
    if (this.sqlLength > MAX_EXPRESSION_LENGTH) {
      return this.budgetExceeded(at, `the 'sql' filters are longer than ${count(MAX_EXPRESSION_LENGTH)} characters in all`);
    }
    let compiled;
    try {
      compiled = compileCesql(body);
    } catch (e) {
      if (e instanceof CesqlParseError) return this.fail(at, `invalid CESQL expression: ${e.message}`);
      throw e;
    }
    for (const d of compiled.diagnostics) this.fail(at, `invalid CESQL expression: ${d.message}`);
    if (compiled.resultType === 'String' || compiled.resultType === 'Integer') {
      this.fail(at, `a CESQL filter must yield a Boolean, but this expression yields ${compiled.resultType === 'String' ? 'a String' : 'an Integer'}`);
    }
    const meter = this.meter;
    return (ev) => matchesWithin(compiled, ev, meter);
  }
}

/** Checks filters without compiling them for use; empty when valid. */
export function validateFilters(filters: unknown): Violation[] {
  const builder = new Builder();
  builder.root(filters);
  return builder.violations;
}

/**
 * Validates and compiles Subscriptions API filters into one predicate over
 * structured-mode events. Throws {@link FilterError} listing every problem.
 */
export function compileFilters(filters: unknown): FilterPredicate {
  const builder = new Builder();
  const predicate = builder.root(filters);
  if (builder.violations.length > 0) throw new FilterError(builder.violations);
  const meter = builder.meter;
  // Reading plain JSON events cannot throw; an event object that does is not matched.
  return (event) => {
    meter.count = 0;
    meter.budget = EVALUATION_BUDGET;
    try {
      return predicate(event);
    } catch {
      return false;
    }
  };
}
