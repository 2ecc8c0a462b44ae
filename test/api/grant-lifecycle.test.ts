import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, createList, makeEvent, publishBatch, startTestHub } from '../helpers/hub.js';
import { Receiver } from '../helpers/receiver.js';
import { type Caller, answer, caller, expectSameAnswer, openSse, post, pull, until } from '../helpers/attacker.js';

/**
 * Issue 12, "Lifecycle routes": a grant is read, changed and ended by its id;
 * it may end by itself (`expiresAt`), and the hub enforces that end on every
 * channel within a second. Access requests carry a legal basis, the fields
 * wished and a wished end, and are read by id. Whoever may not know of a
 * grant or a request gets exactly the answer for one that does not exist.
 */
describe('grants and access requests by id', () => {
  let hub: TestHub;
  let owner: Caller;
  let consumer: Caller;
  let stranger: Caller;
  const list = 'lifecycle-people';
  const json = { 'content-type': 'application/json' };
  const patch = (who: Caller | TestHub, id: string, body: unknown) => who.fetch(`/grants/${id}`, { method: 'PATCH', headers: json, body: JSON.stringify(body) });

  beforeAll(async () => {
    hub = await startTestHub({ readRate: '0', egressAllow: '127.0.0.0/8', heartbeatSeconds: '30' });
    owner = await caller(hub, 'org:lc-owner');
    consumer = await caller(hub, 'org:lc-consumer');
    stranger = await caller(hub, 'org:lc-stranger');
    // Discoverable: a consumer without a grant may find it and ask for access.
    await createList(hub, list, { owner: owner.principal, discoverable: true });
    await publishBatch(hub, list, [makeEvent({ kommune: '0301' }), makeEvent({ kommune: '4601' }), makeEvent({ kommune: '0301' })]);
  });
  afterAll(() => hub.close());

  it('GET /grants/{id}: the owner and the consumer read it; a stranger gets exactly the answer for a missing grant', async () => {
    const grant = await post(owner, `/lists/${list}/grants`, { principal: consumer.principal, fields: ['id', 'subject'] });
    for (const who of [owner, consumer]) {
      const res = await who.fetch(`/grants/${grant.id}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ id: grant.id, list, principal: consumer.principal, fields: ['id', 'subject'], expiresAt: null, active: true });
    }
    const missing = 'grant_' + '0'.repeat(32);
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const init = { method, headers: json, ...(method === 'PATCH' && { body: JSON.stringify({ fields: ['id'] }) }) };
      expectSameAnswer(await answer(await stranger.fetch(`/grants/${grant.id}`, init)), await answer(await stranger.fetch(`/grants/${missing}`, init)), [grant.id as string, missing], `${method} as a stranger`);
    }
    // The stranger's probes changed nothing.
    expect((await (await owner.fetch(`/grants/${grant.id}`)).json()).fields).toEqual(['id', 'subject']);
    await hub.fetch(`/grants/${grant.id}`, { method: 'DELETE' });
  });

  it('PATCH /grants/{id}: the owner narrows a grant and it applies at once; the consumer may not change its own grant; bad input changes nothing', async () => {
    const grant = await post(owner, `/lists/${list}/grants`, { principal: consumer.principal });
    expect((await pull(consumer, `/lists/${list}/events`)).length).toBe(3);
    const s = await openSse(consumer, `/lists/${list}/events`);
    await until(() => s.events().length === 3, 5000, 'the replay');

    const narrowed = await patch(owner, grant.id as string, { filter: "kommune = '0301'", fields: ['id', 'kommune'] });
    expect(narrowed.status).toBe(200);
    expect(await narrowed.json()).toMatchObject({ id: grant.id, filter: "kommune = '0301'", fields: ['id', 'kommune'] });
    // The open stream closes (the consumer reconnects under the narrower grant) and pulls see the narrowing.
    await until(() => s.ended() !== undefined, 2000, 'the stream to close after the change');
    const events = await pull(consumer, `/lists/${list}/events`);
    expect(events.map((e) => e.kommune)).toEqual(['0301', '0301']);
    expect(events.every((e) => e.data === undefined && e.subject === undefined)).toBe(true);

    // The consumer may know of its grant, but not change it.
    const own = await patch(consumer, grant.id as string, { filter: null });
    expect(own.status).toBe(403);
    for (const bad of [{ fields: ['Not A Field'] }, { filter: 'kommune = ' }, { expiresAt: '2000-01-01T00:00:00Z' }, { expiresAt: '2026-02-30T00:00:00Z' }, {}, { principal: 'org:lc-stranger' }]) {
      const res = await patch(owner, grant.id as string, bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect(await (await owner.fetch(`/grants/${grant.id}`)).json()).toMatchObject({ filter: "kommune = '0301'", fields: ['id', 'kommune'], expiresAt: null });
    // null widens again: every event, every field.
    expect(await (await patch(owner, grant.id as string, { filter: null, fields: null })).json()).toMatchObject({ filter: null, fields: null });
    expect((await pull(consumer, `/lists/${list}/events`)).length).toBe(3);
    await hub.fetch(`/grants/${grant.id}`, { method: 'DELETE' });
  });

  it('a grant with expiresAt ends by itself: its stream closes within a second, reads answer like a hidden list, subscriptions pause', async () => {
    const rx = await Receiver.start();
    try {
      const expiresAt = Date.now() + 2500;
      const created = await owner.fetch(`/lists/${list}/grants`, { method: 'POST', headers: json, body: JSON.stringify({ principal: consumer.principal, expiresAt: new Date(expiresAt).toISOString() }) });
      expect(created.status).toBe(201);
      const grant = await created.json();
      expect(grant).toMatchObject({ expiresAt: new Date(expiresAt).toISOString(), active: true });
      const sub = (await post(consumer, `/lists/${list}/subscriptions`, { sink: rx.url, config: { start: 'head' } })).id as string;
      const s = await openSse(consumer, `/lists/${list}/events`);
      await until(() => s.events().length === 3, 5000, 'the replay');

      await until(() => s.ended() !== undefined, 6000, 'the stream to end at the expiry');
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
      expect(s.ended()! - expiresAt).toBeLessThan(1000);
      await until(async () => (await (await hub.fetch(`/subscriptions/${sub}`)).json()).status === 'disabled', 2000, 'the subscription to pause');

      // Now the list is hidden from the consumer again: exactly like a list that does not exist.
      expectSameAnswer(await answer(await consumer.fetch(`/lists/${list}/events`)), await answer(await consumer.fetch('/lists/no-such-list/events')), [list, 'no-such-list'], 'read after expiry');
      // The grant is kept for the record, inactive; the owner may give it a new end.
      expect(await (await owner.fetch(`/grants/${grant.id}`)).json()).toMatchObject({ active: false });
      const renewed = await patch(owner, grant.id, { expiresAt: null });
      expect(await renewed.json()).toMatchObject({ active: true, expiresAt: null });
      expect((await pull(consumer, `/lists/${list}/events`)).length).toBe(3);
      await hub.fetch(`/subscriptions/${sub}`, { method: 'DELETE' });
      await hub.fetch(`/grants/${grant.id}`, { method: 'DELETE' });
    } finally {
      await rx.close();
    }
  });

  it('access requests carry legal basis, fields and a wished end; approval as asked makes them the grant; GET by id for those who may know', async () => {
    const until = new Date(Date.now() + 86_400_000).toISOString();
    const filed = await consumer.fetch(`/lists/${list}/access-requests`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ purpose: 'Case handling', legalBasis: 'forvaltningsloven § 17', filter: "kommune = '0301'", fields: ['id', 'kommune'], until }),
    });
    expect(filed.status).toBe(201);
    const r = await filed.json();
    expect(r).toMatchObject({ legalBasis: 'forvaltningsloven § 17', fields: ['id', 'kommune'], until, status: 'pending' });
    expect(filed.headers.get('location')).toBe(`/access-requests/${r.id}`);
    for (const who of [consumer, owner]) expect(await (await who.fetch(`/access-requests/${r.id}`)).json()).toEqual(r);

    const missing = 'areq_' + '0'.repeat(32);
    expectSameAnswer(await answer(await stranger.fetch(`/access-requests/${r.id}`)), await answer(await stranger.fetch(`/access-requests/${missing}`)), [r.id, missing], 'GET a request as a stranger');

    const approved = await post(owner, `/access-requests/${r.id}/approve`, {});
    expect(approved.grant).toMatchObject({ filter: "kommune = '0301'", fields: ['id', 'kommune'], expiresAt: until, active: true });
    expect(await (await consumer.fetch(`/access-requests/${r.id}`)).json()).toMatchObject({ status: 'approved', grantId: (approved.grant as { id: string }).id });
    await hub.fetch(`/grants/${(approved.grant as { id: string }).id}`, { method: 'DELETE' });

    // Bad wishes are refused and store nothing.
    const before = (await (await owner.fetch(`/access-requests?list=${list}`)).json()).requests.length;
    for (const bad of [{ purpose: 'x', fields: 'all' }, { purpose: 'Case handling', until: '2000-01-01T00:00:00Z' }, { purpose: 'Case handling', legalBasis: '' }]) {
      const res = await consumer.fetch(`/lists/${list}/access-requests`, { method: 'POST', headers: json, body: JSON.stringify(bad) });
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    expect((await (await owner.fetch(`/access-requests?list=${list}`)).json()).requests.length).toBe(before);
  });

  it('approval may narrow the end, or remove it with null', async () => {
    const r = await post(consumer, `/lists/${list}/access-requests`, { purpose: 'Statistics', until: new Date(Date.now() + 86_400_000).toISOString() });
    const end = new Date(Date.now() + 3_600_000).toISOString();
    const approved = await post(owner, `/access-requests/${r.id}/approve`, { expiresAt: end });
    expect((approved.grant as { expiresAt: string }).expiresAt).toBe(end);
    await hub.fetch(`/grants/${(approved.grant as { id: string }).id}`, { method: 'DELETE' });
    const r2 = await post(consumer, `/lists/${list}/access-requests`, { purpose: 'Statistics', until: new Date(Date.now() + 86_400_000).toISOString() });
    const open = await post(owner, `/access-requests/${r2.id}/approve`, { expiresAt: null });
    expect((open.grant as { expiresAt: string | null }).expiresAt).toBeNull();
    await hub.fetch(`/grants/${(open.grant as { id: string }).id}`, { method: 'DELETE' });
  });
});
