import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { parseSse, type SseMessage } from '../../src/client/sse.js';
import { ADMIN_KEY, type TestHub, createList, makeEvent, publishBatch, publishStructured, startTestHub } from '../helpers/hub.js';
import { Received, TRANSPORTS, subscribeWith, wsClient } from '../helpers/graphql.js';

const json = { 'content-type': 'application/json' };
const SUB = 'subscription ($list: String!, $after: Long, $where: EventFilter) { events(list: $list, after: $after, where: $where) { eventid type subject data } }';

/** Wait for a condition the hub exposes (no sleeps). */
async function until(pred: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('GraphQL subscriptions', () => {
  let hub: TestHub;
  const key = async (principal: string, body: Record<string, unknown> = {}) =>
    (await (await hub.fetch('/api-keys', { method: 'POST', headers: json, body: JSON.stringify({ principal, ...body }) })).json()) as { id: string; key: string };
  const grant = async (list: string, body: Record<string, unknown>) => (await (await hub.fetch(`/lists/${list}/grants`, { method: 'POST', headers: json, body: JSON.stringify(body) })).json()) as { id: string };
  const open = () => hub.running.app.streams.size;

  beforeAll(async () => {
    hub = await startTestHub({ readRate: '0', heartbeatSeconds: '1', streamStallSeconds: '1', graphqlMaxSubscriptions: '3' });
  });
  afterAll(() => hub.close());

  for (const transport of TRANSPORTS) {
    describe(transport, () => {
      it('replays from after, then follows live, in order, without gaps or repeats', async () => {
        const list = `order-${transport}`;
        await createList(hub, list);
        await publishBatch(hub, list, Array.from({ length: 5 }, () => makeEvent()));
        const s = subscribeWith(transport, hub.url, SUB, { list, after: '2' });
        await s.received.until(() => s.received.eventids().length === 3);
        for (let i = 0; i < 10; i++) await publishBatch(hub, list, Array.from({ length: 25 }, () => makeEvent()));
        await s.received.until(() => s.received.eventids().length === 253);
        expect(s.received.eventids()).toEqual(Array.from({ length: 253 }, (_, i) => String(i + 3)));
        await s.dispose();
      });

      it('without after, starts from now; where filters inside the read', async () => {
        const list = `now-${transport}`;
        await createList(hub, list);
        await publishBatch(hub, list, [makeEvent({ type: 'wanted' })]);
        const before = open();
        const s = subscribeWith(transport, hub.url, SUB, { list, where: { type: { eq: 'wanted' } } });
        await until(() => open() > before, 'the subscription to open');
        await publishBatch(hub, list, [makeEvent({ type: 'unwanted' }), makeEvent({ type: 'wanted' })]);
        await s.received.until(() => s.received.eventids().length === 1);
        expect(s.received.eventids()).toEqual(['3']);
        expect(s.received.errors()).toEqual([]);
        await s.dispose();
      });

      it('a hidden list answers like a missing one: NOT_FOUND, then complete', async () => {
        const stranger = await key(`org:stranger-${transport}`);
        await createList(hub, `secret-${transport}`);
        const hidden = subscribeWith(transport, hub.url, SUB, { list: `secret-${transport}` }, stranger.key);
        const missing = subscribeWith(transport, hub.url, SUB, { list: `nope-${transport}` }, stranger.key);
        await hidden.received.until(() => hidden.received.completed);
        await missing.received.until(() => missing.received.completed);
        const [h] = hidden.received.errors();
        const [m] = missing.received.errors();
        expect(h.extensions).toMatchObject({ code: 'NOT_FOUND' });
        expect(h.message.replace(`secret-${transport}`, 'X')).toBe(m.message.replace(`nope-${transport}`, 'X'));
        await hidden.dispose();
        await missing.dispose();
      });

      it('revoking the grant ends the subscription with FORBIDDEN and complete', async () => {
        const list = `revoke-${transport}`;
        await createList(hub, list);
        const consumer = await key(`org:revoked-${transport}`);
        const g = await grant(list, { principal: `org:revoked-${transport}` });
        await publishBatch(hub, list, [makeEvent()]);
        const s = subscribeWith(transport, hub.url, SUB, { list, after: '0' }, consumer.key);
        await s.received.until(() => s.received.eventids().length === 1);
        expect((await hub.fetch(`/grants/${g.id}`, { method: 'DELETE' })).status).toBe(204);
        await s.received.until(() => s.received.completed);
        expect(s.received.errors().map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
        // Nothing after the revocation reached it.
        await publishBatch(hub, list, [makeEvent()]);
        expect(s.received.eventids()).toEqual(['1']);
        await s.dispose();
      });

      it('revoking the key ends the subscription with FORBIDDEN and complete', async () => {
        const list = `revkey-${transport}`;
        await createList(hub, list);
        const consumer = await key(`org:revkey-${transport}`);
        await grant(list, { principal: `org:revkey-${transport}` });
        const before = open();
        const s = subscribeWith(transport, hub.url, SUB, { list }, consumer.key);
        await until(() => open() > before, 'the subscription to open');
        expect((await hub.fetch(`/api-keys/${consumer.id}`, { method: 'DELETE' })).status).toBe(204);
        await s.received.until(() => s.received.completed);
        expect(s.received.errors()[0].extensions?.code).toBe('FORBIDDEN');
        expect(s.received.errors()[0].message).toMatch(/revoked/);
        await s.dispose();
      });

      it('narrowing a grant narrows what the open subscription receives from the next event on', async () => {
        const list = `narrow-${transport}`;
        const principal = `org:narrow-${transport}`;
        await createList(hub, list);
        const consumer = await key(principal);
        const wide = await grant(list, { principal });
        await grant(list, { principal, fields: ['subject'] });
        await publishBatch(hub, list, [makeEvent({ data: { n: 1 } })]);
        const s = subscribeWith(transport, hub.url, SUB, { list, after: '0' }, consumer.key);
        await s.received.until(() => s.received.eventids().length === 1);
        expect((s.received.results[0].data!.events as { data: unknown }).data).toEqual({ n: 1 });
        await hub.fetch(`/grants/${wide.id}`, { method: 'DELETE' });
        await publishBatch(hub, list, [makeEvent({ data: { n: 2 } })]);
        await s.received.until(() => s.received.eventids().length === 2);
        const second = s.received.results.find((r) => (r.data?.events as { eventid?: string } | undefined)?.eventid === '2')!;
        expect((second.data!.events as { data: unknown; subject: string }).data).toBeNull();
        expect(second.extensions?.minimised).toEqual(['data']);
        expect(s.received.completed).toBe(false);
        expect(s.received.eventids()).toEqual(['1', '2']);
        await s.dispose();
      });

      it('refuses a subscription filter bounded above, and one on an attribute the grant does not serve', async () => {
        const list = `bad-${transport}`;
        const principal = `org:bad-${transport}`;
        await createList(hub, list);
        const consumer = await key(principal);
        await grant(list, { principal, fields: ['subject'] });
        const above = subscribeWith(transport, hub.url, SUB, { list, where: { eventid: { lt: '10' } } }, consumer.key);
        const hidden = subscribeWith(transport, hub.url, SUB, { list, where: { time: { eq: 'x' } } }, consumer.key);
        await above.received.until(() => above.received.completed);
        await hidden.received.until(() => hidden.received.completed);
        expect(above.received.errors()[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', errors: [{ pointer: '/where/eventid/lt' }] });
        expect(hidden.received.errors()[0].message).toMatch(/does not serve the attribute 'time'/);
        await above.dispose();
        await hidden.dispose();
      });
    });
  }

  it('ends a subscription with UNAUTHENTICATED and complete when its credential expires', async () => {
    await createList(hub, 'expiring');
    const expiresAt = new Date(Date.now() + 2000).toISOString();
    const consumer = await key('org:expiring', { expiresAt });
    await grant('expiring', { principal: 'org:expiring' });
    const subs = ['sse-distinct', 'ws'].map((t) => subscribeWith(t as 'ws', hub.url, SUB, { list: 'expiring' }, consumer.key));
    for (const s of subs) {
      await s.received.until(() => s.received.completed, 6000);
      expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(expiresAt));
      expect(Date.now()).toBeLessThan(Date.parse(expiresAt) + 2500);
      expect(s.received.errors()[0].extensions?.code).toBe('UNAUTHENTICATED');
      await s.dispose();
    }
  });

  it('caps open subscriptions per principal, across transports', async () => {
    await createList(hub, 'capped');
    const consumer = await key('org:capped');
    await grant('capped', { principal: 'org:capped' });
    const count = () => hub.running.app.streams.countOf('org:capped', ['graphql-sse', 'graphql-ws']);
    const held = [subscribeWith('sse-distinct', hub.url, SUB, { list: 'capped' }, consumer.key), subscribeWith('ws', hub.url, SUB, { list: 'capped' }, consumer.key), subscribeWith('sse-single', hub.url, SUB, { list: 'capped' }, consumer.key)];
    await until(() => count() === 3, 'three subscriptions');
    const fourth = subscribeWith('ws', hub.url, SUB, { list: 'capped' }, consumer.key);
    await fourth.received.until(() => fourth.received.completed);
    expect(fourth.received.errors()[0].extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'subscriptions', max: 3 });
    await held[0].dispose();
    await until(() => count() === 2, 'one to close');
    const fifth = subscribeWith('sse-distinct', hub.url, SUB, { list: 'capped' }, consumer.key);
    await until(() => count() === 3, 'a new one to open');
    for (const s of [...held.slice(1), fourth, fifth]) await s.dispose();
  });

  describe('graphql-sse on the wire', () => {
    async function stream(body: unknown, headers: Record<string, string> = {}) {
      const abort = new AbortController();
      const res = await hub.fetch('/graphql/stream', { method: 'POST', headers: { ...json, accept: 'text/event-stream', ...headers }, body: JSON.stringify(body), signal: abort.signal });
      const messages: SseMessage[] = [];
      const received = new Received();
      void (async () => {
        try {
          for await (const m of parseSse(res.body as unknown as AsyncIterable<Uint8Array>)) {
            messages.push(m);
            received.sink.next(m);
          }
        } catch {
          // aborted
        }
        received.sink.complete();
      })();
      return { res, messages, received, close: () => abort.abort() };
    }

    it('puts the eventid in the SSE id of each next message; Last-Event-ID raises after', async () => {
      await createList(hub, 'wire');
      await publishBatch(hub, 'wire', Array.from({ length: 4 }, () => makeEvent()));
      const s = await stream({ query: SUB, variables: { list: 'wire', after: '1' } });
      expect(s.res.headers.get('content-type')).toContain('text/event-stream');
      await s.received.until(() => s.messages.filter((m) => m.event === 'next').length === 3);
      const next = s.messages.filter((m) => m.event === 'next');
      expect(next.map((m) => m.id)).toEqual(['2', '3', '4']);
      expect(next.map((m) => JSON.parse(m.data).data.events.eventid)).toEqual(['2', '3', '4']);
      s.close();
      const resumed = await stream({ query: SUB, variables: { list: 'wire', after: '1' } }, { 'last-event-id': '3' });
      await resumed.received.until(() => resumed.messages.some((m) => m.event === 'next'));
      expect(resumed.messages.filter((m) => m.event === 'next').map((m) => m.id)).toEqual(['4']);
      resumed.close();
    });

    it('sends heartbeats while idle', async () => {
      await createList(hub, 'idle');
      const res = await hub.fetch('/graphql/stream', { method: 'POST', headers: { ...json, accept: 'text/event-stream' }, body: JSON.stringify({ query: SUB, variables: { list: 'idle' } }) });
      const reader = res.body!.getReader();
      let text = '';
      const deadline = Date.now() + 5000;
      while (!/\n:\n\n/.test(text) && Date.now() < deadline) text += new TextDecoder().decode((await reader.read()).value);
      expect(text).toMatch(/\n:\n\n/);
      await reader.cancel();
    });

    it('cuts off a consumer that stops reading with a final error instead of buffering', async () => {
      await createList(hub, 'flood');
      const before = hub.running.app.streams.countOf('admin', ['graphql-sse']);
      const res = await hub.fetch('/graphql/stream', { method: 'POST', headers: { ...json, accept: 'text/event-stream' }, body: JSON.stringify({ query: SUB, variables: { list: 'flood', after: '0' } }) });
      const reader = res.body!.getReader();
      const big = { blob: 'y'.repeat(30_000) };
      for (let i = 0; i < 20; i++) await publishBatch(hub, 'flood', Array.from({ length: 50 }, () => makeEvent({ data: big })));
      // Read nothing until the hub has given up on this subscription.
      await until(() => hub.running.app.streams.countOf('admin', ['graphql-sse']) === before, 'the stalled subscription to end', 20_000);
      let text = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      expect(text).toContain('CONSUMER_TOO_SLOW');
      expect(text).not.toContain('event: complete');
    });

    it('refuses a request without credentials with 401 before reading it', async () => {
      const res = await fetch(`${hub.url}/graphql/stream`, { method: 'POST', headers: { ...json, accept: 'text/event-stream' }, body: JSON.stringify({ query: SUB, variables: { list: 'wire' } }) });
      expect(res.status).toBe(401);
      expect((await res.json()).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    });

    it("single-connection streams are their owner's alone", async () => {
      const reserved = await hub.fetch('/graphql/stream', { method: 'PUT' });
      expect(reserved.status).toBe(201);
      const token = await reserved.text();
      const other = await key('org:token-thief');
      const res = await hub.fetch('/graphql/stream', { auth: false, headers: { authorization: `Bearer ${other.key}`, accept: 'text/event-stream', 'x-graphql-event-stream-token': token } });
      expect(res.status).toBe(404);
    });
  });

  describe('graphql-ws credentials', () => {
    it('takes credentials from the upgrade request when connection_init has none', async () => {
      await createList(hub, 'upgrade');
      await publishBatch(hub, 'upgrade', [makeEvent()]);
      class WithHeaders extends WebSocket {
        constructor(address: string, protocols?: string | string[]) {
          super(address, protocols, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
        }
      }
      const client = wsClient(hub.url, { key: null, webSocketImpl: WithHeaders });
      const received = new Received();
      client.subscribe({ query: SUB, variables: { list: 'upgrade', after: '0' } }, received.sink);
      await received.until(() => received.eventids().length === 1);
      await client.dispose();
    });

    it('closes with 4401 without credentials or with bad ones', async () => {
      for (const key of [null, 'not-a-key']) {
        const client = wsClient(hub.url, { key });
        const received = new Received();
        client.subscribe({ query: SUB, variables: { list: 'upgrade' } }, received.sink);
        await received.until(() => received.error !== undefined);
        expect((received.error as { code: number }).code).toBe(4401);
        await client.dispose();
      }
    });

    it('answers queries over the socket too', async () => {
      const client = wsClient(hub.url);
      const received = new Received();
      client.subscribe({ query: '{ list(name: "upgrade") { head } }' }, received.sink);
      await received.until(() => received.completed);
      expect(received.results).toEqual([{ data: { list: { head: '1' } } }]);
      await client.dispose();
    });
  });

  it('a query through graphql-sse answers once, then completes', async () => {
    const s = subscribeWith('sse-distinct', hub.url, '{ list(name: "upgrade") { head } }', {});
    await s.received.until(() => s.received.completed);
    expect(s.received.results).toEqual([{ data: { list: { head: '1' } } }]);
    await s.dispose();
    await publishStructured(hub, 'upgrade', makeEvent());
  });
});
