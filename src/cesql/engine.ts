/** The CESQL entry points: parse, compile once, evaluate many times. */
import type { Ast, CesqlValue } from './ast.js';
import { EVALUATION_BUDGET } from './budget.js';
import { compileAst } from './compile.js';
import { cesqlError, CesqlParseError, type CesqlBudgetError, type CesqlError } from './errors.js';
import { parse } from './parser.js';
import { MISSING, type Ctx, type Fn, type StaticType } from './values.js';

/** A CloudEvent in structured (JSON) form: attribute name → value. */
export type CesqlEvent = Record<string, unknown>;

export interface CesqlResult {
  /** The expression's value; the zero value of its type where errors forced one. */
  value: CesqlValue;
  /** Every error raised during evaluation, in evaluation order; empty when none. */
  errors: CesqlError[];
}

export interface CompiledCesql {
  /** The expression as given. */
  readonly source: string;
  /** Static result type; `Any` when the expression is a bare attribute reference. */
  readonly resultType: StaticType;
  /**
   * Errors known at compile time that are raised whenever the subexpression
   * containing them is evaluated (calls to unknown functions or with the
   * wrong number of arguments).
   */
  readonly diagnostics: readonly CesqlError[];
  /** Complete evaluation (spec §4.1): the value plus every error raised. */
  evaluate(event: CesqlEvent): CesqlResult;
  /** Filter semantics (spec §1.2): true only for the Boolean `true` with no error. */
  matches(event: CesqlEvent): boolean;
}

/**
 * Evaluation over plain JSON data cannot throw; an event object that does
 * (a throwing getter, a revoked proxy) yields a GenericError instead of an
 * exception on the ingest or read path.
 */
function unexpected(e: unknown): CesqlError {
  const detail = e instanceof Error ? e.message : String(e);
  return cesqlError('generic', `evaluation failed: ${detail}`, 0);
}

/** Parses a CESQL v1 expression. Throws {@link CesqlParseError} with the offending position. */
export function parseCesql(expression: string): Ast {
  return parse(expression);
}

/** The closure tree of each compiled expression, for {@link matchesWithin}. */
const ROOTS = new WeakMap<CompiledCesql, Fn>();

/**
 * Filter semantics like `compiled.matches`, but spending `meter`'s budget:
 * several expressions evaluated for one event (the `sql` filters of one
 * subscription) share one evaluation budget. The caller resets the meter per event.
 */
export function matchesWithin(compiled: CompiledCesql, event: CesqlEvent, meter: Ctx): boolean {
  const c = meter.count;
  try {
    return ROOTS.get(compiled)!(event, meter) === true && meter.count === c;
  } catch {
    return false;
  }
}

/**
 * Parses and compiles an expression into closures. Throws {@link CesqlParseError},
 * or its kind {@link CesqlBudgetError} for an expression over the cost budget.
 */
export function compileCesql(expression: string): CompiledCesql {
  const ast = parse(expression);
  const { root, diagnostics } = compileAst(ast, expression.length);
  const fn = root.fn;
  // Filter mode counts errors without materialising them. Evaluation is
  // synchronous and calls nothing outside the engine, so one context per
  // compiled expression can be reused.
  const filterCtx: Ctx = { count: 0, errors: null, budget: EVALUATION_BUDGET };
  const compiled: CompiledCesql = {
    source: expression,
    resultType: root.type,
    diagnostics,
    evaluate(event: CesqlEvent): CesqlResult {
      const errors: CesqlError[] = [];
      try {
        const out = fn(event, { count: 0, errors, budget: EVALUATION_BUDGET });
        // A bare missing attribute: its type is unknown, so it is a Boolean (spec §3.2).
        return { value: out === MISSING ? false : out, errors };
      } catch (e) {
        errors.push(unexpected(e));
        return { value: false, errors };
      }
    },
    matches(event: CesqlEvent): boolean {
      filterCtx.count = 0;
      filterCtx.budget = EVALUATION_BUDGET;
      try {
        return fn(event, filterCtx) === true && filterCtx.count === 0;
      } catch {
        return false;
      }
    },
  };
  ROOTS.set(compiled, fn);
  return compiled;
}

/**
 * Parses, compiles and evaluates in one go; a syntax error is reported as
 * the result `false` with one `parse` error instead of being thrown.
 * Compile once with {@link compileCesql} to evaluate an expression repeatedly.
 */
export function evaluateCesql(expression: string, event: CesqlEvent): CesqlResult {
  let compiled: CompiledCesql;
  try {
    compiled = compileCesql(expression);
  } catch (e) {
    if (e instanceof CesqlParseError) return { value: false, errors: [e.toCesqlError()] };
    throw e;
  }
  return compiled.evaluate(event);
}
