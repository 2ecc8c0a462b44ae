import { describe, expect, it } from 'vitest';
import type { Scope } from '../../src/access/scope.js';
import { LiveFanout, viewKey, type LiveExit, type LiveMember, type LiveSink, type LiveStep } from '../../src/hub/live-fanout.js';

const scopeOf = (extra: Record<string, unknown> = {}) => ({ principal: { id: 'p', admin: false, credential: { kind: 'insecure' } }, list: 'l', fingerprint: 'all', ...extra }) as unknown as Scope;

/** A sink that records what it was pushed and answers as told. */
function sink(answer: () => 'taken' | 'full' | 'declined' = () => 'taken') {
  const pushed: LiveStep[] = [];
  const s: LiveSink & { pushed: LiveStep[] } = { pushed, ready: () => true, push: (step) => (pushed.push(step), answer()) };
  return s;
}

function member(s: LiveSink, scope = scopeOf(), cursor = 0): LiveMember {
  return { scope, q: { after: cursor }, query: { after: cursor }, channel: 'sse', sink: s, idleMs: 60_000, cursor, lastStep: Date.now() };
}

describe('live fan-out (the fast set)', () => {
  it('serves a commit once per view and pushes every reader of a view the same step; audits each reader', () => {
    const served: string[] = [];
    const audited: number[][] = [];
    const fanout = new LiveFanout(
      (_list, m, after, head) => (served.push(`${viewKey(m.scope, m.q)}@${after}`), { kind: 'events', events: [], next: head }),
      (_list, _m, seqs) => audited.push(seqs),
    );
    const abort = new AbortController();
    const minimised = scopeOf({ fields: ['data'] });
    const sinks = [sink(), sink(), sink(), sink()];
    const scopes = [scopeOf(), scopeOf(), minimised, minimised];
    for (let i = 0; i < 4; i++) void fanout.join('l', viewKey(scopes[i], { after: 0 }), member(sinks[i], scopes[i]), abort.signal);
    fanout.commit('l', 0, 3);
    expect(served).toHaveLength(2);
    expect(sinks[0].pushed[0]).toBe(sinks[1].pushed[0]);
    expect(sinks[2].pushed[0]).toBe(sinks[3].pushed[0]);
    expect(sinks[0].pushed[0]).not.toBe(sinks[2].pushed[0]);
    expect(fanout.size).toBe(4);
    fanout.commit('l', 3, 4);
    expect(sinks.every((s) => s.pushed.length === 2)).toBe(true);
    expect(audited).toEqual([]); // no events in these steps: nothing to audit
    abort.abort();
    expect(fanout.size).toBe(0);
  });

  it('a full buffer leaves with the cursor past the commit, a declined push and a failed serve with it before', async () => {
    // Views are served in join order: the third view's serve throws.
    let served = 0;
    const fanout = new LiveFanout(
      (_l, _m, _after, head) => {
        if (++served === 3) throw new Error('serve failed');
        return { kind: 'events', events: [], next: head };
      },
      () => undefined,
    );
    const signal = new AbortController().signal;
    const full = fanout.join('l', 'a', member(sink(() => 'full')), signal);
    const declined = fanout.join('l', 'b', member(sink(() => 'declined')), signal);
    const failing = fanout.join('l', 'c', member(sink()), signal);
    expect(() => fanout.commit('l', 0, 5)).not.toThrow();
    expect(await full).toMatchObject<Partial<LiveExit>>({ why: 'left', cursor: 5 });
    expect(await declined).toMatchObject<Partial<LiveExit>>({ why: 'left', cursor: 0 });
    expect(await failing).toMatchObject<Partial<LiveExit>>({ why: 'left', cursor: 0 });
    expect(fanout.size).toBe(0);
  });

  it('an expired reader is not pushed the commit and leaves as expired', async () => {
    const fanout = new LiveFanout((_l, _m, _a, head) => ({ kind: 'events', events: [], next: head }), () => undefined);
    const s = sink();
    const exit = fanout.join('l', 'v', member(s, scopeOf({ expiresAt: Date.now() - 1 })), new AbortController().signal);
    fanout.commit('l', 0, 1);
    expect(s.pushed).toEqual([]);
    expect(await exit).toMatchObject({ why: 'expired', cursor: 0 });
  });
});
