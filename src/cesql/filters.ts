/**
 * CloudEvents Subscriptions API filter dialects (§3.2.4.1): `exact`,
 * `prefix`, `suffix`, `all`, `any`, `not` and `sql`, validated and compiled
 * into one predicate. An array of filters is an implicit `all`; no filters
 * (undefined or an empty array) let every event through.
 */
import type { Violation } from '../cloudevents/event.js';
import { compileCesql, type CesqlEvent } from './engine.js';
import { CesqlParseError } from './errors.js';
import { shadowsPrototype } from './values.js';

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

  private fail(pointer: string, message: string): FilterPredicate {
    this.violations.push({ pointer, message });
    return ALWAYS;
  }

  /** Top level: an array of filters, one filter object, or nothing. */
  root(filters: unknown): FilterPredicate {
    if (filters === undefined) return ALWAYS;
    if (Array.isArray(filters)) return allOf(filters.map((f, i) => this.filter(f, token(i))));
    if (isPlainObject(filters)) return this.filter(filters, '');
    return this.fail('', 'filters must be an array of filter objects');
  }

  filter(value: unknown, at: string): FilterPredicate {
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
        const preds = body.map((f, i) => this.filter(f, here + token(i)));
        return dialect === 'all' ? allOf(preds) : anyOf(preds);
      }
      case 'not': {
        if (!isPlainObject(body)) return this.fail(here, "'not' takes one filter object");
        const inner = this.filter(body, here);
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
    return (ev) => compiled.matches(ev);
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
  // Reading plain JSON events cannot throw; an event object that does is not matched.
  return (event) => {
    try {
      return predicate(event);
    } catch {
      return false;
    }
  };
}
