import { sameEventContent } from '../../cloudevents/equality.js';
import { idempotencyKey } from '../idempotency-key.js';
import type { AppendOutcome, AppendRequest, AppendResult } from '../types.js';

/** A list row as locked by the appending transaction. */
export interface LockedList {
  id: number;
  head: number;
  lastTime: number;
}

/** A stored event that shares an idempotency key with one being appended. */
export interface KeyMatch {
  listId: number;
  key: string;
  seq: number;
  source: string;
  body: string;
}

/** The rows one group writes, column by column (for INSERT ... SELECT FROM unnest). */
export interface GroupRows {
  listId: number[];
  seq: number[];
  time: number[];
  prevSeq: (number | null)[];
  key: string[];
  type: string[];
  source: string[];
  subject: (string | null)[];
  body: string[];
  /** Per list id: subject → its last seq after this group. */
  subjects: Map<number, Map<string, number>>;
  /** New head and commit time per list id. */
  heads: Map<number, { head: number; lastTime: number; name: string }>;
}

interface Candidate {
  seq: number;
  source: string;
  id: string | undefined;
  body: string;
}

/** What the group knows about one list while it is being planned. */
interface ListPlan {
  list: LockedList;
  head: number;
  lastTime: number;
  /** key → stored events and events added earlier in the group. */
  keys: Map<string, Candidate[]>;
  /** subject → last seq: from the store, then as the group adds events. */
  subjects: Map<string, number>;
  /** subject → last seq of this group's own events (what the store must learn). */
  added: Map<string, number>;
}

/** What the group needs to know from the database, per list. */
export interface Lookups {
  /** Distinct keys (decimal strings) of the group's events, and the ids of the lists they go to. */
  keys: string[];
  listIds: number[];
  /** Per list id, the distinct subjects of its events. */
  subjects: Map<number, string[]>;
}

/** The idempotency key of every event, as decimal strings (computed once per group). */
export function keysOf(requests: AppendRequest[]): string[][] {
  return requests.map((r) => r.events.map((ev) => idempotencyKey(ev.source, ev.id).toString()));
}

export function lookups(requests: AppendRequest[], lists: Map<string, LockedList>, keys: string[][]): Lookups {
  const keySet = new Set<string>();
  const subjects = new Map<number, Set<string>>();
  for (let r = 0; r < requests.length; r++) {
    const list = lists.get(requests[r].list);
    if (!list) continue;
    let subj = subjects.get(list.id);
    if (!subj) subjects.set(list.id, (subj = new Set()));
    const events = requests[r].events;
    const k = keys[r];
    for (let i = 0; i < events.length; i++) {
      keySet.add(k[i]);
      const s = events[i].subject;
      if (s !== null) subj.add(s);
    }
  }
  return {
    keys: [...keySet],
    listIds: [...subjects.keys()],
    subjects: new Map([...subjects].filter(([, s]) => s.size > 0).map(([id, s]) => [id, [...s]])),
  };
}

/**
 * Decide a whole group in memory, under the list rows' locks: every
 * duplicate, conflict and missing list is known before anything is written,
 * so each request is atomic on its own without a savepoint per request, and
 * the group is written with a constant number of statements. A request that
 * fails (conflict) is undone in the plan before the next one is decided.
 */
export function planGroup(
  requests: AppendRequest[],
  lists: Map<string, LockedList>,
  matches: KeyMatch[],
  subjectHeads: Map<number, Map<string, number>>,
  keys: string[][],
  now: number,
): { outcomes: AppendOutcome[]; rows: GroupRows } {
  const plans = new Map<number, ListPlan>();
  const planOf = (list: LockedList): ListPlan => {
    let p = plans.get(list.id);
    if (!p) {
      p = { list, head: list.head, lastTime: list.lastTime, keys: new Map(), subjects: subjectHeads.get(list.id) ?? new Map(), added: new Map() };
      plans.set(list.id, p);
    }
    return p;
  };
  for (const m of matches) {
    const list = [...lists.values()].find((l) => l.id === m.listId);
    if (!list) continue;
    const p = planOf(list);
    const c = p.keys.get(m.key);
    const cand: Candidate = { seq: m.seq, source: m.source, id: undefined, body: m.body };
    if (c) c.push(cand);
    else p.keys.set(m.key, [cand]);
  }
  const rows: GroupRows = { listId: [], seq: [], time: [], prevSeq: [], key: [], type: [], source: [], subject: [], body: [], subjects: new Map(), heads: new Map() };
  const outcomes: AppendOutcome[] = [];

  for (let r = 0; r < requests.length; r++) {
    const request = requests[r];
    const list = lists.get(request.list);
    if (!list) {
      outcomes.push({ ok: false, reason: 'no-such-list' });
      continue;
    }
    const p = planOf(list);
    const firstRow = rows.seq.length;
    const headBefore = p.head;
    // Commit time never goes backwards within a list, so time windows map onto seq ranges.
    const time = Math.max(now, p.lastTime);
    const results: AppendResult[] = [];
    // To undo this request: the keys it added, and the subjects' previous values.
    const undoKeys: string[] = [];
    const undoSubjects: [string, number | undefined, number | undefined][] = [];
    let failed: AppendOutcome | undefined;
    const events = request.events;
    const k = keys[r];
    for (let i = 0; i < events.length; i++) {
      const ev = events[i];
      const key = k[i];
      const cands = p.keys.get(key);
      const existing = cands && findMatch(ev.source, ev.id, cands);
      if (existing) {
        if (!sameEventContent(existing.body, ev.body)) {
          failed = { ok: false, reason: 'conflict', index: i, seq: existing.seq };
          break;
        }
        results.push({ seq: existing.seq, duplicate: true });
        continue;
      }
      const seq = ++p.head;
      let prev: number | null = null;
      if (ev.subject !== null) {
        const before = p.subjects.get(ev.subject);
        prev = before ?? null;
        undoSubjects.push([ev.subject, before, p.added.get(ev.subject)]);
        p.subjects.set(ev.subject, seq);
        p.added.set(ev.subject, seq);
      }
      const cand: Candidate = { seq, source: ev.source, id: ev.id, body: ev.body };
      if (cands) cands.push(cand);
      else p.keys.set(key, [cand]);
      undoKeys.push(key);
      rows.listId.push(list.id);
      rows.seq.push(seq);
      rows.time.push(time);
      rows.prevSeq.push(prev);
      rows.key.push(key);
      rows.type.push(ev.type);
      rows.source.push(ev.source);
      rows.subject.push(ev.subject);
      rows.body.push(ev.body);
      results.push({ seq, duplicate: false, prevSeq: prev, time });
    }
    if (failed) {
      // Stored whole or not at all: take back what this request planned.
      p.head = headBefore;
      for (const key of undoKeys) {
        const c = p.keys.get(key)!;
        c.pop();
        if (c.length === 0) p.keys.delete(key);
      }
      for (let u = undoSubjects.length - 1; u >= 0; u--) {
        const [subject, before, addedBefore] = undoSubjects[u];
        if (before === undefined) p.subjects.delete(subject);
        else p.subjects.set(subject, before);
        if (addedBefore === undefined) p.added.delete(subject);
        else p.added.set(subject, addedBefore);
      }
      for (const column of [rows.listId, rows.seq, rows.time, rows.prevSeq, rows.key, rows.type, rows.source, rows.subject, rows.body]) column.length = firstRow;
      outcomes.push(failed);
      continue;
    }
    if (p.head > headBefore) {
      p.lastTime = time;
      rows.heads.set(list.id, { head: p.head, lastTime: time, name: request.list });
    }
    outcomes.push({ ok: true, results });
  }
  for (const [id, p] of plans) if (p.added.size > 0) rows.subjects.set(id, p.added);
  return { outcomes, rows };
}

function findMatch(source: string, id: string, cands: Candidate[]): Candidate | undefined {
  for (const c of cands) {
    if (c.source !== source) continue;
    // The hash matched and the source too: confirm the id to rule out a collision.
    c.id ??= (JSON.parse(c.body) as { id?: string }).id;
    if (c.id === id) return c;
  }
  return undefined;
}
