import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, createList, makeEvent, publishBatch, startTestHub } from '../helpers/hub.js';
import { Receiver } from '../helpers/receiver.js';

const json = { 'content-type': 'application/json' };

/**
 * What the subscription screen shows of a delivery: the attempt's request
 * headers as sent (a bearer token redacted), status, latency and response, and
 * for attempts and dead letters the event's id, type and subject exactly as
 * the subscription's owner is served them.
 */
describe('delivery attempts and dead letters name what was sent', () => {
  let hub: TestHub;
  let rx: Receiver;
  let n = 0;
  beforeAll(async () => {
    hub = await startTestHub({ egressAllow: '127.0.0.0/8', readRate: '0', publishRate: '0' });
  });
  afterAll(() => hub.close());
  afterEach(async () => rx?.close());

  const newKey = async (principal: string) => {
    const res = await hub.fetch('/api-keys', { method: 'POST', headers: json, body: JSON.stringify({ principal }) });
    expect(res.status).toBe(201);
    return (await res.json()).key as string;
  };
  const as = (key: string) => (path: string, init: RequestInit = {}) =>
    hub.fetch(path, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${key}` } });
  const subscribe = async (fetchAs: typeof hub.fetch, list: string, body: Record<string, unknown>) => {
    const res = await fetchAs(`/lists/${list}/subscriptions`, { method: 'POST', headers: json, body: JSON.stringify({ sink: rx.url, protocol: 'HTTP', ...body }) });
    const sub = await res.json();
    expect(res.status, JSON.stringify(sub)).toBe(201);
    return sub as { id: string };
  };

  it('an attempt records the request headers the receiver got, the token redacted, with status, latency, response and the event', async () => {
    const list = `record${++n}`;
    await createList(hub, list);
    rx = await Receiver.start();
    rx.respond = (_req, i) => (i === 0 ? { status: 503, body: 'try later' } : { status: 200, body: 'ok' });
    const sub = await subscribe(hub.fetch, list, { config: { retry: [0.05] }, protocolsettings: { token: 'receiver-token-1', headers: { 'x-tenant': 'oslo' } } });
    const event = makeEvent({ type: 'person.moved', subject: 'person/7' });
    await publishBatch(hub, list, [event]);
    await rx.waitFor((r) => r.received.length === 2);
    await expect.poll(async () => (await (await hub.fetch(`/subscriptions/${sub.id}/attempts`)).json()).attempts.length).toBe(2);
    const { attempts } = await (await hub.fetch(`/subscriptions/${sub.id}/attempts`)).json();
    const [ok, failed] = attempts;
    expect(failed).toMatchObject({ seq: '1', outcome: 'retry', status: 503, response: 'try later', event: { id: event.id, type: 'person.moved', subject: 'person/7' } });
    expect(ok).toMatchObject({ outcome: 'success', status: 200, response: 'ok', event: { id: event.id, type: 'person.moved', subject: 'person/7' } });
    expect(ok.latencyMs).toBeGreaterThanOrEqual(0);
    // Every header the receiver got is in the record with the same value, but the bearer token.
    for (const [i, attempt] of [failed, ok].entries()) {
      const sent = rx.received[i].headers;
      expect(attempt.requestHeaders.authorization).toBe('Bearer [redacted]');
      expect(sent.authorization).toBe('Bearer receiver-token-1');
      for (const [name, value] of Object.entries(attempt.requestHeaders as Record<string, string>)) {
        if (name !== 'authorization') expect(sent[name], name).toBe(value);
      }
      for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-type', 'user-agent', 'x-tenant']) expect(attempt.requestHeaders[name], name).toBeTypeOf('string');
    }
    expect(JSON.stringify(attempts)).not.toContain('receiver-token-1');
    expect(JSON.stringify(attempts)).not.toContain('whsec_');
  });

  it('dead letters name the event; an owner whose grant does not serve subject sees no subject, on attempts and dead letters alike', async () => {
    const list = `record${++n}`;
    await createList(hub, list, { owner: 'org:owner' });
    const consumer = as(await newKey(`org:consumer${n}`));
    // The consumer is served id and type (and the envelope), not subject or data.
    const grant = await hub.fetch(`/lists/${list}/grants`, { method: 'POST', headers: json, body: JSON.stringify({ principal: `org:consumer${n}`, fields: ['type', 'kommune'] }) });
    expect(grant.status).toBe(201);
    rx = await Receiver.start();
    rx.respond = () => ({ status: 400, body: 'no such person' });
    const mine = await subscribe(consumer, list, { config: { start: '0' } });
    const admins = await subscribe(hub.fetch, list, { config: { start: '0' } });
    const events = [makeEvent({ type: 'person.born', subject: 'person/1', kommune: '0301' }), makeEvent({ type: 'person.died', subject: 'person/2', kommune: '4601' })];
    await publishBatch(hub, list, events);
    for (const sub of [mine, admins]) await expect.poll(async () => (await (await hub.fetch(`/subscriptions/${sub.id}/deadletters`)).json()).deadletters.length).toBe(2);

    // The consumer's subscription, read by the consumer and by an admin: what the consumer is served.
    for (const fetchAs of [consumer, hub.fetch]) {
      const { deadletters } = await (await fetchAs(`/subscriptions/${mine.id}/deadletters`)).json();
      expect(deadletters.map((d: { seq: string; event: unknown }) => [d.seq, d.event])).toEqual([
        ['1', { id: events[0].id, type: 'person.born' }],
        ['2', { id: events[1].id, type: 'person.died' }],
      ]);
      expect(deadletters[0]).toMatchObject({ reason: expect.stringMatching(/not retried/), lastStatus: 400, lastResponse: 'no such person' });
      const { attempts } = await (await fetchAs(`/subscriptions/${mine.id}/attempts`)).json();
      expect(attempts.map((a: { event: unknown }) => a.event)).toEqual([
        { id: events[1].id, type: 'person.died' },
        { id: events[0].id, type: 'person.born' },
      ]);
      expect(JSON.stringify({ deadletters, attempts })).not.toContain('person/');
    }
    // What the receiver got for the consumer carried no subject either.
    const toConsumer = rx.received.filter((r) => !('subject' in JSON.parse(r.body)));
    expect(toConsumer).toHaveLength(2);
    // The admin's own subscription is served everything.
    const { deadletters } = await (await hub.fetch(`/subscriptions/${admins.id}/deadletters`)).json();
    expect(deadletters.map((d: { event: unknown }) => d.event)).toEqual([
      { id: events[0].id, type: 'person.born', subject: 'person/1' },
      { id: events[1].id, type: 'person.died', subject: 'person/2' },
    ]);

    // Once the grant is revoked the owner is served nothing: the names go too (the rows stay).
    const grantId = (await grant.json()).id;
    expect((await hub.fetch(`/grants/${grantId}`, { method: 'DELETE' })).status).toBe(204);
    const after = await (await hub.fetch(`/subscriptions/${mine.id}/deadletters`)).json();
    expect(after.deadletters.map((d: { seq: string; event: unknown }) => [d.seq, d.event])).toEqual([
      ['1', null],
      ['2', null],
    ]);
  });

  it('a test event answers with the request headers it sent', async () => {
    const list = `record${++n}`;
    await createList(hub, list);
    rx = await Receiver.start();
    const sub = await subscribe(hub.fetch, list, {});
    const res = await hub.fetch(`/subscriptions/${sub.id}/test`, { method: 'POST' });
    expect(res.status).toBe(200);
    const tested = await res.json();
    expect(tested.requestHeaders['webhook-id']).toBe(tested.id);
    expect(tested.requestHeaders['webhook-signature']).toBe(rx.received.at(-1)!.headers['webhook-signature']);
  });
});
