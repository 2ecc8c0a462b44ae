/**
 * Hostile CESQL inputs: short expressions that used to make the compiler or
 * the evaluator do work, or hold memory, out of all proportion to their size
 * (issue 10, "CESQL bombs"). Shared by the unit tests and the HTTP tests of
 * every door that takes a filter.
 */

const empties = (n: number): string => Array(n).fill("''").join(',');

/** `levels` nested CONCAT_WS calls, each repeating its separator (the level below) `n - 1` times. */
export function concatWsTower(seed: string, levels: number, n: number): string {
  let e = seed;
  for (let i = 0; i < levels; i++) e = `CONCAT_WS(${e},${empties(n)})`;
  return e;
}

/** A LIKE pattern whose only `%`-free part has many `_`: the slowest shape for a naive search. */
export const UNDERSCORE_PATTERN = `%${'a_'.repeat(150)}b%`;

/**
 * Expressions whose constant part alone is far too large or too costly: each
 * must be refused at compile time, quickly, with a CesqlParseError.
 */
export const CONSTANT_BOMBS: Record<string, string> = {
  // 8 × 24^5 ≈ 64 million characters, pinned by constant folding (the 534-character subscription filter).
  'LOWER(CONCAT_WS(...)) pinning memory': `LOWER(${concatWsTower("'aaaaaaaa'", 5, 25)}) = 'x'`,
  // Past V8's longest string: a RangeError, not a syntax error, used to escape as a 500.
  'CONCAT_WS tower past the longest string': `LENGTH(${concatWsTower("'aaaaaaaa'", 6, 30)}) = 1`,
  // A string too long to match against, folded at compile time (the 627-character filter that blocked 3 s).
  'LIKE with `_` over a folded constant': `${concatWsTower("'aaaaaaaa'", 4, 24)} LIKE '${UNDERSCORE_PATTERN}'`,
  // Under the string limit, but matching it costs more than any evaluation may spend.
  'LIKE with `_` over a constant under the length limit': `${concatWsTower("'aaaa'", 3, 40)} LIKE '${UNDERSCORE_PATTERN}'`,
  // Case mapping grows a string (ß → SS).
  'UPPER of a ß tower': `UPPER(${concatWsTower("'ßßßßßßßß'", 5, 20)}) = 'x'`,
  'CONCAT_WS tower nested in arguments': `CONCAT(subject, LEFT(${concatWsTower("'abcdefgh'", 5, 25)}, 3)) = 'x'`,
};

/** The expression is `TRIM` of 40,000 spaces between two letters, built from constants. */
export const TRIM_TOWER = `TRIM(CONCAT('x', ${concatWsTower("' '", 2, 201)}, 'x')) = 'x'`;

/**
 * Expressions that compile (their cost depends on the event) but whose
 * evaluation against {@link HOSTILE_EVENT} must stay fast.
 */
export const EVALUATION_BOMBS: Record<string, string> = {
  'TRIM of an attribute with a long inner run of spaces': "TRIM(padded) = 'x'",
  'LIKE with `_` over a long attribute': `subject LIKE '${UNDERSCORE_PATTERN}'`,
  'CONCAT_WS repeating an attribute': `LOWER(${concatWsTower('subject', 3, 30)}) = 'x'`,
  'the same costly call many times': Array(900).fill("LOWER(subject) = 'x'").join(' OR '),
  'LIKE with many `%`': `subject LIKE '${'%a'.repeat(3000)}%b'`,
  'TRIM tower built from constants': TRIM_TOWER,
};

/** An event with the largest attributes the default 64 KiB event size allows. */
export const HOSTILE_EVENT = {
  specversion: '1.0',
  id: 'hostile-1',
  source: '/hostile',
  type: 'test.hostile',
  subject: 'a'.repeat(30_000),
  padded: `x${' '.repeat(30_000)}x`,
};

/** `not` nested `depth` levels around an `exact` filter. */
export function deepNot(depth: number): Record<string, unknown> {
  let f: Record<string, unknown> = { exact: { type: 'x' } };
  for (let i = 0; i < depth; i++) f = { not: f };
  return f;
}

/** Subscriptions API filter sets that must be refused quickly (each element is one `filters` array). */
export const FILTER_SET_BOMBS: Record<string, unknown[]> = {
  'nesting 20,000 levels deep': [deepNot(20_000)],
  '20,000 sql filters': Array.from({ length: 20_000 }, () => ({ sql: "LOWER(subject) = 'x'" })),
  '20,000 exact attributes': [{ exact: Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`a${i}`, 'x'])) }],
  'a constant bomb in one sql filter': [{ prefix: { type: 'x' } }, { sql: CONSTANT_BOMBS['LOWER(CONCAT_WS(...)) pinning memory'] }],
};

/** Accepted, but all of its `sql` filters together share one evaluation budget per event. */
export const COSTLY_FILTER_SET = [{ any: Array.from({ length: 900 }, () => ({ sql: "LOWER(subject) = 'x'" })) }];

/** JSON of a filter array, written by hand around chains of `not` (JSON.stringify overflows the stack on them). */
export function filtersJson(filters: unknown[]): string {
  const one = (filter: unknown): string => {
    let depth = 0;
    let inner = filter;
    while (typeof inner === 'object' && inner !== null && Object.keys(inner).length === 1 && 'not' in inner) {
      inner = (inner as { not: unknown }).not;
      depth++;
    }
    return `${'{"not":'.repeat(depth)}${JSON.stringify(inner)}${'}'.repeat(depth)}`;
  };
  return `[${filters.map(one).join(',')}]`;
}
