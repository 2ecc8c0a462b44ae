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

  keySeqs(listId: number, key: bigint, into: number[]): void {
    const v = this.keys.get(listId)?.get(key);
    if (v === undefined) return;
    if (Array.isArray(v)) into.push(...v);
    else into.push(v);
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

  /** Rows for the flush, sorted by key so that each B-tree page is written once. */
  sortedKeyRows(): [number, bigint, number][] {
    const rows: [number, bigint, number][] = [];
    for (const [listId, m] of this.keys) {
      for (const [key, v] of m) for (const seq of Array.isArray(v) ? v : [v]) rows.push([listId, key, seq]);
    }
    return rows.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[2] - b[2]));
  }

  sortedSubjectRows(): [number, string, number][] {
    const rows: [number, string, number][] = [];
    for (const [listId, m] of this.subjects) for (const [subject, seq] of m) rows.push([listId, subject, seq]);
    // SQLite compares TEXT with memcmp (BINARY collation): sort the same way.
    return rows.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  }
}

/** The lookup chain, newest first: request → group → overlay → layer being flushed. */
export class IndexOverlay {
  active = new IndexLayer();
  flushing: IndexLayer | null = null;

  keySeqs(layers: IndexLayer[], listId: number, key: bigint): number[] {
    const seqs: number[] = [];
    for (const layer of layers) layer.keySeqs(listId, key, seqs);
    this.active.keySeqs(listId, key, seqs);
    this.flushing?.keySeqs(listId, key, seqs);
    return seqs;
  }

  subject(layers: IndexLayer[], listId: number, subject: string): number | undefined {
    for (const layer of layers) {
      const seq = layer.subject(listId, subject);
      if (seq !== undefined) return seq;
    }
    return this.active.subject(listId, subject) ?? this.flushing?.subject(listId, subject);
  }
}
