/**
 * Compiles a CESQL syntax tree into a tree of closures, once. Evaluating
 * then walks no AST, re-parses nothing and allocates nothing on the normal
 * path: values are JS primitives and errors go to a reusable context.
 *
 * Semantics follow spec §3: implicit casts per §3.7 (`=`/`!=`/`<>` cast the
 * left operand to the type of the right one, IN casts the set elements to
 * the type of the left operand); an operator or function whose operand is a
 * missing attribute returns the zero value of its own return type; AND/OR
 * short-circuit; integer overflow is a MathError.
 */
import type { Ast, CallNode, CesqlValue, InNode } from './ast.js';
import { cesqlError, type CesqlError } from './errors.js';
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
}

export interface CompileResult {
  readonly root: Compiled;
  /** Errors that are certain to arise whenever the affected subexpression is evaluated. */
  readonly diagnostics: readonly CesqlError[];
}

const EMPTY_EVENT: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

export function compileAst(ast: Ast): CompileResult {
  const diagnostics: CesqlError[] = [];
  const root = compileNode(ast, diagnostics);
  return { root, diagnostics };
}

function literal(value: CesqlValue, pos: number): Compiled {
  return { fn: () => value, type: typeOf(value), pos, constant: true, literal: { value } };
}

/** Replaces an event-independent subtree by its value when evaluating it raises no error. */
function fold(node: Compiled): Compiled {
  if (!node.constant || node.literal) return node;
  const ctx: Ctx = { count: 0, errors: null };
  const value = node.fn(EMPTY_EVENT, ctx);
  if (ctx.count > 0 || value === MISSING) return node;
  return literal(value, node.pos);
}

function compileNode(ast: Ast, diagnostics: CesqlError[]): Compiled {
  switch (ast.type) {
    case 'literal':
      return literal(ast.value, ast.pos);
    case 'attribute':
      return attribute(ast.name, ast.pos);
    case 'exists':
      return exists(ast.name, ast.pos);
    case 'unary': {
      const operand = compileNode(ast.operand, diagnostics);
      return fold(ast.operator === 'NOT' ? not(operand, ast.pos) : negate(operand, ast.pos));
    }
    case 'binary': {
      const left = compileNode(ast.left, diagnostics);
      const right = compileNode(ast.right, diagnostics);
      return fold(binary(ast.operator, left, right, ast.pos));
    }
    case 'like': {
      const operand = compileNode(ast.operand, diagnostics);
      return fold(like(operand, ast.pattern, ast.negated, ast.pos));
    }
    case 'in':
      return fold(inSet(ast, diagnostics));
    case 'call':
      return fold(call(ast, diagnostics));
  }
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
  return { fn, type: 'Any', pos, constant: false };
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
  return { fn, type: 'Boolean', pos, constant: false };
}

// ---- unary operators -------------------------------------------------------

function not(operand: Compiled, pos: number): Compiled {
  const x = operand.fn;
  const xPos = operand.pos;
  const fn: Fn =
    operand.type === 'Boolean'
      ? (ev, ctx) => !(x(ev, ctx) as boolean)
      : (ev, ctx) => {
          const v = x(ev, ctx);
          if (v === MISSING) return false;
          return !toBoolean(v, ctx, xPos);
        };
  return { fn, type: 'Boolean', pos, constant: operand.constant };
}

function negate(operand: Compiled, pos: number): Compiled {
  const x = operand.fn;
  const xPos = operand.pos;
  const fn: Fn = (ev, ctx) => {
    const v = x(ev, ctx);
    if (v === MISSING) return 0;
    const n = typeof v === 'number' ? v : toInteger(v, ctx, xPos);
    if (n === INT_MIN) {
      // Like ABS (spec §3.5.2): the largest Integer and a MathError.
      raise(ctx, 'math', 'negating -2147483648 overflows a 32-bit integer', pos);
      return INT_MAX;
    }
    return n === 0 ? 0 : -n;
  };
  return { fn, type: 'Integer', pos, constant: operand.constant };
}

// ---- binary operators --------------------------------------------------------

function binary(op: string, left: Compiled, right: Compiled, pos: number): Compiled {
  const constant = left.constant && right.constant;
  switch (op) {
    case 'AND':
    case 'OR':
    case 'XOR':
      return { fn: logic(op, left, right), type: 'Boolean', pos, constant };
    case '=':
    case '!=':
    case '<>':
      return { fn: equality(op !== '=', left, right), type: 'Boolean', pos, constant };
    case '<':
    case '<=':
    case '>':
    case '>=':
      return { fn: comparison(op, left, right), type: 'Boolean', pos, constant };
    default:
      return { fn: arithmetic(op, left, right, pos), type: 'Integer', pos, constant };
  }
}

/** Reads an operand as Boolean; MISSING stays MISSING. */
function boolOperand(node: Compiled): (ev: Record<string, unknown>, ctx: Ctx) => boolean | typeof MISSING {
  const x = node.fn;
  const p = node.pos;
  if (node.type === 'Boolean') return x as (ev: Record<string, unknown>, ctx: Ctx) => boolean;
  return (ev, ctx) => {
    const v = x(ev, ctx);
    return v === MISSING ? MISSING : toBoolean(v, ctx, p);
  };
}

function logic(op: 'AND' | 'OR' | 'XOR', left: Compiled, right: Compiled): Fn {
  const l = boolOperand(left);
  const r = boolOperand(right);
  switch (op) {
    case 'AND':
      return (ev, ctx) => {
        const a = l(ev, ctx);
        if (a !== true) return false; // false, or missing: the zero value
        return r(ev, ctx) === true;
      };
    case 'OR':
      return (ev, ctx) => {
        const a = l(ev, ctx);
        if (a === true) return true;
        if (a === MISSING) return false;
        return r(ev, ctx) === true;
      };
    case 'XOR':
      return (ev, ctx) => {
        const a = l(ev, ctx);
        const b = r(ev, ctx);
        if (a === MISSING || b === MISSING) return false;
        return a !== b;
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
        const a = x(ev, ctx);
        const b = y(ev, ctx);
        if (a === MISSING) return false;
        return ((typeof a === 'string' ? a : toStr(a)) === b) !== negated;
      };
    case 'Integer':
      return (ev, ctx) => {
        const a = x(ev, ctx);
        const b = y(ev, ctx);
        if (a === MISSING) return false;
        return ((typeof a === 'number' ? a : toInteger(a, ctx, xPos)) === b) !== negated;
      };
    case 'Boolean':
      return (ev, ctx) => {
        const a = x(ev, ctx);
        const b = y(ev, ctx);
        if (a === MISSING) return false;
        return ((typeof a === 'boolean' ? a : toBoolean(a, ctx, xPos)) === b) !== negated;
      };
    case 'Any':
      return (ev, ctx) => {
        const a = x(ev, ctx);
        const b = y(ev, ctx);
        if (a === MISSING || b === MISSING) return false;
        return equalAs(a, b, ctx, xPos) !== negated;
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

function intOperand(node: Compiled): (ev: Record<string, unknown>, ctx: Ctx) => number | typeof MISSING {
  const x = node.fn;
  const p = node.pos;
  if (node.type === 'Integer') return x as (ev: Record<string, unknown>, ctx: Ctx) => number;
  return (ev, ctx) => {
    const v = x(ev, ctx);
    return v === MISSING ? MISSING : typeof v === 'number' ? v : toInteger(v, ctx, p);
  };
}

function comparison(op: '<' | '<=' | '>' | '>=', left: Compiled, right: Compiled): Fn {
  const l = intOperand(left);
  const r = intOperand(right);
  switch (op) {
    case '<':
      return (ev, ctx) => {
        const a = l(ev, ctx);
        const b = r(ev, ctx);
        return a !== MISSING && b !== MISSING && a < b;
      };
    case '<=':
      return (ev, ctx) => {
        const a = l(ev, ctx);
        const b = r(ev, ctx);
        return a !== MISSING && b !== MISSING && a <= b;
      };
    case '>':
      return (ev, ctx) => {
        const a = l(ev, ctx);
        const b = r(ev, ctx);
        return a !== MISSING && b !== MISSING && a > b;
      };
    case '>=':
      return (ev, ctx) => {
        const a = l(ev, ctx);
        const b = r(ev, ctx);
        return a !== MISSING && b !== MISSING && a >= b;
      };
  }
}

function overflow(ctx: Ctx, op: string, a: number, b: number, pos: number): number {
  raise(ctx, 'math', `integer overflow in ${a} ${op} ${b}`, pos);
  return 0;
}

function arithmetic(op: string, left: Compiled, right: Compiled, pos: number): Fn {
  const l = intOperand(left);
  const r = intOperand(right);
  switch (op) {
    case '+':
      return (ev, ctx) => {
        const a = l(ev, ctx);
        const b = r(ev, ctx);
        if (a === MISSING || b === MISSING) return 0;
        const v = a + b;
        return v > INT_MAX || v < INT_MIN ? overflow(ctx, '+', a, b, pos) : v;
      };
    case '-':
      return (ev, ctx) => {
        const a = l(ev, ctx);
        const b = r(ev, ctx);
        if (a === MISSING || b === MISSING) return 0;
        const v = a - b;
        return v > INT_MAX || v < INT_MIN ? overflow(ctx, '-', a, b, pos) : v;
      };
    case '*':
      return (ev, ctx) => {
        const a = l(ev, ctx);
        const b = r(ev, ctx);
        if (a === MISSING || b === MISSING) return 0;
        const v = a * b; // exact whenever it is in range
        return v > INT_MAX || v < INT_MIN ? overflow(ctx, '*', a, b, pos) : v | 0;
      };
    case '/':
      return (ev, ctx) => {
        const a = l(ev, ctx);
        const b = r(ev, ctx);
        if (a === MISSING || b === MISSING) return 0;
        if (b === 0) {
          raise(ctx, 'math', 'division by zero', pos);
          return 0;
        }
        if (a === INT_MIN && b === -1) return overflow(ctx, '/', a, b, pos);
        return (a / b) | 0; // truncates towards zero
      };
    default: // '%'
      return (ev, ctx) => {
        const a = l(ev, ctx);
        const b = r(ev, ctx);
        if (a === MISSING || b === MISSING) return 0;
        if (b === 0) {
          raise(ctx, 'math', 'modulo by zero', pos);
          return 0;
        }
        return (a % b) | 0; // sign of the dividend; | 0 turns -0 into 0
      };
  }
}

// ---- LIKE, IN --------------------------------------------------------------

function like(operand: Compiled, pattern: string, negated: boolean, pos: number): Compiled {
  const x = operand.fn;
  const match = compileLike(pattern);
  const fn: Fn = (ev, ctx) => {
    const v = x(ev, ctx);
    if (v === MISSING) return false;
    return match(typeof v === 'string' ? v : toStr(v)) !== negated;
  };
  return { fn, type: 'Boolean', pos, constant: operand.constant };
}

interface ConstantSet {
  readonly values: Set<CesqlValue>;
  /** Cast errors of elements that do not convert to this type; raised on every evaluation. */
  readonly errors: readonly CesqlError[];
}

/** Casts every element of a literal set to `type` once, recording the cast errors it raises. */
function castSet(elements: readonly Compiled[], type: CesqlType): ConstantSet {
  const values = new Set<CesqlValue>();
  const errors: CesqlError[] = [];
  const ctx: Ctx = { count: 0, errors };
  for (const el of elements) {
    const v = el.literal!.value;
    values.add(type === 'String' ? toStr(v) : type === 'Integer' ? toInteger(v, ctx, el.pos) : toBoolean(v, ctx, el.pos));
  }
  return { values, errors };
}

function inSet(ast: InNode, diagnostics: CesqlError[]): Compiled {
  const operand = compileNode(ast.operand, diagnostics);
  const elements = ast.set.map((el) => compileNode(el, diagnostics));
  const x = operand.fn;
  const negated = ast.negated;
  const constant = operand.constant && elements.every((e) => e.constant);
  let fn: Fn;
  if (elements.every((e) => e.literal)) {
    const byType = {
      String: castSet(elements, 'String'),
      Integer: castSet(elements, 'Integer'),
      Boolean: castSet(elements, 'Boolean'),
    };
    fn = (ev, ctx) => {
      const v = x(ev, ctx);
      if (v === MISSING) return false;
      const set = byType[typeof v === 'string' ? 'String' : typeof v === 'number' ? 'Integer' : 'Boolean'];
      for (const error of set.errors) raisePrebuilt(ctx, error);
      return set.values.has(v) !== negated;
    };
  } else {
    const fns = elements.map((e) => e.fn);
    const positions = elements.map((e) => e.pos);
    fn = (ev, ctx) => {
      const v = x(ev, ctx);
      let missing = v === MISSING;
      let found = false;
      for (let i = 0; i < fns.length; i++) {
        const el = fns[i]!(ev, ctx);
        if (el === MISSING) {
          missing = true;
          continue;
        }
        if (missing) continue;
        const value = v as CesqlValue;
        // Every element is cast (and may raise) even after a match: IN does not short-circuit.
        if (equalTo(value, el, ctx, positions[i]!)) found = true;
      }
      if (missing) return false;
      return found !== negated;
    };
  }
  return { fn, type: 'Boolean', pos: ast.pos, constant };
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

function call(ast: CallNode, diagnostics: CesqlError[]): Compiled {
  const args = ast.args.map((a) => compileNode(a, diagnostics));
  const pos = ast.pos;
  const constant = args.every((a) => a.constant);
  const def = lookupFunction(ast.name, args.length);
  if (!def) {
    const error = cesqlError('missingFunction', describeMissingFunction(ast.name, args.length), pos);
    diagnostics.push(error);
    const fns = args.map((a) => a.fn);
    const fn: Fn = (ev, ctx) => {
      for (const f of fns) f(ev, ctx);
      raisePrebuilt(ctx, error);
      return false; // spec §3.5: an invocation that cannot be dispatched is false
    };
    return { fn, type: 'Boolean', pos, constant: false };
  }
  const zero = zeroOf(def.returns);
  const impl = def.call;
  const casters = args.map((a, i) => caster(def.params[i] ?? def.variadic!, a));
  const fns = args.map((a) => a.fn);
  let fn: Fn;
  if (def.variadic) {
    fn = (ev, ctx) => {
      const values: CesqlValue[] = new Array(fns.length);
      let missing = false;
      for (let i = 0; i < fns.length; i++) {
        const v = fns[i]!(ev, ctx);
        if (v === MISSING) missing = true;
        else if (!missing) {
          const c = casters[i];
          values[i] = c ? c(v, ctx) : v;
        }
      }
      return missing ? zero : impl(ctx, pos, values);
    };
  } else if (fns.length === 0) {
    fn = (_ev, ctx) => impl(ctx, pos);
  } else if (fns.length === 1) {
    const a = fns[0]!;
    const ca = casters[0];
    fn = (ev, ctx) => {
      const v = a(ev, ctx);
      if (v === MISSING) return zero;
      return impl(ctx, pos, ca ? ca(v, ctx) : v);
    };
  } else if (fns.length === 2) {
    const [a, b] = fns as [Fn, Fn];
    const [ca, cb] = casters;
    fn = (ev, ctx) => {
      const v = a(ev, ctx);
      const w = b(ev, ctx);
      if (v === MISSING || w === MISSING) return zero;
      return impl(ctx, pos, ca ? ca(v, ctx) : v, cb ? cb(w, ctx) : w);
    };
  } else if (fns.length === 3) {
    const [a, b, c] = fns as [Fn, Fn, Fn];
    const [ca, cb, cc] = casters;
    fn = (ev, ctx) => {
      const v = a(ev, ctx);
      const w = b(ev, ctx);
      const u = c(ev, ctx);
      if (v === MISSING || w === MISSING || u === MISSING) return zero;
      return impl(ctx, pos, ca ? ca(v, ctx) : v, cb ? cb(w, ctx) : w, cc ? cc(u, ctx) : u);
    };
  } else {
    throw new Error(`internal: no calling convention for ${def.name} with ${fns.length} fixed parameters`);
  }
  return { fn, type: def.returns, pos, constant };
}

export type { Out };
