import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, createList, makeEvent, publishStructured, startTestHub } from '../helpers/hub.js';

/**
 * DESIGN.md invariant 2: no reader ever skips an event. 20 publishers × 500
 * events while readers page with `after`; every reader must see every event
 * exactly once, in strictly increasing order.
 */
describe('concurrent publishers and paging readers', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ sync: 'full' });
    await createList(hub, 'busy');
  });
  afterAll(() => hub.close());

  it('every reader sees every event exactly once, in order', async () => {
    const PUBLISHERS = 20;
    const PER = 500;
    let publishing = true;
    const acknowledged = new Set<string>();
    const publishers = Array.from({ length: PUBLISHERS }, async (_, p) => {
      for (let i = 0; i < PER; i++) {
        const ev = makeEvent({ source: `/publisher/${p}`, subject: `person/${i % 13}` });
        const res = await publishStructured(hub, 'busy', ev);
        expect(res.status).toBe(201);
        acknowledged.add(`${p}:${ev.id}`);
      }
    });
    const reader = async (limit: number) => {
      const seen: { seq: number; id: string; source: string }[] = [];
      let after = '0';
      for (;;) {
        const res = await hub.fetch(`/lists/busy/events?after=${after}&limit=${limit}`);
        const body = await res.json();
        for (const e of body.events) seen.push({ seq: Number(e.heroldseq), id: e.id, source: e.source });
        after = body.next;
        if (!publishing && body.events.length === 0 && body.next === body.head) break;
        if (body.events.length === 0) await new Promise((r) => setTimeout(r, 2));
      }
      return seen;
    };
    const readers = [reader(7), reader(100), reader(1000)];
    await Promise.all(publishers);
    publishing = false;
    const results = await Promise.all(readers);
    const total = PUBLISHERS * PER;
    for (const seen of results) {
      expect(seen).toHaveLength(total);
      for (let i = 0; i < seen.length; i++) expect(seen[i].seq).toBe(i + 1);
      expect(new Set(seen.map((s) => `${s.source.split('/')[2]}:${s.id}`))).toEqual(acknowledged);
    }
  });
});
