/**
 * Property tests of the CESQL parser and evaluator: no input, however
 * malformed or deeply nested, makes them throw anything but CesqlParseError
 * (at parse time only) or take long; printed syntax trees parse back to
 * themselves; evaluation is total and agrees with filter mode.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CesqlParseError,
  compileCesql,
  parseCesql,
  type Ast,
  type BinaryOperator,
  type CesqlEvent,
} from '../../src/cesql/index.js';
import { formatCesql, withoutPositions } from './format.js';

const KINDS = new Set(['parse', 'math', 'cast', 'missingFunction', 'functionEvaluation', 'missingAttribute', 'generic']);
const SLOW_MS = 1_000;

/** Parses `expression`; returns the tree, or undefined after a CesqlParseError. Anything else fails the test. */
function tryParse(expression: string): Ast | undefined {
  const started = performance.now();
  try {
    return parseCesql(expression);
  } catch (e) {
    if (!(e instanceof CesqlParseError)) throw e;
    expect(e.position).toBeGreaterThanOrEqual(0);
    expect(e.position).toBeLessThanOrEqual(expression.length);
    expect(e.message).toMatch(/ at \d+$/);
    return undefined;
  } finally {
    expect(performance.now() - started).toBeLessThan(SLOW_MS);
  }
}

/** Evaluates an expression against an event and checks that the result is well-formed. */
function checkEvaluation(expression: string, event: CesqlEvent): void {
  const compiled = compileCesql(expression);
  const before = JSON.stringify(event);
  const started = performance.now();
  const result = compiled.evaluate(event);
  const passes = compiled.matches(event);
  expect(performance.now() - started).toBeLessThan(SLOW_MS);
  expect(JSON.stringify(event)).toBe(before);
  const v = result.value;
  expect(['string', 'number', 'boolean']).toContain(typeof v);
  if (typeof v === 'number') {
    expect(Number.isInteger(v) && v >= -2147483648 && v <= 2147483647).toBe(true);
    expect(Object.is(v, -0)).toBe(false);
  }
  for (const e of result.errors) {
    expect(KINDS.has(e.kind)).toBe(true);
    expect(e.kind).not.toBe('parse');
    expect(e.kind, e.message).not.toBe('generic'); // the engine itself never fails
    expect(e.position).toBeGreaterThanOrEqual(0);
    expect(e.position).toBeLessThan(expression.length);
  }
  expect(passes).toBe(v === true && result.errors.length === 0);
  expect(compiled.evaluate(event)).toEqual(result);
}

// ---- events ------------------------------------------------------------------

const ATTRIBUTES = ['subject', 'myint', 'mystr', 'mybool', 'x', 'y', 'ratio', 'big'] as const;

const attributeValue = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.integer({ min: -3, max: 3 }),
  fc.boolean(),
  fc.constantFrom('true', 'FALSE', '10', '-7', '', 'abc%_'),
  fc.double(),
  fc.constant(null),
);

const event: fc.Arbitrary<CesqlEvent> = fc
  .dictionary(fc.constantFrom(...ATTRIBUTES), attributeValue, { maxKeys: 6 })
  .map((extra) => ({ specversion: '1.0', id: 'id-1', source: 'urn:src', type: 'com.example', ...extra }));

// ---- syntax trees ------------------------------------------------------------

/** String values CESQL literals can spell (see format.ts). */
const spellable = fc
  .string({ maxLength: 8, unit: fc.constantFrom('a', 'B', '%', '_', '\\', "'", '"', ' ', '😀', '1', '-') })
  .filter((s) => !s.endsWith('\\') && !s.includes("\\'"));

const identifier = fc.constantFrom(...ATTRIBUTES, 'id', 'type', 'source', 'missing', 'a1', '0x');

const BINARY: BinaryOperator[] = ['*', '/', '%', '+', '-', '=', '!=', '<>', '<', '<=', '>', '>=', 'AND', 'OR', 'XOR'];
const FUNCTIONS: [string, number][] = [
  ['LENGTH', 1], ['CONCAT', 0], ['CONCAT', 3], ['CONCAT_WS', 1], ['CONCAT_WS', 3], ['LOWER', 1], ['UPPER', 1],
  ['TRIM', 1], ['LEFT', 2], ['RIGHT', 2], ['SUBSTRING', 2], ['SUBSTRING', 3], ['ABS', 1], ['INT', 1],
  ['BOOL', 1], ['STRING', 1], ['IS_INT', 1], ['IS_BOOL', 1], ['NOPE', 1], ['LOWER', 2],
];

const P = 0; // positions are ignored when comparing trees

const tree = fc.letrec<{ ast: Ast; leaf: Ast }>((tie) => ({
  leaf: fc.oneof(
    fc.integer().map((value): Ast => ({ type: 'literal', value, pos: P })),
    fc.integer({ min: -5, max: 5 }).map((value): Ast => ({ type: 'literal', value: value === 0 ? 0 : value, pos: P })),
    fc.boolean().map((value): Ast => ({ type: 'literal', value, pos: P })),
    spellable.map((value): Ast => ({ type: 'literal', value, pos: P })),
    identifier.map((name): Ast => ({ type: 'attribute', name, pos: P })),
    identifier.map((name): Ast => ({ type: 'exists', name, pos: P })),
  ),
  ast: fc.oneof(
    { depthSize: 'small', maxDepth: 5 },
    tie('leaf'),
    fc
      .record({ operator: fc.constantFrom<'NOT' | '-'>('NOT', '-'), operand: tie('ast') })
      .map((r): Ast => ({ type: 'unary', ...r, pos: P })),
    fc
      .record({ operator: fc.constantFrom(...BINARY), left: tie('ast'), right: tie('ast') })
      .map((r): Ast => ({ type: 'binary', ...r, pos: P })),
    fc
      .record({ negated: fc.boolean(), operand: tie('ast'), pattern: spellable })
      .map((r): Ast => ({ type: 'like', ...r, pos: P })),
    fc
      .record({ negated: fc.boolean(), operand: tie('ast'), set: fc.array(tie('ast'), { minLength: 1, maxLength: 3 }) })
      .map((r): Ast => ({ type: 'in', ...r, pos: P })),
    fc
      .constantFrom(...FUNCTIONS)
      .chain(([name, arity]) =>
        fc.array(tie('ast'), { minLength: arity, maxLength: arity }).map((args): Ast => ({ type: 'call', name, args, pos: P })),
      ),
  ),
}));

// ---- token soup ----------------------------------------------------------------

const TOKENS = [
  '(', ')', ',', '=', '!=', '<>', '<', '<=', '>', '>=', '+', '-', '*', '/', '%', '!',
  'AND', 'or', 'Xor', 'NOT', 'LIKE', 'in', 'EXISTS', 'TRUE', 'false', 'NULL',
  '0', '1', '-1', '2147483647', '2147483648', '-2147483648', '99999999999999999999',
  "'a'", '"b"', "'%a_'", "'", '"', "'\\'", '\\', "'it\\'s'",
  'subject', 'myint', 'SUBJECT', 'my_ext', 'x1', '1x', 'INT', 'CONCAT', 'abs', 'NOPE', 'f1', '_',
  ' ', '\t', '\n', '😀', '\u00a0', '#', '.',
];

const soup = fc
  .array(fc.constantFrom(...TOKENS), { maxLength: 40 })
  .chain((tokens) => fc.constantFrom(tokens.join(' '), tokens.join('')));

// ---- properties ----------------------------------------------------------------

describe('parser fuzzing', () => {
  it('arbitrary strings only ever raise CesqlParseError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        tryParse(s);
      }),
      { numRuns: 2_000 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (s) => {
        tryParse(s);
      }),
      { numRuns: 1_000 },
    );
  });

  it('token soup only ever raises CesqlParseError, and what parses evaluates', () => {
    let parsed = 0;
    let failed = 0;
    fc.assert(
      fc.property(soup, event, (s, ev) => {
        if (tryParse(s) === undefined) failed++;
        else {
          parsed++;
          checkEvaluation(s, ev);
        }
      }),
      { numRuns: 3_000 },
    );
    // Both outcomes must be well represented, or the property proves little.
    expect(parsed).toBeGreaterThan(150);
    expect(failed).toBeGreaterThan(1_000);
  });

  it('deep and long inputs end in a clear parse error, not a stack overflow', () => {
    const prefix = fc.constantFrom('(', 'NOT ', '-', 'ABS(', 'x IN (', 'CONCAT(1, ', 'NOT (', '- (');
    fc.assert(
      fc.property(fc.array(prefix, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 20_000 }), (parts, times) => {
        const open = parts.join('').repeat(times);
        const expression = open + '1' + ')'.repeat((open.match(/\(/g) ?? []).length);
        const ast = tryParse(expression);
        if (ast === undefined) {
          // Too long or too deep: both are reported as such.
          try {
            parseCesql(expression);
          } catch (e) {
            expect((e as Error).message).toMatch(/nested more than|too complex|longer than/);
          }
        } else {
          checkEvaluation(expression, { x: 1 });
        }
      }),
      { numRuns: 200 },
    );
    const chain = fc.constantFrom(' + 1', ' AND TRUE', ' OR x', " LIKE 'a'", ' IN (1)', ' * -1', ' = 1');
    fc.assert(
      fc.property(chain, fc.integer({ min: 1, max: 6_000 }), (link, times) => {
        const expression = '1' + link.repeat(times);
        const ast = tryParse(expression);
        if (ast !== undefined) checkEvaluation(expression, { x: true });
      }),
      { numRuns: 100 },
    );
  });

  it('printed syntax trees parse back to themselves', () => {
    fc.assert(
      fc.property(tree.ast, (ast) => {
        const text = formatCesql(ast);
        const parsed = tryParse(text);
        expect(parsed, text).toBeDefined();
        expect(withoutPositions(parsed!)).toEqual(withoutPositions(ast));
      }),
      { numRuns: 2_000 },
    );
  });

  it('evaluation of any well-formed expression is total and agrees with filter mode', () => {
    const seen = { passed: 0, clean: 0, kinds: new Set<string>(), types: new Set<string>() };
    fc.assert(
      fc.property(tree.ast, event, (ast, ev) => {
        const text = formatCesql(ast);
        checkEvaluation(text, ev);
        const compiled = compileCesql(text);
        const result = compiled.evaluate(ev);
        if (compiled.matches(ev)) seen.passed++;
        if (result.errors.length === 0) seen.clean++;
        for (const e of result.errors) seen.kinds.add(e.kind);
        seen.types.add(typeof result.value);
      }),
      { numRuns: 3_000 },
    );
    expect(seen.passed).toBeGreaterThan(100);
    expect(seen.clean).toBeGreaterThan(500);
    expect([...seen.kinds].sort()).toEqual(['cast', 'functionEvaluation', 'math', 'missingAttribute', 'missingFunction']);
    expect([...seen.types].sort()).toEqual(['boolean', 'number', 'string']);
  });
});
