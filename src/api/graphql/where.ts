import type { Violation } from '../../cloudevents/event.js';
import { allOfRequirements, anyOfRequirements, NO_REQUIREMENTS, type Requirements } from '../../cesql/index.js';
import type { CallerFilter } from '../../hub/caller-query.js';
import { invalid } from '../../hub/errors.js';
import type { EventPredicate } from '../../hub/predicate.js';
import { attributeTest, type DeclaredAttributes } from './attribute-filter.js';
import { rfc3339Ms } from './scalars.js';

/** The `where` argument as graphql-js coerced it (Long values are numbers). */
export interface EventFilterInput {
  and?: EventFilterInput[] | null;
  or?: EventFilterInput[] | null;
  not?: EventFilterInput | null;
  eventid?: LongFilterInput | null;
  heroldtime?: StringFilterInput | null;
  ext?: ExtensionFilterInput[] | null;
  attr?: AttributeFilterInput[] | null;
  [attribute: string]: unknown;
}
type LongFilterInput = Partial<Record<'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte', number | null> & Record<'in' | 'nin', number[] | null>>;
type StringOp = 'eq' | 'neq' | 'startsWith' | 'endsWith' | 'contains' | 'gt' | 'gte' | 'lt' | 'lte';
type StringFilterInput = Partial<Record<StringOp, string | null> & Record<'in' | 'nin', string[] | null>>;
type ExtensionFilterInput = StringFilterInput & { name: string };
/** Values are AttributeValue scalars: a string, an integer or a boolean, checked against the declaration. */
type AttributeFilterInput = { name: string } & Record<string, unknown>;

/** An inclusive range of sequence numbers; `hi` may be Infinity. */
export type SeqRange = readonly [lo: number, hi: number];

/** A `where` as the hub's query parts. */
export interface CompiledWhere {
  /** The tests on the event's own attributes: one caller filter, applied inside the hub's read. */
  filter?: CallerFilter;
  /** The eventids an event may have: sorted, disjoint ranges; undefined means any. */
  ranges?: SeqRange[];
  /** Commit-time window from `heroldtime`, epoch ms: since inclusive, until exclusive. */
  since?: number;
  until?: number;
}

/** The CloudEvents attributes a `where` may test by name, each a string when present. */
const STRING_ATTRIBUTES = ['id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'dataschema'] as const;
const INDEXED = new Set(['type', 'source', 'subject']);
/** Bounds that keep a hostile `where` cheap to compile and to run on every event. */
const MAX_NESTING = 8;
const MAX_TESTS = 200;
const MAX_LIST = 1000;
const MAX_EVENTID_VALUES = 100;

type Test = (value: unknown) => boolean;

/**
 * Compiles a GraphQL `where` to what the hub's read takes: eventid bounds
 * become ranges of the log, heroldtime bounds a commit-time window, and every
 * other test one CallerFilter (a predicate with the attributes it reads, so
 * the hub refuses a test on an attribute the grant does not serve). Pages are
 * full because the predicate runs inside the read, exactly like REST `filter=`.
 *
 * `lowerBoundOnly` (subscriptions): eventid may only be bounded from below,
 * since a live read has no end.
 */
export function compileWhere(where: EventFilterInput | null | undefined, opts: { lowerBoundOnly?: boolean; declared?: DeclaredAttributes } = {}): CompiledWhere {
  if (!where) return {};
  const c = new Compiler(opts.lowerBoundOnly === true, opts.declared);
  const [predicate, requires] = c.node(where, '/where', 0, true);
  const out: CompiledWhere = { ...c.window };
  if (c.ranges) out.ranges = c.ranges;
  if (c.attributes.size > 0) {
    out.filter = {
      predicate,
      attributes: c.attributes,
      requires: Object.keys(requires).length === 0 ? undefined : requires,
      pointer: '/where',
      audit: { graphql: where },
    };
  }
  return out;
}

class Compiler {
  readonly attributes = new Set<string>();
  ranges: SeqRange[] | undefined;
  window: { since?: number; until?: number } = {};
  private tests = 0;

  constructor(
    private readonly lowerBoundOnly: boolean,
    private readonly declared: DeclaredAttributes | undefined,
  ) {}

  /**
   * A filter node as a predicate, with what a matching event's type, source or
   * subject must be (sound: eq and in along and-ed paths, either branch of an or).
   * `top`: reached through and-ed fields only, where eventid and heroldtime may bound the read.
   */
  node(f: EventFilterInput, pointer: string, depth: number, top: boolean): [EventPredicate, Requirements] {
    if (depth >= MAX_NESTING) throw bad(pointer, `nested more than ${MAX_NESTING} levels deep`);
    const parts: EventPredicate[] = [];
    let requires: Requirements = NO_REQUIREMENTS;
    const all = (r: Requirements) => (requires = allOfRequirements(requires, r));
    for (const [key, value] of Object.entries(f)) {
      if (value === null || value === undefined) continue;
      const at = `${pointer}/${key}`;
      switch (key) {
        case 'and': {
          const subs = (value as EventFilterInput[]).map((g, i) => this.node(g, `${at}/${i}`, depth + 1, top));
          for (const [, r] of subs) all(r);
          const ps = subs.map(([p]) => p);
          parts.push((e) => ps.every((p) => p(e)));
          break;
        }
        case 'or': {
          const subs = (value as EventFilterInput[]).map((g, i) => this.node(g, `${at}/${i}`, depth + 1, false));
          if (subs.length > 0) all(subs.map(([, r]) => r).reduce(anyOfRequirements));
          const ps = subs.map(([p]) => p);
          parts.push((e) => ps.some((p) => p(e)));
          break;
        }
        case 'not': {
          const [inner] = this.node(value as EventFilterInput, at, depth + 1, false);
          parts.push((e) => !inner(e));
          break;
        }
        case 'eventid':
          if (!top) throw bad(at, 'eventid may be tested only outside `or` and `not` (it bounds the read)');
          this.eventid(value as LongFilterInput, at);
          break;
        case 'heroldtime':
          if (!top) throw bad(at, 'heroldtime may be tested only outside `or` and `not` (it bounds the read)');
          this.heroldtime(value as StringFilterInput, at);
          break;
        case 'ext':
          (value as ExtensionFilterInput[]).forEach((x, i) => {
            const name = extensionName(x.name, `${at}/${i}/name`);
            const { name: _, ...ops } = x;
            parts.push(this.attribute(name, ops, `${at}/${i}`, true, all));
          });
          break;
        case 'attr':
          (value as AttributeFilterInput[]).forEach((x, i) => parts.push(this.typedAttribute(x, `${at}/${i}`)));
          break;
        default:
          if (!(STRING_ATTRIBUTES as readonly string[]).includes(key)) throw bad(at, `'${key}' is not a filter field`);
          parts.push(this.attribute(key, value as StringFilterInput, at, false, all));
      }
    }
    if (parts.length === 0) return [() => true, requires];
    if (parts.length === 1) return [parts[0], requires];
    return [(e) => parts.every((p) => p(e)), requires];
  }

  /** The tests of one attribute's filter, all of which must hold. Extension values compare as text. */
  private attribute(name: string, ops: StringFilterInput, pointer: string, extension: boolean, require: (r: Requirements) => void): EventPredicate {
    const tests: Test[] = [];
    for (const [op, arg] of Object.entries(ops)) {
      if (arg === null || arg === undefined) continue;
      if (++this.tests > MAX_TESTS) throw bad(pointer, `more than ${MAX_TESTS} tests in one filter`);
      tests.push(stringTest(op, arg, `${pointer}/${op}`, name === 'time' && !extension));
      // eq and in on type, source or subject let the live tail skip whole commits.
      if (INDEXED.has(name) && !extension && (op === 'eq' || op === 'in')) {
        require({ [name]: new Set(op === 'eq' ? [arg as string] : (arg as string[])) });
      }
    }
    this.attributes.add(name);
    const value = extension ? (e: Record<string, unknown>) => asText(e[name]) : (e: Record<string, unknown>) => e[name];
    if (tests.length === 1) {
      const t = tests[0];
      return (e) => t(value(e));
    }
    return (e) => {
      const v = value(e);
      return tests.every((t) => t(v));
    };
  }

  /**
   * A test on an extension attribute by name, typed by the list's declaration:
   * a name the list does not declare (when it declares attributes the caller
   * is served) or a value of the wrong type is refused, naming the attribute.
   * An attribute the grant does not serve is not declared here: the hub
   * refuses the test on it, by name, as for any other filter.
   */
  private typedAttribute(x: AttributeFilterInput, pointer: string): EventPredicate {
    const name = extensionName(x.name, `${pointer}/name`);
    this.attributes.add(name);
    // Not served: the hub refuses the filter by this name, whatever the list declares.
    if (this.declared && !this.declared.serves(name)) return () => false;
    const types = this.declared?.types;
    const type = types?.get(name);
    if (types && types.size > 0 && !type) {
      throw bad(`${pointer}/name`, `'${name}' is not an attribute list '${this.declared!.list}' declares (it declares ${[...types.keys()].join(', ')}); use ext to test an undeclared one as text`);
    }
    const tests: ((v: unknown) => boolean)[] = [];
    for (const [op, arg] of Object.entries(x)) {
      if (op === 'name' || arg === null || arg === undefined) continue;
      if (++this.tests > MAX_TESTS) throw bad(pointer, `more than ${MAX_TESTS} tests in one filter`);
      if (Array.isArray(arg) && arg.length > MAX_LIST) throw bad(`${pointer}/${op}`, `more than ${MAX_LIST} values`);
      const test = attributeTest(type, op, arg);
      if (typeof test === 'string') throw bad(`${pointer}/${op}`, `'${name}': ${test}`);
      tests.push(test);
    }
    return (e) => {
      const v = e[name];
      return tests.every((t) => t(v));
    };
  }

  private eventid(f: LongFilterInput, pointer: string): void {
    let ranges: SeqRange[] = this.ranges ?? [[0, Infinity]];
    const values = (op: string, list: number[]) => {
      if (list.length > MAX_EVENTID_VALUES) throw bad(`${pointer}/${op}`, `more than ${MAX_EVENTID_VALUES} values`);
      return [...new Set(list)].sort((a, b) => a - b);
    };
    for (const [op, arg] of Object.entries(f)) {
      if (arg === null || arg === undefined) continue;
      if (this.lowerBoundOnly && op !== 'gt' && op !== 'gte') {
        throw bad(`${pointer}/${op}`, 'a subscription follows the list without end: bound eventid only from below (gt, gte), or read a fixed range with the events query');
      }
      const n = arg as number;
      switch (op) {
        case 'gt':
          ranges = intersect(ranges, [[n + 1, Infinity]]);
          break;
        case 'gte':
          ranges = intersect(ranges, [[n, Infinity]]);
          break;
        case 'lt':
          ranges = intersect(ranges, [[0, n - 1]]);
          break;
        case 'lte':
          ranges = intersect(ranges, [[0, n]]);
          break;
        case 'eq':
          ranges = intersect(ranges, [[n, n]]);
          break;
        case 'in':
          ranges = intersect(ranges, values(op, arg as number[]).map((v) => [v, v] as const));
          break;
        case 'neq':
          ranges = subtract(ranges, [n]);
          break;
        case 'nin':
          ranges = subtract(ranges, values(op, arg as number[]));
          break;
      }
    }
    this.ranges = ranges;
  }

  private heroldtime(f: StringFilterInput, pointer: string): void {
    for (const [op, arg] of Object.entries(f)) {
      if (arg === null || arg === undefined) continue;
      const at = `${pointer}/${op}`;
      if (!['eq', 'gt', 'gte', 'lt', 'lte'].includes(op)) throw bad(at, 'heroldtime takes eq, gt, gte, lt and lte (it bounds the commit time)');
      const ms = rfc3339Ms(arg as string);
      if (ms === undefined) throw bad(at, 'not an RFC 3339 timestamp such as 2026-01-31T12:00:00Z');
      // heroldtime has millisecond resolution.
      const since = op === 'gt' ? ms + 1 : op === 'gte' || op === 'eq' ? ms : undefined;
      const until = op === 'lt' ? ms : op === 'lte' || op === 'eq' ? ms + 1 : undefined;
      if (since !== undefined) this.window.since = Math.max(this.window.since ?? since, since);
      if (until !== undefined) this.window.until = Math.min(this.window.until ?? until, until);
    }
  }
}

function stringTest(op: string, arg: unknown, pointer: string, instant: boolean): Test {
  if (op === 'in' || op === 'nin') {
    const list = arg as string[];
    if (list.length > MAX_LIST) throw bad(pointer, `more than ${MAX_LIST} values`);
    const set = new Set(list);
    return op === 'in' ? (v) => typeof v === 'string' && set.has(v) : (v) => typeof v !== 'string' || !set.has(v);
  }
  const s = arg as string;
  switch (op) {
    case 'eq':
      return (v) => v === s;
    case 'neq':
      return (v) => v !== s;
    case 'startsWith':
      return (v) => typeof v === 'string' && v.startsWith(s);
    case 'endsWith':
      return (v) => typeof v === 'string' && v.endsWith(s);
    case 'contains':
      return (v) => typeof v === 'string' && v.includes(s);
  }
  // Ordering: `time` as instants (offsets differ in text), other attributes by their text.
  const cmp = ordering(op);
  if (instant) {
    const ms = rfc3339Ms(s);
    if (ms === undefined) throw bad(pointer, 'not an RFC 3339 timestamp such as 2026-01-31T12:00:00Z');
    return (v) => {
      const t = typeof v === 'string' ? rfc3339Ms(v) : undefined;
      return t !== undefined && cmp(t < ms ? -1 : t > ms ? 1 : 0);
    };
  }
  return (v) => typeof v === 'string' && cmp(v < s ? -1 : v > s ? 1 : 0);
}

function ordering(op: string): (c: number) => boolean {
  switch (op) {
    case 'gt':
      return (c) => c > 0;
    case 'gte':
      return (c) => c >= 0;
    case 'lt':
      return (c) => c < 0;
    default:
      return (c) => c <= 0;
  }
}

/**
 * Extension values are compared as text (a number 7 matches "7"). The name is
 * a CloudEvents attribute name; herold* are the hub's own, filtered through
 * eventid and heroldtime.
 */
function extensionName(name: string, pointer: string): string {
  if (!/^[a-z0-9]{1,20}$/.test(name)) throw bad(pointer, 'an extension attribute name is 1 to 20 lower-case letters or digits');
  if (name.startsWith('herold')) throw bad(pointer, `'${name}' is the hub's own attribute: filter on eventid or heroldtime`);
  if (name === 'data' || name === 'data_base64') throw bad(pointer, 'data cannot be filtered on');
  return name;
}

/** Extension values as text for the string tests. */
function asText(v: unknown): unknown {
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : v;
}

function intersect(a: readonly SeqRange[], b: readonly SeqRange[]): SeqRange[] {
  const out: SeqRange[] = [];
  for (const [alo, ahi] of a) {
    for (const [blo, bhi] of b) {
      const lo = Math.max(alo, blo);
      const hi = Math.min(ahi, bhi);
      if (lo <= hi) out.push([lo, hi]);
    }
  }
  return out.sort((x, y) => x[0] - y[0]);
}

function subtract(ranges: readonly SeqRange[], seqs: readonly number[]): SeqRange[] {
  let out = [...ranges];
  for (const s of seqs) {
    const next: SeqRange[] = [];
    for (const [lo, hi] of out) {
      if (s < lo || s > hi) next.push([lo, hi]);
      else {
        if (lo <= s - 1) next.push([lo, s - 1]);
        if (s + 1 <= hi) next.push([s + 1, hi]);
      }
    }
    out = next;
  }
  return out;
}

function bad(pointer: string, message: string) {
  const errors: Violation[] = [{ pointer, message }];
  return invalid(`The where filter is not valid at ${pointer}: ${message}.`, errors);
}
