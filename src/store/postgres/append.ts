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
  /** Last seq per (list, subject) after this group. */
  subjects: Map<string, { listId: number; subject: string; seq: number }>;
  /** New head and commit time per list id. */
  heads: Map<number, { head: number; lastTime: number; name: string }>;
}

interface Candidate {
  seq: number;
  source: string;
  id: string | undefined;
  body: string;
}

/**
 * Decide a whole group in memory, under the list rows' locks: every
 * duplicate, conflict and missing list is known before anything is written,
 * so each request is atomic on its own without a savepoint per request, and
 * the group is written with a constant number of statements.
 */
export function planGroup(
  requests: AppendRequest[],
  lists: Map<string, LockedList>,
  matches: KeyMatch[],
  subjectHeads: Map<string, number>,
  keys: string[][],
  now: number,
): { outcomes: AppendOutcome[]; rows: GroupRows } {
  const stored = new Map<string, Candidate[]>();
  for (const m of matches) {
    const k = `${m.listId}:${m.key}`;
    let c = stored.get(k);
    if (!c) stored.set(k, (c = []));
    c.push({ seq: m.seq, source: m.source, id: undefined, body: m.body });
  }
  const rows: GroupRows = { listId: [], seq: [], time: [], prevSeq: [], key: [], type: [], source: [], subject: [], body: [], subjects: new Map(), heads: new Map() };
  // What earlier requests of this group added (visible to later ones).
  const groupKeys = new Map<string, Candidate[]>();
  const groupSubjects = new Map<string, number>();
  const state = new Map<number, { head: number; lastTime: number }>();
  const outcomes: AppendOutcome[] = [];

  for (let r = 0; r < requests.length; r++) {
    const request = requests[r];
    const list = lists.get(request.list);
    if (!list) {
      outcomes.push({ ok: false, reason: 'no-such-list' });
      continue;
    }
    const before = state.get(list.id) ?? { head: list.head, lastTime: list.lastTime };
    let head = before.head;
    // Commit time never goes backwards within a list, so time windows map onto seq ranges.
    const time = Math.max(now, before.lastTime);
    const results: AppendResult[] = [];
    const added: { key: string; cand: Candidate; subject: string | null; ev: AppendRequest['events'][number]; prev: number | null }[] = [];
    const requestKeys = new Map<string, Candidate[]>();
    const requestSubjects = new Map<string, number>();
    let failed: AppendOutcome | undefined;
    for (let i = 0; i < request.events.length; i++) {
      const ev = request.events[i];
      const key = keys[r][i];
      const k = `${list.id}:${key}`;
      const existing = findMatch(ev.source, ev.id, requestKeys.get(k), groupKeys.get(k), stored.get(k));
      if (existing) {
        if (!sameEventContent(existing.body, ev.body)) {
          failed = { ok: false, reason: 'conflict', index: i, seq: existing.seq };
          break;
        }
        results.push({ seq: existing.seq, duplicate: true });
        continue;
      }
      const seq = ++head;
      let prev: number | null = null;
      if (ev.subject !== null) {
        const sk = `${list.id}\u0000${ev.subject}`;
        prev = requestSubjects.get(sk) ?? groupSubjects.get(sk) ?? subjectHeads.get(sk) ?? null;
        requestSubjects.set(sk, seq);
      }
      const cand: Candidate = { seq, source: ev.source, id: ev.id, body: ev.body };
      let rk = requestKeys.get(k);
      if (!rk) requestKeys.set(k, (rk = []));
      rk.push(cand);
      added.push({ key, cand, subject: ev.subject, ev, prev });
      results.push({ seq, duplicate: false, prevSeq: prev, time });
    }
    if (failed) {
      outcomes.push(failed);
      continue;
    }
    // The request stands: its events join the group.
    for (const [k, cands] of requestKeys) {
      const g = groupKeys.get(k);
      if (g) g.push(...cands);
      else groupKeys.set(k, cands);
    }
    for (const [sk, seq] of requestSubjects) groupSubjects.set(sk, seq);
    for (const a of added) {
      rows.listId.push(list.id);
      rows.seq.push(a.cand.seq);
      rows.time.push(time);
      rows.prevSeq.push(a.prev);
      rows.key.push(a.key);
      rows.type.push(a.ev.type);
      rows.source.push(a.ev.source);
      rows.subject.push(a.subject);
      rows.body.push(a.ev.body);
      if (a.subject !== null) rows.subjects.set(`${list.id}\u0000${a.subject}`, { listId: list.id, subject: a.subject, seq: a.cand.seq });
    }
    if (added.length > 0) {
      state.set(list.id, { head, lastTime: time });
      rows.heads.set(list.id, { head, lastTime: time, name: request.list });
    }
    outcomes.push({ ok: true, results });
  }
  return { outcomes, rows };
}

function findMatch(source: string, id: string, ...lists: (Candidate[] | undefined)[]): Candidate | undefined {
  for (const list of lists) {
    if (!list) continue;
    for (const c of list) {
      if (c.source !== source) continue;
      // The hash matched and the source too: confirm the id to rule out a collision.
      c.id ??= (JSON.parse(c.body) as { id?: string }).id;
      if (c.id === id) return c;
    }
  }
  return undefined;
}

/** The idempotency key of every event, as decimal strings (computed once per group). */
export function keysOf(requests: AppendRequest[]): string[][] {
  return requests.map((r) => r.events.map((ev) => idempotencyKey(ev.source, ev.id).toString()));
}

/** (list id, key) pairs to look up, and (list id, subject) pairs whose last seq is needed. */
export function lookups(
  requests: AppendRequest[],
  lists: Map<string, LockedList>,
  keys: string[][],
): { keyLists: number[]; keys: string[]; subjectLists: number[]; subjects: string[] } {
  const keySeen = new Set<string>();
  const subjSeen = new Set<string>();
  const out = { keyLists: [] as number[], keys: [] as string[], subjectLists: [] as number[], subjects: [] as string[] };
  for (let r = 0; r < requests.length; r++) {
    const list = lists.get(requests[r].list);
    if (!list) continue;
    const events = requests[r].events;
    for (let i = 0; i < events.length; i++) {
      const ev = events[i];
      const key = keys[r][i];
      const k = `${list.id}:${key}`;
      if (!keySeen.has(k)) {
        keySeen.add(k);
        out.keyLists.push(list.id);
        out.keys.push(key);
      }
      if (ev.subject !== null) {
        const sk = `${list.id}\u0000${ev.subject}`;
        if (!subjSeen.has(sk)) {
          subjSeen.add(sk);
          out.subjectLists.push(list.id);
          out.subjects.push(ev.subject);
        }
      }
    }
  }
  return out;
}
