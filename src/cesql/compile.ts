/**
 * Compiles a CESQL syntax tree into a tree of closures, once. Evaluating
 * then walks no AST, re-parses nothing and allocates nothing on the normal
 * path: values are JS primitives and errors go to a reusable context.
 *
 * Semantics follow spec §3: implicit casts per §3.7 (`=`/`!=`/`<>` cast the
 * left operand to the type of the right one, IN casts the set elements to
 * the type of the left operand); an operator or function whose operands
 * raised an error (a missing attribute, say) returns the zero value of its
 * own return type; AND/OR short-circuit; integer overflow is a MathError.
 *
 * The cost budget (budget.ts) is enforced here: every node carries a bound
 * of its String length and of the work its constant parts do per
 * evaluation, both computed from sizes without building anything, and an
 * expression over either limit is a CesqlBudgetError. Folding replaces a node
 * whose operands are literals by its value, within a budget proportional to
 * the expression's length.
 */
import type { Ast, CallNode, CesqlValue, InNode } from './ast.js';
import {
  ATTRIBUTE,
  callSize,
  charge,
  count,
  EVALUATION_BUDGET,
  foldBudget,
  literalSize,
  MAX_STRING_LENGTH,
  SCALAR,
  type Size,
} from './budget.js';
import { CesqlBudgetError, cesqlError, type CesqlError } from './errors.js';
import { describeMissingFunction, lookupFunction, type ParamType } from './functions.js';
import { compileLike } from './like.js';
import {
  fromAttribute,
  INT_MAX,
  INT_MIN,
  MISSING,
  raise,
  raisePrebuilt,
  shadowsPrototype,
  toBoolean,
  toInteger,
  toStr,
  typeOf,
  zeroOf,
  type CesqlType,
  type Ctx,
  type Fn,
  type Out,
  type StaticType,
} from './values.js';

export interface Compiled {
  readonly fn: Fn;
  readonly type: StaticType;
  /** Position of the node, for errors about this operand. */
  readonly pos: number;
  /** True when the value does not depend on the event (a candidate for folding). */
  readonly constant: boolean;
  /** Set when the node is a literal (or was folded into one). */
  readonly literal?: { readonly value: CesqlValue };
  /** Upper bound of the length of the value as a String. */
  readonly size: Size;
  /** Upper bound of the work (budget units) the node's constant parts do in one evaluation. */
  readonly work: number;
}

export interface CompileResult {
  readonly root: Compiled;
  /** Errors that are certain to arise whenever the affected subexpression is evaluated. */
  readonly diagnostics: readonly CesqlError[];
}

const EMPTY_EVENT: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/** One compilation: its diagnostics, and the context folding evaluates in (its budget shared by all folds). */
interface State {
  readonly diagnostics: CesqlError[];
  readonly fold: Ctx;
}

/** Compiles `ast`, the tree of an expression `sourceLength` characters long. Throws {@link CesqlBudgetError}. */
export function compileAst(ast: Ast, sourceLength: number): CompileResult {
  const state: State = { diagnostics: [], fold: { count: 0, errors: null, budget: foldBudget(sourceLength) } };
  const root = compileNode(ast, state);
  return { root, diagnostics: state.diagnostics };
}

function literal(value: CesqlValue, pos: number): Compiled {
  return { fn: () => value, type: typeOf(value), pos, constant: true, literal: { value }, size: literalSize(value), work: 0 };
}

/** Refuses a node whose constant parts alone are over the string length limit or the evaluation budget. */
function withinBudget(node: Compiled, what: string): Compiled {
  if (node.size.chars > MAX_STRING_LENGTH) {
    throw new CesqlBudgetError(`${what} builds a string of up to ${count(node.size.chars)} characters; the limit is ${count(MAX_STRING_LENGTH)}`, node.pos);
  }
  if (node.work > EVALUATION_BUDGET) {
    throw new CesqlBudgetError(
      `${what} may do up to ${count(node.work)} units of work, more work than one evaluation may do (${count(EVALUATION_BUDGET)})`,
      node.pos,
    );
  }
  return node;
}

/**
 * Replaces an event-independent node whose operands are already literals by
 * its value, when computing it raises no error and the compile's folding
 * budget lasts. Only the node's own operation runs, never a whole subtree
 * again, so folding an expression costs at most the folding budget.
 */
function fold(node: Compiled, operands: readonly Compiled[], state: State): Compiled {
  if (!node.constant || node.literal || state.fold.budget <= 0) return node;
  for (const o of operands) if (!o.literal) return node;
  const ctx = state.fold;
  ctx.count = 0;
  const value = node.fn(EMPTY_EVENT, ctx);
  if (ctx.count > 0 || value === MISSING) return node;
  return literal(value, node.pos);
}

function compileNode(ast: Ast, state: State): Compiled {
  switch (ast.type) {
    case 'literal':
      return literal(ast.value, ast.pos);
    case 'attribute':
      return attribute(ast.name, ast.pos);
    case 'exists':
      return exists(ast.name, ast.pos);
    case 'unary': {
      const operand = compileNode(ast.operand, state);
      return fold(ast.operator === 'NOT' ? not(operand, ast.pos) : negate(operand, ast.pos), [operand], state);
    }
    case 'binary': {
      const left = compileNode(ast.left, state);
      const right = compileNode(ast.right, state);
      return fold(binary(ast.operator, left, right, ast.pos), [left, right], state);
    }
    case 'like': {
      const operand = compileNode(ast.operand, state);
      return fold(withinBudget(like(operand, ast.pattern, ast.negated, ast.pos), 'LIKE'), [operand], state);
    }
    case 'in': {
      const operand = compileNode(ast.operand, state);
      const elements = ast.set.map((el) => compileNode(el, state));
      return fold(withinBudget(inSet(ast, operand, elements), 'IN'), [operand, ...elements], state);
    }
    case 'call': {
      const args = ast.args.map((a) => compileNode(a, state));
      return fold(withinBudget(call(ast, args, state.diagnostics), ast.name), args, state);
    }
  }
}

/** Work of the operands' constant parts, for an operator that adds none of its own. */
function workOf(...operands: Compiled[]): number {
  let work = 0;
  for (const o of operands) work += o.work;
  return work;
}

// ---- attributes ----------------------------------------------------------------

function attribute(name: string, pos: number): Compiled {
  const missing = cesqlError('missingAttribute', `missing attribute '${name}'`, pos);
  let fn: Fn;
  if (name === 'data') {
    // `data` is the payload, not a context attribute; CESQL does not address it (spec §1).
    fn = (_ev, ctx) => {
      raisePrebuilt(ctx, missing);
      return MISSING;
    };
  } else if (shadowsPrototype(name)) {
    fn = (ev, ctx) => {
      const v = Object.hasOwn(ev, name) ? ev[name] : undefined;
      if (v === undefined || v === null) {
        raisePrebuilt(ctx, missing);
        return MISSING;
      }
      return fromAttribute(v);
    };
  } else {
    fn = (ev, ctx) => {
      const v = ev[name];
      if (typeof v === 'string') return v;
      if (v === undefined || v === null) {
        raisePrebuilt(ctx, missing);
        return MISSING;
      }
      return fromAttribute(v);
    };
  }
  return { fn, type: 'Any', pos, constant: false, size: ATTRIBUTE, work: 0 };
}

function exists(name: string, pos: number): Compiled {
  let fn: Fn;
  if (name === 'data') fn = () => false;
  else if (shadowsPrototype(name)) {
    fn = (ev) => {
      if (!Object.hasOwn(ev, name)) return false;
      const v = ev[name];
      return v !== undefined && v !== null;
    };
  } else {
    fn = (ev) => {
      const v = ev[name];
      return v !== undefined && v !== null;
    };
  }
  return { fn, type: 'Boolean', pos, constant: false, size: SCALAR, work: 0 };
}

// ---- unary operators -------------------------------------------------------
//
// Error propagation, uniformly: an operator evaluates its operands first; if
// that raised any error (a missing attribute included), it returns the zero
// value of its return type without operating (spec §3.2, §3.3). Casts the
// operator itself applies go on with the cast's zero value when they fail,
// which is why `NOT 10` is `true` with a CastError. `ctx.count` tells
// whether evaluating an operand raised anything.

function not(operand: Compiled, pos: number): Compiled {
  const x = operand.fn;
  const xPos = operand.pos;
  const fn: Fn = (ev, ctx) => {
    const c = ctx.count;
    const v = x(ev, ctx);
    if (ctx.count !== c) return false;
    return typeof v === 'boolean' ? !v : !toBoolean(v as CesqlValue, ctx, xPos);
  };
  return { fn, type: 'Boolean', pos, constant: operand.constant, size: SCALAR, work: operand.work };
}

function negate(operand: Compiled, pos: number): Compiled {
  const x = operand.fn;
  const xPos = operand.pos;
  const fn: Fn = (ev, ctx) => {
    const c = ctx.count;
    const v = x(ev, ctx);
    if (ctx.count !== c) return 0;
    const n = typeof v === 'number' ? v : toInteger(v as CesqlValue, ctx, xPos);
    if (n === INT_MIN) {
      // Like ABS (spec §3.5.2): the largest Integer and a MathError.
      raise(ctx, 'math', 'negating -2147483648 overflows a 32-bit integer', pos);
      return INT_MAX;
    }
    return n === 0 ? 0 : -n;
  };
  return { fn, type: 'Integer', pos, constant: operand.constant, size: SCALAR, work: operand.work };
}

// ---- binary operators --------------------------------------------------------

function binary(op: string, left: Compiled, right: Compiled, pos: number): Compiled {
  const common = { pos, constant: left.constant && right.constant, size: SCALAR, work: workOf(left, right) };
  switch (op) {
    case 'AND':
    case 'OR':
    case 'XOR':
      return { fn: logic(op, left, right), type: 'Boolean', ...common };
    case '=':
    case '!=':
    case '<>':
      return { fn: equality(op !== '=', left, right), type: 'Boolean', ...common };
    case '<':
    case '<=':
    case '>':
    case '>=':
      return { fn: comparison(op, left, right), type: 'Boolean', ...common };
    default:
      return { fn: arithmetic(op, left, right, pos), type: 'Integer', ...common };
  }
}

function asBoolean(v: Out, ctx: Ctx, pos: number): boolean {
  return typeof v === 'boolean' ? v : toBoolean(v as CesqlValue, ctx, pos);
}

function asInteger(v: Out, ctx: Ctx, pos: number): number {
  return typeof v === 'number' ? v : toInteger(v as CesqlValue, ctx, pos);
}

function logic(op: 'AND' | 'OR' | 'XOR', left: Compiled, right: Compiled): Fn {
  const x = left.fn;
  const y = right.fn;
  const xPos = left.pos;
  const yPos = right.pos;
  switch (op) {
    case 'AND':
      return (ev, ctx) => {
        let c = ctx.count;
        const a = x(ev, ctx);
        if (ctx.count !== c || !asBoolean(a, ctx, xPos)) return false; // short-circuit
        c = ctx.count;
        const b = y(ev, ctx);
        if (ctx.count !== c) return false;
        return asBoolean(b, ctx, yPos);
      };
    case 'OR':
      return (ev, ctx) => {
        let c = ctx.count;
        const a = x(ev, ctx);
        if (ctx.count !== c) return false;
        if (asBoolean(a, ctx, xPos)) return true; // short-circuit
        c = ctx.count;
        const b = y(ev, ctx);
        if (ctx.count !== c) return false;
        return asBoolean(b, ctx, yPos);
      };
    case 'XOR':
      return (ev, ctx) => {
        const c = ctx.count;
        const a = x(ev, ctx);
        const b = y(ev, ctx);
        if (ctx.count !== c) return false;
        return asBoolean(a, ctx, xPos) !== asBoolean(b, ctx, yPos);
      };
  }
}

/** `=`: the left operand is cast to the type of the right one (spec §3.7, ambiguous operators). */
function equality(negated: boolean, left: Compiled, right: Compiled): Fn {
  const x = left.fn;
  const y = right.fn;
  const xPos = left.pos;
  switch (right.type) {
    case 'String':
      return (ev, ctx) => {
        const c = ctx.count;
        const a = x(ev, ctx);
        const b = y(ev, ctx);
        if (ctx.count !== c) return false;
        return ((typeof a === 'string' ? a : toStr(a as CesqlValue)) === b) !== negated;
      };
    case 'Integer':
      return (ev, ctx) => {
        const c = ctx.count;
        const a = x(ev, ctx);
        const b = y(ev, ctx);
        if (ctx.count !== c) return false;
        return (asInteger(a, ctx, xPos) === b) !== negated;
      };
    case 'Boolean':
      return (ev, ctx) => {
        const c = ctx.count;
        const a = x(ev, ctx);
        const b = y(ev, ctx);
        if (ctx.count !== c) return false;
        return (asBoolean(a, ctx, xPos) === b) !== negated;
      };
    case 'Any':
      return (ev, ctx) => {
        const c = ctx.count;
        const a = x(ev, ctx);
        const b = y(ev, ctx);
        if (ctx.count !== c) return false;
        return equalAs(a as CesqlValue, b as CesqlValue, ctx, xPos) !== negated;
      };
  }
}

/** Compares `a` with `b` after casting `a` to the type of `b`. */
function equalAs(a: CesqlValue, b: CesqlValue, ctx: Ctx, aPos: number): boolean {
  if (typeof a === typeof b) return a === b;
  if (typeof b === 'string') return toStr(a) === b;
  if (typeof b === 'number') return toInteger(a, ctx, aPos) === b;
  return toBoolean(a, ctx, aPos) === b;
}

function comparison(op: '<' | '<=' | '>' | '>=', left: Compiled, right: Compiled): Fn {
  const x = left.fn;
  const y = right.fn;
  const xPos = left.pos;
  const yPos = right.pos;
  const test =
    op === '<'
      ? (a: number, b: number) => a < b
      : op === '<='
        ? (a: number, b: number) => a <= b
        : op === '>'
          ? (a: number, b: number) => a > b
          : (a: number, b: number) => a >= b;
  return (ev, ctx) => {
    const c = ctx.count;
    const a = x(ev, ctx);
    const b = y(ev, ctx);
    if (ctx.count !== c) return false;
    return test(asInteger(a, ctx, xPos), asInteger(b, ctx, yPos));
  };
}

function overflow(ctx: Ctx, op: string, a: number, b: number, pos: number): number {
  raise(ctx, 'math', `integer overflow in ${a} ${op} ${b}`, pos);
  return 0;
}

function arithmetic(op: string, left: Compiled, right: Compiled, pos: number): Fn {
  const x = left.fn;
  const y = right.fn;
  const xPos = left.pos;
  const yPos = right.pos;
  let operate: (a: number, b: number, ctx: Ctx) => number;
  switch (op) {
    case '+':
      operate = (a, b, ctx) => {
        const v = a + b;
        return v > INT_MAX || v < INT_MIN ? overflow(ctx, '+', a, b, pos) : v;
      };
      break;
    case '-':
      operate = (a, b, ctx) => {
        const v = a - b;
        return v > INT_MAX || v < INT_MIN ? overflow(ctx, '-', a, b, pos) : v;
      };
      break;
    case '*':
      operate = (a, b, ctx) => {
        const v = a * b; // exact whenever it is in range
        return v > INT_MAX || v < INT_MIN ? overflow(ctx, '*', a, b, pos) : v | 0;
      };
      break;
    case '/':
      operate = (a, b, ctx) => {
        if (b === 0) {
          raise(ctx, 'math', 'division by zero', pos);
          return 0;
        }
        if (a === INT_MIN && b === -1) return overflow(ctx, '/', a, b, pos);
        return (a / b) | 0; // truncates towards zero
      };
      break;
    default: // '%'
      operate = (a, b, ctx) => {
        if (b === 0) {
          raise(ctx, 'math', 'modulo by zero', pos);
          return 0;
        }
        return (a % b) | 0; // sign of the dividend; | 0 turns -0 into 0
      };
  }
  return (ev, ctx) => {
    const c = ctx.count;
    const a = x(ev, ctx);
    const b = y(ev, ctx);
    if (ctx.count !== c) return 0;
    return operate(asInteger(a, ctx, xPos), asInteger(b, ctx, yPos), ctx);
  };
}

// ---- LIKE, IN --------------------------------------------------------------

function like(operand: Compiled, pattern: string, negated: boolean, pos: number): Compiled {
  const x = operand.fn;
  const { match, unitsPerCharacter } = compileLike(pattern);
  const fn: Fn = (ev, ctx) => {
    const c = ctx.count;
    const v = x(ev, ctx);
    if (ctx.count !== c) return false;
    const matched = match(typeof v === 'string' ? v : toStr(v as CesqlValue), ctx, pos);
    if (ctx.count !== c) return false; // out of budget
    return matched !== negated;
  };
  const work = operand.work + operand.size.chars * unitsPerCharacter;
  return { fn, type: 'Boolean', pos, constant: operand.constant, size: SCALAR, work };
}

interface ConstantSet {
  readonly values: Set<CesqlValue>;
  /** How many elements do not convert to this type: each raises a CastError on every evaluation. */
  readonly failures: number;
}

type Cast = (v: CesqlValue, ctx: Ctx, pos: number) => CesqlValue;
const CASTS: Record<CesqlType, Cast> = { String: (v) => toStr(v), Integer: toInteger, Boolean: toBoolean };

/** Casts every element of a literal set to `type` once, counting the elements that fail. */
function castSet(literals: readonly CesqlValue[], type: CesqlType): ConstantSet {
  const values = new Set<CesqlValue>();
  const ctx: Ctx = { count: 0, errors: null, budget: EVALUATION_BUDGET };
  const cast = CASTS[type];
  for (const v of literals) values.add(cast(v, ctx, 0));
  return { values, failures: ctx.count };
}

function inSet(ast: InNode, operand: Compiled, elements: readonly Compiled[]): Compiled {
  const x = operand.fn;
  const negated = ast.negated;
  const constant = operand.constant && elements.every((e) => e.constant);
  let fn: Fn;
  if (elements.every((e) => e.literal)) {
    // A literal set is cast to each possible type of the left operand once, at compile time.
    // The cast errors are only counted: building them (filter mode does not need them) and
    // keeping them would cost more than the set itself.
    const literals = elements.map((e) => e.literal!.value);
    const positions = elements.map((e) => e.pos);
    const byType = { String: castSet(literals, 'String'), Integer: castSet(literals, 'Integer'), Boolean: castSet(literals, 'Boolean') };
    fn = (ev, ctx) => {
      const c = ctx.count;
      const v = x(ev, ctx);
      if (ctx.count !== c) return false;
      const type = typeof v === 'string' ? 'String' : typeof v === 'number' ? 'Integer' : 'Boolean';
      const set = byType[type];
      if (set.failures > 0) {
        if (ctx.errors === null) ctx.count += set.failures;
        else for (let i = 0; i < literals.length; i++) CASTS[type](literals[i]!, ctx, positions[i]!);
      }
      return set.values.has(v as CesqlValue) !== negated;
    };
  } else {
    const fns = elements.map((e) => e.fn);
    const positions = elements.map((e) => e.pos);
    fn = (ev, ctx) => {
      let c = ctx.count;
      const v = x(ev, ctx);
      let failed = ctx.count !== c;
      let found = false;
      for (let i = 0; i < fns.length; i++) {
        c = ctx.count;
        const el = fns[i]!(ev, ctx);
        if (ctx.count !== c) failed = true;
        // Every element is evaluated and cast, even after a match: IN does not short-circuit.
        else if (!failed && equalTo(v as CesqlValue, el as CesqlValue, ctx, positions[i]!)) found = true;
      }
      if (failed) return false;
      return found !== negated;
    };
  }
  return { fn, type: 'Boolean', pos: ast.pos, constant, size: SCALAR, work: workOf(operand, ...elements) };
}

/** `el` cast to the type of `target`, compared with it (IN: the left operand decides the type). */
function equalTo(target: CesqlValue, el: CesqlValue, ctx: Ctx, elPos: number): boolean {
  if (typeof target === typeof el) return target === el;
  if (typeof target === 'string') return toStr(el) === target;
  if (typeof target === 'number') return toInteger(el, ctx, elPos) === target;
  return toBoolean(el, ctx, elPos) === target;
}

// ---- function calls --------------------------------------------------------

type Caster = (v: CesqlValue, ctx: Ctx) => CesqlValue;

function caster(param: ParamType, arg: Compiled): Caster | null {
  if (param === 'Any' || param === arg.type) return null;
  const p = arg.pos;
  if (param === 'String') return (v) => (typeof v === 'string' ? v : toStr(v));
  if (param === 'Integer') return (v, ctx) => (typeof v === 'number' ? v : toInteger(v, ctx, p));
  return (v, ctx) => (typeof v === 'boolean' ? v : toBoolean(v, ctx, p));
}

/**
 * Charges the evaluation budget for a function's String argument: every
 * built-in reads its input a bounded number of times, so this bounds the
 * work of the function itself.
 */
function chargeArgument(ctx: Ctx, v: CesqlValue, name: string, pos: number): boolean {
  return typeof v !== 'string' || charge(ctx, v.length, name, pos);
}

function call(ast: CallNode, args: readonly Compiled[], diagnostics: CesqlError[]): Compiled {
  const pos = ast.pos;
  const constant = args.every((a) => a.constant);
  const def = lookupFunction(ast.name, args.length);
  const argWork = workOf(...args);
  if (!def) {
    const error = cesqlError('missingFunction', describeMissingFunction(ast.name, args.length), pos);
    diagnostics.push(error);
    const fns = args.map((a) => a.fn);
    const fn: Fn = (ev, ctx) => {
      for (const f of fns) f(ev, ctx);
      raisePrebuilt(ctx, error);
      return false; // spec §3.5: an invocation that cannot be dispatched is false
    };
    return { fn, type: 'Boolean', pos, constant: false, size: SCALAR, work: argWork };
  }
  const name = def.name;
  const zero = zeroOf(def.returns);
  const impl = def.call;
  const casters = args.map((a, i) => caster(def.params[i] ?? def.variadic!, a));
  const fns = args.map((a) => a.fn);
  const sizes = args.map((a) => a.size);
  const size = callSize(name, def.returns, sizes);
  // What the function reads (its arguments) and, for CONCAT_WS, the separators it adds.
  let own = 0;
  for (const s of sizes) own += s.chars;
  if (name === 'CONCAT_WS') own = Math.max(own, size.chars);
  let fn: Fn;
  if (def.variadic) {
    fn = (ev, ctx) => {
      const c = ctx.count;
      const values: CesqlValue[] = new Array(fns.length);
      for (let i = 0; i < fns.length; i++) values[i] = fns[i]!(ev, ctx) as CesqlValue;
      if (ctx.count !== c) return zero;
      for (let i = 0; i < values.length; i++) {
        const cast = casters[i];
        if (cast) values[i] = cast(values[i]!, ctx);
        if (!chargeArgument(ctx, values[i]!, name, pos)) return zero;
      }
      return impl(ctx, pos, values);
    };
  } else if (fns.length === 0) {
    fn = (_ev, ctx) => impl(ctx, pos);
  } else if (fns.length === 1) {
    const a = fns[0]!;
    const ca = casters[0];
    fn = (ev, ctx) => {
      const c = ctx.count;
      const v = a(ev, ctx) as CesqlValue;
      if (ctx.count !== c) return zero;
      const x = ca ? ca(v, ctx) : v;
      if (!chargeArgument(ctx, x, name, pos)) return zero;
      return impl(ctx, pos, x);
    };
  } else if (fns.length === 2) {
    const [a, b] = fns as [Fn, Fn];
    const [ca, cb] = casters;
    fn = (ev, ctx) => {
      const c = ctx.count;
      const v = a(ev, ctx) as CesqlValue;
      const w = b(ev, ctx) as CesqlValue;
      if (ctx.count !== c) return zero;
      const x = ca ? ca(v, ctx) : v;
      const y = cb ? cb(w, ctx) : w;
      if (!chargeArgument(ctx, x, name, pos) || !chargeArgument(ctx, y, name, pos)) return zero;
      return impl(ctx, pos, x, y);
    };
  } else if (fns.length === 3) {
    const [a, b, d] = fns as [Fn, Fn, Fn];
    const [ca, cb, cd] = casters;
    fn = (ev, ctx) => {
      const c = ctx.count;
      const v = a(ev, ctx) as CesqlValue;
      const w = b(ev, ctx) as CesqlValue;
      const u = d(ev, ctx) as CesqlValue;
      if (ctx.count !== c) return zero;
      const x = ca ? ca(v, ctx) : v;
      const y = cb ? cb(w, ctx) : w;
      const z = cd ? cd(u, ctx) : u;
      if (!chargeArgument(ctx, x, name, pos) || !chargeArgument(ctx, y, name, pos) || !chargeArgument(ctx, z, name, pos)) return zero;
      return impl(ctx, pos, x, y, z);
    };
  } else {
    throw new Error(`internal: no calling convention for ${def.name} with ${fns.length} fixed parameters`);
  }
  return { fn, type: def.returns, pos, constant, size, work: argWork + own };
}

export type { Out };
