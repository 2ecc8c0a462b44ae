import { describe, expect, it } from 'vitest';
import { AuditRecorder } from '../../src/access/audit.js';
import type { AuditRow, EventStore } from '../../src/store/types.js';

/** Only the two calls the recorder makes; the rows are kept for inspection. */
function recorder(): { audit: AuditRecorder; rows: AuditRow[] } {
  const rows: AuditRow[] = [];
  const store = { appendAudit: async (r: AuditRow[]) => void rows.push(...r), pruneAudit: async () => 0 } as unknown as EventStore;
  return { audit: new AuditRecorder(store, 30, (e) => { throw e; }), rows };
}

describe('audit recorder', () => {
  it('keeps one row per contiguous range, and one row when many streams of a principal get the same events', async () => {
    const { audit, rows } = recorder();
    for (let stream = 0; stream < 1000; stream++) audit.record('org:a', 'l', 'sse', [1, 2, 3], undefined);
    audit.record('org:a', 'l', 'sse', [4, 5], undefined);
    for (let stream = 0; stream < 1000; stream++) audit.record('org:a', 'l', 'sse', [4, 5], undefined);
    await audit.stop();
    expect(rows.map((r) => [r.principal, r.firstSeq, r.lastSeq, r.count])).toEqual([['org:a', 1, 5, 5]]);
  });

  it('still records every principal, scope and channel, and a range that goes back', async () => {
    const { audit, rows } = recorder();
    audit.record('org:a', 'l', 'sse', [1, 2], undefined);
    audit.record('org:b', 'l', 'sse', [1, 2], undefined);
    audit.record('org:a', 'l', 'pull', [1, 2], undefined);
    audit.record('org:a', 'l', 'sse', [1, 2], { filter: "subject = 'p'" });
    // Re-reading from an earlier cursor on the same key: a new range, the old one kept.
    audit.record('org:a', 'l', 'sse', [2, 3], undefined);
    await audit.stop();
    expect(rows.map((r) => `${r.principal} ${r.channel} ${r.scope ?? '-'} ${r.firstSeq}-${r.lastSeq}`).sort()).toEqual(
      ['org:a pull - 1-2', 'org:a sse - 1-2', 'org:a sse - 2-3', `org:a sse {"filter":"subject = 'p'"} 1-2`, 'org:b sse - 1-2'].sort(),
    );
  });
});
