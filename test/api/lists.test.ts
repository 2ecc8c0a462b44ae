import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, startTestHub } from '../helpers/hub.js';

describe('event lists', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(() => hub.close());

  const put = (name: string, body?: unknown, auth = true) =>
    hub.fetch(`/lists/${name}`, {
      method: 'PUT',
      auth,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('creates with 201, updates with 200, and describes with head', async () => {
    const created = await put('people', { title: 'People', description: 'Person changes' });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/lists/people');
    expect(await created.json()).toMatchObject({ name: 'people', title: 'People', description: 'Person changes', head: '0' });

    const updated = await put('people', { title: 'Persons' });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({ title: 'Persons', description: 'Person changes' });

    const got = await hub.fetch('/lists/people');
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ name: 'people', title: 'Persons', head: '0' });
  });

  it('creates a list with no body at all', async () => {
    const res = await put('bare');
    expect(res.status).toBe(201);
    expect((await res.json()).title).toBeNull();
  });

  it('lists the lists', async () => {
    await put('buildings', { title: 'Buildings' });
    const body = await (await hub.fetch('/lists')).json();
    const names = body.lists.map((l: { name: string }) => l.name);
    expect(names).toEqual(expect.arrayContaining(['people', 'buildings']));
    for (const l of body.lists) expect(typeof l.head).toBe('string');
  });

  it('rejects bad names and bodies with problem+json and changes nothing', async () => {
    for (const name of ['UPPER', '-dash', 'a'.repeat(129), 'sp%20ace']) {
      const res = await put(name, {});
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      const p = await res.json();
      expect(p).toMatchObject({ status: 400, title: expect.any(String), detail: expect.any(String) });
    }
    const res = await put('typed', { title: 5, retentionDays: -1, extra: true });
    expect(res.status).toBe(400);
    const p = await res.json();
    const pointers = p.errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/title', '/retentionDays', '/extra']));
    expect((await hub.fetch('/lists/typed')).status).toBe(404);
  });

  it('needs the admin key to write', async () => {
    const anon = await put('secret', {}, false);
    expect(anon.status).toBe(401);
    expect(anon.headers.get('www-authenticate')).toBe('Bearer');
    const wrong = await hub.fetch('/lists/secret', { method: 'PUT', auth: false, headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect((await hub.fetch('/lists/secret')).status).toBe(404);
  });

  it('answers 404 problem for unknown lists and routes', async () => {
    const res = await hub.fetch('/lists/nope');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect((await hub.fetch('/no/such/route')).status).toBe(404);
  });
});

describe('retention', () => {
  it('deletes events older than retentionDays; seqs are never reused', async () => {
    const { startTestHub: start, createList: create, makeEvent, publishBatch } = await import('../helpers/hub.js');
    const hub = await start();
    try {
      await create(hub, 'short', { retentionDays: 1 });
      await create(hub, 'forever');
      const events = [makeEvent(), makeEvent(), makeEvent()];
      await publishBatch(hub, 'short', events);
      await publishBatch(hub, 'forever', [makeEvent()]);
      // Nothing is a day old yet.
      expect(await hub.running.hub.applyRetention()).toEqual([]);
      // Two days later.
      expect(await hub.running.hub.applyRetention(Date.now() + 2 * 86_400_000)).toEqual([{ list: 'short', deleted: 3 }]);
      const page = await (await hub.fetch('/lists/short/events')).json();
      expect(page).toMatchObject({ events: [], next: '3', head: '3' });
      expect((await hub.fetch('/lists/short/events/2')).status).toBe(404);
      expect((await (await hub.fetch('/lists/forever/events')).json()).events).toHaveLength(1);
      const next = await (await publishBatch(hub, 'short', [makeEvent()])).json();
      expect(next.results[0].seq).toBe('4');
    } finally {
      await hub.close();
    }
  });
});
