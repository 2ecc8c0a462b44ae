/**
 * Abstract syntax tree of a CESQL v1 expression. Parentheses leave no node
 * behind: `(a)` parses to the node of `a`. Every node records `pos`, the
 * 0-based offset of the token that defines it (the operator for operations,
 * the first character for literals, identifiers and function calls).
 */

export type CesqlValue = string | number | boolean;

export type BinaryOperator =
  | '*' | '/' | '%'
  | '+' | '-'
  | '=' | '!=' | '<>' | '<' | '<=' | '>' | '>='
  | 'AND' | 'OR' | 'XOR';

export interface LiteralNode {
  readonly type: 'literal';
  /** Integers are 32-bit signed; strings are already unescaped. */
  readonly value: CesqlValue;
  readonly pos: number;
}

export interface AttributeNode {
  readonly type: 'attribute';
  /** Lower-cased attribute name (identifiers are case-insensitive). */
  readonly name: string;
  readonly pos: number;
}

export interface UnaryNode {
  readonly type: 'unary';
  readonly operator: 'NOT' | '-';
  readonly operand: Ast;
  readonly pos: number;
}

export interface BinaryNode {
  readonly type: 'binary';
  readonly operator: BinaryOperator;
  readonly left: Ast;
  readonly right: Ast;
  readonly pos: number;
}

export interface LikeNode {
  readonly type: 'like';
  readonly negated: boolean;
  readonly operand: Ast;
  /** The pattern string literal, unescaped as a string literal (LIKE escapes `\%`, `\_` still in it). */
  readonly pattern: string;
  readonly pos: number;
}

export interface InNode {
  readonly type: 'in';
  readonly negated: boolean;
  readonly operand: Ast;
  readonly set: readonly Ast[];
  readonly pos: number;
}

export interface ExistsNode {
  readonly type: 'exists';
  /** Lower-cased attribute name. */
  readonly name: string;
  readonly pos: number;
}

export interface CallNode {
  readonly type: 'call';
  /** Upper-cased function name (function names are case-insensitive). */
  readonly name: string;
  readonly args: readonly Ast[];
  readonly pos: number;
}

export type Ast =
  | LiteralNode
  | AttributeNode
  | UnaryNode
  | BinaryNode
  | LikeNode
  | InNode
  | ExistsNode
  | CallNode;
