import type { StoredEvent } from './types.js';

/** An imported event with the attributes the store indexes, read from its body. */
export interface IndexedImport extends StoredEvent {
  source: string;
  id: string;
  type: string;
  subject: string | null;
}

/**
 * Check an import batch against the list's head (numbers are kept, so they
 * must follow it, in order, within what the backend can hold) and read the
 * indexed attributes from each body. The same rules for every backend.
 */
export function prepareImport(list: string, head: number, events: StoredEvent[], maxSeq = Number.MAX_SAFE_INTEGER): IndexedImport[] {
  let last = head;
  return events.map((e) => {
    if (!Number.isSafeInteger(e.seq) || e.seq <= last) {
      throw new Error(`import: list '${list}' already holds seq ${e.seq} (head ${head}); import into an empty list, in seq order.`);
    }
    if (e.seq > maxSeq) throw new Error(`import: seq ${e.seq} is beyond what this store holds per list (${maxSeq}).`);
    last = e.seq;
    const b = JSON.parse(e.body) as { source: string; id: string; type: string; subject?: unknown };
    return { seq: e.seq, prevSeq: e.prevSeq, time: e.time, body: e.body, source: b.source, id: b.id, type: b.type, subject: typeof b.subject === 'string' ? b.subject : null };
  });
}
