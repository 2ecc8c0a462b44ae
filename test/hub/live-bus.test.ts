import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Requirements } from '../../src/cesql/index.js';
import { LiveBus } from '../../src/hub/live-bus.js';
import { LiveTail } from '../../src/hub/live-tail.js';
import type { StoredEvent } from '../../src/store/types.js';

const needsType = (...types: string[]): Requirements => ({ type: new Set(types) });

/** Commit events of these types to the tail and announce them with the tail's summary, as the hub does. */
function commit(bus: LiveBus, tail: LiveTail, types: string[], summarised = true): void {
  const first = bus.head('l') + 1;
  const events: StoredEvent[] = types.map((type, i) => ({ seq: first + i, prevSeq: null, time: 0, body: JSON.stringify({ type, source: '/s', subject: 'x' }) }));
  const chunk = tail.add('l', events)!;
  bus.announce('l', first + types.length - 1, summarised ? LiveTail.commitSummary(chunk) : undefined);
}

describe('live bus: waiting for commits a filter may match', () => {
  it('commits without a required value pass the waiter by and move its clearThrough; one that may match wakes it', () => {
    const bus = new LiveBus();
    const tail = new LiveTail();
    let woken = 0;
    const wait = bus.onceMatching('l', 0, needsType('a'), () => woken++);
    commit(bus, tail, ['b', 'c']);
    commit(bus, tail, ['c']);
    expect(woken).toBe(0);
    expect(wait.clearThrough).toBe(3);
    expect(bus.waiting()).toBe(1);
    commit(bus, tail, ['c', 'a', 'b']);
    expect(woken).toBe(1);
    // The matching commit is not passed: the reader reads it.
    expect(wait.clearThrough).toBe(3);
    expect(bus.waiting()).toBe(0);
    commit(bus, tail, ['a']);
    expect(woken).toBe(1);
  });

  it('wakes at once when the head is already beyond, on a commit without a summary, and on a gap', () => {
    const bus = new LiveBus();
    const tail = new LiveTail();
    commit(bus, tail, ['b']);
    let woken = 0;
    bus.onceMatching('l', 0, needsType('a'), () => woken++);
    expect(woken).toBe(1);
    bus.onceMatching('l', 1, needsType('a'), () => woken++);
    commit(bus, tail, ['b'], false);
    expect(woken).toBe(2);
    // A commit whose first seq does not follow the head (another node's commits in between): wake.
    const wait = bus.onceMatching('l', 2, needsType('a'), () => woken++);
    const chunk = tail.add('l', [{ seq: 5, prevSeq: null, time: 0, body: '{"type":"b","source":"/s"}' }])!;
    bus.announce('l', 5, LiveTail.commitSummary(chunk));
    expect(woken).toBe(3);
    expect(wait.clearThrough).toBe(2);
  });

  it('a cancelled wait is not woken, and plain waiters wake on every commit as before', () => {
    const bus = new LiveBus();
    const tail = new LiveTail();
    let matching = 0;
    let plain = 0;
    bus.onceMatching('l', 0, needsType('a'), () => matching++).cancel();
    bus.onceBeyond('l', 0, () => plain++);
    commit(bus, tail, ['a']);
    expect([matching, plain]).toEqual([0, 1]);
    expect(bus.waiting()).toBe(0);
  });

  it('never passes over a commit holding an event the requirements allow (any commits, any requirements)', () => {
    const type = fc.constantFrom('a', 'b', 'c', 'd');
    fc.assert(
      fc.property(fc.array(fc.array(type, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 }), fc.uniqueArray(type, { minLength: 1, maxLength: 3 }), (commits, wanted) => {
        const bus = new LiveBus();
        const tail = new LiveTail();
        let wokenAt: number | undefined;
        const wait = bus.onceMatching('l', 0, needsType(...wanted), () => (wokenAt ??= bus.head('l')));
        for (const c of commits) commit(bus, tail, c);
        const all = commits.flat();
        const firstMatch = all.findIndex((t) => wanted.includes(t)) + 1;
        if (firstMatch === 0) {
          expect(wokenAt).toBeUndefined();
          expect(wait.clearThrough).toBe(all.length);
        } else {
          // Woken by the commit holding the first match, and clear only up to the commit before it.
          expect(wokenAt).toBeGreaterThanOrEqual(firstMatch);
          expect(wait.clearThrough).toBeLessThan(firstMatch);
        }
      }),
    );
  });
});
