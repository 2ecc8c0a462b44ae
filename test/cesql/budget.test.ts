/**
 * The CESQL cost budget (DESIGN.md invariant 10): compiling and evaluating
 * are bounded in time and memory by the size of the input. Each hostile
 * input of issue 10 is reproduced here: constant bombs are refused at
 * compile time with a CesqlParseError (so every door answers 400), and
 * event-dependent ones evaluate quickly to an error instead of a match.
 */
import { describe, expect, it } from 'vitest';
import {
  CesqlBudgetError,
  CesqlParseError,
  compileCesql,
  compileFilters,
  validateFilters,
  EVALUATION_BUDGET,
  MAX_NODES,
  MAX_STRING_LENGTH,
} from '../../src/cesql/index.js';
import { isWhiteSpace } from '../../src/cesql/functions.js';
import { COSTLY_FILTER_SET, CONSTANT_BOMBS, EVALUATION_BOMBS, FILTER_SET_BOMBS, HOSTILE_EVENT, concatWsTower, deepNot } from './hostile.js';
import { MB, measure } from './measure.js';

/** Generous for a loaded two-core machine; the bombs took seconds. */
const FAST_MS = 400;

describe('constant bombs are refused at compile time', () => {
  it.each(Object.entries(CONSTANT_BOMBS))('%s', (_name, expression) => {
    expect(expression.length).toBeLessThan(1_500);
    const cost = measure(() => compileCesql(expression));
    expect(cost.error).toBeInstanceOf(CesqlBudgetError);
    expect(cost.error).toBeInstanceOf(CesqlParseError);
    expect((cost.error as Error).message).toMatch(/ at \d+$/);
    expect(cost.ms).toBeLessThan(FAST_MS);
    expect(cost.retainedBytes).toBeLessThan(4 * MB);
  });

  it('says which limit the expression exceeds', () => {
    const tooLong = compileError(CONSTANT_BOMBS['LOWER(CONCAT_WS(...)) pinning memory']!);
    expect(tooLong.message).toMatch(/CONCAT_WS builds a string of up to [\d,]+ characters; the limit is 262,144 at \d+$/);
    const tooCostly = compileError(CONSTANT_BOMBS['LIKE with `_` over a constant under the length limit']!);
    expect(tooCostly.message).toMatch(/LIKE .*more work than one evaluation may do/);
  });

  it('refuses more syntax tree nodes than the budget', () => {
    const list = (n: number) => `subject IN (${Array(n).fill("'a'").join(',')})`;
    expect(() => compileCesql(list(MAX_NODES - 10))).not.toThrow();
    const error = compileError(list(MAX_NODES));
    expect(error.message).toMatch(/more than 10,000 operators, operands and function calls/);
  });
});

describe('evaluation stays within its budget', () => {
  it.each(Object.entries(EVALUATION_BOMBS))('%s', (_name, expression) => {
    const compiled = measure(() => compileCesql(expression));
    expect(compiled.error).toBeUndefined();
    expect(compiled.ms).toBeLessThan(FAST_MS);
    expect(compiled.retainedBytes).toBeLessThan(4 * MB);
    const evaluated = measure(() => compiled.result!.evaluate(HOSTILE_EVENT));
    expect(evaluated.ms).toBeLessThan(FAST_MS);
    const matched = measure(() => compiled.result!.matches(HOSTILE_EVENT));
    expect(matched.ms).toBeLessThan(FAST_MS);
    expect(matched.result).toBe(false);
    expect(evaluated.retainedBytes).toBeLessThan(4 * MB);
  });

  it('a function result longer than the limit is an evaluation error, so the filter does not match', () => {
    const compiled = compileCesql(`LENGTH(${concatWsTower('subject', 1, 40)}) > 0`);
    const result = compiled.evaluate(HOSTILE_EVENT);
    expect(result.value).toBe(false);
    expect(result.errors).toEqual([
      expect.objectContaining({ kind: 'functionEvaluation', message: expect.stringMatching(/CONCAT_WS: the result would be 1,170,000 characters; the limit is 262,144 at 7$/) }),
    ]);
    expect(compiled.matches(HOSTILE_EVENT)).toBe(false);
    // Under the limit, the same expression works.
    expect(compiled.evaluate({ subject: 'abc' })).toEqual({ value: true, errors: [] });
    expect(MAX_STRING_LENGTH).toBe(262_144);
  });

  it('work past the budget of one evaluation is an error; the next evaluation starts afresh', () => {
    const compiled = compileCesql(EVALUATION_BOMBS['the same costly call many times']!);
    const result = compiled.evaluate(HOSTILE_EVENT);
    expect(result.value).toBe(false);
    expect(result.errors[0]).toMatchObject({ kind: 'generic', message: expect.stringMatching(/evaluation budget of 1,048,576 units/) });
    expect(compiled.matches(HOSTILE_EVENT)).toBe(false);
    // A small event fits: matches() resets the budget for every event.
    expect(compiled.matches({ subject: 'X' })).toBe(true);
    expect(compiled.matches({ subject: 'X' })).toBe(true);
    expect(EVALUATION_BUDGET).toBe(1_048_576);
  });

  it('LIKE with `_` gives the right answers within the budget and an error past it', () => {
    const compiled = compileCesql("subject LIKE '%a_c%'");
    expect(compiled.evaluate({ subject: `${'ab'.repeat(20_000)}abc` })).toEqual({ value: true, errors: [] });
    const hostile = compileCesql(EVALUATION_BOMBS['LIKE with `_` over a long attribute']!);
    const result = hostile.evaluate(HOSTILE_EVENT);
    expect(result.value).toBe(false);
    expect(result.errors[0]).toMatchObject({ kind: 'generic', message: expect.stringMatching(/^LIKE: .*evaluation budget/) });
    expect(hostile.evaluate({ subject: `${'a_'.repeat(150)}b`.replace(/_/g, 'z') })).toEqual({ value: true, errors: [] });
  });

  it('TRIM is linear: a long inner run of white space is not backtracked', () => {
    const compiled = compileCesql('TRIM(padded)');
    const padded = `\u3000 x${' '.repeat(100_000)}x \t\n`;
    const cost = measure(() => compiled.evaluate({ padded }));
    expect(cost.result).toEqual({ value: `x${' '.repeat(100_000)}x`, errors: [] });
    expect(cost.ms).toBeLessThan(FAST_MS);
    expect(compileCesql("TRIM('  ') = ''").evaluate({})).toEqual({ value: true, errors: [] });
    expect(compileCesql("TRIM('\u00a0a b\u2029') = 'a b'").evaluate({})).toEqual({ value: true, errors: [] });    // The hand-written scan knows the same characters as \p{White_Space} (all of them are in the BMP).
    const differing: number[] = [];
    for (let c = 0; c <= 0xffff; c++) if (isWhiteSpace(c) !== /\p{White_Space}/u.test(String.fromCharCode(c))) differing.push(c);
    expect(differing).toEqual([]);
  });
});

describe('constant folding is bounded by the input', () => {
  it('a constant under the string limit is not folded into a literal larger than the expression allows', () => {
    // 4 × 39^3 = 237,276 two-byte characters (about 470 KB): allowed, but computed per evaluation rather than pinned.
    const expression = `LENGTH(${concatWsTower("'ßßßß'", 3, 40)}) = 237276`;
    const cost = measure(() => compileCesql(expression));
    expect(cost.error).toBeUndefined();
    expect(cost.retainedBytes).toBeLessThan(MB / 4);
    expect(cost.result!.evaluate({})).toEqual({ value: true, errors: [] });
  });

  it('small constants are still folded, and fold to the same value', () => {
    const compiled = compileCesql("LOWER(CONCAT('A', 'B')) = subject");
    expect(compiled.evaluate({ subject: 'ab' })).toEqual({ value: true, errors: [] });
    expect(compileCesql("UPPER('ß') = 'SS'").evaluate({})).toEqual({ value: true, errors: [] });
  });
});

describe('filter sets (Subscriptions API dialects) have one budget', () => {
  it.each(Object.entries(FILTER_SET_BOMBS))('%s is refused quickly', (_name, filters) => {
    const cost = measure(() => validateFilters(filters));
    expect(cost.error).toBeUndefined();
    expect(cost.ms).toBeLessThan(FAST_MS);
    expect(cost.result!.length).toBeGreaterThan(0);
    expect(cost.result!.length).toBeLessThan(5);
    expect(() => compileFilters(filters)).toThrow(/invalid filters/);
  });

  it('names the limit and where it was reached', () => {
    expect(validateFilters([deepNot(150)])).toEqual([
      { pointer: `/0${'/not'.repeat(101)}`, message: 'the filters are nested more than 100 levels deep' },
    ]);
    expect(validateFilters([deepNot(100)])).toEqual([]);
    const many = validateFilters(FILTER_SET_BOMBS['20,000 sql filters']);
    expect(many).toEqual([{ pointer: '/1000', message: 'the filters have more than 1,000 filter objects and attributes' }]);
    const long = validateFilters(Array(40).fill({ sql: `subject = '${'x'.repeat(2_000)}'` }));
    expect(long).toEqual([{ pointer: '/32/sql', message: "the 'sql' filters are longer than 65,536 characters in all" }]);
    const attributes = validateFilters(FILTER_SET_BOMBS['20,000 exact attributes']);
    expect(attributes).toEqual([{ pointer: '/0/exact', message: 'the filters have more than 1,000 filter objects and attributes' }]);
  });

  it('the sql filters of one set share one evaluation budget per event', () => {
    const predicate = compileFilters(COSTLY_FILTER_SET);
    const cost = measure(() => predicate(HOSTILE_EVENT));
    expect(cost.result).toBe(false);
    expect(cost.ms).toBeLessThan(FAST_MS);
    // The budget is per event: a small event is evaluated in full and matches.
    expect(predicate({ subject: 'X' })).toBe(true);
    expect(predicate({ subject: 'y' })).toBe(false);
    expect(predicate({ subject: 'X' })).toBe(true);
    // Each filter alone is within the budget, but not all of them for one event.
    const shared = compileFilters([{ any: [...Array(150).fill({ sql: "LOWER(subject) = 'nope'" }), { sql: 'LOWER(subject) = LOWER(subject)' }] }]);
    expect(shared(HOSTILE_EVENT)).toBe(false);
    expect(compileFilters([{ sql: 'LOWER(subject) = LOWER(subject)' }])(HOSTILE_EVENT)).toBe(true);
    expect(shared({ subject: 'short' })).toBe(true);
  });
});

function compileError(expression: string): CesqlBudgetError {
  try {
    compileCesql(expression);
  } catch (e) {
    expect(e).toBeInstanceOf(CesqlBudgetError);
    return e as CesqlBudgetError;
  }
  throw new Error(`expected a budget error for ${expression.slice(0, 80)}`);
}
