import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Consumer } from '../../src/client/consumer.js';
import { RetentionTrimmedError, SequenceGapError } from '../../src/client/errors.js';
import { type TestHub, createList, makeEvent, startTestHub } from '../helpers/hub.js';
import { admin, consumerKey, publishAll, recordingFetch, take } from './helpers.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(() => hub.close());

const seqs = (events: { heroldseq: string }[]) => events.map((e) => e.heroldseq);

describe('Consumer.events', () => {
  it('hands out every event in order, then live ones, and ends when the signal aborts', async () => {
    await createList(hub, 'c.order');
    await publishAll(hub, 'c.order', [makeEvent(), makeEvent(), makeEvent()]);
    const abort = new AbortController();
    const consumer = new Consumer({ url: hub.url, ...admin, list: 'c.order', signal: abort.signal });
    const got: string[] = [];
    for await (const event of consumer.events()) {
      got.push(event.heroldseq);
      if (got.length === 3) await publishAll(hub, 'c.order', [makeEvent(), makeEvent()]);
      if (got.length === 5) abort.abort();
    }
    expect(got).toEqual(['1', '2', '3', '4', '5']);
    expect(consumer.position).toBe('5');
  });

  it("starts after `from`, and 'head' hands out only new events", async () => {
    await createList(hub, 'c.from');
    await publishAll(hub, 'c.from', [makeEvent(), makeEvent(), makeEvent()]);
    const consumer = new Consumer({ url: hub.url, ...admin, list: 'c.from' });
    expect(seqs(await take(consumer.events({ from: '1' }), 2))).toEqual(['2', '3']);
    const live = consumer.events({ from: 'head' });
    const first = live.next();
    await new Promise((r) => setTimeout(r, 200));
    await publishAll(hub, 'c.from', [makeEvent()]);
    expect((await first).value?.heroldseq).toBe('4');
    await live.return(undefined);
    await expect(consumer.events({ from: 'yesterday' }).next()).rejects.toThrow(/from must be a sequence number/);
  });

  it('pull transport reads pages and polls once caught up', async () => {
    await createList(hub, 'c.pull');
    await publishAll(hub, 'c.pull', [makeEvent(), makeEvent()]);
    const rec = recordingFetch();
    const consumer = new Consumer({ url: hub.url, ...admin, list: 'c.pull', transport: 'pull', catchUp: 'pages', pollMs: 50, pageSize: 1, fetch: rec.fetch });
    const it1 = consumer.events();
    expect(seqs([(await it1.next()).value!, (await it1.next()).value!])).toEqual(['1', '2']);
    const third = it1.next();
    await publishAll(hub, 'c.pull', [makeEvent()]);
    expect((await third).value?.heroldseq).toBe('3');
    await it1.return(undefined);
    expect(rec.requests.every((r) => r.accept === 'application/json')).toBe(true);
    expect(rec.requests.some((r) => r.url.includes('limit=1'))).toBe(true);
  });

  it('pull asks for the next page while this one is handed out: every page once, in order, none after a stop', async () => {
    await createList(hub, 'c.pages');
    await publishAll(hub, 'c.pages', Array.from({ length: 7 }, () => makeEvent()));
    const rec = recordingFetch();
    const abort = new AbortController();
    const consumer = new Consumer({ url: hub.url, ...admin, list: 'c.pages', transport: 'pull', catchUp: 'pages', pollMs: 50, pageSize: 2, fetch: rec.fetch, signal: abort.signal });
    const got: string[] = [];
    let askedWhileFirst = 0;
    await consumer.run((event) => {
      got.push(event.heroldseq);
      // The handler of the first event runs while the second page is already asked for.
      if (got.length === 1) askedWhileFirst = rec.requests.length;
      if (got.length === 7) abort.abort();
    });
    expect(got).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect(askedWhileFirst).toBe(2);
    const afters = rec.requests.map((r) => new URL(r.url).searchParams.get('after'));
    // Pages after 0, 2, 4 and 6, each asked for once (the page after 6 is the last: caught up, no request ahead).
    expect(afters).toEqual(['0', '2', '4', '6']);
  });

  it('auto falls back to pages when a proxy in between does not stream', async () => {
    await createList(hub, 'c.fallback');
    await publishAll(hub, 'c.fallback', [makeEvent(), makeEvent()]);
    // The "proxy" drops the Accept header, so the hub answers JSON to the SSE request.
    const rec = recordingFetch({
      request: (url, init) => {
        const headers = new Headers(init.headers);
        if (headers.get('accept') === 'text/event-stream') headers.delete('accept');
        return [url, { ...init, headers }];
      },
    });
    const consumer = new Consumer({ url: hub.url, ...admin, list: 'c.fallback', pollMs: 50, fetch: rec.fetch });
    expect(seqs(await take(consumer.events(), 2))).toEqual(['1', '2']);
    expect(rec.requests[0]!.accept).toBe(null);
    // Then the pull transport: it catches up with an export.
    expect(rec.requests[1]!.accept).toBe('application/x-ndjson');
  });

  it('pull catches up with one export, then polls pages, and exports again after a full page', async () => {
    await createList(hub, 'c.export');
    await publishAll(hub, 'c.export', Array.from({ length: 7 }, () => makeEvent({ type: 'kept' })).concat([makeEvent({ type: 'skipped' })]));
    const rec = recordingFetch();
    const abort = new AbortController();
    const consumer = new Consumer({ url: hub.url, ...admin, list: 'c.export', type: 'kept', transport: 'pull', pollMs: 50, pageSize: 2, fetch: rec.fetch, signal: abort.signal });
    const got: string[] = [];
    let burst: Promise<unknown> | undefined;
    await consumer.run((event) => {
      got.push(event.heroldseq);
      // Caught up: a burst of five more, read again by an export after the first (full) page.
      if (got.length === 7) burst = publishAll(hub, 'c.export', Array.from({ length: 5 }, () => makeEvent({ type: 'kept' })));
      if (got.length === 12) abort.abort();
    });
    await burst;
    expect(got).toEqual(['1', '2', '3', '4', '5', '6', '7', '9', '10', '11', '12', '13']);
    const kinds = rec.requests.map((r) => `${r.accept} after=${new URL(r.url).searchParams.get('after')}`);
    // One export to the head at the time (past the skipped event 8), then pages from there.
    expect(kinds[0]).toBe('application/x-ndjson after=0');
    expect(kinds[1]).toBe('application/json after=8');
    // The burst: a full page (9, 10), then an export of the rest.
    expect(kinds).toContain('application/x-ndjson after=10');
    expect(consumer.position).toBe('13');
  });

  it('moves past filtered-out events on the hub’s word (id-only messages) without asking about them', async () => {
    await createList(hub, 'c.filtered');
    await publishAll(hub, 'c.filtered', [makeEvent({ type: 'a' }), makeEvent({ type: 'b' }), makeEvent({ type: 'b' }), makeEvent({ type: 'a' }), makeEvent({ type: 'b' })]);
    const rec = recordingFetch();
    const consumer = new Consumer({ url: hub.url, ...admin, list: 'c.filtered', type: 'a', fetch: rec.fetch });
    const items = consumer.items();
    expect((await items.next()).value).toMatchObject({ seq: 1n });
    expect((await items.next()).value).toMatchObject({ seq: 4n });
    expect((await items.next()).value).toEqual({ seq: 5n });
    await items.return(undefined);
    expect(consumer.position).toBe('5');
    expect(rec.requests.filter((r) => /\/events\/\d+/.test(r.url))).toEqual([]);
  });

  it('a grant that hides events is not mistaken for a gap', async () => {
    await createList(hub, 'c.grant');
    const key = await consumerKey(hub, 'c.grant', 'cms-grant', { filter: "subject = 'person/1'" });
    await publishAll(hub, 'c.grant', [
      makeEvent({ subject: 'person/1' }),
      makeEvent({ subject: 'person/2' }),
      makeEvent({ subject: 'person/2' }),
      makeEvent({ subject: 'person/1' }),
      makeEvent({ subject: 'person/3' }),
      makeEvent({ subject: 'person/1' }),
    ]);
    const rec = recordingFetch();
    const consumer = new Consumer({ url: hub.url, key, list: 'c.grant', fetch: rec.fetch });
    expect(seqs(await take(consumer.events(), 3))).toEqual(['1', '4', '6']);
    // One look at the first hidden event (404 for this consumer), then no more on this connection.
    expect(rec.requests.filter((r) => /\/events\/\d+/.test(r.url)).map((r) => new URL(r.url).pathname)).toEqual(['/lists/c.grant/events/2']);
  });

  it('a stream that skips an event the consumer may read raises SequenceGapError before handing out past it', async () => {
    await createList(hub, 'c.gap');
    await publishAll(hub, 'c.gap', [makeEvent(), makeEvent(), makeEvent(), makeEvent()]);
    // A broken proxy: removes the SSE message of event 3.
    const rec = recordingFetch({
      response: (url, res) => {
        if (!res.headers.get('content-type')?.startsWith('text/event-stream')) return res;
        let text = '';
        const dec = new TextDecoder();
        const enc = new TextEncoder();
        const body = res.body!.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, ctl) {
              text += dec.decode(chunk, { stream: true });
              const cut = text.lastIndexOf('\n\n');
              if (cut < 0) return;
              const messages = text.slice(0, cut + 2).replace(/id: 3\ndata: [^\n]*\n\n/, '');
              text = text.slice(cut + 2);
              ctl.enqueue(enc.encode(messages));
            },
          }),
        );
        return new Response(body, { status: res.status, headers: res.headers });
      },
    });
    const consumer = new Consumer({ url: hub.url, ...admin, list: 'c.gap', fetch: rec.fetch });
    const got: string[] = [];
    const error = await (async () => {
      for await (const e of consumer.events()) got.push(e.heroldseq);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SequenceGapError);
    expect(error).toMatchObject({ position: '2', received: '4' });
    expect(got).toEqual(['1', '2']);
  });

  it('RetentionTrimmedError when retention deleted events after the position', async () => {
    await createList(hub, 'c.retention', { retentionDays: 1 });
    await publishAll(hub, 'c.retention', [makeEvent(), makeEvent(), makeEvent()]);
    const consumer = new Consumer({ url: hub.url, ...admin, list: 'c.retention' });
    expect(seqs(await take(consumer.events(), 1))).toEqual(['1']);
    // Two days pass: retention deletes everything; the provider publishes on.
    const later = Date.now() + 2 * 86_400_000;
    await hub.running.hub.applyRetention(later);
    await publishAll(hub, 'c.retention', [makeEvent()]);
    const resumed = new Consumer({ url: hub.url, ...admin, list: 'c.retention', now: () => later });
    const error = await take(resumed.events({ from: '1' }), 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetentionTrimmedError);
    expect(error).toMatchObject({ position: '1', received: '4', retentionDays: 1 });
    // Told to go on, it does.
    const onward = new Consumer({ url: hub.url, ...admin, list: 'c.retention', now: () => later, onTrimmed: 'continue' });
    expect(seqs(await take(onward.events({ from: '1' }), 1))).toEqual(['4']);
    // A consumer whose position is within the retention is not told anything.
    const recent = new Consumer({ url: hub.url, ...admin, list: 'c.retention' });
    expect(seqs(await take(recent.events({ from: '3' }), 1))).toEqual(['4']);
  });
});
