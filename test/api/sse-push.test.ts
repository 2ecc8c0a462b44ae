import { request, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSse, type SseMessage } from '../../src/client/sse.js';
import { type Caller, caller, post, pull, until } from '../helpers/attacker.js';
import { type TestHub, createList, makeEvent, publishBatch, startTestHub } from '../helpers/hub.js';

/**
 * The fast set of caught-up SSE streams (hub/live-fanout.ts): each commit is
 * pushed to every caught-up stream from one synchronous loop. Through real
 * HTTP: every stream gets exactly its own view (minimised, row-filtered,
 * linked within it), in order and without gaps, also across joining and
 * leaving the fast set; a reader that stops reading leaves it and is cut off
 * by the stall rule; expiry ends a stream in it.
 */

/** A gauge of the hub's own metrics. */
async function gauge(hub: TestHub, name: string, labels = ''): Promise<number> {
  const text = await (await hub.fetch('/metrics')).text();
  const m = new RegExp(`^${name}${labels.replace(/[{}]/g, '\\$&')} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}
const pushed = (hub: TestHub) => gauge(hub, 'herold_pushed_streams');
const openSse = (hub: TestHub) => gauge(hub, 'herold_open_streams', '{kind="sse"}');

/** An SSE stream read through node:http; `pauseMs` makes a reader that stops for a while after each 256 KiB. */
function stream(hub: TestHub, key: string, path: string, opts: { pauseMs?: number } = {}) {
  const messages: (SseMessage & { at: number })[] = [];
  let heartbeats = 0;
  let res: IncomingMessage | undefined;
  let ended = false;
  const req = request(`${hub.url}${path}`, { headers: { accept: 'text/event-stream', authorization: `Bearer ${key}` } });
  const done = new Promise<void>((resolve) => {
    req.on('response', async (r) => {
      res = r;
      try {
        // Comments (heartbeats) are not messages: counted from the bytes on the way to the parser.
        const counted = (async function* () {
          let bytes = 0;
          for await (const chunk of r as AsyncIterable<Buffer>) {
            heartbeats += chunk.toString('latin1').split(': heartbeat\n').length - 1;
            yield chunk;
            bytes += chunk.length;
            if (opts.pauseMs && bytes > 256 * 1024) {
              bytes = 0;
              await new Promise((p) => setTimeout(p, opts.pauseMs));
            }
          }
        })();
        for await (const m of parseSse(counted)) messages.push({ ...m, at: Date.now() });
      } catch {
        // closed
      }
      ended = true;
      resolve();
    });
    req.on('error', () => resolve());
  });
  req.end();
  return {
    messages,
    done,
    ended: () => ended,
    heartbeats: () => heartbeats,
    status: () => res?.statusCode,
    events: () => messages.filter((m) => m.event === 'message' && m.data).map((m) => JSON.parse(m.data) as Record<string, unknown>),
    /** The last id the stream moved the client's Last-Event-ID to. */
    lastId: () => Number(messages.filter((m) => m.id !== undefined).at(-1)?.id ?? 0),
    close: () => req.destroy(),
  };
}

describe('SSE fast set', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ readRate: '0', publishRate: '0', heartbeatSeconds: '1', streamStallSeconds: '2', streamBufferBytes: String(64 * 1024) });
  });
  afterAll(() => hub.close());

  it('pushes every stream exactly its own view, in order and without gaps, across grants, filters and projections', async () => {
    const list = 'views';
    await createList(hub, list);
    // Each principal's view: all, minimised, row-filtered (with and without the subject, so with and without linking lookups).
    const views: { who: Caller; path: string }[] = [];
    const grants: [string, Record<string, unknown>][] = [
      ['org:all', {}],
      ['org:fields', { fields: ['data'] }],
      ['org:rows', { filter: "kommune = '0301'", fields: ['kommune'] }],
      ['org:linked', { filter: "kommune = '0301'", fields: ['subject', 'kommune'] }],
      ['org:mixed', { filter: "kommune = '4601'", fields: ['data', 'kommune'] }],
    ];
    for (const [principal, body] of grants) {
      const who = await caller(hub, principal);
      await post(hub, `/lists/${list}/grants`, { principal, ...body });
      views.push({ who, path: `/lists/${list}/events` });
    }
    views.push({ who: views[0].who, path: `/lists/${list}/events?type=t.odd` });
    views.push({ who: views[2].who, path: `/lists/${list}/events?filter=${encodeURIComponent("type = 't.even'")}` });
    await publishBatch(hub, list, [makeEvent({ subject: 's/0', kommune: '0301' })]);
    views.push({ who: await caller(hub, 'org:admin', { admin: true }), path: `/lists/${list}/events` });
    const streams = views.flatMap(({ who, path }) => Array.from({ length: 4 }, () => ({ who, path, s: stream(hub, who.key, path) })));
    // All but org:linked's (a row filter and the subject served: linking may look up earlier events) are pushed.
    await until(async () => (await pushed(hub)) === streams.length - 4, 5000, 'the caught-up streams in the fast set');
    for (let i = 0; i < 40; i++) {
      const n = 1 + (i % 4);
      const batch = Array.from({ length: n }, (_, j) => {
        const k = i * 4 + j;
        return makeEvent({ type: k % 2 ? 't.odd' : 't.even', subject: `s/${k % 5}`, kommune: k % 3 ? '4601' : '0301', secret: 'x', data: { k } });
      });
      expect((await publishBatch(hub, list, batch)).status).toBe(201);
    }
    const head = Number((await (await hub.fetch(`/lists/${list}`)).json()).head);
    await until(() => streams.every(({ s }) => s.lastId() === head), 10_000, 'every stream to reach the head');
    expect(await pushed(hub)).toBe(streams.length - 4);
    for (const { who, path, s } of streams) {
      // What a pull read of the same view serves (the follow loop's path), exactly.
      const sep = path.includes('?') ? '&' : '?';
      const expected = await pull(who, `${path}${sep}limit=1000`);
      expect(s.events(), `${who.principal} ${path}`).toEqual(expected);
      const ids = s.messages.filter((m) => m.id !== undefined).map((m) => Number(m.id));
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(ids.length);
      s.close();
    }
    // Minimisation and row filters held.
    const rows = streams.find(({ who, path }) => who.principal === 'org:rows' && !path.includes('?'))!.s.events();
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.every((e) => e.kommune === '0301' && e.data === undefined && e.subject === undefined && e.heroldprevseq === undefined && e.secret === undefined)).toBe(true);
    await until(async () => (await pushed(hub)) === 0, 5000, 'the closed streams to leave the fast set');
  });

  it('a stream that was behind joins the fast set and misses nothing at the boundary, and one that reads slowly goes in and out', { timeout: 60_000 }, async () => {
    const list = 'boundary';
    await createList(hub, list);
    for (let i = 0; i < 4; i++) await publishBatch(hub, list, Array.from({ length: 500 }, () => makeEvent({ data: { pad: 'p'.repeat(200) } })));
    const who = await caller(hub, 'org:boundary');
    await post(hub, `/lists/${list}/grants`, { principal: 'org:boundary' });
    let publishing = true;
    const publisher = (async () => {
      for (let i = 0; publishing; i++) {
        await publishBatch(hub, list, Array.from({ length: 1 + (i % 3) }, () => makeEvent({ data: { pad: 'q'.repeat(i % 7 === 0 ? 40_000 : 100) } })));
        if (i % 5 === 0) await new Promise((r) => setTimeout(r, 2));
      }
    })();
    // Opened at different points while commits land: each replays, catches up and joins during them.
    const streams: ReturnType<typeof stream>[] = [];
    for (let i = 0; i < 6; i++) {
      streams.push(stream(hub, who.key, `/lists/${list}/events`, { pauseMs: i % 2 ? 100 : 0 }));
      await new Promise((r) => setTimeout(r, 150));
    }
    await until(async () => (await pushed(hub)) >= 1, 10_000, 'a stream in the fast set');
    await new Promise((r) => setTimeout(r, 1000));
    publishing = false;
    await publisher;
    const head = Number((await (await hub.fetch(`/lists/${list}`)).json()).head);
    await until(() => streams.every((s) => s.lastId() === head), 20_000, `every stream to reach the head ${head}: ${streams.map((s) => s.lastId()).join(', ')}`);
    for (const s of streams) {
      expect(s.events().map((e) => Number(e.heroldseq))).toEqual(Array.from({ length: head }, (_, i) => i + 1));
      s.close();
    }
  });

  it('a reader that stops reading leaves the fast set, is cut off by the stall rule and holds no more than its buffer', { timeout: 60_000 }, async () => {
    const list = 'stall';
    await createList(hub, list);
    const who = await caller(hub, 'org:stall');
    await post(hub, `/lists/${list}/grants`, { principal: 'org:stall' });
    const open = await openSse(hub);
    const url = new URL(hub.url);
    const socket: Socket = connect(Number(url.port), url.hostname);
    socket.pause();
    socket.write(`GET /lists/${list}/events HTTP/1.1\r\nhost: ${url.host}\r\naccept: text/event-stream\r\nauthorization: Bearer ${who.key}\r\n\r\n`);
    const readers = await pushed(hub);
    await until(async () => (await pushed(hub)) === readers + 1, 5000, 'the reader in the fast set');
    // 16 MiB in commits of 6 events of 8 KiB (each pushed whole, within the 64 KiB buffer rule): far more than the socket takes.
    const blob = 'x'.repeat(8 * 1024);
    for (let i = 0; i < 340; i++) await publishBatch(hub, list, Array.from({ length: 6 }, () => makeEvent({ data: { blob } })));
    expect(await pushed(hub)).toBe(readers);
    await until(async () => (await openSse(hub)) === open, 5000, 'the stalled reader to be cut off');
    // What it is sent now, up to the final message (the connection itself may be kept alive).
    let text = '';
    await new Promise<void>((resolve) => {
      socket.on('data', (c: Buffer) => {
        text += c.toString('latin1');
        if (/event: error\r?\ndata: .*Consumer too slow.*\n\n/.test(text)) resolve();
      });
      socket.once('close', () => resolve());
      socket.resume();
    });
    socket.destroy();
    expect(text).toMatch(/event: error\r?\ndata: .*Consumer too slow/);
    // All the hub queued for it reaches it now: what the kernel took and at most its buffer and a page, not the 16 MiB published.
    const got = text.split('"heroldseq"').length - 1;
    expect(got).toBeGreaterThan(0);
    expect(got).toBeLessThan(1000);
  });

  it('ends a stream in the fast set with a final close message within a second of its credential expiring, and sends heartbeats', async () => {
    const list = 'expiry';
    await createList(hub, list);
    const expiresAt = Date.now() + 2500;
    const who = await caller(hub, 'org:expiring', { expiresAt });
    await post(hub, `/lists/${list}/grants`, { principal: 'org:expiring' });
    const readers = await pushed(hub);
    const s = stream(hub, who.key, `/lists/${list}/events`);
    await until(async () => (await pushed(hub)) === readers + 1, 5000, 'the stream in the fast set');
    await publishBatch(hub, list, [makeEvent()]);
    await s.done;
    expect(s.events()).toHaveLength(1);
    // Idle for about two seconds in the fast set: heartbeats each second.
    expect(s.heartbeats()).toBeGreaterThanOrEqual(1);
    const close = s.messages.at(-1)!;
    expect(close.event).toBe('close');
    expect(JSON.parse(close.data).reason).toMatch(/expired/);
    expect(close.at - expiresAt).toBeLessThan(1000);
    expect(await pushed(hub)).toBe(readers);
  });
});
