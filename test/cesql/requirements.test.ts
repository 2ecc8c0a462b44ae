import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileFilters } from '../../src/cesql/index.js';
import { filterRequirements, INDEXED_ATTRIBUTES, mayMatch, type Requirements } from '../../src/cesql/requirements.js';

// Requirements let the live tail skip commits without running a filter, so
// they must be sound: whenever a filter matches an event, the event's values
// satisfy the filter's requirements. These tests hunt for a counterexample.

const VALUES = ['a', 'b', "o'k", 'A'];
const EVENT_VALUES = ['a', 'b', "o'k"];
const ATTRS = ['type', 'source', 'subject', 'id', 'ext'];

const quoteSql = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

const sqlExpr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(fc.constantFrom(...ATTRS), fc.constantFrom(...VALUES), fc.boolean()).map(([a, v, flip]) => (flip ? `${quoteSql(v)} = ${a}` : `${a} = ${quoteSql(v)}`)),
    fc.tuple(fc.constantFrom(...ATTRS), fc.constantFrom(...VALUES)).map(([a, v]) => `${a} != ${quoteSql(v)}`),
    fc.tuple(fc.constantFrom(...ATTRS), fc.array(fc.constantFrom(...VALUES), { minLength: 1, maxLength: 3 }), fc.boolean()).map(
      ([a, vs, not]) => `${a} ${not ? 'NOT ' : ''}IN (${vs.map(quoteSql).join(', ')})`,
    ),
    fc.tuple(fc.constantFrom(...ATTRS), fc.constantFrom('a%', '%', 'b_')).map(([a, p]) => `${a} LIKE '${p}'`),
    fc.constantFrom(...ATTRS).map((a) => `EXISTS ${a}`),
    fc.constantFrom(...ATTRS).map((a) => `UPPER(${a}) = 'A'`),
    fc.constantFrom('TRUE', 'FALSE', '1 = 1'),
    fc.tuple(tie('e'), tie('e'), fc.constantFrom('AND', 'OR', 'XOR')).map(([l, r, op]) => `(${l}) ${op} (${r})`),
    tie('e').map((e) => `NOT (${e})`),
  ),
})).e;

const filter: fc.Arbitrary<unknown> = fc.letrec<{ f: unknown }>((tie) => ({
  f: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.dictionary(fc.constantFrom(...ATTRS), fc.constantFrom(...VALUES.filter((v) => v !== '')), { minKeys: 1, maxKeys: 2 }).map((exact) => ({ exact })),
    fc.dictionary(fc.constantFrom(...ATTRS), fc.constantFrom('a', 'p'), { minKeys: 1, maxKeys: 1 }).map((prefix) => ({ prefix })),
    fc.array(tie('f'), { minLength: 1, maxLength: 3 }).map((all) => ({ all })),
    fc.array(tie('f'), { minLength: 1, maxLength: 3 }).map((any) => ({ any })),
    tie('f').map((not) => ({ not })),
    sqlExpr.map((sql) => ({ sql })),
  ),
})).f;

const event = fc.record(
  {
    specversion: fc.constant('1.0'),
    // A smaller pool than the filters use, so that filters often match.
    id: fc.constantFrom(...EVENT_VALUES),
    source: fc.constantFrom(...EVENT_VALUES),
    type: fc.constantFrom(...EVENT_VALUES),
    subject: fc.constantFrom(...EVENT_VALUES),
    ext: fc.oneof(fc.constantFrom(...VALUES), fc.integer({ min: -2, max: 2 }), fc.boolean()),
  },
  { requiredKeys: ['specversion', 'id', 'source', 'type'] },
);

function satisfied(r: Requirements, e: Record<string, unknown>): boolean {
  return mayMatch(r, (name, values) => typeof e[name] === 'string' && values.has(e[name] as string));
}

describe('filter requirements', () => {
  it('are sound: every event a filter matches satisfies its requirements', () => {
    // Matched events checked against a requirement that is not empty: the property must not hold vacuously.
    let checked = 0;
    fc.assert(
      fc.property(fc.array(filter, { minLength: 1, maxLength: 3 }), fc.array(event, { minLength: 1, maxLength: 40 }), (filters, events) => {
        const matches = compileFilters(filters);
        const requires = filterRequirements(filters);
        const constrained = Object.keys(requires).length > 0;
        for (const e of events) {
          if (!matches(e)) continue;
          expect(satisfied(requires, e)).toBe(true);
          if (constrained) checked++;
        }
      }),
      { numRuns: 3000 },
    );
    expect(checked).toBeGreaterThan(150);
  });

  it('read equalities and IN lists on type, source and subject through all, any and sql', () => {
    expect(filterRequirements([{ exact: { type: 'a', id: 'x' } }])).toEqual({ type: new Set(['a']) });
    expect(filterRequirements([{ sql: "subject = 'p/1' AND type IN ('a', 'b')" }])).toEqual({ subject: new Set(['p/1']), type: new Set(['a', 'b']) });
    expect(filterRequirements([{ sql: "type = 'a' OR type = 'b'" }])).toEqual({ type: new Set(['a', 'b']) });
    expect(filterRequirements([{ any: [{ exact: { type: 'a' } }, { exact: { type: 'b', source: 's' } }] }])).toEqual({ type: new Set(['a', 'b']) });
    expect(filterRequirements([{ exact: { type: 'a' } }, { exact: { type: 'b' } }])).toEqual({ type: new Set() });
  });

  it('require nothing where the filter gives no equality to rely on', () => {
    for (const filters of [
      undefined,
      [],
      [{ prefix: { type: 'a' } }],
      [{ not: { exact: { type: 'a' } } }],
      [{ sql: "type = 'a' OR source = 'b'" }],
      [{ sql: "NOT (type = 'a')" }],
      [{ sql: "type != 'a'" }],
      [{ sql: "type NOT IN ('a')" }],
      [{ sql: "ext = 'a'" }],
      [{ sql: 'type = 1' }],
    ]) {
      const r = filterRequirements(filters);
      expect(INDEXED_ATTRIBUTES.filter((name) => r[name] !== undefined), JSON.stringify(filters)).toEqual([]);
    }
  });
});
