/**
 * The cost budget of CESQL (DESIGN.md invariant 10): whatever an expression
 * says, compiling it and evaluating it against an event are bounded in time
 * and memory by the size of the expression and the event.
 *
 * - At compile time the parser bounds length, nesting and node count, and the
 *   compiler bounds what the constant parts of the expression could build
 *   (a string of at most {@link MAX_STRING_LENGTH}) or cost (at most
 *   {@link EVALUATION_BUDGET}), from sizes alone, without building anything.
 *   Exceeding either is a {@link CesqlBudgetError}, a kind of parse error, so
 *   every door that takes a filter refuses it with a 400.
 * - Constant folding does at most {@link foldBudget} work per compile; what
 *   it cannot afford is evaluated per event instead, so a compiled filter is
 *   never larger than its source allows.
 * - Each evaluation has {@link EVALUATION_BUDGET} units of work: one unit per
 *   character a function reads or builds and per character LIKE examines.
 *   Spending more, or building a string longer than MAX_STRING_LENGTH, is an
 *   evaluation error; as a filter, the event does not match.
 */
import type { CesqlValue } from './ast.js';
import { raise, toStr, type Ctx, type StaticType } from './values.js';

/** Longest string a function may build, in UTF-16 code units. */
export const MAX_STRING_LENGTH = 262_144;
/**
 * Units of work one evaluation may do. Measured on a 2-core machine, the
 * costliest kinds of unit (LIKE over a subject that nearly matches
 * everywhere) take up to about 10 ns, so an evaluation that spends all of
 * it takes about 10 ms at worst.
 */
export const EVALUATION_BUDGET = 1_048_576;
/** Most nodes (operators, operands, function calls) in one syntax tree. */
export const MAX_NODES = 10_000;
/** Most filter objects plus attributes named in one set of Subscriptions API filters. */
export const MAX_FILTER_NODES = 1_000;

/** Work constant folding may do for an expression of `length` characters. */
export function foldBudget(length: number): number {
  return 4 * length + 4096;
}

/** Numbers in messages, with thousands separators (not toLocaleString: it is slow, and errors can be many). */
export function count(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+$)/g, ',');
}

const OVER_BUDGET = `exceeds the evaluation budget of ${count(EVALUATION_BUDGET)} units (characters read or built by one evaluation)`;

/** Spends `units` of the evaluation's budget; false, with an error raised, once it is spent. */
export function charge(ctx: Ctx, units: number, what: string, pos: number): boolean {
  ctx.budget -= units;
  if (ctx.budget >= 0) return true;
  if (ctx.errors === null) ctx.count++; // filter mode: no message needed
  else raise(ctx, 'generic', `${what}: ${OVER_BUDGET}`, pos);
  return false;
}

/** False, with a function error raised, when a result of `length` would be longer than MAX_STRING_LENGTH. */
export function fitsString(ctx: Ctx, length: number, name: string, pos: number): boolean {
  if (length <= MAX_STRING_LENGTH) return true;
  raise(ctx, 'functionEvaluation', `${name}: the result would be ${count(length)} characters; the limit is ${count(MAX_STRING_LENGTH)}`, pos);
  return false;
}

// ---- static sizes ----------------------------------------------------------------

/**
 * Upper bound of the length of a value in its String form: `chars` plus
 * `copies` times the length of the longest attribute of the event. Constant
 * subexpressions have `copies` 0, so their bound is known at compile time.
 */
export interface Size {
  readonly chars: number;
  readonly copies: number;
}

/** Integers and Booleans as strings: at most 11 characters ("-2147483648"). */
export const SCALAR: Size = { chars: 11, copies: 0 };
export const ATTRIBUTE: Size = { chars: 0, copies: 1 };

export function literalSize(value: CesqlValue): Size {
  return { chars: toStr(value).length, copies: 0 };
}

function sum(sizes: readonly Size[]): Size {
  let chars = 0;
  let copies = 0;
  for (const s of sizes) {
    chars += s.chars;
    copies += s.copies;
  }
  return { chars, copies };
}

function times(s: Size, k: number): Size {
  return { chars: s.chars * k, copies: s.copies * k };
}

/** Bound of a function's result; `args` are the bounds of its arguments. */
export function callSize(name: string, returns: StaticType, args: readonly Size[]): Size {
  if (returns !== 'String') return SCALAR;
  switch (name) {
    case 'CONCAT':
      return sum(args);
    case 'CONCAT_WS':
      // The separator goes between every two of the other arguments.
      return sum([times(args[0]!, Math.max(0, args.length - 2)), ...args.slice(1)]);
    case 'LOWER':
    case 'UPPER':
      // Case mapping turns one UTF-16 unit into at most three (U+0390 → U+0399 U+0308 U+0301).
      return times(args[0]!, 3);
    default:
      // TRIM, LEFT, RIGHT, SUBSTRING, STRING: never longer than their first argument.
      return args[0] ?? SCALAR;
  }
}
