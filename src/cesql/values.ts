/**
 * The CESQL type system (spec §3.1), casts (§3.7) and the per-evaluation
 * context that collects errors. Values are plain JS primitives: String is a
 * string, Integer a number that is always a 32-bit signed integer (never -0),
 * Boolean a boolean.
 */
import type { CesqlValue } from './ast.js';
import { cesqlError, type CesqlError, type CesqlErrorKind } from './errors.js';

export type CesqlType = 'String' | 'Integer' | 'Boolean';
/** Static type of a subexpression; `Any` for attribute references, known only at run time. */
export type StaticType = CesqlType | 'Any';

export const INT_MIN = -2147483648;
export const INT_MAX = 2147483647;

/**
 * What an attribute reference yields when the attribute is absent. Only
 * attribute nodes produce it; every operator or function that receives it
 * returns the zero value of its own return type (spec §3.2).
 */
export const MISSING: unique symbol = Symbol('cesql.missing');
export type Out = CesqlValue | typeof MISSING;

/** Error sink of one evaluation. */
export interface Ctx {
  /** Errors raised so far. */
  count: number;
  /** The errors themselves, or null when only the count matters (filter mode). */
  errors: CesqlError[] | null;
  /** Units of work this evaluation may still do (see budget.ts). */
  budget: number;
}

export type Fn = (event: Record<string, unknown>, ctx: Ctx) => Out;

export function raise(ctx: Ctx, kind: CesqlErrorKind, reason: string, pos: number): void {
  ctx.count++;
  if (ctx.errors !== null) ctx.errors.push(cesqlError(kind, reason, pos));
}

/** Records an error built ahead of time (used where the same error can recur per event). */
export function raisePrebuilt(ctx: Ctx, error: CesqlError): void {
  ctx.count++;
  if (ctx.errors !== null) ctx.errors.push(error);
}

export function typeOf(v: CesqlValue): CesqlType {
  return typeof v === 'string' ? 'String' : typeof v === 'number' ? 'Integer' : 'Boolean';
}

export function zeroOf(type: StaticType): CesqlValue {
  return type === 'String' ? '' : type === 'Integer' ? 0 : false;
}

export function describeValue(v: CesqlValue): string {
  if (typeof v === 'string') {
    const shown = v.length > 32 ? `${v.slice(0, 32)}…` : v;
    return `String ${JSON.stringify(shown)}`;
  }
  return `${typeOf(v)} ${String(v)}`;
}

/** String → Integer (spec §3.7): optional sign, base-10 digits, 32-bit range. */
export function parseInteger(s: string): number | undefined {
  const n = s.length;
  if (n === 0) return undefined;
  let i = 0;
  let negative = false;
  const first = s.charCodeAt(0);
  if (first === 0x2b || first === 0x2d) {
    negative = first === 0x2d;
    i = 1;
    if (n === 1) return undefined;
  }
  let acc = 0;
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return undefined;
    acc = acc * 10 + d;
    if (acc > 2147483648) return undefined;
  }
  if (negative) return acc === 0 ? 0 : -acc;
  return acc > INT_MAX ? undefined : acc;
}

/** String → Boolean (spec §3.7): "true" or "false", case-insensitively. */
export function parseBoolean(s: string): boolean | undefined {
  if (s.length !== 4 && s.length !== 5) return undefined;
  const lower = s.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

export function toStr(v: CesqlValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return v ? 'true' : 'false';
}

/** Implicit or explicit cast to Integer; an invalid string yields 0 and a CastError. */
export function toInteger(v: CesqlValue, ctx: Ctx, pos: number): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const parsed = parseInteger(v);
  if (parsed !== undefined) return parsed;
  castFailed(ctx, v, 'Integer', pos);
  return 0;
}

/**
 * Implicit cast to Boolean, as operators (NOT, AND, OR, XOR, =, IN) apply it.
 * Strings "true"/"false" convert; an Integer operand is a CastError with
 * the zero value `false` (the TCK's `NOT 10` is `true` with a cast error).
 * The explicit BOOL() function does convert integers, see {@link castToBoolean}.
 */
export function toBoolean(v: CesqlValue, ctx: Ctx, pos: number): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const parsed = parseBoolean(v);
    if (parsed !== undefined) return parsed;
  }
  castFailed(ctx, v, 'Boolean', pos);
  return false;
}

/** Explicit cast to Boolean (BOOL): Integer 0 is false, any other Integer true. */
export function castToBoolean(v: CesqlValue, ctx: Ctx, pos: number): boolean {
  if (typeof v === 'number') return v !== 0;
  return toBoolean(v, ctx, pos);
}

export function castFailed(ctx: Ctx, v: CesqlValue, target: CesqlType, pos: number): void {
  ctx.count++;
  if (ctx.errors !== null) {
    const reason =
      typeof v === 'number' && target === 'Boolean'
        ? `cannot implicitly cast ${describeValue(v)} to Boolean (use BOOL())`
        : `cannot cast ${describeValue(v)} to ${target}`;
    ctx.errors.push(cesqlError('cast', reason, pos));
  }
}

/**
 * Converts an attribute value of a structured-mode event to a CESQL value
 * (spec §3.2): strings and booleans as they are, numbers that are 32-bit
 * integers as Integer, anything else as its String representation.
 */
export function fromAttribute(v: unknown): CesqlValue {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isInteger(v) && v >= INT_MIN && v <= INT_MAX ? (v === 0 ? 0 : v) : String(v);
    case 'bigint':
      return v >= BigInt(INT_MIN) && v <= BigInt(INT_MAX) ? Number(v) : String(v);
    default:
      try {
        return JSON.stringify(v) ?? String(v);
      } catch {
        return String(v);
      }
  }
}

/** Whether `name` must be looked up as an own property (it also names something on Object.prototype). */
export function shadowsPrototype(name: string): boolean {
  return name in Object.prototype;
}
