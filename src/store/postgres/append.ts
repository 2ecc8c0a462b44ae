import type { PlanList, PlanSource, StoredMatch } from '../append-plan.js';
import type { AppendRequest } from '../types.js';

/**
 * The PostgreSQL side of the append planning (the decisions are in
 * ../append-plan.ts): what a group must look up, fetched in a constant
 * number of round trips before the plan is made, and answered from memory
 * while it is made.
 */

/** A stored event that shares an idempotency key with one being appended, as the lookup returns it. */
export interface KeyMatch {
  listId: number;
  key: bigint;
  seq: number;
  source: string;
  body: string;
}

/** What the group needs to know from the database. */
export interface Lookups {
  /** Distinct keys of the group's events, and the ids of the lists they go to. */
  keys: bigint[];
  listIds: number[];
  /** Per list id, the distinct subjects of its events. */
  subjects: Map<number, string[]>;
}

export function lookups(requests: AppendRequest[], lists: Map<string, PlanList>, keys: bigint[][]): Lookups {
  const keySet = new Set<bigint>();
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

/** The planner's questions answered from what was looked up under the list rows' locks. */
export function prefetchedSource(lists: Map<string, PlanList>, matches: KeyMatch[], subjectHeads: Map<number, Map<string, number>>): PlanSource {
  // A key found in another list of the group does not count: matches are per list and key.
  const byList = new Map<number, Map<bigint, StoredMatch[]>>();
  for (const m of matches) {
    let keys = byList.get(m.listId);
    if (!keys) byList.set(m.listId, (keys = new Map()));
    const found = keys.get(m.key);
    const match: StoredMatch = { seq: m.seq, source: m.source, body: m.body };
    if (found) found.push(match);
    else keys.set(m.key, [match]);
  }
  return {
    list: (name) => lists.get(name),
    stored: (listId, key) => byList.get(listId)?.get(key),
    subjectHead: (listId, subject) => subjectHeads.get(listId)?.get(subject),
  };
}
