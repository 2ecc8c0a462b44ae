import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSse, type SseMessage } from '../../src/client/sse.js';
import { type TestHub, createList, makeEvent, publishBatch, publishStructured, startTestHub } from '../helpers/hub.js';

async function openStream(hub: TestHub, path: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const res = await hub.fetch(path, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const messages: SseMessage[] = [];
  const waiters: (() => void)[] = [];
  const done = (async () => {
    try {
      for await (const m of parseSse(res.body as unknown as AsyncIterable<Uint8Array>)) {
        messages.push(m);
        waiters.splice(0).forEach((w) => w());
      }
    } catch {
      // aborted
    }
  })();
  const until = async (pred: () => boolean, ms = 5000) => {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out; have ${messages.length} messages`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 50);
      });
    }
  };
  const events = () => messages.filter((m) => m.event === 'message' && m.data).map((m) => JSON.parse(m.data));
  return { res, messages, events, until, close: () => abort.abort(), done };
}

describe('live SSE', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ heartbeatSeconds: '1', streamStallSeconds: '2' });
    await createList(hub, 'live');
    await publishBatch(hub, 'live', [makeEvent(), makeEvent(), makeEvent()]);
  });
  afterAll(() => hub.close());

  it('replays from after, then streams new events as they commit', async () => {
    const s = await openStream(hub, '/lists/live/events?after=1');
    expect(s.res.headers.get('content-type')).toContain('text/event-stream');
    await s.until(() => s.events().length === 2);
    expect(s.events().map((e) => e.heroldseq)).toEqual(['2', '3']);
    const started = Date.now();
    await publishStructured(hub, 'live', makeEvent({ type: 'live.one' }));
    await s.until(() => s.events().length === 3);
    expect(Date.now() - started).toBeLessThan(1000);
    const last = s.messages.filter((m) => m.event === 'message' && m.data).at(-1)!;
    expect(last.id).toBe('4');
    expect(JSON.parse(last.data).type).toBe('live.one');
    s.close();
  });

  it('resumes from Last-Event-ID', async () => {
    const s = await openStream(hub, '/lists/live/events', { 'last-event-id': '3' });
    await s.until(() => s.events().length >= 1);
    expect(s.events()[0].heroldseq).toBe('4');
    s.close();
  });

  it('ends a stream bounded by a past `until` and stays responsive', async () => {
    await createList(hub, 'window');
    await publishBatch(hub, 'window', [makeEvent(), makeEvent()]);
    const s = await openStream(hub, '/lists/window/events?until=2000-01-01T00:00:00Z');
    await s.done;
    expect(s.messages.some((m) => m.event === 'end')).toBe(true);
    const future = await openStream(hub, `/lists/window/events?until=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    await future.until(() => future.events().length === 2);
    await publishStructured(hub, 'window', makeEvent());
    await future.until(() => future.events().length === 3);
    expect((await hub.fetch('/healthz')).status).toBe(200);
    future.close();
  });

  it('sends heartbeats while idle', async () => {
    const res = await hub.fetch('/lists/live/events?after=999', { headers: { accept: 'text/event-stream' } });
    const reader = res.body!.getReader();
    const deadline = Date.now() + 3500;
    let text = '';
    while (Date.now() < deadline && !text.includes(': heartbeat')) {
      const { value } = await reader.read();
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain(': heartbeat');
    await reader.cancel();
  });

  it('applies filters and moves Last-Event-ID past filtered-out events', async () => {
    const s = await openStream(hub, '/lists/live/events?type=wanted');
    await publishStructured(hub, 'live', makeEvent({ type: 'unwanted' }));
    await publishStructured(hub, 'live', makeEvent({ type: 'wanted' }));
    await s.until(() => s.events().length === 1);
    expect(s.events()[0].type).toBe('wanted');
    const head = (await (await hub.fetch('/lists/live')).json()).head;
    await publishStructured(hub, 'live', makeEvent({ type: 'unwanted' }));
    await s.until(() => s.messages.some((m) => m.id === String(Number(head) + 1) && m.data === ''));
    s.close();
  });

  it('cuts off a consumer that stops reading, with a final message, instead of buffering', async () => {
    await createList(hub, 'flood');
    const res = await hub.fetch('/lists/flood/events', { headers: { accept: 'text/event-stream' } });
    const reader = res.body!.getReader();
    // Read nothing while lots of events commit.
    const big = { blob: 'y'.repeat(30_000) };
    for (let i = 0; i < 20; i++) {
      await publishBatch(hub, 'flood', Array.from({ length: 50 }, () => makeEvent({ data: big })));
    }
    await new Promise((r) => setTimeout(r, 3000));
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain('event: error');
    expect(text).toContain('too slow');
  });

  it('closes streams with a final message on shutdown', async () => {
    const other = await startTestHub();
    await createList(other, 'bye');
    const s = await openStream(other, '/lists/bye/events');
    await new Promise((r) => setTimeout(r, 100));
    await other.close();
    await s.done;
    expect(s.messages.some((m) => m.event === 'close' && m.data.includes('shutting down'))).toBe(true);
  });
});
