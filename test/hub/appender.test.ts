import { describe, expect, it } from 'vitest';
import { Appender } from '../../src/hub/appender.js';
import type { AppendOutcome, AppendRequest } from '../../src/store/types.js';

/** A store that records each group and commits it when told to. */
function fakeStore(appendsOffThread: boolean) {
  const groups: string[][] = [];
  const commits: (() => void)[] = [];
  let seq = 0;
  return {
    groups,
    commitNext: () => commits.shift()!(),
    store: {
      appendsOffThread,
      appendGroup: (requests: AppendRequest[]) =>
        new Promise<AppendOutcome[]>((resolve) => {
          groups.push(requests.map((r) => r.events[0].id));
          commits.push(() => resolve(requests.map((r) => ({ ok: true, results: r.events.map(() => ({ seq: ++seq, duplicate: false, prevSeq: null, time: 0 })) }))));
        }),
    },
  };
}

const event = (id: string) => [{ source: '/s', id, type: 't', subject: null, body: '{}' }];
const publishes = (appender: Appender, ids: string[]) => ids.map((id) => appender.append('l', event(id)));
const nextTurn = () => new Promise((r) => setImmediate(r));

describe('Appender grouping', () => {
  it('a store committing on this thread gets what arrived in the same turn as one group', async () => {
    const f = fakeStore(false);
    const appender = new Appender(f.store, { maxGroupEvents: 100, onCommit: () => {} });
    const done = publishes(appender, ['a', 'b', 'c']);
    await nextTurn();
    expect(f.groups).toEqual([['a', 'b', 'c']]);
    f.commitNext();
    await Promise.all(done);
  });

  it('a store committing elsewhere gets the first request at once; the rest form the next group while it commits', async () => {
    const f = fakeStore(true);
    const appender = new Appender(f.store, { maxGroupEvents: 100, onCommit: () => {} });
    const first = appender.append('l', event('a'));
    await Promise.resolve();
    const rest = publishes(appender, ['b', 'c']);
    await nextTurn();
    expect(f.groups).toEqual([['a']]);
    f.commitNext();
    await first;
    await nextTurn();
    expect(f.groups).toEqual([['a'], ['b', 'c']]);
    f.commitNext();
    expect((await Promise.all(rest)).every((o) => o.ok)).toBe(true);
  });
});
