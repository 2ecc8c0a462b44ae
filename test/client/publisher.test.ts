import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoGuard, causedBy } from '../../src/client/causation.js';
import { HeroldClient } from '../../src/client/client.js';
import { EchoError, PublishError } from '../../src/client/errors.js';
import { PostgresOutbox } from '../../src/client/outbox.js';
import { Publisher } from '../../src/client/publisher.js';
import type { ServedEvent } from '../../src/client/types.js';
import { type ChildHub, auth, freePort, startChildHub } from '../helpers/child-hub.js';
import { ADMIN_KEY, type TestHub, createList, startTestHub } from '../helpers/hub.js';
import { admin, recordingFetch } from './helpers.js';
import { clientPgUrl, pgSchema } from './pg.js';

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(() => hub.close());

async function everything(url: string, list: string): Promise<ServedEvent[]> {
  const { events } = await new HeroldClient({ url, key: ADMIN_KEY }).exportEvents(list);
  const out: ServedEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

const event = (n: number) => ({ source: '/hr', type: 'person.changed', subject: `person/${n}`, data: { n } });

describe('Publisher', () => {
  it('batches by size and linger, keeps the order, and flush waits for the hub', async () => {
    await createList(hub, 'p.batch');
    const rec = recordingFetch();
    const publisher = new Publisher({ url: hub.url, ...admin, list: 'p.batch', batchSize: 100, lingerMs: 20, fetch: rec.fetch });
    const receipts = [];
    for (let i = 0; i < 250; i++) receipts.push(await publisher.publish(event(i)));
    await publisher.flush();
    expect(rec.requests.length).toBe(3);
    expect((await receipts[249]!.stored).seq).toBe('250');
    const stored = await everything(hub.url, 'p.batch');
    expect(stored.map((e) => e.id)).toEqual(receipts.map((r) => r.id));
    await publisher.close();
    await expect(publisher.publish(event(1))).rejects.toThrow(/closed/);
  });

  it('a full queue makes publish wait (backpressure)', async () => {
    await createList(hub, 'p.pressure');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = (async (url: string | URL | Request, init?: RequestInit) => {
      await gate;
      return fetch(url, init);
    }) as typeof fetch;
    const publisher = new Publisher({ url: hub.url, ...admin, list: 'p.pressure', batchSize: 5, maxQueue: 10, lingerMs: 1, fetch: slow });
    for (let i = 0; i < 10; i++) await publisher.publish(event(i));
    let eleventh = false;
    const waiting = publisher.publish(event(10)).then(() => (eleventh = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(eleventh).toBe(false);
    expect(publisher.pending).toBe(10);
    release();
    await waiting;
    await publisher.close();
    expect((await everything(hub.url, 'p.pressure')).length).toBe(11);
  });

  it('events the hub refuses are isolated: the rest of their batch is stored, flush reports them', async () => {
    await createList(hub, 'p.refused');
    const publisher = new Publisher({ url: hub.url, ...admin, list: 'p.refused', batchSize: 10, lingerMs: 1 });
    const good = await publisher.publish(event(1));
    const bad = await publisher.publish({ source: '/hr', type: 'x', time: 'yesterday' });
    const alsoGood = await publisher.publish(event(2));
    const error = await publisher.flush().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).failures.map((f) => f.event.id)).toEqual([bad.id]);
    expect((error as PublishError).message).toMatch(/not an RFC 3339 timestamp.*Fix the events/);
    await expect(bad.stored).rejects.toThrow(/400/);
    expect((await everything(hub.url, 'p.refused')).map((e) => e.id)).toEqual([good.id, alsoGood.id]);
    await publisher.close();
  });

  it('refuses to publish an echo of this system’s own change', async () => {
    const publisher = new Publisher({ url: hub.url, ...admin, list: 'p.batch', echoGuard: new EchoGuard('/hr') });
    const cmsChange = causedBy({ id: 'cms-1', source: '/cms', type: 'page.updated' }, { id: 'hr-1', source: '/hr' });
    await expect(publisher.publish(causedBy(event(1), cmsChange))).rejects.toThrow(EchoError);
    await publisher.close();
  });
});

describe('a publisher across a hub killed with SIGKILL and started again', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'herold-pub-restart-'));
  let child: ChildHub | undefined;
  afterAll(async () => {
    if (child && child.process.exitCode === null && child.process.signalCode === null) await child.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses nothing and stores nothing twice', async () => {
    const port = await freePort();
    child = await startChildHub(dataDir, port);
    await fetch(`${child.url}/lists/people`, { method: 'PUT', headers: auth });
    const publisher = new Publisher({ url: child.url, key: ADMIN_KEY, list: 'people', batchSize: 50, lingerMs: 2, maxQueue: 200, backoff: { initialMs: 50, maxMs: 500 } });
    const ids: string[] = [];
    let storedCount = 0;
    const producing = (async () => {
      for (let i = 0; i < 3000; i++) {
        const r = await publisher.publish(event(i));
        ids.push(r.id);
        void r.stored.then(() => storedCount++);
      }
    })();
    while (storedCount < 500) await new Promise((r) => setTimeout(r, 10));
    await child.kill('SIGKILL');
    const atKill = storedCount;
    await new Promise((r) => setTimeout(r, 300));
    child = await startChildHub(dataDir, port);
    await producing;
    await publisher.close();
    expect(atKill).toBeLessThan(3000);
    const stored = await everything(child.url, 'people');
    expect(stored.length).toBe(3000);
    expect(stored.map((e) => e.id)).toEqual(ids);
    expect(stored.map((e) => e.heroldseq)).toEqual(Array.from({ length: 3000 }, (_, i) => String(i + 1)));
  });
});

describe('PostgresOutbox', async () => {
  const base = await clientPgUrl();
  it.skipIf(!base)('publishes what committed, in order, not what rolled back; a relay that dies before marking duplicates nothing', async () => {
    const { url, drop } = await pgSchema(base!);
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    try {
      await createList(hub, 'p.outbox');
      await pool.query('CREATE TABLE people (id int PRIMARY KEY, name text)');
      const outbox = new PostgresOutbox({ pool });
      await outbox.install();
      const change = async (id: number, name: string, commit: boolean) => {
        const tx = await pool.connect();
        try {
          await tx.query('BEGIN');
          await tx.query('INSERT INTO people (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = $2', [id, name]);
          const r = await outbox.add(tx, 'p.outbox', { source: '/hr', type: 'person.changed', subject: `person/${id}` });
          await tx.query(commit ? 'COMMIT' : 'ROLLBACK');
          return r.id;
        } finally {
          tx.release();
        }
      };
      const committed = [await change(1, 'Kari', true), await change(2, 'Ola', true)];
      await change(3, 'Per', false);
      const abort = new AbortController();
      const relay = outbox.relay({ url: hub.url, ...admin, pollMs: 5000, signal: abort.signal });
      const waitForHub = async (n: number) => {
        for (let i = 0; i < 200 && (await everything(hub.url, 'p.outbox')).length < n; i++) await new Promise((r) => setTimeout(r, 25));
      };
      await waitForHub(2);
      // Committed while the relay waits: NOTIFY wakes it (long before its 5 s poll).
      committed.push(await change(4, 'Liv', true));
      await waitForHub(3);
      abort.abort();
      await relay;
      expect((await everything(hub.url, 'p.outbox')).map((e) => e.id)).toEqual(committed);
      expect(await outbox.pending()).toBe(0);
      // The relay "died" after publishing, before marking: the rows go out again, and the hub has each once.
      await pool.query('UPDATE herold_outbox SET sent_at = NULL');
      const again = new AbortController();
      const second = outbox.relay({ url: hub.url, ...admin, pollMs: 20, signal: again.signal });
      for (let i = 0; i < 200 && (await outbox.pending()) > 0; i++) await new Promise((r) => setTimeout(r, 25));
      again.abort();
      await second;
      const stored = await everything(hub.url, 'p.outbox');
      expect(stored.map((e) => e.id)).toEqual(committed);
      expect((await pool.query('SELECT seq::text FROM herold_outbox ORDER BY pos')).rows.map((r) => r.seq)).toEqual(['1', '2', '3']);
    } finally {
      await pool.end();
      await drop();
    }
  });
});
