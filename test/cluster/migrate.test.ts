import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, type ChildHub, freePort, startChildHub } from '../helpers/child-hub.js';
import { makeEvent } from '../helpers/hub.js';
import { Receiver } from '../helpers/receiver.js';
import { dropSchema, freshSchema, urlForSchema } from '../helpers/pg.js';
import { auth, clusterDatabaseUrl, json } from './cluster.js';

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, HEROLD_DATABASE_URL: '', HEROLD_DATA_DIR: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * `herold migrate`, `herold export` and `herold import` move a hub's data
 * between SQLite and PostgreSQL and back: the same events with the same
 * seqs, commit times and heroldprevseq; idempotency, keys, grants and
 * subscriptions keep working on the other side.
 */
describe('moving a hub between SQLite and PostgreSQL', () => {
  const dirs: string[] = [];
  const schemas: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'herold-migrate-'));
    dirs.push(d);
    return d;
  };
  const pgTarget = () => {
    const s = freshSchema('herold_k');
    schemas.push(s);
    return urlForSchema(clusterDatabaseUrl(), s);
  };
  afterAll(async () => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    for (const s of schemas) await dropSchema(s);
  });

  const start = async (where: { dir: string; url?: string }): Promise<ChildHub> =>
    startChildHub(where.dir, await freePort(), { HEROLD_DATABASE_URL: where.url ?? '', HEROLD_PUBLISH_RATE: '0', HEROLD_READ_RATE: '0', HEROLD_EGRESS_ALLOW: '127.0.0.0/8' });
  const all = async (hub: ChildHub, list: string, headers: Record<string, string> = auth) => {
    const out: Record<string, unknown>[] = [];
    let after = '0';
    for (;;) {
      const body = await json(await fetch(`${hub.url}/lists/${list}/events?after=${after}&limit=1000`, { headers }));
      out.push(...body.events);
      if (body.events.length === 0) return out;
      after = body.next;
    }
  };

  it('SQLite → PostgreSQL → SQLite keeps every event, seq, time and prevseq; keys, grants, subscriptions and idempotency carry over', async () => {
    // A hub on SQLite with two lists, a consumer with a minimising grant, and a subscription.
    const sqliteA = { dir: tmp() };
    let hub = await start(sqliteA);
    await fetch(`${hub.url}/lists/m1`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'One', owner: 'olga' }) });
    await fetch(`${hub.url}/lists/m2`, { method: 'PUT', headers: auth });
    const published: Record<string, unknown>[] = [];
    for (let i = 0; i < 12; i++) {
      const events = Array.from({ length: 25 }, (_, j) => makeEvent({ subject: `p/${(i * 25 + j) % 17}` }));
      expect((await fetch(`${hub.url}/lists/m1/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/cloudevents-batch+json' }, body: JSON.stringify(events) })).status).toBe(201);
      published.push(...events);
    }
    for (let i = 0; i < 5; i++) await fetch(`${hub.url}/lists/m2/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(makeEvent()) });
    const key = await json(await fetch(`${hub.url}/api-keys`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ principal: 'carol' }) }));
    await fetch(`${hub.url}/lists/m1/grants`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ principal: 'carol', fields: ['id', 'type', 'subject'] }) });
    const rx = await Receiver.start();
    // Receives for a moment, then refuses (so the subscription has dead letters to carry over).
    rx.respond = (_req, i) => (i < 20 ? { status: 200 } : { status: 400 });
    const sub = await json(
      await fetch(`${hub.url}/lists/m1/subscriptions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ sink: rx.url, config: { start: '270' } }),
      }),
    );
    expect(sub.id).toBeDefined();
    await rx.waitFor((r) => r.received.length >= 30);
    // Wait until the delivery journal has written it all: the position at the head and the ten refused events dead-lettered.
    let subBefore: Record<string, unknown> = {};
    let deadBefore: { deadletters: unknown[] } = { deadletters: [] };
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      subBefore = await json(await fetch(`${hub.url}/subscriptions/${sub.id}`, { headers: auth }));
      deadBefore = await json(await fetch(`${hub.url}/subscriptions/${sub.id}/deadletters`, { headers: auth }));
      if (subBefore.position === '300' && deadBefore.deadletters.length === 10) break;
    }
    expect(subBefore.position).toBe('300');
    expect(deadBefore.deadletters).toHaveLength(10);
    const carol = { authorization: `Bearer ${key.key}` };
    const before = { m1: await all(hub, 'm1'), m2: await all(hub, 'm2'), carol: await all(hub, 'm1', carol) };
    expect(before.m1).toHaveLength(300);
    expect(before.carol[0]).toMatchObject({ id: before.m1[0].id, subject: before.m1[0].subject, heroldseq: '1' });
    expect(before.carol[0].data).toBeUndefined();
    await hub.kill('SIGTERM');

    // → PostgreSQL.
    const pg = { dir: tmp(), url: pgTarget() };
    const forward = await run(['migrate', '--from', sqliteA.dir, '--to', pg.url]);
    expect(forward.stderr).toMatch(/every list's head matches/);
    expect(forward.stderr).toMatch(/100% (\d+)\/\1 events/);
    expect(forward.code).toBe(0);
    hub = await start(pg);
    expect((await json(await fetch(`${hub.url}/readyz`))).store).toBe('postgres');
    const onPg = { m1: await all(hub, 'm1'), m2: await all(hub, 'm2'), carol: await all(hub, 'm1', carol) };
    expect(onPg).toEqual(before);
    const subAfter = await json(await fetch(`${hub.url}/subscriptions/${sub.id}`, { headers: auth }));
    expect(subAfter).toMatchObject({ id: sub.id, list: 'm1', sink: rx.url, position: '300' });
    expect(await json(await fetch(`${hub.url}/subscriptions/${sub.id}/deadletters`, { headers: auth }))).toEqual(deadBefore);
    const list = await json(await fetch(`${hub.url}/lists/m1`, { headers: auth }));
    expect(list).toMatchObject({ title: 'One', head: '300' });
    // Idempotency came along: the same event again is a duplicate with its original seq.
    const again = await fetch(`${hub.url}/lists/m1/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(published[41]) });
    expect(again.status).toBe(200);
    expect(await json(again)).toMatchObject({ seq: '42', duplicate: true });
    // A new event continues the numbering and the subject chain.
    const next = makeEvent({ subject: 'p/3' });
    expect(await json(await fetch(`${hub.url}/lists/m1/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(next) }))).toMatchObject({ seq: '301' });
    const last = (await all(hub, 'm1')).at(-1)!;
    expect(last.heroldprevseq).toBe(String(Math.max(...before.m1.filter((e) => e.subject === 'p/3').map((e) => Number(e.heroldseq)))));
    await hub.kill('SIGTERM');
    await rx.close();

    // → back to SQLite, through export and import with a file this time.
    const file = join(tmp(), 'export.ndjson');
    const exported = await run(['export', '--from', pg.url, '--out', file]);
    expect(exported.code).toBe(0);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ kind: 'herold-export', version: 1, from: 'postgres' });
    expect(lines.filter((l) => l.kind === 'event' && l.list !== 'herold.system')).toHaveLength(306);
    expect(lines.filter((l) => l.kind === 'event')).toHaveLength(lines[0].events);
    const sqliteB = { dir: tmp() };
    const imported = await run(['import', '--to', sqliteB.dir, '--in', file]);
    expect(imported.stderr).toMatch(/imported into SQLite/);
    expect(imported.code).toBe(0);
    hub = await start(sqliteB);
    expect((await json(await fetch(`${hub.url}/readyz`))).store).toBe('sqlite');
    const back = { m1: await all(hub, 'm1'), m2: await all(hub, 'm2') };
    expect(back.m1.slice(0, 300)).toEqual(before.m1);
    expect(back.m1[300]).toMatchObject({ id: next.id, heroldseq: '301', heroldprevseq: last.heroldprevseq });
    expect(back.m2).toEqual(before.m2);
    expect(await all(hub, 'm1', carol)).toHaveLength(301);
    const dup = await fetch(`${hub.url}/lists/m1/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(next) });
    expect(await json(dup)).toMatchObject({ seq: '301', duplicate: true });
    await hub.kill('SIGTERM');

    // Importing into a store whose list already has events is refused and changes nothing.
    const refused = await run(['import', '--to', sqliteB.dir, '--in', file]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/already holds events/);
  });

  it("carries the catalogue (types, attributes, validate, types seen) and deleted lists' heads, SQLite → PostgreSQL → SQLite", async () => {
    const put = (hub: ChildHub, path: string, body: unknown) =>
      fetch(`${hub.url}${path}`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const publish = (hub: ChildHub, list: string, events: unknown[]) =>
      fetch(`${hub.url}/lists/${list}/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/cloudevents-batch+json' }, body: JSON.stringify(events) });
    const moved = (data: unknown, extra: Record<string, unknown> = {}) => makeEvent({ type: 'no.example.moved.v1', data, ...extra });
    const catalogueOf = async (hub: ChildHub) => ({
      list: await json(await fetch(`${hub.url}/lists/cat`, { headers: auth })),
      types: await json(await fetch(`${hub.url}/lists/cat/types`, { headers: auth })),
      attributes: await json(await fetch(`${hub.url}/lists/cat/attributes`, { headers: auth })),
    });

    const sqliteA = { dir: tmp() };
    let hub = await start(sqliteA);
    expect((await put(hub, '/lists/cat', { owner: 'olga' })).status).toBe(201);
    expect((await put(hub, '/lists/cat/attributes/kommunekode', { type: 'String', personalData: 'identifier', legalBasis: 'law § 10' })).status).toBe(201);
    const schema = { type: 'object', required: ['date'], properties: { date: { type: 'string', format: 'date' } } };
    expect((await put(hub, '/lists/cat/types/no.example.moved.v1', { title: { en: 'Moved' }, schema })).status).toBe(201);
    expect((await put(hub, '/lists/cat', { validate: 'warn', discoverable: true })).status).toBe(200);
    // Under warn, a bad event is stored and counted as invalid; an undeclared type is counted too.
    expect((await publish(hub, 'cat', [moved({ date: '2026-03-01' }, { kommunekode: '0301' }), moved({ date: 'soon' }), makeEvent({ type: 'other.v1' })])).status).toBe(201);
    expect((await put(hub, '/lists/cat', { validate: 'enforce' })).status).toBe(200);
    // A list deleted with three events: its name must not come back, and re-created it continues at 4.
    await put(hub, '/lists/gone', {});
    expect((await publish(hub, 'gone', [makeEvent(), makeEvent(), makeEvent()])).status).toBe(201);
    expect((await fetch(`${hub.url}/lists/gone?force=true`, { method: 'DELETE', headers: auth })).status).toBe(204);
    // The counts still in memory are written at shutdown, before the migration reads them.
    const before = await catalogueOf(hub);
    expect(before.types.seen).toEqual([
      expect.objectContaining({ type: 'no.example.moved.v1', declared: true, count: 2, invalid: 1 }),
      expect.objectContaining({ type: 'other.v1', declared: false, count: 1, invalid: 1 }),
    ]);
    await hub.kill('SIGTERM');

    const check = async (where: { dir: string; url?: string }) => {
      const h = await start(where);
      expect(await catalogueOf(h)).toEqual(before);
      expect(before.list).toMatchObject({ validate: 'enforce', discoverable: true });
      // Enforcement works on the other side: the type's schema (with its format) and the attribute's type.
      const refused = await publish(h, 'cat', [moved({ date: '2026-13-45' }, { kommunekode: 301 })]);
      expect(refused.status).toBe(400);
      expect((await json(refused)).errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/0/data/date', '/0/kommunekode']);
      expect((await fetch(`${h.url}/lists/gone`, { headers: auth })).status).toBe(404);
      expect((await json(await fetch(`${h.url}/lists`, { headers: auth }))).lists.map((l: { name: string }) => l.name)).not.toContain('gone');
      return h;
    };

    const pg = { dir: tmp(), url: pgTarget() };
    const forward = await run(['migrate', '--from', sqliteA.dir, '--to', pg.url]);
    expect(forward.code).toBe(0);
    // Three types seen: two on cat, and herold.system's announcement of the deletion.
    expect(forward.stderr).toMatch(/migrated 2 lists, 4 events, 1 catalogueSettings, 2 declarations, 3 seenTypes, 1 deletedLists;/);
    hub = await check(pg);
    await hub.kill('SIGTERM');

    const sqliteB = { dir: tmp() };
    const back = await run(['migrate', '--from', pg.url, '--to', sqliteB.dir]);
    expect(back.code).toBe(0);
    hub = await check(sqliteB);
    // Re-created, the deleted list continues after the head it had.
    await put(hub, '/lists/gone', {});
    expect(await json(await publish(hub, 'gone', [makeEvent()]))).toMatchObject({ results: [{ seq: '4', duplicate: false }] });
    await hub.kill('SIGTERM');
  });
});
