import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, createList, makeEvent, publishBatch, startTestHub } from '../helpers/hub.js';

describe('pull reads', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
    await createList(hub, 'feed');
    const events = Array.from({ length: 250 }, (_, i) =>
      makeEvent({ type: i % 5 === 0 ? 'rare.type' : 'common.type', subject: `person/${i % 7}`, source: i % 2 ? '/odd' : '/even' }),
    );
    const res = await publishBatch(hub, 'feed', events);
    expect(res.status).toBe(201);
  });
  afterAll(() => hub.close());

  const page = async (query: string, headers: Record<string, string> = {}) => {
    const res = await hub.fetch(`/lists/feed/events${query}`, { headers });
    return { res, body: res.status === 200 ? await res.json() : undefined };
  };

  it('pages with after/next and strictly increasing seqs; head is reported', async () => {
    const seen: number[] = [];
    let after = '0';
    for (;;) {
      const { body } = await page(`?after=${after}&limit=60`);
      expect(body.head).toBe('250');
      for (const e of body.events) seen.push(Number(e.heroldseq));
      if (body.events.length === 0) break;
      after = body.next;
    }
    expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    const { body } = await page('');
    expect(body.events).toHaveLength(100);
  });

  it('names next and head in headers too, equal to the body, so a client can ask ahead before reading the body', async () => {
    for (const query of ['?after=0&limit=60', '?type=rare.type&limit=10', '?type=no.such.type', '?after=250']) {
      const { res, body } = await page(query);
      expect(res.headers.get('herold-next'), query).toBe(body.next);
      expect(res.headers.get('herold-head'), query).toBe(body.head);
    }
    // A cursor sent with more digits than the hub holds comes back as sent (never moves backwards), in both places.
    const { res, body } = await page('?after=000250');
    expect(res.headers.get('herold-next')).toBe(body.next);
  });

  it('filters by type, subject and source (repeatable), and next moves past filtered-out events', async () => {
    const { body } = await page('?type=rare.type&limit=1000');
    expect(body.events).toHaveLength(50);
    expect(body.events.every((e: { type: string }) => e.type === 'rare.type')).toBe(true);
    expect(body.next).toBe('250');

    const two = await page('?subject=person/1&subject=person/2&limit=1000');
    expect(two.body.events.every((e: { subject: string }) => ['person/1', 'person/2'].includes(e.subject))).toBe(true);
    expect(two.body.events.length).toBeGreaterThan(60);

    const both = await page('?source=/odd&type=rare.type&limit=1000');
    expect(both.body.events.every((e: { source: string; type: string }) => e.source === '/odd' && e.type === 'rare.type')).toBe(true);

    // A page that is full ends at its last event; the next page continues from there.
    const first = await page('?type=rare.type&limit=10');
    expect(first.body.events).toHaveLength(10);
    expect(first.body.next).toBe(first.body.events[9].heroldseq);

    // Nothing matches: an empty page still moves the cursor to the head.
    const none = await page('?type=no.such.type');
    expect(none.body.events).toHaveLength(0);
    expect(none.body.next).toBe('250');
  });

  it('bounds commit time with since/until', async () => {
    const { body } = await page('?since=2000-01-01T00:00:00Z&limit=1000');
    expect(body.events).toHaveLength(250);
    const future = await page('?since=2999-01-01T00:00:00Z');
    expect(future.body.events).toHaveLength(0);
    const past = await page('?until=2000-01-01T00:00:00Z');
    expect(past.body.events).toHaveLength(0);
    const bad = await page('?since=yesterday');
    expect(bad.res.status).toBe(400);
    expect((await bad.res.json()).errors[0].pointer).toBe('/querystring/since');
  });

  it('answers 304 to If-None-Match while nothing is new, and a new ETag after a publish', async () => {
    const { res } = await page('?after=200');
    const etag = res.headers.get('etag')!;
    expect(etag).toBeTruthy();
    const again = await hub.fetch('/lists/feed/events?after=200', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    await publishBatch(hub, 'feed', [makeEvent()]);
    const after = await hub.fetch('/lists/feed/events?after=200', { headers: { 'if-none-match': etag } });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(etag);
  });

  it('serves one event by seq and 404s unknown ones', async () => {
    const one = await hub.fetch('/lists/feed/events/7');
    expect((await one.json()).heroldseq).toBe('7');
    expect((await hub.fetch('/lists/feed/events/99999')).status).toBe(404);
    expect((await hub.fetch('/lists/feed/events/abc')).status).toBe(400);
  });

  it('rejects bad cursors and limits with problem+json', async () => {
    for (const q of ['?after=-1', '?after=abc', '?limit=0', '?limit=1001', '?after=99999999999999999999', '?bogus=1']) {
      const { res } = await page(q);
      expect(res.status, q).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    // A cursor beyond the head is valid: nothing new yet.
    const { body } = await page('?after=9223372036854775807');
    expect(body.events).toHaveLength(0);
  });

  it('streams a range as NDJSON', async () => {
    const res = await hub.fetch('/lists/feed/events?after=240', { headers: { accept: 'application/x-ndjson' } });
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((e) => Number(e.heroldseq))).toEqual(lines.map((_, i) => 241 + i));
    expect(lines.length).toBeGreaterThanOrEqual(10);
  });
});

describe('CESQL filter on reads', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
    await createList(hub, 'cesql');
    const events = Array.from({ length: 120 }, (_, i) =>
      makeEvent({ type: i % 3 === 0 ? 'person.moved' : 'person.changed', subject: `person/${i}`, kommune: i % 2 ? '0301' : '4601' }),
    );
    await publishBatch(hub, 'cesql', events);
  });
  afterAll(() => hub.close());

  const read = (query: string, accept = 'application/json') =>
    hub.fetch(`/lists/cesql/events?${query}`, { headers: { accept } });

  it('applies the filter inside the read: full pages, next past non-matching events', async () => {
    const filter = encodeURIComponent("type = 'person.moved' AND kommune = '0301'");
    const res = await read(`filter=${filter}&limit=5`);
    const body = await res.json();
    expect(body.events).toHaveLength(5);
    for (const e of body.events) expect([e.type, e.kommune]).toEqual(['person.moved', '0301']);
    const all = await (await read(`filter=${filter}&limit=1000`)).json();
    expect(all.events).toHaveLength(20);
    expect(all.next).toBe('120');
  });

  it('composes with the exact filters and works on NDJSON and SSE too', async () => {
    const filter = encodeURIComponent("subject LIKE 'person/1%'");
    const page = await (await read(`filter=${filter}&type=person.changed&limit=1000`)).json();
    expect(page.events.every((e: { subject: string; type: string }) => e.subject.startsWith('person/1') && e.type === 'person.changed')).toBe(true);
    const nd = (await (await read(`filter=${filter}&type=person.changed`, 'application/x-ndjson')).text()).trim().split('\n');
    expect(nd.map((l) => JSON.parse(l).heroldseq)).toEqual(page.events.map((e: { heroldseq: string }) => e.heroldseq));
    const sse = await read(`filter=${filter}&type=person.changed`, 'text/event-stream');
    const reader = sse.body!.getReader();
    let text = '';
    while ((text.match(/^data: /gm) ?? []).length < page.events.length) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const ids = [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]).heroldseq);
    expect(ids).toEqual(page.events.map((e: { heroldseq: string }) => e.heroldseq));
  });

  it('rejects an invalid expression with the position of the problem', async () => {
    const res = await read(`filter=${encodeURIComponent("type = 'x' AND (")}`);
    expect(res.status).toBe(400);
    const p = await res.json();
    expect(p.errors[0].pointer).toBe('/querystring/filter');
    expect(p.detail).toMatch(/\d/);
  });
});
