import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type PlanSource, type StoredMatch, keysOf, planGroup, subjectsOf } from '../../src/store/append-plan.js';
import type { AppendEvent, AppendOutcome, AppendRequest } from '../../src/store/types.js';

/**
 * The shared append planner against a reference that decides one request at
 * a time on a copy of the state and keeps the copy only if the request
 * succeeds: the planner's in-place undo must give the same outcomes, rows
 * and subject heads for any group.
 */

interface State {
  head: Map<string, number>;
  /** list → "source id" → { seq, body } */
  events: Map<string, Map<string, { seq: number; body: string }>>;
  /** list → subject → last seq */
  subjects: Map<string, Map<string, number>>;
}

const clone = (s: State): State => ({
  head: new Map(s.head),
  events: new Map([...s.events].map(([l, m]) => [l, new Map(m)])),
  subjects: new Map([...s.subjects].map(([l, m]) => [l, new Map(m)])),
});

function reference(state: State, requests: AppendRequest[], time: number): { outcomes: AppendOutcome[]; rows: [string, number, number | null][] } {
  let s = clone(state);
  const outcomes: AppendOutcome[] = [];
  const rows: [string, number, number | null][] = [];
  for (const request of requests) {
    if (!s.head.has(request.list)) {
      outcomes.push({ ok: false, reason: 'no-such-list' });
      continue;
    }
    const next = clone(s);
    const planned: [string, number, number | null][] = [];
    const results = [];
    let failed: AppendOutcome | undefined;
    for (let i = 0; i < request.events.length; i++) {
      const ev = request.events[i];
      const known = next.events.get(request.list)!.get(`${ev.source} ${ev.id}`);
      if (known) {
        if (JSON.stringify(JSON.parse(known.body)) !== JSON.stringify(JSON.parse(ev.body))) {
          failed = { ok: false, reason: 'conflict', index: i, seq: known.seq };
          break;
        }
        results.push({ seq: known.seq, duplicate: true });
        continue;
      }
      const seq = next.head.get(request.list)! + 1;
      next.head.set(request.list, seq);
      next.events.get(request.list)!.set(`${ev.source} ${ev.id}`, { seq, body: ev.body });
      let prev: number | null = null;
      if (ev.subject !== null) {
        prev = next.subjects.get(request.list)!.get(ev.subject) ?? null;
        next.subjects.get(request.list)!.set(ev.subject, seq);
      }
      planned.push([request.list, seq, prev]);
      results.push({ seq, duplicate: false, prevSeq: prev, time });
    }
    if (failed) {
      outcomes.push(failed);
      continue;
    }
    s = next;
    rows.push(...planned);
    outcomes.push({ ok: true, results });
  }
  return { outcomes, rows };
}

/** A PlanSource over the state (what a backend would answer), keyed by the real idempotency keys. */
function sourceOf(state: State, ids: Map<string, number>): PlanSource {
  const lists = [...state.head.keys()];
  return {
    list: (name) => (state.head.has(name) ? { id: ids.get(name)!, head: state.head.get(name)!, lastTime: 0 } : undefined),
    stored: (listId, key) => {
      const list = lists.find((l) => ids.get(l) === listId)!;
      const found: StoredMatch[] = [];
      for (const [sid, e] of state.events.get(list)!) {
        const [source, id] = sid.split(' ');
        if (keysOf([{ list, events: [{ source, id, type: 't', subject: null, body: '' }] }])[0][0] === key) found.push({ seq: e.seq, source, body: e.body });
      }
      return found;
    },
    subjectHead: (listId, subject) => state.subjects.get(lists.find((l) => ids.get(l) === listId)!)!.get(subject),
  };
}

const eventArb = fc.record({
  source: fc.constantFrom('/a', '/b'),
  id: fc.constantFrom('1', '2', '3', '4', '5', '6'),
  subject: fc.constantFrom(null, 's', 't'),
  content: fc.constantFrom('x', 'y'),
});
const toEvent = (e: { source: string; id: string; subject: string | null; content: string }): AppendEvent => ({
  source: e.source,
  id: e.id,
  type: 't',
  subject: e.subject,
  body: JSON.stringify({ specversion: '1.0', id: e.id, source: e.source, type: 't', data: e.content }),
});

describe('planGroup', () => {
  it('decides any group like one request at a time on a copy (duplicates, conflicts, missing lists, prevSeq)', () => {
    fc.assert(
      fc.property(
        // Stored before the group: a few events per list.
        fc.array(fc.record({ list: fc.constantFrom('A', 'B'), event: eventArb }), { maxLength: 6 }),
        fc.array(fc.record({ list: fc.constantFrom('A', 'B', 'missing'), events: fc.array(eventArb, { minLength: 1, maxLength: 5 }) }), { minLength: 1, maxLength: 8 }),
        (stored, group) => {
          let state: State = { head: new Map([['A', 0], ['B', 0]]), events: new Map([['A', new Map()], ['B', new Map()]]), subjects: new Map([['A', new Map()], ['B', new Map()]]) };
          for (const s of stored) {
            const ev = toEvent(s.event);
            state = clone(state);
            const r = reference(state, [{ list: s.list, events: [ev] }], 1);
            if (r.outcomes[0].ok && !r.outcomes[0].results[0].duplicate) {
              state.head.set(s.list, r.rows[0][1]);
              state.events.get(s.list)!.set(`${ev.source} ${ev.id}`, { seq: r.rows[0][1], body: ev.body });
              if (ev.subject !== null) state.subjects.get(s.list)!.set(ev.subject, r.rows[0][1]);
            }
          }
          const requests = group.map((g) => ({ list: g.list, events: g.events.map(toEvent) }));
          const want = reference(state, requests, 5);
          const ids = new Map([['A', 1], ['B', 2]]);
          const got = planGroup(requests, keysOf(requests), sourceOf(state, ids), 5);
          expect(got.outcomes).toEqual(want.outcomes);
          const name = (id: number) => [...ids].find(([, v]) => v === id)![0];
          expect(got.rows.seq.map((seq, i) => [name(got.rows.listId[i]), seq, got.rows.prevSeq[i]])).toEqual(want.rows);
          // Heads and subject heads the store must learn: those of the kept rows only.
          for (const [id, h] of got.rows.heads) expect(h.head).toBe(Math.max(...want.rows.filter((r) => r[0] === name(id)).map((r) => r[1])));
          for (const id of got.rows.heads.keys()) {
            for (const [subject, seq] of new Map(subjectsOf(got.rows, id))) {
              const last = want.rows.filter((r, i) => r[0] === name(id) && got.rows.subject[i] === subject).at(-1);
              expect(seq).toBe(last?.[1]);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
