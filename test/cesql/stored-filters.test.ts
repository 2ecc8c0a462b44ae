/**
 * Nothing a caller stores can make the hub fail to start (DESIGN.md
 * invariant 10). A filter stored under older rules may fail today's CESQL
 * budget: its subscription is disabled with the reason, and its grant lets
 * no event through (never every event), each logged. The hostile rows are
 * written straight into the SQLite store, as an older version would have
 * left them, between two starts of a real hub.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { startHub } from '../../src/server.js';
import { openStore } from '../../src/store/open-store.js';
import { ADMIN_KEY, createList, makeEvent, publishStructured, startTestHub } from '../helpers/hub.js';
import { Receiver } from '../helpers/receiver.js';
import { CONSTANT_BOMBS } from './hostile.js';

const json = { 'content-type': 'application/json' };
const BOMB = CONSTANT_BOMBS['LOWER(CONCAT_WS(...)) pinning memory']!;

describe('a stored filter over the budget', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'herold-stored-filters-'));
  // This test edits SQLite rows directly, so it runs on SQLite whatever the suite's store.
  const settings = { dataDir, databaseUrl: '', egressAllow: '127.0.0.0/8', readRate: '0', publishRate: '0' };
  let receiver: Receiver | undefined;
  afterAll(async () => {
    await receiver?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('disables its subscription and empties its grant at start, instead of failing the start', async () => {
    // 1. A hub as an older version left it: a consumer with a grant and a subscription, and an event it may see.
    receiver = await Receiver.start();
    const before = await startTestHub(settings);
    await createList(before, 'stored', { owner: 'org:owner' });
    const key = (await (await before.fetch('/api-keys', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:cms' }) })).json()).key;
    const asConsumer = { authorization: `Bearer ${key}` };
    expect((await before.fetch('/lists/stored/grants', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:cms', filter: "subject = 'person/1'" }) })).status).toBe(201);
    const created = await before.fetch('/lists/stored/subscriptions', { method: 'POST', headers: { ...json, ...asConsumer }, body: JSON.stringify({ sink: receiver.url, filters: [{ sql: "type = 'test.changed'" }] }) });
    expect(created.status).toBe(201);
    const subscription = (await created.json()).id as string;
    expect((await publishStructured(before, 'stored', makeEvent({ subject: 'person/1' }))).status).toBe(201);
    const seen = await (await before.fetch('/lists/stored/events', { headers: asConsumer })).json();
    expect(seen.events).toHaveLength(1);
    await before.close();

    // 2. Their filters become hostile ones, as stored before today's budget existed.
    const store = openStore(resolveConfig(settings));
    await store.open();
    const record = (await store.getSubscription(subscription))!;
    await store.updateSubscription({ ...record, spec: { ...(record.spec as object), filters: [{ sql: BOMB }] } });
    const grant = (await store.listGrants()).find((g) => g.list === 'stored')!;
    await store.deleteGrant(grant.id);
    await store.createGrant({ ...grant, filter: BOMB });
    await store.close();

    // 3. The hub starts, says why in its log, and narrows instead of widening.
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const started = performance.now();
    const after = await startHub(resolveConfig({ ...settings, port: '0', adminKey: ADMIN_KEY, sync: 'normal' }), logger);
    try {
      expect(performance.now() - started).toBeLessThan(10_000);
      const admin = { authorization: `Bearer ${ADMIN_KEY}` };
      const view = await (await fetch(`${after.url}/subscriptions/${subscription}`, { headers: admin })).json();
      expect(view.status).toBe('disabled');
      expect(view.disabledReason).toMatch(/^Its filters no longer compile: .*CONCAT_WS builds a string of up to [\d,]+ characters; the limit is 262,144/);
      // The grant is still there (its owner can see and replace it) but lets nothing through.
      const grants = await (await fetch(`${after.url}/lists/stored/grants`, { headers: admin })).json();
      expect(grants.grants).toEqual([expect.objectContaining({ id: grant.id, filter: BOMB })]);
      const read = await fetch(`${after.url}/lists/stored/events`, { headers: { authorization: `Bearer ${key}` } });
      expect(read.status).toBe(200);
      expect((await read.json()).events).toEqual([]);
      const logged = lines.map((l) => JSON.parse(l) as { msg: string; grant?: string; subscription?: string });
      expect(logged).toContainEqual(expect.objectContaining({ msg: 'grant filter no longer compiles: the grant lets no event through', grant: grant.id }));
      expect(logged).toContainEqual(expect.objectContaining({ msg: 'subscription disabled', subscription }));
    } finally {
      await after.close();
    }
  });
});
