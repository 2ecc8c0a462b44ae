import { sameEventContent } from '../cloudevents/equality.js';
import { idempotencyKey } from './idempotency-key.js';
import type { AppendOutcome, AppendRequest, AppendResult } from './types.js';

/**
 * The append decisions, the same for every backend. A group of requests is
 * decided in memory before anything is written: each event is new, a
 * duplicate (same source and id, same content: the original seq), or a
 * conflict (same source and id, other content: the whole request fails);
 * a request for a missing list fails alone; each request sees what the ones
 * before it in the group added (keys and subjects), and a failed request is
 * taken back before the next is decided. The backend only answers questions
 * about what was stored before the group (PlanSource) and then writes the
 * planned rows in one transaction.
 */

/** A list as the appending transaction sees it (locked, or owned by the only writer). */
export interface PlanList {
  id: number;
  head: number;
  /** Commit time of the head (epoch ms); commit time never goes backwards within a list. */
  lastTime: number;
}

/** A stored event that has the idempotency key of one being appended. */
export interface StoredMatch {
  seq: number;
  source: string;
  body: string;
  /** The event's id, read from the body once it is needed (a planner cache). */
  id?: string;
}

/** What the planner asks the backend about the state before the group. */
export interface PlanSource {
  list(name: string): PlanList | undefined;
  /** Events stored before the group under this key in the list (more than one only for a 64-bit hash collision). */
  stored(listId: number, key: bigint): readonly StoredMatch[] | undefined;
  /** The subject's last seq stored before the group. */
  subjectHead(listId: number, subject: string): number | undefined;
}

/** The rows one group writes, column by column. */
export interface GroupRows {
  listId: number[];
  seq: number[];
  time: number[];
  prevSeq: (number | null)[];
  key: bigint[];
  type: string[];
  source: string[];
  subject: (string | null)[];
  body: string[];
  /** New head and commit time per list id (only lists the group added to). */
  heads: Map<number, { head: number; lastTime: number; name: string }>;
}

export interface GroupPlan {
  outcomes: AppendOutcome[];
  rows: GroupRows;
}

/** An event added earlier in the group (its id is known). */
interface Added {
  seq: number;
  source: string;
  id: string;
  body: string;
}

/** What the group knows about one list while it is being planned. */
interface ListPlan {
  name: string;
  list: PlanList;
  head: number;
  lastTime: number;
  /** key → events added earlier in the group. */
  keys: Map<bigint, Added[]>;
  /** subject → last seq (null: none) as the group sees it: from the store, then as the group adds events. */
  subjects: Map<string, number | null>;
}

/** The idempotency key of every event of every request (computed once per group). */
export function keysOf(requests: AppendRequest[]): bigint[][] {
  return requests.map((r) => r.events.map((ev) => idempotencyKey(ev.source, ev.id)));
}

export function emptyRows(): GroupRows {
  return { listId: [], seq: [], time: [], prevSeq: [], key: [], type: [], source: [], subject: [], body: [], heads: new Map() };
}

/** (subject, seq) of a list's planned rows in seq order: applied in turn, each subject ends at its last seq. */
export function* subjectsOf(rows: GroupRows, listId: number): Generator<[string, number]> {
  for (let row = 0; row < rows.seq.length; row++) {
    const subject = rows.subject[row];
    if (subject !== null && rows.listId[row] === listId) yield [subject, rows.seq[row]];
  }
}

export function planGroup(requests: AppendRequest[], keys: bigint[][], source: PlanSource, now: number): GroupPlan {
  const plans = new Map<string, ListPlan>();
  const rows = emptyRows();
  const outcomes: AppendOutcome[] = [];

  for (let r = 0; r < requests.length; r++) {
    const request = requests[r];
    let p = plans.get(request.list);
    if (!p) {
      const list = source.list(request.list);
      if (!list) {
        outcomes.push({ ok: false, reason: 'no-such-list' });
        continue;
      }
      p = { name: request.list, list, head: list.head, lastTime: list.lastTime, keys: new Map(), subjects: new Map() };
      plans.set(request.list, p);
    }
    const listId = p.list.id;
    const firstRow = rows.seq.length;
    const headBefore = p.head;
    // Commit time never goes backwards within a list, so time windows map onto seq ranges.
    const time = Math.max(now, p.lastTime);
    const results: AppendResult[] = [];
    let failed: AppendOutcome | undefined;
    const events = request.events;
    const k = keys[r];
    for (let i = 0; i < events.length; i++) {
      const ev = events[i];
      const key = k[i];
      const inGroup = p.keys.get(key);
      const existing = findAdded(ev.source, ev.id, inGroup) ?? findStored(ev.source, ev.id, source.stored(listId, key));
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
        const known = p.subjects.get(ev.subject);
        prev = known === undefined ? (source.subjectHead(listId, ev.subject) ?? null) : known;
        p.subjects.set(ev.subject, seq);
      }
      const added: Added = { seq, source: ev.source, id: ev.id, body: ev.body };
      if (inGroup) inGroup.push(added);
      else p.keys.set(key, [added]);
      rows.listId.push(listId);
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
      // Stored whole or not at all: take back what this request planned, newest first. Its rows say
      // what it added: each key's candidate is the last of its list, and each event's prevSeq is
      // what its subject's head was before it.
      p.head = headBefore;
      for (let row = rows.seq.length - 1; row >= firstRow; row--) {
        const c = p.keys.get(rows.key[row])!;
        c.pop();
        if (c.length === 0) p.keys.delete(rows.key[row]);
        const subject = rows.subject[row];
        if (subject !== null) p.subjects.set(subject, rows.prevSeq[row]);
      }
      for (const column of [rows.listId, rows.seq, rows.time, rows.prevSeq, rows.key, rows.type, rows.source, rows.subject, rows.body]) column.length = firstRow;
      outcomes.push(failed);
      continue;
    }
    if (p.head > headBefore) p.lastTime = time;
    outcomes.push({ ok: true, results });
  }
  for (const p of plans.values()) {
    if (p.head > p.list.head) rows.heads.set(p.list.id, { head: p.head, lastTime: p.lastTime, name: p.name });
  }
  return { outcomes, rows };
}

function findAdded(source: string, id: string, added: Added[] | undefined): Added | undefined {
  if (!added) return undefined;
  for (const a of added) if (a.source === source && a.id === id) return a;
  return undefined;
}

function findStored(source: string, id: string, stored: readonly StoredMatch[] | undefined): StoredMatch | undefined {
  if (!stored) return undefined;
  for (const c of stored) {
    if (c.source !== source) continue;
    // The hash matched and the source too: confirm the id to rule out a collision.
    c.id ??= (JSON.parse(c.body) as { id?: string }).id;
    if (c.id === id) return c;
  }
  return undefined;
}
