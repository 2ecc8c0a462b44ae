/**
 * Error model of CESQL v1 (spec §3.3). Evaluation never throws: every
 * operator and function is total, returns a value of its type and appends
 * errors to the evaluation's error list. Only compiling throws, with a
 * {@link CesqlParseError}.
 */

/** The error kinds of the spec, spelled as the conformance TCK spells them. */
export type CesqlErrorKind =
  | 'parse'
  | 'math'
  | 'cast'
  | 'missingFunction'
  | 'functionEvaluation'
  | 'missingAttribute'
  | 'generic';

/** One error raised while parsing or evaluating an expression. */
export interface CesqlError {
  readonly kind: CesqlErrorKind;
  /** Human-readable description, ending with " at <position>". */
  readonly message: string;
  /** 0-based offset (UTF-16 code units) into the expression of the token that caused it. */
  readonly position: number;
}

/** Thrown by the parser for any syntax error. `position` is a 0-based offset into the expression. */
export class CesqlParseError extends Error {
  readonly kind = 'parse' as const;
  /** The description without the position suffix. */
  readonly reason: string;
  readonly position: number;

  constructor(reason: string, position: number) {
    super(`${reason} at ${position}`);
    this.name = 'CesqlParseError';
    this.reason = reason;
    this.position = position;
  }

  toCesqlError(): CesqlError {
    return { kind: 'parse', message: this.message, position: this.position };
  }
}

/**
 * Thrown at compile time when an expression exceeds the cost budget (see
 * budget.ts). It is a parse error, so every caller that refuses invalid
 * expressions refuses these too.
 */
export class CesqlBudgetError extends CesqlParseError {
  constructor(reason: string, position: number) {
    super(reason, position);
    this.name = 'CesqlBudgetError';
  }
}

export function cesqlError(kind: CesqlErrorKind, reason: string, position: number): CesqlError {
  return Object.freeze({ kind, message: `${reason} at ${position}`, position });
}
