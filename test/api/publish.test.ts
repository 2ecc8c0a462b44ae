import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, createList, makeEvent, publishBatch, publishStructured, startTestHub } from '../helpers/hub.js';

describe('publish', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
    await createList(hub, 'pub');
  });
  afterAll(() => hub.close());


  it('stores a structured event and serves it exactly as published plus herold extensions', async () => {
    const ev = makeEvent({ time: '2018-04-05T03:56:24.123456789+02:00', myext: 'x', subject: 'person/unique-1' });
    const res = await publishStructured(hub, 'pub', ev);
    expect(res.status).toBe(201);
    const { seq } = await res.json();
    expect(typeof seq).toBe('string');
    expect(res.headers.get('location')).toBe(`/lists/pub/events/${seq}`);
    const one = await hub.fetch(`/lists/pub/events/${seq}`);
    expect(one.headers.get('content-type')).toContain('application/cloudevents+json');
    const served = await one.json();
    const { heroldseq, heroldtime, ...rest } = served;
    expect(rest).toEqual(ev);
    expect(heroldseq).toBe(seq);
    expect(served.heroldprevseq).toBeUndefined();
    expect(Number.isNaN(Date.parse(heroldtime))).toBe(false);
  });

  it('stores a binary-mode event and does not invent a time', async () => {
    const res = await hub.fetch('/lists/pub/events', {
      method: 'POST',
      headers: {
        'ce-specversion': '1.0',
        'ce-id': 'bin-1',
        'ce-source': '/bin',
        'ce-type': 'bin.changed',
        'ce-subject': 'person/bin',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ hello: 'world' }),
    });
    expect(res.status).toBe(201);
    const { seq } = await res.json();
    const served = await (await hub.fetch(`/lists/pub/events/${seq}`)).json();
    expect(served).toMatchObject({ id: 'bin-1', source: '/bin', type: 'bin.changed', datacontenttype: 'application/json', data: { hello: 'world' } });
    expect(served.time).toBeUndefined();
  });

  it('links each event to the previous one with the same subject', async () => {
    const a = await (await publishStructured(hub, 'pub', makeEvent({ subject: 'person/chain' }))).json();
    await publishStructured(hub, 'pub', makeEvent({ subject: 'person/other' }));
    const b = await (await publishStructured(hub, 'pub', makeEvent({ subject: 'person/chain' }))).json();
    const served = await (await hub.fetch(`/lists/pub/events/${b.seq}`)).json();
    expect(served.heroldprevseq).toBe(a.seq);
  });

  it('is idempotent on (source, id): same content → 200 duplicate with original seq; different → 409', async () => {
    const ev = makeEvent();
    const first = await (await publishStructured(hub, 'pub', ev)).json();
    const headBefore = (await (await hub.fetch('/lists/pub')).json()).head;
    const again = await publishStructured(hub, 'pub', { ...ev });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ seq: first.seq, duplicate: true });
    // The same event with attributes in another order is still the same event.
    const reordered = Object.fromEntries(Object.entries(ev).reverse());
    expect((await publishStructured(hub, 'pub', reordered)).status).toBe(200);
    const conflict = await publishStructured(hub, 'pub', { ...ev, data: { changed: true } });
    expect(conflict.status).toBe(409);
    expect(conflict.headers.get('content-type')).toContain('application/problem+json');
    const problem = await conflict.json();
    expect(problem.errors[0].pointer).toBe('/id');
    expect(problem.seq).toBe(first.seq);
    expect((await (await hub.fetch('/lists/pub')).json()).head).toBe(headBefore);
  });

  it('stores batches atomically', async () => {
    const events = [makeEvent(), makeEvent(), makeEvent()];
    const res = await publishBatch(hub, 'pub', events);
    expect(res.status).toBe(201);
    const { results } = await res.json();
    expect(results).toHaveLength(3);
    const seqs = results.map((r: { seq: string }) => Number(r.seq));
    expect(seqs[1]).toBe(seqs[0] + 1);
    expect(seqs[2]).toBe(seqs[1] + 1);

    // One invalid event rejects the whole batch, naming its index.
    const headBefore = (await (await hub.fetch('/lists/pub')).json()).head;
    const bad = await publishBatch(hub, 'pub', [makeEvent(), { ...makeEvent(), time: 'yesterday' }, makeEvent()]);
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors.map((e: { pointer: string }) => e.pointer)).toContain('/1/time');
    // A conflicting event in a batch also rejects the whole batch.
    const conflicting = await publishBatch(hub, 'pub', [makeEvent(), { ...events[0], data: { other: 1 } }]);
    expect(conflicting.status).toBe(409);
    expect((await conflicting.json()).errors[0].pointer).toBe('/1/id');
    expect((await (await hub.fetch('/lists/pub')).json()).head).toBe(headBefore);

    // A batch repeating stored events answers them as duplicates.
    const replay = await (await publishBatch(hub, 'pub', [events[0], makeEvent()])).json();
    expect(replay.results[0]).toEqual({ seq: results[0].seq, duplicate: true });
    expect(replay.results[1].duplicate).toBe(false);
  });

  it('names every offending attribute', async () => {
    const res = await publishStructured(hub, 'pub', { specversion: '0.3', source: '', type: 5, time: '2026-13-01T00:00:00Z', Bad_Name: 'x' });
    expect(res.status).toBe(400);
    const p = await res.json();
    const pointers = p.errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/specversion', '/id', '/source', '/type', '/time']));
    expect(pointers.some((x: string) => x.toLowerCase().includes('bad_name'))).toBe(true);
  });

  it('rejects reserved herold extensions, oversize events and unsupported media', async () => {
    const reserved = await publishStructured(hub, 'pub', makeEvent({ heroldseq: '1' }));
    expect(reserved.status).toBe(400);
    expect((await reserved.json()).errors[0].pointer).toBe('/heroldseq');

    const big = await publishStructured(hub, 'pub', makeEvent({ data: { blob: 'x'.repeat(70 * 1024) } }));
    expect(big.status).toBe(413);
    expect(big.headers.get('content-type')).toContain('application/problem+json');

    const media = await hub.fetch('/lists/pub/events', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(media.status).toBe(415);
    expect(media.headers.get('content-type')).toContain('application/problem+json');
  });

  it('needs the admin key and an existing list', async () => {
    const anon = await hub.fetch('/lists/pub/events', {
      method: 'POST',
      auth: false,
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify(makeEvent()),
    });
    expect(anon.status).toBe(401);
    expect((await publishStructured(hub, 'missing', makeEvent())).status).toBe(404);
  });
});
