/**
 * CESQL engine behaviour beyond the TCK: parse errors and positions,
 * precedence, casts, overflow, error propagation, Unicode, LIKE, IN,
 * attribute edge cases and filter-mode semantics.
 */
import { describe, expect, it } from 'vitest';
import {
  CesqlParseError,
  compileCesql,
  evaluateCesql,
  parseCesql,
  type CesqlErrorKind,
} from '../../src/cesql/index.js';

const EVENT = {
  specversion: '1.0',
  id: 'e-1',
  source: 'https://example.com/orders',
  type: 'com.example.order.created',
  subject: 'order/42',
  myint: 10,
  mystr: '10',
  mybool: true,
  big: 3000000000,
  ratio: 1.5,
};

function run(expression: string, event: Record<string, unknown> = EVENT) {
  return evaluateCesql(expression, event);
}

function value(expression: string, event: Record<string, unknown> = EVENT) {
  const r = run(expression, event);
  expect(r.errors, `errors of ${expression}`).toEqual([]);
  return r.value;
}

function kinds(expression: string, event: Record<string, unknown> = EVENT): CesqlErrorKind[] {
  return run(expression, event).errors.map((e) => e.kind);
}

function parseError(expression: string): CesqlParseError {
  try {
    parseCesql(expression);
  } catch (e) {
    expect(e).toBeInstanceOf(CesqlParseError);
    return e as CesqlParseError;
  }
  throw new Error(`expected a parse error for ${JSON.stringify(expression)}`);
}

describe('parser errors', () => {
  it.each([
    ['(1 + 2))', "unexpected token ')' at 7", 7],
    ['ABC(', 'unexpected end of expression at 4', 4],
    ['', 'empty expression at 0', 0],
    ['   ', 'empty expression at 3', 3],
    ['1 +', 'unexpected end of expression at 3', 3],
    ['a = = b', "unexpected token '=' at 4", 4],
    ["'abc", 'unterminated string literal at 0', 0],
    ['x = "a\\"', 'unterminated string literal at 4', 4],
    ['a # b', "unexpected character '#' at 2", 2],
    ['a ! b', "unexpected character '!' at 2", 2],
    ['2147483648', 'integer literal 2147483648 is outside the 32-bit signed range at 0', 0],
    ['-2147483649', 'integer literal -2147483649 is outside the 32-bit signed range at 0', 0],
    ["x LIKE 123", "the LIKE pattern must be a string literal, found '123' at 7", 7],
    ["x LIKE y", "the LIKE pattern must be a string literal, found 'y' at 7", 7],
    ['x IN 1', "unexpected token '1', expected '(' to start the IN set at 5", 5],
    ['x IN ()', "unexpected token ')' at 6", 6],
    ['x IN (1, 2', "unexpected end of expression, expected ',' or ')' in the IN set at 10", 10],
    ["EXISTS 'a'", "unexpected token ''a'', expected an attribute name after EXISTS at 7", 7],
    ['EXISTS AND', "unexpected token 'AND', expected an attribute name after EXISTS at 7", 7],
    ['my_ext = 1', "invalid attribute name 'my_ext': attribute names consist of the letters a-z and digits 0-9 at 0", 0],
    ['f1(2)', "invalid function name 'f1': function names consist of letters and '_' and start with a letter at 0", 0],
    ['a NOT b', "unexpected token 'NOT' at 2", 2],
    ['+ a', "unexpected token '+' at 0", 0],
    ['a\u00a0= b', 'unexpected character U+00A0 at 1', 1],
    ['CONCAT(1,)', "unexpected token ')' at 9", 9],
    ['1 2', "unexpected token '2' at 2", 2],
  ])('%j → %s', (expression, message, position) => {
    const e = parseError(expression);
    expect(e.message).toBe(message);
    expect(e.position).toBe(position);
    expect(e.kind).toBe('parse');
  });

  it('reports nesting beyond the limit as a parse error, not a stack overflow', () => {
    for (const deep of [
      '('.repeat(30_000) + '1' + ')'.repeat(30_000),
      'NOT '.repeat(10_000) + 'TRUE',
      '-'.repeat(60_000) + '1',
      'ABS('.repeat(10_000) + '1' + ')'.repeat(10_000),
      'x IN ('.repeat(5_000) + '1' + ')'.repeat(5_000),
    ]) {
      expect(parseError(deep).message).toMatch(/nested more than 100 levels deep/);
    }
    expect(() => parseCesql('('.repeat(100) + '1' + ')'.repeat(100))).not.toThrow();
  });

  it('bounds long operator chains and the expression length', () => {
    expect(parseError('1' + ' + 1'.repeat(5_000)).message).toMatch(/syntax tree deeper than 1000 levels/);
    expect(value('1' + ' + 1'.repeat(900))).toBe(901);
    expect(parseError('a'.repeat(70_000)).message).toMatch(/longer than 65536 characters/);
  });
});

describe('parser', () => {
  it('records positions and normalises case', () => {
    expect(parseCesql("Source LIKE 'x%' aNd NOT exists SUBJECT")).toEqual({
      type: 'binary',
      operator: 'AND',
      pos: 17,
      left: { type: 'like', negated: false, pattern: 'x%', pos: 7, operand: { type: 'attribute', name: 'source', pos: 0 } },
      right: { type: 'unary', operator: 'NOT', pos: 21, operand: { type: 'exists', name: 'subject', pos: 25 } },
    });
    expect(parseCesql('concat_ws(",")')).toMatchObject({ type: 'call', name: 'CONCAT_WS' });
  });

  it('folds a sign into the integer literal it precedes', () => {
    expect(parseCesql('-2147483648')).toEqual({ type: 'literal', value: -2147483648, pos: 0 });
    expect(parseCesql('+5')).toEqual({ type: 'literal', value: 5, pos: 0 });
    expect(parseCesql('-0')).toEqual({ type: 'literal', value: 0, pos: 0 });
    expect(parseCesql('- (5)')).toMatchObject({ type: 'unary', operator: '-' });
    expect(value('4 - -1')).toBe(5);
    expect(value('4-1')).toBe(3);
    expect(value('--5')).toBe(5);
  });

  it('gives AND, OR and XOR one precedence, left to right (spec §3.6)', () => {
    // (TRUE OR FALSE) AND FALSE, not TRUE OR (FALSE AND FALSE)
    expect(value('TRUE OR FALSE AND FALSE')).toBe(false);
    expect(value('FALSE AND FALSE OR TRUE')).toBe(true);
    expect(value('TRUE XOR TRUE OR TRUE')).toBe(true);
  });

  it('binds unary operators tighter than LIKE, IN and the binary operators', () => {
    expect(value('NOT FALSE = FALSE')).toBe(false); // (NOT FALSE) = FALSE
    expect(value('NOT (FALSE = FALSE)')).toBe(false);
    expect(value("-1 LIKE '-%'")).toBe(true);
    expect(value('1 + 2 IN (2)')).toBe(2); // 1 + (2 IN (2)) = 1 + TRUE
    expect(value("'true' = 'x' LIKE 'x'")).toBe(true); // 'true' = ('x' LIKE 'x')
  });

  it('reads string escapes as the grammar does', () => {
    expect(value("'it\\'s'")).toBe("it's");
    expect(value('"say \\"hi\\""')).toBe('say "hi"');
    expect(value("'a\\\"b'")).toBe('a\\"b'); // \" is not an escape inside '...'
    expect(value("'back\\\\slash'")).toBe('back\\\\slash'); // other backslashes stay as written
    expect(value("'a\\\\'")).toBe('a\\\\'); // a backslash pair never ends the literal
  });

  it('accepts whitespace of all ASCII kinds and keywords in any case', () => {
    expect(value('\tTrUe\r\n\fAnD\vtrue ')).toBe(true);
    expect(value("subject nOt LiKe 'x%' and myint not in (1, 2)")).toBe(true);
  });
});

describe('types and casts', () => {
  it('casts the left operand of = to the type of the right one', () => {
    expect(value("myint = '10'")).toBe(true);
    expect(value('mystr = 10')).toBe(true);
    expect(value("mybool = 'true'")).toBe(true);
    expect(value('mystr = myint')).toBe(true);
    expect(value("'10' = myint")).toBe(true);
    expect(value("'010' = 10")).toBe(true);
    expect(value("10 = '010'")).toBe(false);
  });

  it('reports failed casts and goes on with the zero value', () => {
    expect(run("'abc' = 0")).toMatchObject({ value: true, errors: [{ kind: 'cast', position: 0 }] });
    expect(run("'abc' != 0")).toMatchObject({ value: false, errors: [{ kind: 'cast' }] });
    expect(run('1 AND TRUE')).toMatchObject({ value: false, errors: [{ kind: 'cast' }] });
    expect(run("'yes' OR TRUE")).toMatchObject({ value: true, errors: [{ kind: 'cast' }] });
    expect(run("LEFT('abc', 'x')")).toMatchObject({ value: '', errors: [{ kind: 'cast', position: 12 }] });
  });

  it('parses integers from strings strictly', () => {
    expect(value("INT('+7')")).toBe(7);
    expect(value("INT('-0')")).toBe(0);
    expect(value("INT('0002147483647')")).toBe(2147483647);
    expect(value("INT('-2147483648')")).toBe(-2147483648);
    for (const bad of ["' 1'", "'1 '", "'2147483648'", "'1.0'", "'1e3'", "''", "'+'", "'0x1'", "'١'"]) {
      expect(run(`INT(${bad})`)).toMatchObject({ value: 0, errors: [{ kind: 'cast' }] });
    }
  });

  it('implements the casting functions', () => {
    expect(value('STRING(-12)')).toBe('-12');
    expect(value("BOOL('TrUe')")).toBe(true);
    expect(value('BOOL(-1)')).toBe(true);
    expect(value("IS_INT('-12')")).toBe(true);
    expect(value("IS_INT('12a')")).toBe(false);
    expect(value('IS_INT(TRUE)')).toBe(true);
    expect(value("IS_BOOL('FALSE')")).toBe(true);
    expect(value("IS_BOOL('no')")).toBe(false);
    expect(value('IS_BOOL(0)')).toBe(true);
    expect(value('is_int(myint) AND is_bool(mybool)')).toBe(true);
  });
});

describe('integer arithmetic', () => {
  it('truncates division towards zero and keeps the dividend sign for %', () => {
    expect(value('-7 / 2')).toBe(-3);
    expect(value('7 / -2')).toBe(-3);
    expect(value('-7 % 2')).toBe(-1);
    expect(value('7 % -2')).toBe(1);
    expect(Object.is(value('-4 % 2'), 0)).toBe(true);
    expect(Object.is(value('0 * -1'), 0)).toBe(true);
    expect(value('-2147483648 % -1')).toBe(0);
  });

  it('reports overflow as a MathError', () => {
    for (const e of ['2147483647 + 1', '-2147483648 - 1', '65536 * 32768', '-2147483648 / -1']) {
      expect(run(e)).toMatchObject({ value: 0, errors: [{ kind: 'math' }] });
    }
    expect(run('-(-2147483648)')).toMatchObject({ value: 2147483647, errors: [{ kind: 'math' }] });
    expect(value('2147483647 + -2147483648')).toBe(-1);
    expect(value('46340 * 46340')).toBe(2147395600);
  });
});

describe('errors', () => {
  it('gives an operator whose operand failed the zero value of its type', () => {
    expect(run('(1 / 0) + 5')).toMatchObject({ value: 0, errors: [{ kind: 'math', position: 3 }] });
    expect(run('(1 / 0) = 0')).toMatchObject({ value: false, errors: [{ kind: 'math' }] });
    expect(run('NOT (missing = 1)')).toMatchObject({ value: false, errors: [{ kind: 'missingAttribute' }] });
    expect(run('LENGTH(missing)')).toMatchObject({ value: 0, errors: [{ kind: 'missingAttribute' }] });
    expect(run("CONCAT('a', missing)")).toMatchObject({ value: '', errors: [{ kind: 'missingAttribute' }] });
    expect(run('missing')).toMatchObject({ value: false, errors: [{ kind: 'missingAttribute', position: 0 }] });
    expect(run('(missing)')).toMatchObject({ value: false });
  });

  it('collects every error raised, in evaluation order', () => {
    const r = run("INT('a') + INT(nope) + 1 / 0");
    expect(r.value).toBe(0);
    expect(r.errors.map((e) => [e.kind, e.position])).toEqual([
      ['cast', 0],
      ['missingAttribute', 15],
      ['math', 25],
    ]);
    expect(r.errors[1]!.message).toBe("missing attribute 'nope' at 15");
  });

  it('short-circuits AND and OR, and only them', () => {
    expect(run('FALSE AND missing')).toEqual({ value: false, errors: [] });
    expect(run('TRUE OR missing')).toEqual({ value: true, errors: [] });
    expect(kinds('FALSE XOR missing')).toEqual(['missingAttribute']);
    expect(kinds('1 IN (1, missing)')).toEqual(['missingAttribute']);
  });

  it('reports unknown functions and wrong arities as MissingFunctionError, also at compile time', () => {
    expect(run('NOPE(1)')).toMatchObject({ value: false, errors: [{ kind: 'missingFunction' }] });
    expect(run('LOWER()').errors[0]!.message).toBe('function LOWER does not take 0 arguments (it takes 1) at 0');
    expect(run('SUBSTRING(1)').errors[0]!.message).toBe(
      'function SUBSTRING does not take 1 argument (it takes 2 or 3) at 0',
    );
    expect(compileCesql("TRUE OR upper('a', 'b')").diagnostics.map((d) => d.kind)).toEqual(['missingFunction']);
    expect(compileCesql('TRUE').diagnostics).toEqual([]);
  });

  it('turns an exception from the event object into a GenericError', () => {
    const hostile = new Proxy({ ...EVENT }, {
      get(target, key) {
        if (key === 'subject') throw new Error('no access');
        return Reflect.get(target, key);
      },
    });
    const compiled = compileCesql("subject = 'order/42'");
    expect(compiled.evaluate(hostile)).toEqual({
      value: false,
      errors: [{ kind: 'generic', message: 'evaluation failed: no access at 0', position: 0 }],
    });
    expect(compiled.matches(hostile)).toBe(false);
    expect(compiled.matches(EVENT)).toBe(true);
  });

  it('never mutates the event', () => {
    const event = structuredClone(EVENT);
    const frozen = Object.freeze(structuredClone(EVENT));
    run("CONCAT(subject, id) = 'x' OR LOWER(type) LIKE '%a%' OR myint + 1 > 2", frozen);
    expect(frozen).toEqual(event);
  });
});

describe('attributes', () => {
  it('maps JSON attribute values onto CESQL types', () => {
    expect(value('myint + 1')).toBe(11);
    expect(value('mybool')).toBe(true);
    expect(value('big')).toBe('3000000000'); // outside the Integer range: a String
    expect(value('ratio')).toBe('1.5');
    expect(run('big + 1')).toMatchObject({ value: 1, errors: [{ kind: 'cast' }] });
    expect(value("ratio = '1.5'")).toBe(true);
  });

  it('treats null and absent attributes alike, and never reads the prototype', () => {
    expect(run('subject', { ...EVENT, subject: null })).toMatchObject({ value: false, errors: [{ kind: 'missingAttribute' }] });
    expect(value('EXISTS subject', { ...EVENT, subject: null })).toBe(false);
    expect(kinds('constructor')).toEqual(['missingAttribute']);
    expect(value('EXISTS constructor')).toBe(false);
    expect(value('constructor', { ...EVENT, constructor: 'mine' })).toBe('mine');
    expect(value('EXISTS constructor', { ...EVENT, constructor: 'mine' })).toBe(true);
  });

  it('does not address the event payload', () => {
    const event = { ...EVENT, data: 'payload' };
    expect(value('EXISTS data', event)).toBe(false);
    expect(kinds("data = 'payload'", event)).toEqual(['missingAttribute']);
  });

  it('allows digit-only attribute names after EXISTS', () => {
    expect(value('EXISTS 123', { ...EVENT, '123': 'x' })).toBe(true);
  });
});

describe('string functions', () => {
  it('counts characters as Unicode code points', () => {
    expect(value("LENGTH('a😀b')")).toBe(3);
    expect(value("LEFT('😀😁😂', 2)")).toBe('😀😁');
    expect(value("RIGHT('😀😁😂', 1)")).toBe('😂');
    expect(value("SUBSTRING('x😀y😁z', 2, 3)")).toBe('😀y😁');
    expect(value("SUBSTRING('x😀y😁z', -2)")).toBe('😁z');
    expect(value("'😀' LIKE '_'")).toBe(true);
    expect(value("'a😀b' LIKE 'a_b'")).toBe(true);
    expect(value("'a😀b' LIKE '___'")).toBe(true);
    expect(value("'a😀b' LIKE '____'")).toBe(false);
  });

  it('trims Unicode white space only', () => {
    expect(value("TRIM('\u2003\u0085 x y \u3000\n')")).toBe('x y');
    expect(value("TRIM('\uFEFFx\u200B')")).toBe('\uFEFFx\u200B'); // not White_Space
    expect(value("TRIM('\u0001x')")).toBe('\u0001x');
  });

  it('handles the SUBSTRING boundaries', () => {
    expect(value("SUBSTRING('abc', 3)")).toBe('c');
    expect(value("SUBSTRING('abc', -3)")).toBe('abc');
    expect(value("SUBSTRING('abc', 2, 0)")).toBe('');
    expect(value("SUBSTRING('', 0)")).toBe('');
    expect(run("SUBSTRING('abc', 1, -1)")).toMatchObject({ value: '', errors: [{ kind: 'functionEvaluation' }] });
    expect(run("SUBSTRING('', 1)")).toMatchObject({ value: '', errors: [{ kind: 'functionEvaluation' }] });
  });

  it('joins with CONCAT and CONCAT_WS, casting arguments to String', () => {
    expect(value("CONCAT(1, TRUE, 'x')")).toBe('1truex');
    expect(value("CONCAT_WS('-', myint, subject)")).toBe('10-order/42');
    expect(value("concat_ws('', 'a', 'b')")).toBe('ab');
    expect(value("UPPER('straße')")).toBe('STRASSE');
    expect(value("LOWER('ÀÉ')")).toBe('àé');
  });
});

describe('LIKE', () => {
  it.each([
    ['abc', 'abc', true],
    ['abc', 'ABC', false],
    ['', '', true],
    ['', '%', true],
    ['a', '', false],
    ['abc', '%', true],
    ['abc', '%%', true],
    ['abc', 'a%', true],
    ['abc', '%c', true],
    ['abc', '%b%', true],
    ['abc', 'a%c', true],
    ['ac', 'a%c', true],
    ['a', 'a%a', false],
    ['aa', 'a%a', true],
    ['abcabc', '%abc', true],
    ['abab', 'a%b%b', true],
    ['abba', '%a_a%', false],
    ['abab', '%a_a%', true],
    ['axbxb', '%x_%b', true],
    ['a%c', 'a\\%c', true],
    ['abc', 'a\\%c', false],
    ['a_c', 'a\\_c', true],
    ['abc', 'a\\_c', false],
    ['a\\c', 'a\\c', true],
    ['a\\\\c', 'a\\\\c', true],
    ['a\\%', 'a\\\\%', true], // pattern a\\% is 'a', '\\', then an escaped '%'
    ['a\\xyz', 'a\\\\%', false],
    ['x.y', 'x.y', true],
    ['xzy', 'x.y', false],
    ['a+b', 'a+b', true],
    ['(a)', '(_)', true],
    ['[ab]', '[ab]', true],
    ['a\nb', 'a_b', true],
    ['a\nb', 'a%', true],
  ])('%j LIKE %j is %s', (subject, pattern, expected) => {
    const quote = (s: string) => `'${s.replace(/'/g, "\\'")}'`;
    expect(value(`${quote(subject)} LIKE ${quote(pattern)}`)).toBe(expected);
    expect(value(`${quote(subject)} NOT LIKE ${quote(pattern)}`)).toBe(!expected);
  });

  it('matches pathological patterns in linear-ish time', () => {
    const subject = 'a'.repeat(200_000);
    const compiled = compileCesql(`x LIKE '${'%a'.repeat(200)}%b'`);
    const started = performance.now();
    expect(compiled.matches({ x: subject })).toBe(false);
    const underscores = compileCesql(`x LIKE '%${'a_'.repeat(100)}b%'`);
    expect(underscores.matches({ x: subject })).toBe(false);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('IN', () => {
  it('casts the set elements to the type of the left operand', () => {
    expect(value("myint IN ('9', '10')")).toBe(true);
    expect(value('mystr IN (9, 10)')).toBe(true);
    expect(value("mybool IN ('TRUE')")).toBe(true);
    expect(value('subject IN (id, source, subject)')).toBe(true);
    expect(value('myint IN (mystr)')).toBe(true);
    expect(value('myint NOT IN (1, 2, 3)')).toBe(true);
  });

  it('reports elements that do not cast, on every evaluation', () => {
    const compiled = compileCesql("myint IN (10, 'ten')");
    for (let i = 0; i < 2; i++) {
      expect(compiled.evaluate(EVENT)).toMatchObject({ value: true, errors: [{ kind: 'cast', position: 14 }] });
      expect(compiled.matches(EVENT)).toBe(false);
    }
    expect(value("subject IN (10, 'order/42')")).toBe(true); // everything casts to String
  });
});

describe('compiled expressions', () => {
  it('pass a filter only for Boolean true without errors', () => {
    expect(compileCesql('myint > 5').matches(EVENT)).toBe(true);
    expect(compileCesql('myint').matches(EVENT)).toBe(false);
    expect(compileCesql("'true'").matches(EVENT)).toBe(false);
    expect(compileCesql('mybool').matches(EVENT)).toBe(true);
    expect(compileCesql('mybool').matches({ ...EVENT, mybool: 'true' })).toBe(false);
    expect(compileCesql("'abc' = 0").evaluate(EVENT).value).toBe(true);
    expect(compileCesql("'abc' = 0").matches(EVENT)).toBe(false);
    expect(compileCesql('missing = 1 OR TRUE').matches(EVENT)).toBe(false);
  });

  it('know their static result type', () => {
    expect(compileCesql('1 + 1').resultType).toBe('Integer');
    expect(compileCesql("CONCAT('a')").resultType).toBe('String');
    expect(compileCesql('subject').resultType).toBe('Any');
    expect(compileCesql("subject LIKE 'a%'").resultType).toBe('Boolean');
    expect(compileCesql('NOPE()').resultType).toBe('Boolean');
  });

  it('can be evaluated many times, independently', () => {
    const compiled = compileCesql("type LIKE '%.created' AND myint >= 10");
    expect(compiled.source).toBe("type LIKE '%.created' AND myint >= 10");
    const events = Array.from({ length: 1000 }, (_, i) => ({ ...EVENT, myint: i % 20 }));
    expect(events.filter((e) => compiled.matches(e)).length).toBe(500);
    const first = compiled.evaluate({ ...EVENT, type: undefined });
    const second = compiled.evaluate(EVENT);
    expect(first.errors).toHaveLength(1);
    expect(second.errors).toEqual([]);
  });
});
