/**
 * Built-in functions (spec §3.5): string manipulation, ABS, and the casting
 * functions INT, BOOL, STRING, IS_INT, IS_BOOL. Names are matched
 * case-insensitively; overloads are told apart by arity. Arguments arrive
 * already cast to the parameter types; a function reports its own errors and
 * always returns a value of its return type.
 */
import type { CesqlValue } from './ast.js';
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
const EDGE_WHITESPACE = /^\p{White_Space}+|\p{White_Space}+$/gu;

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
    call: (_ctx, _pos, args: string[]) => args.join(''),
  },
  {
    name: 'CONCAT_WS',
    params: ['String'],
    variadic: 'String',
    returns: 'String',
    call: (_ctx, _pos, args: string[]) => args.slice(1).join(args[0]),
  },
  { name: 'LOWER', params: ['String'], returns: 'String', call: (_c, _p, x: string) => x.toLowerCase() },
  { name: 'UPPER', params: ['String'], returns: 'String', call: (_c, _p, x: string) => x.toUpperCase() },
  {
    name: 'TRIM',
    params: ['String'],
    returns: 'String',
    call: (_c, _p, x: string) => x.replace(EDGE_WHITESPACE, ''),
  },
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
