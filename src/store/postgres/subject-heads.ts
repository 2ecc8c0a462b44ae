import type pg from 'pg';
import type { ClusterLog } from './cluster.js';
import type { Db } from './db.js';

/**
 * Flush a list's subject heads once this many events are not in the table yet (or after a pause).
 * A flush writes one row per distinct subject, so a subject that recurs within the interval is
 * written once: at 100,000 the flushes cost the database a quarter of what the appends did when
 * subjects recur every 100,000 events. The map holds at most this many entries more than
 * MAX_ENTRIES, and a node's first append after a restart reads back at most this many events.
 */
const FLUSH_AFTER_EVENTS = 500_000;
/** Rows per upsert statement while flushing. */
const FLUSH_CHUNK = 10_000;
/** Read other nodes' events back one by one up to this many; beyond it, start again from the table. */
const CATCH_UP_LIMIT = 200_000;
/** Most subjects held per list; beyond it, entries already in the table are dropped. */
const MAX_ENTRIES = 1_000_000;

interface ListSubjects {
  /** The map holds the last seq of every subject whose last event is in (watermark, known]. */
  known: number;
  /** Every event up to here is reflected in the subjects table (as this node knows). */
  watermark: number;
  /** subject → last seq (as of `known`); entries at or below the watermark are also in the table. */
  map: Map<string, number>;
  flushing: Promise<void> | null;
  lastAppend: number;
}

/**
 * The last event of each subject (for heroldprevseq), kept in memory and
 * written to the `subjects` table in large sorted batches instead of with
 * every commit: an upsert per subject per commit costs the database more than
 * the events themselves. The events table stays the source of truth.
 *
 * `subject_watermarks` records, per list, the seq up to which the subjects
 * table is complete. A node that appends to a list brings its map up to the
 * locked head first: it reads the subjects of the events other nodes
 * committed since it last looked (a range scan of the primary key), and on
 * its first append to a list it reads everything after the watermark (at
 * most about one flush interval of events). A subject not in the map has its
 * last event at or below the watermark, so the table answers it. Nodes flush
 * what they know and move the watermark with GREATEST, so concurrent flushes
 * from several nodes are harmless.
 */
export class SubjectHeads {
  private readonly lists = new Map<number, ListSubjects>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    private readonly log: ClusterLog,
  ) {
    // Write what is pending when ingest pauses, so a restart has little to read back.
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const [id, s] of this.lists) {
        if (!s.flushing && s.known > s.watermark && now - s.lastAppend > 1000) this.startFlush(id, s);
      }
    }, 1000);
    this.timer.unref();
  }

  /**
   * The subjects the table would have to answer were the list still at the
   * head this node last knew (undefined: nothing known of the list yet). The
   * optimistic append reads their rows with its other lookups.
   */
  unknown(listId: number, subjects: string[]): string[] | undefined {
    const s = this.lists.get(listId);
    if (!s) return undefined;
    return subjects.filter((subject) => !s.map.has(subject));
  }

  /**
   * At `head` (under the list's row lock, or as read in one snapshot with it):
   * the last seq of each of `subjects` (absent when the subject has no event
   * yet). `prefetched`: subjects-table rows already read for `asked` (in the
   * snapshot of `head` or later); a subject asked and not found has no row.
   */
  async lookup(
    c: pg.ClientBase,
    listId: number,
    head: number,
    subjects: string[],
    prefetched?: { asked: ReadonlySet<string>; rows: ReadonlyMap<string, number> },
  ): Promise<Map<string, number>> {
    let s = this.lists.get(listId);
    if (s && head < s.known) {
      // The database went back (restored from a backup): start over.
      this.lists.delete(listId);
      s = undefined;
    }
    if (!s) {
      const { rows } = await c.query<{ seq: number }>({ name: 'herold_subject_watermark', text: 'SELECT seq FROM subject_watermarks WHERE list_id = $1', values: [listId] });
      const watermark = Math.min(rows[0]?.seq ?? 0, head);
      s = { known: watermark, watermark, map: new Map(), flushing: null, lastAppend: Date.now() };
      this.lists.set(listId, s);
    }
    if (head - s.known > CATCH_UP_LIMIT) {
      // Others wrote much since this node last looked; they will have flushed: start from the table.
      const { rows } = await c.query<{ seq: number }>({ name: 'herold_subject_watermark', text: 'SELECT seq FROM subject_watermarks WHERE list_id = $1', values: [listId] });
      const watermark = Math.min(rows[0]?.seq ?? 0, head);
      if (watermark > s.known) {
        s.map.clear();
        s.known = s.watermark = watermark;
      }
    }
    if (head > s.known) {
      // What other nodes (or this one before a restart) committed since.
      const { rows } = await c.query<{ seq: number; subject: string }>({
        name: 'herold_subjects_since',
        text: 'SELECT seq, subject FROM events WHERE list_id = $1 AND seq > $2 AND seq <= $3 AND subject IS NOT NULL ORDER BY seq',
        values: [listId, s.known, head],
      });
      for (const r of rows) s.map.set(r.subject, r.seq);
      s.known = head;
    }
    const found = new Map<string, number>();
    const misses: string[] = [];
    for (const subject of subjects) {
      const seq = s.map.get(subject);
      if (seq !== undefined) found.set(subject, seq);
      else if (prefetched?.asked.has(subject)) {
        const stored = prefetched.rows.get(subject);
        if (stored !== undefined) {
          found.set(subject, stored);
          s.map.set(subject, stored);
        }
      } else misses.push(subject);
    }
    if (misses.length > 0) {
      const { rows } = await c.query<{ subject: string; seq: number }>({
        name: 'herold_subject_lookup',
        text: `SELECT s.subject, s.seq FROM subjects s WHERE s.list_id = $1 AND s.subject = ANY(string_to_array($2, chr(30)))`,
        values: [listId, misses.join('\u001e')],
      });
      for (const r of rows) {
        found.set(r.subject, r.seq);
        // Correct as of `known`: had the subject a later event, the map would hold it.
        s.map.set(r.subject, r.seq);
      }
    }
    return found;
  }

  /** The group committed: its subjects' new last seqs, and the list's new head. */
  committed(listId: number, head: number, subjects: Iterable<[string, number]>): void {
    const s = this.lists.get(listId);
    if (!s) return;
    for (const [subject, seq] of subjects) s.map.set(subject, seq);
    s.known = Math.max(s.known, head);
    s.lastAppend = Date.now();
    if (!s.flushing && s.known - s.watermark >= FLUSH_AFTER_EVENTS) this.startFlush(listId, s);
  }

  /** The group failed: what this node believed about the list may be off; read it again next time. */
  forget(listId: number): void {
    this.lists.delete(listId);
  }

  /** Write everything pending (at close). */
  async flushAll(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const [id, s] of this.lists) {
      await s.flushing;
      if (s.known > s.watermark) {
        this.startFlush(id, s);
        await s.flushing;
      }
    }
  }

  private startFlush(listId: number, s: ListSubjects): void {
    s.flushing = this.flush(listId, s)
      .catch((error) => this.log.warn({ err: error, list: listId }, 'subjects: could not write subject heads; trying again later'))
      .finally(() => (s.flushing = null));
  }

  private async flush(listId: number, s: ListSubjects): Promise<void> {
    const target = s.known;
    const from = s.watermark;
    const rows = [...s.map].filter(([, seq]) => seq > from).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    await this.db.tx(async (c) => {
      for (let i = 0; i < rows.length; i += FLUSH_CHUNK) await upsertSubjects(c, listId, rows.slice(i, i + FLUSH_CHUNK));
      await c.query({
        name: 'herold_move_subject_watermark',
        text: `INSERT INTO subject_watermarks (list_id, seq) VALUES ($1, $2)
               ON CONFLICT (list_id) DO UPDATE SET seq = GREATEST(subject_watermarks.seq, excluded.seq)`,
        values: [listId, target],
      });
    });
    s.watermark = Math.max(s.watermark, target);
    if (s.map.size > MAX_ENTRIES) {
      for (const [subject, seq] of s.map) if (seq <= s.watermark) s.map.delete(subject);
    }
  }
}

/** Upsert (subject, last seq) rows; a later seq always wins, whoever writes first. */
export async function upsertSubjects(c: pg.ClientBase, listId: number, rows: [string, number][]): Promise<void> {
  if (rows.length === 0) return;
  await c.query({
    name: 'herold_upsert_subjects',
    text: `INSERT INTO subjects (list_id, subject, seq)
           SELECT $1, * FROM unnest(string_to_array($2, chr(30)), $3::bigint[])
           ON CONFLICT (list_id, subject) DO UPDATE SET seq = GREATEST(subjects.seq, excluded.seq)`,
    values: [listId, rows.map((r) => r[0]).join('\u001e'), `{${rows.map((r) => r[1]).join(',')}}`],
  });
}
