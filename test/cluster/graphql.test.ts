import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent } from '../helpers/hub.js';
import { TRANSPORTS, subscribeWith } from '../helpers/graphql.js';
import { Cluster, auth } from './cluster.js';

/**
 * The GraphQL door on a cluster: a subscription on node A sees, in order and
 * exactly once, the events published on node B.
 */
describe('cluster: GraphQL subscriptions across nodes', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start(2);
    expect((await fetch(`${cluster.url(0)}/lists/gql`, { method: 'PUT', headers: auth })).status).toBe(201);
  });
  afterAll(() => cluster?.close());

  it('a subscription on node A sees the events published on node B', async () => {
    const subs = TRANSPORTS.map((t) => subscribeWith(t, cluster.url(0), 'subscription { events(list: "gql", after: "0") { eventid source } }', {}));
    for (let i = 0; i < 20; i++) {
      const events = Array.from({ length: 5 }, () => makeEvent({ source: '/node/b' }));
      const res = await fetch(`${cluster.url(1)}/lists/gql/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/cloudevents-batch+json' }, body: JSON.stringify(events) });
      expect(res.status).toBe(201);
    }
    const all = Array.from({ length: 100 }, (_, i) => String(i + 1));
    for (const s of subs) {
      await s.received.until(() => s.received.eventids().length >= 100, 20_000);
      expect(s.received.eventids()).toEqual(all);
      await s.dispose();
    }
    // And queries on either node answer the same.
    const page = async (node: number) =>
      (await (await fetch(`${cluster.url(node)}/graphql`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ events(list: "gql", first: 1000) { nodes { eventid id } } }' }) })).json()).data.events.nodes;
    expect(await page(0)).toEqual(await page(1));
  });
});
