import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent } from '../helpers/hub.js';
import { Cluster, auth, json } from './cluster.js';

/**
 * A list deleted through one node is gone on every node: each holds the
 * names of the lists it has seen, and forgets a deleted one when the cluster
 * change log reaches it. Re-created through another node, the list continues
 * after the deleted head.
 */
describe('cluster: deleting a list', () => {
  let cluster: Cluster;
  const call = (node: number, method: string, path: string, body?: unknown) =>
    fetch(`${cluster.url(node)}${path}`, {
      method,
      headers: body === undefined ? auth : { ...auth, 'content-type': 'application/cloudevents+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    cluster = await Cluster.start(2);
  });
  afterAll(() => cluster?.close());

  it('the other node answers 404 once the change reaches it, and a re-created list continues after the deleted head', async () => {
    expect((await call(0, 'PUT', '/lists/doomed')).status).toBe(201);
    for (let i = 0; i < 3; i++) expect((await call(0, 'POST', '/lists/doomed/events', makeEvent())).status).toBe(201);
    // Node 1 knows the list (and caches that it exists).
    expect((await call(1, 'GET', '/lists/doomed/events')).status).toBe(200);
    expect((await call(0, 'DELETE', '/lists/doomed')).status).toBe(204);
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await call(1, 'GET', '/lists/doomed/events')).status;
      if (status === 404) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(404);
    expect((await call(1, 'POST', '/lists/doomed/events', makeEvent())).status).toBe(404);
    expect((await call(0, 'PUT', '/lists/doomed')).status).toBe(201);
    expect(await json(await call(0, 'POST', '/lists/doomed/events', makeEvent()))).toEqual({ seq: '4' });
    // Node 1 read the old list before: it reads the new one, not the old one's (deleted) rows.
    const page = await json(await call(1, 'GET', '/lists/doomed/events'));
    expect((page.events as { heroldseq: string }[]).map((e) => e.heroldseq)).toEqual(['4']);
    expect(await json(await call(1, 'POST', '/lists/doomed/events', makeEvent()))).toEqual({ seq: '5' });
  });
});
