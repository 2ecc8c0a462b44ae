import { describe, expect, it } from 'vitest';
import { parse } from 'graphql';
import { HubError } from '../../src/hub/errors.js';
import { compileWhere } from '../../src/api/graphql/where.js';
import { GraphqlContext, type GraphqlDeps } from '../../src/api/graphql/context.js';
import { run, type Prepared } from '../../src/api/graphql/operation.js';
import { limitsOf } from '../../src/api/graphql/limits.js';
import { DEFAULTS } from '../../src/config.js';

describe('where compiler', () => {
  it('turns eventid tests into ranges of the log, and heroldtime into a commit-time window', () => {
    expect(compileWhere({ eventid: { gt: 5, lte: 9 } }).ranges).toEqual([[6, 9]]);
    expect(compileWhere({ eventid: { in: [9, 3, 3, 20], nin: [20] } }).ranges).toEqual([
      [3, 3],
      [9, 9],
    ]);
    expect(compileWhere({ and: [{ eventid: { gte: 2 } }, { eventid: { neq: 4 } }] }).ranges).toEqual([
      [2, 3],
      [5, Infinity],
    ]);
    expect(compileWhere({ eventid: { eq: 5, gt: 5 } }).ranges).toEqual([]);
    const w = compileWhere({ heroldtime: { gt: '2026-01-01T00:00:00Z', lte: '2026-01-02T00:00:00Z' } });
    expect(w).toEqual({ since: Date.parse('2026-01-01T00:00:00Z') + 1, until: Date.parse('2026-01-02T00:00:00Z') + 1 });
    expect(w.filter).toBeUndefined();
  });

  it('compiles attribute tests to one caller filter with the attributes it reads and what a match requires', () => {
    const w = compileWhere({ type: { in: ['a', 'b'] }, or: [{ subject: { eq: 's1' } }, { subject: { startsWith: 's' }, ext: [{ name: 'kommune', eq: '0301' }] }] });
    const f = w.filter!;
    expect([...f.attributes].sort()).toEqual(['kommune', 'subject', 'type']);
    // `or` requires nothing of subject (one branch tests it by prefix only); `type` is required.
    expect(f.requires).toEqual({ type: new Set(['a', 'b']) });
    expect(f.pointer).toBe('/where');
    expect(f.audit).toEqual({ graphql: { type: { in: ['a', 'b'] }, or: [{ subject: { eq: 's1' } }, { subject: { startsWith: 's' }, ext: [{ name: 'kommune', eq: '0301' }] }] } });
    expect(f.predicate({ type: 'a', subject: 's1' })).toBe(true);
    expect(f.predicate({ type: 'a', subject: 'sx', kommune: '0301' })).toBe(true);
    expect(f.predicate({ type: 'a', subject: 'sx', kommune: '0101' })).toBe(false);
    expect(f.predicate({ type: 'c', subject: 's1' })).toBe(false);
  });

  it('treats an absent attribute as matching neq and nin only', () => {
    const p = (where: Record<string, unknown>) => compileWhere(where).filter!.predicate({ type: 't' });
    expect(p({ subject: { neq: 'x' } })).toBe(true);
    expect(p({ subject: { nin: ['x'] } })).toBe(true);
    for (const op of ['eq', 'startsWith', 'endsWith', 'contains', 'gt', 'lt']) expect(p({ subject: { [op]: 'x' } }), op).toBe(false);
    expect(p({ subject: { in: ['x'] } })).toBe(false);
  });

  it('refuses what it cannot run, with a pointer', () => {
    const refusal = (where: Record<string, unknown>, opts = {}) => {
      try {
        compileWhere(where, opts);
      } catch (error) {
        return (error as HubError).errors[0];
      }
      throw new Error('accepted');
    };
    expect(refusal({ not: { heroldtime: { gt: '2026-01-01T00:00:00Z' } } }).pointer).toBe('/where/not/heroldtime');
    expect(refusal({ eventid: { lt: 3 } }, { lowerBoundOnly: true }).pointer).toBe('/where/eventid/lt');
    expect(refusal({ eventid: { in: Array.from({ length: 101 }, (_, i) => i) } }).pointer).toBe('/where/eventid/in');
    let deep: Record<string, unknown> = { type: { eq: 'x' } };
    for (let i = 0; i < 9; i++) deep = { not: deep };
    expect(refusal(deep).message).toMatch(/nested/);
  });
});

describe('execution timeout', () => {
  it('stops asking the hub at the deadline and answers QUERY_TOO_COMPLEX', async () => {
    const deps = { hub: {}, access: { decide: () => ({ allowed: true, scope: {} }) }, limits: limitsOf(DEFAULTS) } as unknown as GraphqlDeps;
    const document = parse('{ events(list: "x") { nodes { eventid } } }');
    const prepared = { document, operation: document.definitions[0] } as Prepared;
    const result = await run(prepared, new GraphqlContext(deps, { id: 'p', admin: false, credential: { kind: 'insecure' } }, Date.now() - 1));
    expect(result.errors?.[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'timeout' });
  });
});
