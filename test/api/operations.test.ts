import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, createList, makeEvent, publishBatch, publishStructured, startTestHub } from '../helpers/hub.js';
import { backend } from '../helpers/pg.js';

describe('operations', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
    await createList(hub, 'ops');
  });
  afterAll(() => hub.close());

  it('answers health and readiness without credentials', async () => {
    const h = await hub.fetch('/healthz', { auth: false });
    expect(h.status).toBe(200);
    expect(await h.json()).toEqual({ status: 'ok' });
    const r = await hub.fetch('/readyz', { auth: false });
    expect(await r.json()).toEqual({ status: 'ready', store: backend });
  });

  it('exposes publish counts, latency histograms, open streams and store size', async () => {
    await publishStructured(hub, 'ops', makeEvent());
    await publishBatch(hub, 'ops', [makeEvent(), makeEvent()]);
    const sse = await hub.fetch('/lists/ops/events', { headers: { accept: 'text/event-stream' } });
    const reader = sse.body!.getReader();
    await reader.read();
    const text = await (await hub.fetch('/metrics')).text();
    expect(text).toMatch(/herold_events_published_total\{list="ops"\} 3/);
    expect(text).toMatch(/herold_publish_requests_total\{status="201"\} 2/);
    expect(text).toMatch(/herold_publish_duration_seconds_bucket\{le="0\.005"\} \d+/);
    expect(text).toMatch(/herold_publish_duration_seconds_count 2/);
    expect(text).toMatch(/herold_open_streams\{kind="sse"\} 1/);
    const size = Number(/herold_store_size_bytes (\d+)/.exec(text)![1]);
    expect(size).toBeGreaterThan(0);
    await reader.cancel();
  });

  it('describes every route in /openapi.json', async () => {
    const doc = await (await hub.fetch('/openapi.json')).json();
    expect(doc.openapi).toMatch(/^3\./);
    const paths = Object.keys(doc.paths);
    const routes = hub.running.app
      .printRoutes({ commonPrefix: false })
      .split('\n')
      .filter((l) => l.includes('('));
    expect(routes.length).toBeGreaterThan(0);
    for (const p of ['/lists', '/lists/{list}', '/lists/{list}/events', '/lists/{list}/events/{seq}', '/healthz', '/readyz', '/metrics']) {
      expect(paths).toContain(p);
    }
    expect(Object.keys(doc.paths['/lists/{list}'])).toEqual(expect.arrayContaining(['get', 'put']));
    expect(Object.keys(doc.paths['/lists/{list}/events'])).toEqual(expect.arrayContaining(['get', 'post']));
    const params = doc.paths['/lists/{list}/events'].get.parameters.map((p: { name: string }) => p.name);
    expect(params).toEqual(expect.arrayContaining(['after', 'limit', 'type', 'subject', 'source', 'since', 'until', 'filter']));
  });

  it('applies lists declared in a config file at start', async () => {
    const file = join(hub.dataDir, 'herold.yaml');
    writeFileSync(file, 'lists:\n  - name: declared.people\n    title: Declared\n    description: From the config file\n');
    const other = await startTestHub({ configFile: file });
    try {
      const list = await (await other.fetch('/lists/declared.people')).json();
      expect(list).toMatchObject({ name: 'declared.people', title: 'Declared', description: 'From the config file' });
    } finally {
      await other.close();
    }
  });

  it('refuses to start with a bad config file, saying what is wrong', async () => {
    const file = join(hub.dataDir, 'bad.json');
    writeFileSync(file, JSON.stringify({ lists: [{ name: 'BAD NAME' }] }));
    await expect(startTestHub({ configFile: file })).rejects.toThrow(/lists\[0\]\.name must match/);
  });
});
