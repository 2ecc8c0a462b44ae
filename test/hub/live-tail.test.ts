import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CloudEvent } from '../../src/cloudevents/event.js';
import { compileFilters } from '../../src/cesql/index.js';
import { filterRequirements } from '../../src/cesql/requirements.js';
import { Access, type Scope } from '../../src/access/access.js';
import { Hub } from '../../src/hub/hub.js';
import { LiveTail } from '../../src/hub/live-tail.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function openHub(): Promise<{ hub: Hub; store: SqliteStore; scope: Scope }> {
  const dir = mkdtempSync(join(tmpdir(), 'herold-tail-'));
  dirs.push(dir);
  const store = new SqliteStore({ file: join(dir, 'h.db'), synchronous: 'normal' });
  const hub = new Hub(store);
  await hub.start();
  await hub.putList({ name: 'l' });
  // An admin's scope: every event, whole.
  const access = new Access(store);
  await access.bootstrap('k'.repeat(32));
  const decision = access.decide({ id: 'admin', admin: true, credential: { kind: 'admin-key' } }, 'events.read', 'l');
  if (!decision.allowed) throw new Error('admin must read');
  return { hub, store, scope: decision.scope };
}

let n = 0;
const ev = (type: string, subject: string): CloudEvent => ({ specversion: '1.0', id: `e${++n}`, source: '/s', type, subject }) as CloudEvent;

describe('live tail: skipping whole commits by what a filter requires', () => {
  it('a caught-up reader gets exactly what a store read gets, with the same next, for any commits and filter', async () => {
    const { hub, store, scope } = await openHub();
    const filters = [[{ sql: "subject = 'p/1'" }], [{ exact: { type: 'b' } }], [{ any: [{ exact: { type: 'a' } }, { sql: "type IN ('c')" }] }], [{ prefix: { subject: 'p/' } }]];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.constantFrom('p/1', 'p/2', 'q/3')), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom(...filters),
        fc.integer({ min: 1, max: 7 }),
        async (commits, filter, limit) => {
          const from = hub.head('l');
          // Each awaited publish is a commit of its own: one chunk in the tail.
          for (const commit of commits) await hub.publish('l', commit.map(([t, s]) => ev(t, s)));
          const predicate = compileFilters(filter);
          const requires = filterRequirements(filter);
          const query = { filter: { predicate, requires, attributes: new Set<string>(), pointer: '/filters', audit: {} } };
          const viaTail: number[] = [];
          const viaStore: number[] = [];
          // Through the hub: caught up, so from the live tail, skipping commits.
          for (let after = from, page; after < hub.head('l'); after = page.next) {
            page = await hub.read(scope, { ...query, after, limit }, null);
            viaTail.push(...page.events.map((e) => e.seq));
            if (page.next === after) throw new Error('no progress');
          }
          for (const row of await store.readRange('l', { after: from, upTo: hub.head('l'), limit: 10_000 })) {
            if (predicate(JSON.parse(row.body))) viaStore.push(row.seq);
          }
          expect(viaTail).toEqual(viaStore);
        },
      ),
      { numRuns: 60 },
    );
    await hub.stop();
  });

  it('summarises a commit once, and skips it only when none of its values is required', () => {
    const tail = new LiveTail();
    const stored = (seq: number, type: string) => ({ seq, prevSeq: null, time: 0, body: JSON.stringify({ specversion: '1.0', id: `${seq}`, source: '/s', type }) });
    tail.add('l', [stored(1, 'a'), stored(2, 'b')]);
    tail.add('l', [stored(3, 'c')]);
    const chunks = tail.chunks('l', 0, 3)!;
    expect(chunks.map((c) => c.first)).toEqual([1, 3]);
    expect(LiveTail.mayMatch(chunks[0], { type: new Set(['b']) })).toBe(true);
    expect(LiveTail.mayMatch(chunks[1], { type: new Set(['b']) })).toBe(false);
    expect(LiveTail.mayMatch(chunks[0], { subject: new Set(['x']) })).toBe(false);
    // Only the chunks overlapping the range; none when the tail does not reach.
    expect(tail.chunks('l', 2, 3)!.map((c) => c.first)).toEqual([3]);
    expect(tail.chunks('l', 1, 2)!.map((c) => c.first)).toEqual([1]);
    expect(tail.chunks('l', 0, 4)).toBeUndefined();
    // Retention drops whole chunks and trims a partial one.
    tail.dropThrough('l', 1);
    expect(tail.chunks('l', 1, 3)!.map((c) => [c.first, c.entries.length])).toEqual([[2, 1], [3, 1]]);
    expect(tail.chunks('l', 0, 3)).toBeUndefined();
  });

  it('keeps about its capacity, dropping the oldest commits whole', () => {
    const tail = new LiveTail(10);
    const stored = (seq: number) => ({ seq, prevSeq: null, time: 0, body: '{}' });
    for (let seq = 1; seq <= 40; seq += 4) tail.add('l', [stored(seq), stored(seq + 1), stored(seq + 2), stored(seq + 3)]);
    const held = tail.chunks('l', 28, 40)!;
    expect(held[0].first).toBe(29);
    expect(tail.chunks('l', 20, 40)).toBeUndefined();
    // A gap (commits not seen here) starts the tail over.
    tail.add('l', [stored(50)]);
    expect(tail.chunks('l', 49, 50)!.map((c) => c.first)).toEqual([50]);
    expect(tail.chunks('l', 40, 50)).toBeUndefined();
  });
});
