import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeWithin } from '../../src/api/streams/drain.js';
import { ConfigError, configFromEnv } from '../../src/config.js';
import { type TestHub, createList, makeEvent, publishBatch, startTestHub } from '../helpers/hub.js';
import { Receiver } from '../helpers/receiver.js';

const json = { 'content-type': 'application/json' };

async function newKey(hub: TestHub, principal: string): Promise<string> {
  const res = await hub.fetch('/api-keys', { method: 'POST', headers: json, body: JSON.stringify({ principal }) });
  expect(res.status).toBe(201);
  return (await res.json()).key;
}

async function grant(hub: TestHub, list: string, principal: string): Promise<void> {
  const res = await hub.fetch(`/lists/${list}/grants`, { method: 'POST', headers: json, body: JSON.stringify({ principal }) });
  expect(res.status).toBe(201);
}

const as = (hub: TestHub, key: string, path: string, init: RequestInit = {}) =>
  hub.fetch(path, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${key}` } });

/** Open streams of one kind, as the hub's own metrics count them. */
async function openStreams(hub: TestHub, kind: 'sse' | 'ndjson'): Promise<number> {
  const text = await (await hub.fetch('/metrics')).text();
  const m = new RegExp(`^herold_open_streams\\{kind="${kind}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

async function until(cond: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** An SSE stream held open by the test; `close` ends it from the client side. */
async function holdSse(hub: TestHub, key: string, list: string) {
  const abort = new AbortController();
  const res = await as(hub, key, `/lists/${list}/events`, { headers: { accept: 'text/event-stream' }, signal: abort.signal });
  return { res, close: () => abort.abort() };
}

async function expectProblem(res: Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  return res.json();
}

describe('caps per principal: open streams and subscriptions', () => {
  let hub: TestHub;
  let rx: Receiver;
  let readerKey: string;
  let otherKey: string;
  beforeAll(async () => {
    hub = await startTestHub({ egressAllow: '127.0.0.0/8', maxStreamsPerPrincipal: '3', maxSubscriptionsPerPrincipal: '3', readRate: '0' });
    rx = await Receiver.start();
    readerKey = await newKey(hub, 'org:reader');
    otherKey = await newKey(hub, 'org:other');
    for (const list of ['capa', 'capb']) {
      await createList(hub, list);
      await publishBatch(hub, list, [makeEvent(), makeEvent()]);
      await grant(hub, list, 'org:reader');
      await grant(hub, list, 'org:other');
    }
  });
  afterAll(async () => {
    await rx.close();
    await hub.close();
  });

  it('counts one principal\'s SSE and NDJSON streams together across lists; over the cap is a 429 that says what to do', async () => {
    const held = [await holdSse(hub, readerKey, 'capa'), await holdSse(hub, readerKey, 'capb'), await holdSse(hub, readerKey, 'capa')];
    for (const s of held) expect(s.res.status).toBe(200);

    const sse = await expectProblem(await as(hub, readerKey, '/lists/capb/events', { headers: { accept: 'text/event-stream' } }), 429);
    expect(sse.type).toBe('urn:herold:problem:too-many-streams');
    expect(sse.detail).toContain('You have 3 streams open');
    expect(sse.detail).toContain('HEROLD_MAX_STREAMS_PER_PRINCIPAL = 3');
    expect(sse.detail).toMatch(/Close streams you no longer read.*ask an admin to raise HEROLD_MAX_STREAMS_PER_PRINCIPAL/);
    expect(sse).toMatchObject({ status: 429, limit: 3, open: 3 });
    // The NDJSON door counts in the same registry.
    await expectProblem(await as(hub, readerKey, '/lists/capb/events', { headers: { accept: 'application/x-ndjson' } }), 429);
    // Pages are not streams, and another principal has slots of its own.
    expect((await as(hub, readerKey, '/lists/capb/events')).status).toBe(200);
    const other = await holdSse(hub, otherKey, 'capa');
    expect(other.res.status).toBe(200);
    other.close();

    // A stream the client closes frees its slot.
    held.pop()!.close();
    await until(async () => (await openStreams(hub, 'sse')) === 2, 5000, 'the closed stream to be unregistered');
    const again = await holdSse(hub, readerKey, 'capb');
    expect(again.res.status).toBe(200);
    held.push(again);
    for (const s of held) s.close();
    await until(async () => (await openStreams(hub, 'sse')) === 0, 5000, 'every stream to be unregistered');
  });

  it('frees the slot of an NDJSON export that ran to its end', async () => {
    const held = [await holdSse(hub, readerKey, 'capa'), await holdSse(hub, readerKey, 'capa')];
    // One slot left: if a finished export kept its slot, the second would be refused.
    for (let i = 0; i < 4; i++) {
      const res = await as(hub, readerKey, '/lists/capa/events', { headers: { accept: 'application/x-ndjson' } });
      expect(res.status).toBe(200);
      expect((await res.text()).trim().split('\n')).toHaveLength(2);
    }
    for (const s of held) s.close();
    await until(async () => (await openStreams(hub, 'sse')) === 0, 5000, 'every stream to be unregistered');
  });

  const subscribe = (key: string, list: string, body: Record<string, unknown> = {}) =>
    as(hub, key, `/lists/${list}/subscriptions`, { method: 'POST', headers: json, body: JSON.stringify({ sink: rx.url, ...body }) });
  const owned = async (key: string): Promise<{ id: string }[]> => (await (await as(hub, key, '/subscriptions')).json()).subscriptions;

  it('caps subscriptions per owner across lists: the next create is a 429 and stores nothing; deleting one makes room', async () => {
    expect((await subscribe(readerKey, 'capa')).status).toBe(201);
    expect((await subscribe(readerKey, 'capa')).status).toBe(201);
    expect((await subscribe(readerKey, 'capb')).status).toBe(201);
    const p = await expectProblem(await subscribe(readerKey, 'capb'), 429);
    expect(p.type).toBe('urn:herold:problem:too-many-subscriptions');
    expect(p.detail).toContain('You own 3 subscriptions');
    expect(p.detail).toMatch(/Delete subscriptions you no longer need.*ask an admin to raise HEROLD_MAX_SUBSCRIPTIONS_PER_PRINCIPAL/);
    expect(p).toMatchObject({ limit: 3, owned: 3 });
    const mine = await owned(readerKey);
    expect(mine).toHaveLength(3);

    expect((await as(hub, readerKey, `/subscriptions/${mine[0].id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await subscribe(readerKey, 'capb')).status).toBe(201);
    for (const s of await owned(readerKey)) await as(hub, readerKey, `/subscriptions/${s.id}`, { method: 'DELETE' });
  });

  it('holds the subscription cap against parallel creates', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => subscribe(otherKey, i % 2 ? 'capa' : 'capb')));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 201, 201, 429, 429, 429, 429, 429]);
    expect(await owned(otherKey)).toHaveLength(3);
    for (const s of await owned(otherKey)) await as(hub, otherKey, `/subscriptions/${s.id}`, { method: 'DELETE' });
  });

  it('validate: false is for admins only: a consumer cannot aim the hub at a host that refused the handshake', async () => {
    const refusing = await Receiver.start();
    refusing.handshake = 'refuse';
    try {
      const p = await expectProblem(await subscribe(readerKey, 'capa', { sink: refusing.url, protocolsettings: { validate: false } }), 403);
      expect(p.errors).toEqual([{ pointer: '/protocolsettings/validate', message: expect.stringContaining('admins only') }]);
      expect(p.detail).toContain('Only an admin may skip the webhook validation handshake');
      expect(await owned(readerKey)).toHaveLength(0);
      expect(refusing.received).toHaveLength(0);
      // Without validate: false the handshake decides, and this host refused it.
      expect((await subscribe(readerKey, 'capa', { sink: refusing.url })).status).toBe(400);

      // Nor by changing an existing subscription.
      const sub = await (await subscribe(readerKey, 'capa', { protocolsettings: { validate: true } })).json();
      expect(sub.id).toMatch(/^sub_/);
      const put = await as(hub, readerKey, `/subscriptions/${sub.id}`, { method: 'PUT', headers: json, body: JSON.stringify({ sink: refusing.url, protocolsettings: { validate: false } }) });
      expect((await expectProblem(put, 403)).errors[0].pointer).toBe('/protocolsettings/validate');
      expect((await (await as(hub, readerKey, `/subscriptions/${sub.id}`)).json()).sink).toBe(rx.url);
      await as(hub, readerKey, `/subscriptions/${sub.id}`, { method: 'DELETE' });

      // An admin may skip the handshake (an operator's decision).
      const admin = await hub.fetch('/lists/capa/subscriptions', { method: 'POST', headers: json, body: JSON.stringify({ sink: refusing.url, protocolsettings: { validate: false } }) });
      expect(admin.status).toBe(201);
      await hub.fetch(`/subscriptions/${(await admin.json()).id}`, { method: 'DELETE' });
    } finally {
      await refusing.close();
    }
  });
});

describe('stalled readers are cut off after a bounded buffer and time, on NDJSON and SSE alike', () => {
  const READERS = 20;
  const STALL_SECONDS = 2;
  const EVENT_BYTES = 8 * 1024;
  const EVENTS = 2000; // 16 MiB: several times what the kernel's socket buffers take
  let hub: TestHub;
  let key: string;
  let gc: () => void;
  beforeAll(async () => {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
    hub = await startTestHub({ streamStallSeconds: String(STALL_SECONDS), streamBufferBytes: String(64 * 1024), readRate: '0', publishRate: '0' });
    key = await newKey(hub, 'org:slow');
    await createList(hub, 'big');
    await grant(hub, 'big', 'org:slow');
    const blob = 'x'.repeat(EVENT_BYTES);
    for (let i = 0; i < EVENTS; i += 500) {
      expect((await publishBatch(hub, 'big', Array.from({ length: 500 }, () => makeEvent({ data: { blob } })))).status).toBe(201);
    }
  });
  afterAll(() => hub.close());

  /** A reader that sends its request and then never reads a byte. */
  function neverReads(accept: string): Socket {
    const url = new URL(hub.url);
    const socket = connect(Number(url.port), url.hostname);
    socket.pause();
    socket.write(`GET /lists/big/events HTTP/1.1\r\nhost: ${url.host}\r\naccept: ${accept}\r\nauthorization: Bearer ${key}\r\n\r\n`);
    return socket;
  }

  /** Read what the hub left for the reader, up to the end of the connection or until `enough`. */
  function readRest(socket: Socket, enough: (text: string) => boolean = () => false): Promise<string> {
    let text = '';
    const ended = new Promise<string>((resolve) => {
      socket.on('data', (c: Buffer) => {
        text += c.toString('latin1');
        if (enough(text)) resolve(text);
      });
      socket.once('close', () => resolve(text));
    });
    socket.resume();
    return ended;
  }

  const MiB = 2 ** 20;
  /** What JavaScript holds after a full collection (the process's RSS gives pages back to the OS only lazily). */
  const heldMiB = () => {
    gc();
    const m = process.memoryUsage();
    return (m.heapUsed + m.external) / MiB;
  };

  for (const [kind, accept] of [
    ['ndjson', 'application/x-ndjson'],
    ['sse', 'text/event-stream'],
  ] as const) {
    it(`${kind}: ${READERS} readers that never read are all cut off within the stall time, and the memory they held is returned`, async () => {
      // Warm up: one export read to its end, so caches count in the baseline.
      expect((await (await as(hub, key, '/lists/big/events', { headers: { accept: 'application/x-ndjson' } })).text()).length).toBeGreaterThan(EVENTS * EVENT_BYTES);
      const baseline = heldMiB();
      const baselineRss = process.memoryUsage().rss / MiB;
      let peakRss = baselineRss;
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss / MiB)), 20);
      const sockets = Array.from({ length: READERS }, () => neverReads(accept));
      try {
        await until(async () => (await openStreams(hub, kind)) === READERS, 5000, `${READERS} open ${kind} streams`);
        const allOpen = Date.now();
        await until(async () => (await openStreams(hub, kind)) === 0, STALL_SECONDS * 1000 + 5000, `the stalled ${kind} readers to be cut off`);
        const cutOffAfter = Date.now() - allOpen;
        expect(cutOffAfter).toBeLessThan(STALL_SECONDS * 1000 + 3000);
        clearInterval(sampler);
        // While stalled, each reader held about one page (1,000 events, 8 MiB here), not the list;
        // once cut off, all of it is returned. (Before, NDJSON readers were never cut off: 150 held 1.1 GB.)
        expect(peakRss - baselineRss).toBeLessThan(READERS * 12 + 64);
        // Pages are written as bytes (external memory), whose backing stores V8 frees just after a collection, not in it.
        let held = Infinity;
        await until(() => (held = heldMiB() - baseline) < 32, 5000, `the memory held by the cut-off ${kind} readers to be returned (held ${held.toFixed(1)} MiB)`).catch(() => {
          throw new Error(`the cut-off ${kind} readers still hold ${held.toFixed(1)} MiB beyond the baseline (bound 32)`);
        });

        // The readers see a cut-off stream, not a complete one.
        // (NDJSON: the connection ends without the last chunk; SSE: a final message says why.)
        if (kind === 'ndjson') {
          const rest = await readRest(sockets[0]);
          expect(rest).toMatch(/^HTTP\/1\.1 200/);
          expect(rest.endsWith('\r\n0\r\n\r\n')).toBe(false);
          expect(rest.split('"heroldseq"').length - 1).toBeLessThan(EVENTS);
        } else {
          const rest = await readRest(sockets[0], (text) => text.includes('event: error'));
          expect(rest).toMatch(/^HTTP\/1\.1 200/);
          await until(() => /event: error\ndata: .*too slow/.test(rest) || rest.includes('\n\n'), 5000, 'the final message');
        }
      } finally {
        clearInterval(sampler);
        for (const s of sockets) s.destroy();
      }
    });
  }
});

describe('writeWithin: the one write rule of every stream door', () => {
  /** A connection that takes `take` pieces and then nothing more. */
  function connection(take: number) {
    const got: Buffer[] = [];
    let queuedMax = 0;
    const w = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _enc, done) {
        got.push(chunk);
        if (got.length <= take) setImmediate(done); // taken; later pieces are never acknowledged
      },
    });
    const write = w.write.bind(w);
    w.write = ((chunk: string) => {
      const ok = write(chunk);
      queuedMax = Math.max(queuedMax, w.writableLength);
      return ok;
    }) as typeof w.write;
    return { w, text: () => Buffer.concat(got).toString('utf8'), queuedMax: () => queuedMax };
  }
  const rule = { streamStallSeconds: 1, streamBufferBytes: 16 * 1024 };

  it('writes a large chunk in pieces of at most the buffer bound, never splitting a character', async () => {
    const c = connection(Infinity);
    const chunk = ('{"name":"Åse Ødegård 👩‍💻"}\n').repeat(20_000);
    expect(await writeWithin(c.w, chunk, rule, new AbortController().signal)).toBe('written');
    expect(c.text()).toBe(chunk);
    expect(c.queuedMax()).toBeLessThanOrEqual(16 * 1024 + rule.streamBufferBytes);
  });

  it('gives up on a connection that takes nothing for the stall time, having queued no more than the bound', async () => {
    const c = connection(2);
    const started = Date.now();
    expect(await writeWithin(c.w, 'x'.repeat(10 * 2 ** 20), rule, new AbortController().signal)).toBe('stalled');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(c.queuedMax()).toBeLessThanOrEqual(16 * 1024 + rule.streamBufferBytes);
  });

  it('stops at once when the stream is aborted', async () => {
    const c = connection(0);
    const abort = new AbortController();
    const result = writeWithin(c.w, 'x'.repeat(2 ** 20), rule, abort.signal);
    abort.abort();
    expect(await result).toBe('aborted');
  });
});

describe('caps settings', () => {
  it('have defaults of 100 and take their variables; the old stall variable still works', () => {
    const c = configFromEnv({});
    expect(c).toMatchObject({ maxStreamsPerPrincipal: 100, maxSubscriptionsPerPrincipal: 100, streamStallSeconds: 30, streamBufferBytes: 262144 });
    expect(configFromEnv({ HEROLD_MAX_STREAMS_PER_PRINCIPAL: '5', HEROLD_MAX_SUBSCRIPTIONS_PER_PRINCIPAL: '7' })).toMatchObject({ maxStreamsPerPrincipal: 5, maxSubscriptionsPerPrincipal: 7 });
    expect(configFromEnv({ HEROLD_SSE_STALL_SECONDS: '12' }).streamStallSeconds).toBe(12);
    expect(configFromEnv({ HEROLD_SSE_STALL_SECONDS: '12', HEROLD_STREAM_STALL_SECONDS: '9' }).streamStallSeconds).toBe(9);
    expect(() => configFromEnv({ HEROLD_MAX_STREAMS_PER_PRINCIPAL: '0' })).toThrow(ConfigError);
    expect(() => configFromEnv({ HEROLD_MAX_STREAMS_PER_PRINCIPAL: '0' })).toThrow(/HEROLD_MAX_STREAMS_PER_PRINCIPAL must be an integer from 1/);
  });
});
