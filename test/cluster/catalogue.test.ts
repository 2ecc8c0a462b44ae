import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent } from '../helpers/hub.js';
import { Cluster, auth, json } from './cluster.js';

/**
 * Each node holds every list's catalogue in memory: a declaration or setting
 * made on one node is in force on the others (through the cluster change
 * log), and the types seen are counted on every node and added up.
 */
describe('cluster: the event type catalogue', () => {
  let cluster: Cluster;
  const put = (node: number, path: string, body: unknown) => fetch(`${cluster.url(node)}${path}`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const publish = (node: number, event: Record<string, unknown>) =>
    fetch(`${cluster.url(node)}/lists/shared/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(event) });

  beforeAll(async () => {
    cluster = await Cluster.start(2);
    expect((await put(0, '/lists/shared', {})).status).toBe(201);
  });
  afterAll(() => cluster?.close());

  it('a declaration and enforcement set on one node hold on the other', async () => {
    expect((await put(0, '/lists/shared/types/shared.v1', { schema: { type: 'object', required: ['n'] } })).status).toBe(201);
    expect((await put(0, '/lists/shared', { validate: 'enforce', discoverable: true })).status).toBe(200);
    // Node 1 applies the change when its change log reaches it: wait for that, not for a time.
    const deadline = Date.now() + 10_000;
    let view: Record<string, unknown> = {};
    while (Date.now() < deadline) {
      view = await json(await fetch(`${cluster.url(1)}/lists/shared`, { headers: auth }));
      if (view.validate === 'enforce' && (view.types as string[]).length === 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(view).toMatchObject({ validate: 'enforce', discoverable: true, types: ['shared.v1'] });
    const res = await publish(1, makeEvent({ type: 'shared.v1', data: {} }));
    expect(res.status).toBe(400);
    expect((await json(res)).errors).toEqual([expect.objectContaining({ pointer: '/data/n' })]);
    expect((await publish(1, makeEvent({ type: 'shared.v1', data: { n: 1 } }))).status).toBe(201);
    expect((await publish(0, makeEvent({ type: 'shared.v1', data: { n: 2 } }))).status).toBe(201);
  });

  it('types seen are counted on each node and added up', async () => {
    // Each node writes its counts within a few seconds; either node's answer adds what it has not written.
    const deadline = Date.now() + 15_000;
    let seen: { type: string; count: number }[] = [];
    while (Date.now() < deadline) {
      seen = (await json(await fetch(`${cluster.url(0)}/lists/shared/types`, { headers: auth }))).seen;
      if (seen[0]?.count === 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(seen).toEqual([expect.objectContaining({ type: 'shared.v1', count: 2 })]);
  });
});
