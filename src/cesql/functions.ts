/**
 * Built-in functions (spec §3.5): string manipulation, ABS, and the casting
 * functions INT, BOOL, STRING, IS_INT, IS_BOOL. Names are matched
 * case-insensitively; overloads are told apart by arity. Arguments arrive
 * already cast to the parameter types; a function reports its own errors and
 * always returns a value of its return type.
 *
 * The caller charges the evaluation budget for the string arguments (every
 * function reads its input at most a constant number of times); a function
 * that can build a longer string than it read checks the result against
 * MAX_STRING_LENGTH before building it, or right after for case mapping.
 */
import type { CesqlValue } from './ast.js';
import { charge, fitsString } from './budget.js';
import {
  castToBoolean,
  INT_MAX,
  INT_MIN,
  parseBoolean,
  parseInteger,
  raise,
  toInteger,
  toStr,
  type CesqlType,
  type Ctx,
} from './values.js';

export type ParamType = CesqlType | 'Any';

/** `call` receives (ctx, pos, ...arguments); a variadic function receives (ctx, pos, argumentsArray). */
export interface FunctionDef {
  readonly name: string;
  readonly params: readonly ParamType[];
  /** Type of the arguments after the fixed ones, for a variadic function. */
  readonly variadic?: ParamType;
  readonly returns: CesqlType;
  readonly call: (ctx: Ctx, pos: number, a?: any, b?: any, c?: any) => CesqlValue;
}

// ---- Unicode-aware string helpers (a character is a code point) ----------

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * The Unicode White_Space characters (all in the BMP). TRIM scans for them by
 * hand: the regular expression /\p{White_Space}+$/ backtracks quadratically
 * over a long run of spaces that is not at the end.
 */
export function isWhiteSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0x85) return false;
  return (
    c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000
  );
}

function trim(x: string): string {
  let start = 0;
  let end = x.length;
  while (start < end && isWhiteSpace(x.charCodeAt(start))) start++;
  while (end > start && isWhiteSpace(x.charCodeAt(end - 1))) end--;
  return start === 0 && end === x.length ? x : x.slice(start, end);
}

/** Case mapping can lengthen a string (ß → SS); a result over the limit is an error. */
function mapCase(ctx: Ctx, pos: number, name: string, mapped: string): string {
  return fitsString(ctx, mapped.length, name, pos) ? mapped : '';
}

export function codePointLength(s: string): number {
  if (!SURROGATE.test(s)) return s.length;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** Characters [start, end) of `s`, counted in code points. */
function slice(s: string, start: number, end: number): string {
  if (!SURROGATE.test(s)) return s.slice(start, end);
  return Array.from(s).slice(start, end).join('');
}

// ---- definitions ------------------------------------------------------------

function fnError(ctx: Ctx, pos: number, name: string, reason: string): void {
  raise(ctx, 'functionEvaluation', `${name}: ${reason}`, pos);
}

function substring(ctx: Ctx, pos: number, x: string, start: number, len: number | undefined): string {
  const name = 'SUBSTRING';
  if (len !== undefined && len < 0) {
    fnError(ctx, pos, name, `length ${len} is negative`);
    return '';
  }
  const n = codePointLength(x);
  if (start > n || start < -n) {
    fnError(ctx, pos, name, `position ${start} is outside a string of length ${n}`);
    return '';
  }
  if (start === 0) return '';
  const from = start > 0 ? start - 1 : n + start;
  const to = len === undefined ? n : Math.min(n, from + len);
  return slice(x, from, to);
}

const DEFINITIONS: FunctionDef[] = [
  {
    name: 'LENGTH',
    params: ['String'],
    returns: 'Integer',
    call: (_ctx, _pos, x: string) => codePointLength(x),
  },
  {
    name: 'CONCAT',
    params: [],
    variadic: 'String',
    returns: 'String',
    call: (ctx, pos, args: string[]) => {
      let length = 0;
      for (let i = 0; i < args.length; i++) length += args[i]!.length;
      return fitsString(ctx, length, 'CONCAT', pos) ? args.join('') : '';
    },
  },
  {
    name: 'CONCAT_WS',
    params: ['String'],
    variadic: 'String',
    returns: 'String',
    call: (ctx, pos, args: string[]) => {
      if (args.length < 2) return '';
      // The separator is repeated between the values: the one function whose result can be
      // many times longer than its arguments, so its length is checked and charged up front.
      const separators = args[0]!.length * (args.length - 2);
      let length = separators;
      for (let i = 1; i < args.length; i++) length += args[i]!.length;
      if (!fitsString(ctx, length, 'CONCAT_WS', pos) || !charge(ctx, separators, 'CONCAT_WS', pos)) return '';
      return args.slice(1).join(args[0]);
    },
  },
  { name: 'LOWER', params: ['String'], returns: 'String', call: (ctx, pos, x: string) => mapCase(ctx, pos, 'LOWER', x.toLowerCase()) },
  { name: 'UPPER', params: ['String'], returns: 'String', call: (ctx, pos, x: string) => mapCase(ctx, pos, 'UPPER', x.toUpperCase()) },
  { name: 'TRIM', params: ['String'], returns: 'String', call: (_c, _p, x: string) => trim(x) },
  {
    name: 'LEFT',
    params: ['String', 'Integer'],
    returns: 'String',
    call: (ctx, pos, x: string, y: number) => {
      if (y < 0) {
        fnError(ctx, pos, 'LEFT', `length ${y} is negative`);
        return x;
      }
      return slice(x, 0, y);
    },
  },
  {
    name: 'RIGHT',
    params: ['String', 'Integer'],
    returns: 'String',
    call: (ctx, pos, x: string, y: number) => {
      if (y < 0) {
        fnError(ctx, pos, 'RIGHT', `length ${y} is negative`);
        return x;
      }
      const n = codePointLength(x);
      return y >= n ? x : slice(x, n - y, n);
    },
  },
  {
    name: 'SUBSTRING',
    params: ['String', 'Integer'],
    returns: 'String',
    call: (ctx, pos, x: string, start: number) => substring(ctx, pos, x, start, undefined),
  },
  {
    name: 'SUBSTRING',
    params: ['String', 'Integer', 'Integer'],
    returns: 'String',
    call: (ctx, pos, x: string, start: number, len: number) => substring(ctx, pos, x, start, len),
  },
  {
    name: 'ABS',
    params: ['Integer'],
    returns: 'Integer',
    call: (ctx, pos, x: number) => {
      if (x === INT_MIN) {
        raise(ctx, 'math', 'ABS: the absolute value of -2147483648 overflows a 32-bit integer', pos);
        return INT_MAX;
      }
      return x < 0 ? -x : x;
    },
  },
  {
    name: 'INT',
    params: ['Any'],
    returns: 'Integer',
    call: (ctx, pos, x: CesqlValue) => toInteger(x, ctx, pos),
  },
  {
    name: 'BOOL',
    params: ['Any'],
    returns: 'Boolean',
    call: (ctx, pos, x: CesqlValue) => castToBoolean(x, ctx, pos),
  },
  {
    name: 'STRING',
    params: ['Any'],
    returns: 'String',
    call: (_ctx, _pos, x: CesqlValue) => toStr(x),
  },
  {
    name: 'IS_INT',
    params: ['Any'],
    returns: 'Boolean',
    call: (_ctx, _pos, x: CesqlValue) => typeof x !== 'string' || parseInteger(x) !== undefined,
  },
  {
    name: 'IS_BOOL',
    params: ['Any'],
    returns: 'Boolean',
    call: (_ctx, _pos, x: CesqlValue) => typeof x !== 'string' || parseBoolean(x) !== undefined,
  },
];

const BY_NAME = new Map<string, FunctionDef[]>();
for (const def of DEFINITIONS) {
  const list = BY_NAME.get(def.name) ?? [];
  list.push(def);
  BY_NAME.set(def.name, list);
}

/** The overload of `name` (upper-case) that takes `arity` arguments. */
export function lookupFunction(name: string, arity: number): FunctionDef | undefined {
  const overloads = BY_NAME.get(name);
  if (!overloads) return undefined;
  for (const def of overloads) if (!def.variadic && def.params.length === arity) return def;
  for (const def of overloads) if (def.variadic && def.params.length <= arity) return def;
  return undefined;
}

/** Explains why `name` with `arity` arguments cannot be dispatched. */
export function describeMissingFunction(name: string, arity: number): string {
  const overloads = BY_NAME.get(name);
  const plural = (k: number) => `${k} argument${k === 1 ? '' : 's'}`;
  if (!overloads) return `unknown function ${name}`;
  const accepted = overloads.map((d) => (d.variadic ? `at least ${d.params.length}` : String(d.params.length)));
  return `function ${name} does not take ${plural(arity)} (it takes ${accepted.join(' or ')})`;
}

export const BUILTIN_FUNCTION_NAMES: readonly string[] = [...BY_NAME.keys()];
