/**
 * CESQL v1 parser (spec §2, precedence §3.6): recursive descent over the
 * token list, one method per precedence level, loosest first:
 *
 *   logic    := compare ( (AND | OR | XOR) compare )*      all three share one level, left to right
 *   compare  := additive ( (= | != | <> | < | <= | > | >=) additive )*
 *   additive := multiplicative ( (+ | -) multiplicative )*
 *   multiplicative := postfix ( (* | / | %) postfix )*
 *   postfix  := unary ( NOT? LIKE string-literal | NOT? IN "(" logic ("," logic)* ")" )*
 *   unary    := NOT unary | "-" unary | primary
 *   primary  := literal | identifier | function "(" args? ")" | EXISTS identifier | "(" logic ")"
 *
 * A sign directly before an integer literal is part of the literal, so
 * `-2147483648` is valid although `2147483648` is not. Nesting is bounded
 * so that no input can exhaust the stack of the parser, the compiler or the
 * evaluator, and the node count so that the compiled closures stay small.
 */
import type { Ast, BinaryOperator } from './ast.js';
import { count, MAX_NODES } from './budget.js';
import { CesqlBudgetError, CesqlParseError } from './errors.js';
import { tokenize, type Token } from './lexer.js';

/** Longest expression accepted, in UTF-16 code units. */
export const MAX_EXPRESSION_LENGTH = 65536;
/** Deepest nesting of parentheses, unary operators and function/IN arguments. */
export const MAX_NESTING = 100;
/** Deepest syntax tree (long operator chains are trees of this depth). */
export const MAX_TREE_DEPTH = 1000;

const INT_MAX = 2147483647;

const KEYWORDS = new Set(['AND', 'OR', 'XOR', 'NOT', 'LIKE', 'IN', 'EXISTS', 'TRUE', 'FALSE']);
const COMPARISON = new Set(['=', '!=', '<>', '<', '<=', '>', '>=']);
const FUNCTION_NAME = /^[A-Za-z][A-Za-z_]*$/;
const ATTRIBUTE_NAME = /^[a-z0-9]+$/;

/** Parses a CESQL expression into its syntax tree. Throws {@link CesqlParseError}. */
export function parse(expression: string): Ast {
  if (typeof expression !== 'string') throw new CesqlParseError('expression must be a string', 0);
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    throw new CesqlParseError(`expression is longer than ${MAX_EXPRESSION_LENGTH} characters`, MAX_EXPRESSION_LENGTH);
  }
  return new Parser(tokenize(expression)).parseRoot();
}

function show(token: Token): string {
  if (token.kind === 'eof') return 'end of expression';
  const text = token.text.length > 24 ? `${token.text.slice(0, 24)}…` : token.text;
  return `'${text}'`;
}

class Parser {
  private i = 0;
  private nesting = 0;
  private nodes = 0;
  /** Height of every subtree built so far; parentheses add none. */
  private readonly depth = new WeakMap<Ast, number>();

  constructor(private readonly tokens: Token[]) {}

  parseRoot(): Ast {
    const first = this.peek();
    if (first.kind === 'eof') throw new CesqlParseError('empty expression', first.pos);
    const ast = this.logic();
    const next = this.peek();
    if (next.kind !== 'eof') this.unexpected(next);
    return ast;
  }

  // ---- token helpers -------------------------------------------------------

  private peek(offset = 0): Token {
    const t = this.tokens[this.i + offset];
    return t ?? this.tokens[this.tokens.length - 1]!;
  }

  private advance(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }

  /** Is the current token the (case-insensitive) keyword `kw`? */
  private isKeyword(kw: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'word' && t.text.length === kw.length && t.text.toUpperCase() === kw;
  }

  private unexpected(token: Token, expected?: string): never {
    if (token.kind === 'eof') {
      throw new CesqlParseError(
        expected ? `unexpected end of expression, expected ${expected}` : 'unexpected end of expression',
        token.pos,
      );
    }
    throw new CesqlParseError(
      expected ? `unexpected token ${show(token)}, expected ${expected}` : `unexpected token ${show(token)}`,
      token.pos,
    );
  }

  private expect(kind: Token['kind'], expected: string): Token {
    const t = this.peek();
    if (t.kind !== kind) this.unexpected(t, expected);
    return this.advance();
  }

  private enter(pos: number): void {
    if (++this.nesting > MAX_NESTING) {
      throw new CesqlParseError(`expression is nested more than ${MAX_NESTING} levels deep`, pos);
    }
  }

  private leave(): void {
    this.nesting--;
  }

  private node<T extends Ast>(node: T, ...children: Ast[]): T {
    if (++this.nodes > MAX_NODES) {
      throw new CesqlBudgetError(`expression has more than ${count(MAX_NODES)} operators, operands and function calls`, node.pos);
    }
    let height = 0;
    for (const child of children) height = Math.max(height, this.depth.get(child) ?? 1);
    if (height + 1 > MAX_TREE_DEPTH) {
      throw new CesqlParseError(`expression is too complex (syntax tree deeper than ${MAX_TREE_DEPTH} levels)`, node.pos);
    }
    this.depth.set(node, height + 1);
    return node;
  }

  // ---- precedence levels -------------------------------------------------

  private logic(): Ast {
    let left = this.compare();
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'word') return left;
      const upper = t.text.toUpperCase();
      if (upper !== 'AND' && upper !== 'OR' && upper !== 'XOR') return left;
      this.advance();
      const right = this.compare();
      left = this.node({ type: 'binary', operator: upper as BinaryOperator, left, right, pos: t.pos }, left, right);
    }
  }

  private compare(): Ast {
    let left = this.additive();
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'op' || !COMPARISON.has(t.text)) return left;
      this.advance();
      const right = this.additive();
      left = this.node({ type: 'binary', operator: t.text as BinaryOperator, left, right, pos: t.pos }, left, right);
    }
  }

  private additive(): Ast {
    let left = this.multiplicative();
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'op' || (t.text !== '+' && t.text !== '-')) return left;
      this.advance();
      const right = this.multiplicative();
      left = this.node({ type: 'binary', operator: t.text as BinaryOperator, left, right, pos: t.pos }, left, right);
    }
  }

  private multiplicative(): Ast {
    let left = this.postfix();
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'op' || (t.text !== '*' && t.text !== '/' && t.text !== '%')) return left;
      this.advance();
      const right = this.postfix();
      left = this.node({ type: 'binary', operator: t.text as BinaryOperator, left, right, pos: t.pos }, left, right);
    }
  }

  private postfix(): Ast {
    let operand = this.unary();
    for (;;) {
      const opToken = this.peek();
      let negated = false;
      if (this.isKeyword('NOT') && (this.isKeyword('LIKE', 1) || this.isKeyword('IN', 1))) {
        negated = true;
        this.advance();
      }
      if (this.isKeyword('LIKE')) {
        this.advance();
        const pattern = this.peek();
        if (pattern.kind !== 'string') {
          throw new CesqlParseError(
            pattern.kind === 'eof'
              ? 'unexpected end of expression, expected the LIKE pattern (a string literal)'
              : `the LIKE pattern must be a string literal, found ${show(pattern)}`,
            pattern.pos,
          );
        }
        this.advance();
        operand = this.node({ type: 'like', negated, operand, pattern: pattern.value, pos: opToken.pos }, operand);
        continue;
      }
      if (this.isKeyword('IN')) {
        this.advance();
        const open = this.peek();
        if (open.kind !== '(') this.unexpected(open, "'(' to start the IN set");
        this.advance();
        this.enter(open.pos);
        const set: Ast[] = [this.logic()];
        while (this.peek().kind === ',') {
          this.advance();
          set.push(this.logic());
        }
        this.expect(')', "',' or ')' in the IN set");
        this.leave();
        operand = this.node({ type: 'in', negated, operand, set, pos: opToken.pos }, operand, ...set);
        continue;
      }
      return operand;
    }
  }

  private unary(): Ast {
    const t = this.peek();
    if (this.isKeyword('NOT')) {
      this.advance();
      this.enter(t.pos);
      const operand = this.unary();
      this.leave();
      return this.node({ type: 'unary', operator: 'NOT', operand, pos: t.pos }, operand);
    }
    if (t.kind === 'op' && (t.text === '-' || t.text === '+')) {
      this.advance();
      const next = this.peek();
      if (next.kind === 'integer') {
        // The sign belongs to the integer literal (spec §2.2).
        this.advance();
        return this.node({ type: 'literal', value: this.integer(next, t.text === '-', t.pos), pos: t.pos });
      }
      if (t.text === '+') this.unexpected(t);
      this.enter(t.pos);
      const operand = this.unary();
      this.leave();
      return this.node({ type: 'unary', operator: '-', operand, pos: t.pos }, operand);
    }
    return this.primary();
  }

  private primary(): Ast {
    const t = this.peek();
    switch (t.kind) {
      case 'integer':
        this.advance();
        return this.node({ type: 'literal', value: this.integer(t, false, t.pos), pos: t.pos });
      case 'string':
        this.advance();
        return this.node({ type: 'literal', value: t.value, pos: t.pos });
      case '(': {
        this.advance();
        this.enter(t.pos);
        const inner = this.logic();
        this.expect(')', "')'");
        this.leave();
        return inner;
      }
      case 'word':
        return this.word(t);
      default:
        return this.unexpected(t);
    }
  }

  private word(t: Token): Ast {
    const upper = t.text.toUpperCase();
    if (upper === 'TRUE' || upper === 'FALSE') {
      this.advance();
      return this.node({ type: 'literal', value: upper === 'TRUE', pos: t.pos });
    }
    if (upper === 'EXISTS') {
      this.advance();
      const id = this.peek();
      if (id.kind !== 'word' && id.kind !== 'integer') this.unexpected(id, 'an attribute name after EXISTS');
      if (id.kind === 'word' && KEYWORDS.has(id.text.toUpperCase())) this.unexpected(id, 'an attribute name after EXISTS');
      this.advance();
      return this.node({ type: 'exists', name: this.attributeName(id), pos: t.pos });
    }
    if (KEYWORDS.has(upper)) this.unexpected(t);
    if (this.peek(1).kind === '(') {
      if (!FUNCTION_NAME.test(t.text)) {
        throw new CesqlParseError(
          `invalid function name ${show(t)}: function names consist of letters and '_' and start with a letter`,
          t.pos,
        );
      }
      this.advance();
      const open = this.advance();
      this.enter(open.pos);
      const args: Ast[] = [];
      if (this.peek().kind !== ')') {
        args.push(this.logic());
        while (this.peek().kind === ',') {
          this.advance();
          args.push(this.logic());
        }
      }
      this.expect(')', "',' or ')' after a function argument");
      this.leave();
      return this.node({ type: 'call', name: upper, args, pos: t.pos }, ...args);
    }
    this.advance();
    return this.node({ type: 'attribute', name: this.attributeName(t), pos: t.pos });
  }

  private attributeName(t: Token): string {
    const name = t.text.toLowerCase();
    if (!ATTRIBUTE_NAME.test(name)) {
      throw new CesqlParseError(
        `invalid attribute name ${show(t)}: attribute names consist of the letters a-z and digits 0-9`,
        t.pos,
      );
    }
    return name;
  }

  private integer(t: Token, negative: boolean, pos: number): number {
    // Leading zeros are allowed; anything beyond 2^53 is far out of range anyway.
    const magnitude = Number(t.text);
    if (magnitude > INT_MAX + (negative ? 1 : 0)) {
      throw new CesqlParseError(
        `integer literal ${negative ? '-' : ''}${t.text.length > 24 ? `${t.text.slice(0, 24)}…` : t.text} is outside the 32-bit signed range`,
        pos,
      );
    }
    return negative && magnitude !== 0 ? -magnitude : magnitude;
  }
}
