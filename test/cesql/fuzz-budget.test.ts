/**
 * Property tests of the cost budget: random expression trees built from the
 * operations that can grow strings or work (CONCAT and CONCAT_WS with many
 * arguments, case mapping, TRIM, LIKE with many `%` and `_`, IN) compile and
 * evaluate within a time bound, and what they keep on the heap is bounded by
 * the size of the expression, not by what it computes. Exceptions are not
 * the only failure: slowness and memory are checked on every run.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CesqlParseError, compileCesql, MAX_STRING_LENGTH, type Ast, type CesqlEvent } from '../../src/cesql/index.js';
import { formatCesql } from './format.js';
import { MB, measure } from './measure.js';

const P = 0;
const COMPILE_MS = 400;
const EVALUATE_MS = 250;
/** A compiled expression keeps at most this much per character of its source, plus a constant (lazily compiled engine code and feedback land on the heap too). */
const BYTES_PER_CHARACTER = 256;

const lit = (value: string | number | boolean): Ast => ({ type: 'literal', value, pos: P });
const call = (name: string, args: Ast[]): Ast => ({ type: 'call', name, args, pos: P });

/** Short strings that case mapping, TRIM and LIKE treat specially. */
const seedString = fc.constantFrom('', 'a', 'aaaaaaaa', 'ß', 'İ', 'ΐ', ' ', '   ', ' x ', 'a_b', '😀', '\u3000');
const attribute = fc.constantFrom('subject', 'padded', 'emoji', 'short', 'missing').map((name): Ast => ({ type: 'attribute', name, pos: P }));
/** LIKE patterns with runs of `%` and `_`, up to a few hundred characters. */
const pattern = fc
  .array(fc.constantFrom('%', '_', 'a', 'b', 'aa', '%a', 'a_', '\\%', '😀'), { maxLength: 200 })
  .map((parts) => parts.join(''))
  .filter((p) => !p.endsWith('\\'));

/** CONCAT_WS nested in its own separator: each level repeats the level below `n - 1` times. */
const tower = fc
  .tuple(fc.oneof(seedString.map(lit), attribute), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 2, max: 40 }))
  .map(([seed, levels, n]) => {
    let ast = seed;
    for (let i = 0; i < levels; i++) ast = call('CONCAT_WS', [ast, ...Array(n - 1).fill(lit(''))]);
    return ast;
  });

const tree = fc.letrec<{ ast: Ast; str: Ast }>((tie) => ({
  // String-valued subtrees, where growth happens.
  str: fc.oneof(
    { depthSize: 'small', maxDepth: 7 },
    { arbitrary: seedString.map(lit), weight: 2 },
    { arbitrary: attribute, weight: 2 },
    { arbitrary: tower, weight: 2 },
    { arbitrary: fc.array(tie('str'), { minLength: 1, maxLength: 40 }).map((args) => call('CONCAT', args)), weight: 1 },
    { arbitrary: fc
      .tuple(tie('str'), fc.integer({ min: 1, max: 60 }), tie('str'))
      .map(([sep, empties, value]) => call('CONCAT_WS', [sep, ...Array(empties).fill(lit('')), value])), weight: 1 },
    { arbitrary: fc.constantFrom('LOWER', 'UPPER', 'TRIM').chain((name) => tie('str').map((a) => call(name, [a]))), weight: 1 },
    { arbitrary: fc.tuple(tie('str'), fc.integer({ min: -3, max: 100_000 })).map(([a, n]) => call('LEFT', [a, lit(n)])), weight: 1 },
    { arbitrary: fc.tuple(tie('str'), fc.integer({ min: -5, max: 5 })).map(([a, n]) => call('SUBSTRING', [a, lit(n)])), weight: 1 },
  ),
  // Boolean-valued roots over those strings.
  ast: fc.oneof(
    fc.tuple(tie('str'), pattern, fc.boolean()).map(([operand, p, negated]): Ast => ({ type: 'like', operand, pattern: p, negated, pos: P })),
    fc.tuple(tie('str'), tie('str')).map(([left, right]): Ast => ({ type: 'binary', operator: '=', left, right, pos: P })),
    fc.tuple(tie('str'), fc.array(tie('str'), { minLength: 1, maxLength: 20 })).map(([operand, set]): Ast => ({ type: 'in', operand, set, negated: false, pos: P })),
    fc.tuple(tie('ast'), tie('ast'), fc.constantFrom<'AND' | 'OR' | 'XOR'>('AND', 'OR', 'XOR')).map(([left, right, operator]): Ast => ({ type: 'binary', operator, left, right, pos: P })),
    tie('str').map((a): Ast => ({ type: 'binary', operator: '>', left: call('LENGTH', [a]), right: lit(3), pos: P })),
  ),
}));

/** Events with attributes as long as the default 64 KiB event size allows. */
const event: fc.Arbitrary<CesqlEvent> = fc
  .record({
    n: fc.integer({ min: 0, max: 30_000 }),
    seed: fc.constantFrom('a', 'ab', 'ß', ' ', 'a_'),
  })
  .map(({ n, seed }) => ({
    specversion: '1.0',
    id: 'fuzz',
    source: '/fuzz',
    type: 'fuzz',
    subject: seed.repeat(Math.ceil(n / seed.length)).slice(0, n),
    padded: `x${' '.repeat(n)}x`,
    emoji: '😀a'.repeat(Math.floor(n / 3)),
    short: 'Hello',
  }));

describe('budget fuzzing', () => {
  it('random string-growing expressions compile and evaluate in bounded time and memory', () => {
    const seen = { compiled: 0, refused: 0, limited: 0 };
    fc.assert(
      fc.property(tree.ast, event, (ast, ev) => {
        const text = formatCesql(ast);
        if (text.length > 65_536) return;
        const compiled = measure(() => compileCesql(text));
        expect(compiled.ms, text.slice(0, 200)).toBeLessThan(COMPILE_MS);
        if (compiled.error !== undefined) {
          expect(compiled.error).toBeInstanceOf(CesqlParseError);
          seen.refused++;
          return;
        }
        seen.compiled++;
        expect(compiled.retainedBytes, text.slice(0, 200)).toBeLessThan(BYTES_PER_CHARACTER * text.length + MB);
        const started = performance.now();
        const { value, errors } = compiled.result!.evaluate(ev);
        expect(performance.now() - started, text.slice(0, 200)).toBeLessThan(EVALUATE_MS);
        // What an evaluation keeps is its result: never a string over the limit (or a longer attribute as it is).
        if (typeof value === 'string') expect(value.length).toBeLessThanOrEqual(Math.max(MAX_STRING_LENGTH, 30_002));
        expect(errors.length).toBeLessThan(text.length);
        for (const e of errors) if (e.kind === 'generic') expect(e.message).toMatch(/evaluation budget/);
        if (errors.some((e) => /evaluation budget|the limit is/.test(e.message))) seen.limited++;
        const again = performance.now();
        expect(compiled.result!.matches(ev)).toBe(value === true && errors.length === 0);
        expect(performance.now() - again).toBeLessThan(EVALUATE_MS);
      }),
      { numRuns: 120 },
    );
    // The generator must reach all three outcomes (compiled, refused, stopped by a limit), or it proves little.
    expect(seen.compiled).toBeGreaterThan(50);
    expect(seen.refused).toBeGreaterThan(2);
    expect(seen.limited).toBeGreaterThan(2);
  });
});
