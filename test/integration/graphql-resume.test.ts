import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ChildHub, auth, freePort, startChildHub } from '../helpers/child-hub.js';
import { ADMIN_KEY, makeEvent } from '../helpers/hub.js';
import { Received, sseClient, wsClient } from '../helpers/graphql.js';

const SUB = 'subscription ($after: Long) { events(list: "resume", after: $after) { eventid } }';
const quickRetry = async () => new Promise<void>((r) => setTimeout(r, 200));

async function publish(url: string, n: number): Promise<void> {
  const res = await fetch(`${url}/lists/resume/events`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/cloudevents-batch+json' },
    body: JSON.stringify(Array.from({ length: n }, () => makeEvent())),
  });
  expect(res.status).toBe(201);
}

/**
 * Kill the hub mid-subscription and start it again: each stock client's own
 * retry resumes exactly where it stopped, with no gap and no duplicate. The
 * graphql-sse client sends the last eventid it saw as Last-Event-ID; the
 * graphql-ws client resubscribes with the variables it holds, whose `after`
 * the consumer keeps at the last eventid it saw.
 */
describe('GraphQL subscriptions resume across a hub restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'herold-gql-resume-'));
  let hub: ChildHub | undefined;
  afterAll(async () => {
    await hub?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('SSE (both modes) and WebSocket clients get every event exactly once', async () => {
    const port = await freePort();
    hub = await startChildHub(dataDir, port);
    const url = hub.url;
    expect((await fetch(`${url}/lists/resume`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' })).status).toBe(201);
    await publish(url, 10);

    const clients: { name: string; received: Received; dispose: () => Promise<void> | void }[] = [];
    for (const singleConnection of [false, true]) {
      let last = '0';
      const received = new Received();
      const client = sseClient(url, {
        singleConnection,
        retryAttempts: 50,
        retry: quickRetry,
        headers: () => ({ authorization: `Bearer ${ADMIN_KEY}`, 'last-event-id': last }),
      });
      client.subscribe({ query: SUB, variables: { after: '0' } }, {
        ...received.sink,
        next: (r) => {
          const id = (r as { data?: { events?: { eventid: string } } }).data?.events?.eventid;
          if (id) last = id;
          received.sink.next(r);
        },
      });
      clients.push({ name: singleConnection ? 'sse-single' : 'sse-distinct', received, dispose: () => client.dispose() });
    }
    {
      const variables = { after: '0' };
      const received = new Received();
      const client = wsClient(url, { retryAttempts: 50, retryWait: quickRetry, shouldRetry: () => true });
      client.subscribe({ query: SUB, variables }, {
        ...received.sink,
        next: (r) => {
          const id = (r as { data?: { events?: { eventid: string } } }).data?.events?.eventid;
          if (id) variables.after = id;
          received.sink.next(r);
        },
      });
      clients.push({ name: 'ws', received, dispose: () => client.dispose() });
    }

    for (const c of clients) await c.received.until(() => c.received.eventids().length === 10);
    await publish(url, 5);
    for (const c of clients) await c.received.until(() => c.received.eventids().length === 15);

    await hub.kill('SIGKILL');
    hub = await startChildHub(dataDir, port);
    await publish(url, 10);
    for (const c of clients) await c.received.until(() => c.received.eventids().length >= 25, 30_000);
    await publish(url, 5);
    for (const c of clients) await c.received.until(() => c.received.eventids().length >= 30, 30_000);

    const all = Array.from({ length: 30 }, (_, i) => String(i + 1));
    for (const c of clients) {
      expect(c.received.eventids(), c.name).toEqual(all);
      expect(c.received.completed, c.name).toBe(false);
      await c.dispose();
    }
  }, 90_000);
});
