/**
 * Recent entries of the two random-keyed indexes (idempotency key → seq,
 * subject → last seq), held in memory until they are written to their tables
 * in one large key-sorted flush.
 *
 * Why: providers' ids and subjects are random, so writing each commit's keys
 * straight into a B-tree dirties one page per key, and in WAL mode every
 * dirtied page is a page written. Ingest then slows down as a list grows.
 * Sorted bulk flushes touch each page once for many keys.
 *
 * Safety: the events table stays the source of truth. Each list records the
 * seq up to which its index tables are complete (`indexed_seq`); at start the
 * events after it are read back into the overlay. A crash loses nothing.
 */
export class IndexLayer {
  readonly keys = new Map<number, Map<bigint, number | number[]>>();
  readonly subjects = new Map<number, Map<string, number>>();
  size = 0;

  addKey(listId: number, key: bigint, seq: number): void {
    let m = this.keys.get(listId);
    if (!m) this.keys.set(listId, (m = new Map()));
    const existing = m.get(key);
    // Two events under one 64-bit key is a hash collision: keep both.
    if (existing === undefined) m.set(key, seq);
    else m.set(key, Array.isArray(existing) ? [...existing, seq] : [existing, seq]);
    this.size++;
  }

  setSubject(listId: number, subject: string, seq: number): void {
    let m = this.subjects.get(listId);
    if (!m) this.subjects.set(listId, (m = new Map()));
    m.set(subject, seq);
  }

  /** The seqs under a key added to `into`; `into` is made only when there are any. */
  keySeqs(listId: number, key: bigint, into: number[] | undefined): number[] | undefined {
    const v = this.keys.get(listId)?.get(key);
    if (v === undefined) return into;
    const seqs = into ?? [];
    if (Array.isArray(v)) seqs.push(...v);
    else seqs.push(v);
    return seqs;
  }

  subject(listId: number, subject: string): number | undefined {
    return this.subjects.get(listId)?.get(subject);
  }

  /** Move every entry of `other` into this layer (other is newer). */
  absorb(other: IndexLayer): void {
    for (const [listId, m] of other.keys) {
      for (const [key, v] of m) for (const seq of Array.isArray(v) ? v : [v]) this.addKey(listId, key, seq);
    }
    for (const [listId, m] of other.subjects) for (const [subject, seq] of m) this.setSubject(listId, subject, seq);
  }

  /**
   * Rows for the flush, sorted by key so that each B-tree page is written once.
   * Keys sort natively in a BigInt64Array (signed, as SQLite orders INTEGER),
   * several times faster than a comparator over row tuples.
   */
  sortedKeyRows(): [number, bigint, number][] {
    const rows: [number, bigint, number][] = [];
    for (const listId of [...this.keys.keys()].sort((a, b) => a - b)) {
      const m = this.keys.get(listId)!;
      const keys = BigInt64Array.from(m.keys()).sort();
      for (const key of keys) {
        const v = m.get(key)!;
        if (Array.isArray(v)) for (const seq of [...v].sort((a, b) => a - b)) rows.push([listId, key, seq]);
        else rows.push([listId, key, v]);
      }
    }
    return rows;
  }

  sortedSubjectRows(): [number, string, number][] {
    const rows: [number, string, number][] = [];
    for (const listId of [...this.subjects.keys()].sort((a, b) => a - b)) {
      const m = this.subjects.get(listId)!;
      // The default sort compares UTF-16 code units; SQLite's BINARY collation
      // compares UTF-8 bytes. They differ only for characters beyond U+D7FF,
      // which costs a little page locality, never correctness.
      for (const subject of [...m.keys()].sort()) rows.push([listId, subject, m.get(subject)!]);
    }
    return rows;
  }
}

/** The lookup chain, newest first: the active layer, then the layer being flushed. */
export class IndexOverlay {
  active = new IndexLayer();
  flushing: IndexLayer | null = null;

  /** The seqs stored under a key, or undefined (no array is made for a miss, the usual answer). */
  keySeqs(listId: number, key: bigint): number[] | undefined {
    const seqs = this.active.keySeqs(listId, key, undefined);
    return this.flushing ? this.flushing.keySeqs(listId, key, seqs) : seqs;
  }

  subject(listId: number, subject: string): number | undefined {
    return this.active.subject(listId, subject) ?? this.flushing?.subject(listId, subject);
  }
}
