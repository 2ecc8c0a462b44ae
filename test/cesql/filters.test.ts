/**
 * Subscriptions API filter dialects (exact, prefix, suffix, all, any, not,
 * sql): matching, nesting and validation with JSON pointers.
 */
import { describe, expect, it } from 'vitest';
import { compileFilters, FilterError, validateFilters } from '../../src/cesql/index.js';

const EVENT = {
  specversion: '1.0',
  id: 'A234-1234-1234',
  source: 'https://github.com/cloudevents/spec/pull',
  type: 'com.github.pull_request.opened',
  subject: '123',
  time: '2018-04-05T17:31:00Z',
  sequence: 42,
  hot: true,
  data: { number: 123 },
};

function matches(filters: unknown, event: Record<string, unknown> = EVENT): boolean {
  return compileFilters(filters)(event);
}

function violations(filters: unknown) {
  const found = validateFilters(filters);
  let thrown: unknown;
  try {
    compileFilters(filters);
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(FilterError);
  expect((thrown as FilterError).errors).toEqual(found);
  return found;
}

describe('exact, prefix, suffix', () => {
  it('match the string value of each named attribute, case-sensitively', () => {
    expect(matches([{ exact: { type: 'com.github.pull_request.opened' } }])).toBe(true);
    expect(matches([{ exact: { type: 'com.github.pull_request' } }])).toBe(false);
    expect(matches([{ exact: { type: 'COM.github.pull_request.opened' } }])).toBe(false);
    expect(matches([{ prefix: { type: 'com.github.' } }])).toBe(true);
    expect(matches([{ prefix: { type: 'org.github.' } }])).toBe(false);
    expect(matches([{ suffix: { type: '.opened' } }])).toBe(true);
    expect(matches([{ suffix: { type: '.closed' } }])).toBe(false);
  });

  it('require every attribute of one filter to match', () => {
    expect(matches([{ exact: { type: 'com.github.pull_request.opened', subject: '123' } }])).toBe(true);
    expect(matches([{ exact: { type: 'com.github.pull_request.opened', subject: '124' } }])).toBe(false);
    expect(matches([{ prefix: { type: 'com.', source: 'https://' } }])).toBe(true);
    expect(matches([{ suffix: { type: '.opened', source: '/push' } }])).toBe(false);
  });

  it('compare integer and boolean attributes by their string form', () => {
    expect(matches([{ exact: { sequence: '42' } }])).toBe(true);
    expect(matches([{ prefix: { sequence: '4' } }])).toBe(true);
    expect(matches([{ exact: { hot: 'true' } }])).toBe(true);
    expect(matches([{ suffix: { hot: 'rue' } }])).toBe(true);
    expect(matches([{ exact: { sequence: '042' } }])).toBe(false);
  });

  it('never match a missing attribute', () => {
    expect(matches([{ exact: { nothere: 'x' } }])).toBe(false);
    expect(matches([{ prefix: { nothere: 'x' } }])).toBe(false);
    expect(matches([{ suffix: { nothere: 'x' } }])).toBe(false);
    expect(matches([{ not: { exact: { nothere: 'x' } } }])).toBe(true);
    expect(matches([{ exact: { subject: '123' } }], { ...EVENT, subject: null })).toBe(false);
    expect(matches([{ exact: { constructor: 'x' } }])).toBe(false);
  });

  it('do not match an event object that throws when read', () => {
    const hostile = new Proxy({ ...EVENT }, {
      get() {
        throw new Error('no access');
      },
    });
    expect(matches([{ exact: { type: 'x' } }], hostile)).toBe(false);
    expect(matches([{ not: { exact: { type: 'x' } } }], hostile)).toBe(false);
  });

  it('allow a value that equals the whole attribute for prefix and suffix', () => {
    expect(matches([{ prefix: { subject: '123' } }])).toBe(true);
    expect(matches([{ suffix: { subject: '123' } }])).toBe(true);
    expect(matches([{ prefix: { subject: '1234' } }])).toBe(false);
  });
});

describe('all, any, not and the implicit all of an array', () => {
  const yes = { exact: { subject: '123' } };
  const no = { exact: { subject: 'nope' } };

  it('combine as the spec says', () => {
    expect(matches([yes, yes])).toBe(true);
    expect(matches([yes, no])).toBe(false);
    expect(matches([{ all: [yes, yes] }])).toBe(true);
    expect(matches([{ all: [yes, no] }])).toBe(false);
    expect(matches([{ any: [no, yes] }])).toBe(true);
    expect(matches([{ any: [no, no] }])).toBe(false);
    expect(matches([{ not: yes }])).toBe(false);
    expect(matches([{ not: no }])).toBe(true);
    expect(matches([{ not: { not: yes } }])).toBe(true);
  });

  it('nest to any depth', () => {
    const filters = [
      {
        any: [
          { all: [{ prefix: { type: 'com.github.' } }, { not: { suffix: { type: '.closed' } } }] },
          { sql: "source LIKE '%gitlab%'" },
        ],
      },
      { not: { any: [{ exact: { subject: '0' } }, { exact: { subject: '1' } }] } },
    ];
    expect(matches(filters)).toBe(true);
    expect(matches(filters, { ...EVENT, type: 'com.github.pull_request.closed' })).toBe(false);
    expect(matches(filters, { ...EVENT, type: 'x', source: 'https://gitlab.com/y' })).toBe(true);
    expect(matches(filters, { ...EVENT, subject: '1' })).toBe(false);
  });

  it('let everything through without filters', () => {
    expect(matches(undefined)).toBe(true);
    expect(matches([])).toBe(true);
    expect(validateFilters(undefined)).toEqual([]);
    expect(validateFilters([])).toEqual([]);
  });

  it('accept a single filter object at the top level', () => {
    expect(matches(yes)).toBe(true);
    expect(matches(no)).toBe(false);
  });
});

describe('sql', () => {
  it('passes only when the expression is true without errors', () => {
    expect(matches([{ sql: "subject = '123' AND sequence > 40" }])).toBe(true);
    expect(matches([{ sql: 'sequence > 50' }])).toBe(false);
    expect(matches([{ sql: 'missing = 1 OR TRUE' }])).toBe(false); // error: does not pass
    expect(matches([{ sql: "sequence IN (42, 'x')" }])).toBe(false); // true, but with a cast error
    expect(matches([{ sql: 'hot' }])).toBe(true);
    expect(matches([{ sql: 'subject' }])).toBe(false); // a String is not true
    expect(matches([{ not: { sql: 'missing = 1' } }])).toBe(true); // not of a failed (false) filter
  });

  it('does not see the payload', () => {
    expect(matches([{ sql: 'EXISTS data' }])).toBe(false);
  });
});

describe('validation', () => {
  it('accepts valid filters', () => {
    expect(
      validateFilters([
        { exact: { type: 't' } },
        { prefix: { source: 's', subject: 'x' } },
        { suffix: { type: 't' } },
        { all: [{ any: [{ not: { sql: 'EXISTS subject' } }] }] },
        { sql: 'subject' },
      ]),
    ).toEqual([]);
  });

  it('rejects a top level that is neither an array nor a filter', () => {
    for (const bad of [null, 'type = 1', 42, true]) {
      expect(violations(bad)).toEqual([{ pointer: '', message: 'filters must be an array of filter objects' }]);
    }
  });

  it('rejects unknown dialects, several dialects in one object, and non-objects', () => {
    expect(violations([{ exact: { type: 't' } }, { regex: { type: '.*' } }])).toEqual([
      {
        pointer: '/1/regex',
        message: 'unknown filter dialect "regex" (supported: exact, prefix, suffix, all, any, not, sql)',
      },
    ]);
    expect(violations([{ exact: { type: 't' }, prefix: { type: 't' } }])).toEqual([
      { pointer: '/0', message: 'a filter must have exactly one dialect key, found 2: exact, prefix' },
    ]);
    expect(violations([{}])).toEqual([
      {
        pointer: '/0',
        message: 'a filter must have exactly one dialect key (exact, prefix, suffix, all, any, not, sql), found none',
      },
    ]);
    expect(violations(['type = 1', null, []]).map((v) => v.pointer)).toEqual(['/0', '/1', '/2']);
    expect(violations([{ SQL: 'TRUE' }])[0]!.pointer).toBe('/0/SQL');
  });

  it('checks the attribute maps of exact, prefix and suffix', () => {
    expect(
      violations([
        { exact: { type: 1 } },
        { prefix: { type: '' } },
        { suffix: { '': 'x' } },
        { exact: { Type: 'x' } },
        { exact: {} },
        { prefix: ['type'] },
        { suffix: 'type' },
        { exact: { type: null, source: ['a'], subject: 'ok', data: 'x' } },
        { exact: { 'a/b~c': 'x' } },
      ]),
    ).toEqual([
      { pointer: '/0/exact/type', message: 'the value to match must be a string, not number' },
      { pointer: '/1/prefix/type', message: 'the value to match must not be empty' },
      { pointer: '/2/suffix/', message: 'the attribute name must not be empty' },
      {
        pointer: '/3/exact/Type',
        message: '"Type" is not a CloudEvents attribute name (lower-case letters a-z and digits only)',
      },
      { pointer: '/4/exact', message: "'exact' must name at least one attribute" },
      { pointer: '/5/prefix', message: "'prefix' takes an object mapping attribute names to strings" },
      { pointer: '/6/suffix', message: "'suffix' takes an object mapping attribute names to strings" },
      { pointer: '/7/exact/type', message: 'the value to match must be a string, not null' },
      { pointer: '/7/exact/source', message: 'the value to match must be a string, not an array' },
      { pointer: '/7/exact/data', message: "'data' is the event payload, not a context attribute" },
      {
        pointer: '/8/exact/a~1b~0c',
        message: '"a/b~c" is not a CloudEvents attribute name (lower-case letters a-z and digits only)',
      },
    ]);
  });

  it('checks all, any and not, with pointers into the nesting', () => {
    expect(
      violations([
        { all: [] },
        { any: {} },
        { not: [{ exact: { type: 't' } }] },
        { all: [{ any: [{ exact: { type: 't' } }, { not: { prefix: { type: 5 } } }] }] },
      ]),
    ).toEqual([
      { pointer: '/0/all', message: "'all' needs at least one filter" },
      { pointer: '/1/any', message: "'any' takes an array of filters" },
      { pointer: '/2/not', message: "'not' takes one filter object" },
      { pointer: '/3/all/0/any/1/not/prefix/type', message: 'the value to match must be a string, not number' },
    ]);
  });

  it('parses sql expressions and reports the parse position', () => {
    expect(violations([{ exact: { type: 't' } }, { sql: "type = 'a' AND (source = 'b'))" }])).toEqual([
      { pointer: '/1/sql', message: "invalid CESQL expression: unexpected token ')' at 29" },
    ]);
    expect(violations([{ sql: '' }])).toEqual([{ pointer: '/0/sql', message: 'invalid CESQL expression: empty expression at 0' }]);
    expect(violations([{ sql: 42 }])).toEqual([
      { pointer: '/0/sql', message: "'sql' takes a CESQL expression as a string" },
    ]);
    expect(violations([{ not: { sql: "x LIKE 1" } }])).toEqual([
      {
        pointer: '/0/not/sql',
        message: "invalid CESQL expression: the LIKE pattern must be a string literal, found '1' at 7",
      },
    ]);
  });

  it('rejects sql expressions that can never pass', () => {
    expect(violations([{ sql: 'NOPE(type)' }])).toEqual([
      { pointer: '/0/sql', message: 'invalid CESQL expression: unknown function NOPE at 0' },
    ]);
    expect(violations([{ sql: "type = 'a' OR LOWER()" }])).toEqual([
      {
        pointer: '/0/sql',
        message: 'invalid CESQL expression: function LOWER does not take 0 arguments (it takes 1) at 14',
      },
    ]);
    expect(violations([{ sql: 'sequence + 1' }])).toEqual([
      { pointer: '/0/sql', message: 'a CESQL filter must yield a Boolean, but this expression yields an Integer' },
    ]);
    expect(violations([{ sql: "CONCAT(type, 'x')" }])[0]!.message).toMatch(/yields a String/);
  });

  it('reports every problem at once, and FilterError says so', () => {
    const filters = [{ regex: 'x' }, { sql: '(' }, { exact: { type: 1 } }];
    expect(validateFilters(filters)).toHaveLength(3);
    expect(() => compileFilters(filters)).toThrowError(
      'invalid filters: /0/regex: unknown filter dialect "regex" (supported: exact, prefix, suffix, all, any, not, sql) (and 2 more)',
    );
  });
});
