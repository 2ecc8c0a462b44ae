import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, createList, makeEvent, publishBatch, startTestHub } from '../helpers/hub.js';
import { Receiver } from '../helpers/receiver.js';
import { type Caller, caller, openSse, post, until } from '../helpers/attacker.js';

/**
 * Issue 10, "Expiry": an API key that expired kept its open SSE streams and
 * its subscriptions delivering. A credential's expiry ends what it opened
 * within a second of it: SSE streams end with a final `event: close`, an
 * NDJSON export reads no further page, a subscription is paused with a reason
 * (and resumes when its owner enables it with a credential that works).
 */
describe('a credential that expires', () => {
  let hub: TestHub;
  const list = 'expiring';

  beforeAll(async () => {
    hub = await startTestHub({ readRate: '0', egressAllow: '127.0.0.0/8', heartbeatSeconds: '30' });
    await createList(hub, list);
    await publishBatch(hub, list, [makeEvent(), makeEvent()]);
  });
  afterAll(() => hub.close());

  const granted = async (principal: string, expiresInMs?: number): Promise<Caller & { expiresAt?: number }> => {
    const expiresAt = expiresInMs === undefined ? undefined : Date.now() + expiresInMs;
    const who = await caller(hub, principal, { expiresAt });
    if (!(await hub.fetch(`/grants`).then(async (r) => ((await r.json()).grants as { principal: string }[]).some((g) => g.principal === principal)))) {
      await post(hub, `/lists/${list}/grants`, { principal });
    }
    return { ...who, expiresAt };
  };

  it('ends an open SSE stream with a final close message within a second of the expiry', async () => {
    const who = await granted('org:sse', 2000);
    const s = await openSse(who, `/lists/${list}/events`);
    await until(() => s.events().length >= 2, 5000, 'the replay');
    await until(() => s.ended() !== undefined, 5000, 'the stream to end');
    const close = s.messages.at(-1)!;
    expect(close.event).toBe('close');
    expect(JSON.parse(close.data).reason).toMatch(/expired/);
    expect(close.at).toBeGreaterThanOrEqual(who.expiresAt!);
    expect(close.at - who.expiresAt!).toBeLessThan(1000);
    // And a new request with it is refused.
    expect((await who.fetch(`/lists/${list}/events`, { headers: { accept: 'text/event-stream' } })).status).toBe(401);
  });

  it('stops an NDJSON export: no page is read after the expiry, and the export ends short', async () => {
    const big = 'x'.repeat(4000);
    const before = (await (await hub.fetch(`/lists/${list}`)).json()).head as string;
    for (let i = 0; i < 8; i++) expect((await publishBatch(hub, list, Array.from({ length: 500 }, () => makeEvent({ data: { big } })))).status).toBe(201);
    const total = Number(before) + 4000;
    const who = await granted('org:ndjson', 2500);
    // A reader that stops reading after the first bytes: the hub waits for the socket to drain.
    let lines = 0;
    let ended: number | undefined;
    let resume: () => void = () => undefined;
    await new Promise<void>((resolve, reject) => {
      const req = request(`${hub.url}/lists/${list}/events`, { headers: { accept: 'application/x-ndjson', authorization: `Bearer ${who.key}` } }, (res) => {
        expect(res.statusCode).toBe(200);
        res.once('data', () => res.pause());
        res.on('data', (chunk: Buffer) => {
          for (const b of chunk) if (b === 10) lines++;
        });
        const finish = () => (ended ??= Date.now());
        res.on('end', finish);
        res.on('error', finish);
        res.on('close', finish);
        resume = () => res.resume();
        resolve();
      });
      req.on('error', reject);
      req.end();
    });
    await until(() => Date.now() > who.expiresAt!, 10_000, 'the expiry');
    const resumed = Date.now();
    resume();
    await until(() => ended !== undefined, 10_000, 'the export to end');
    // What was buffered before the expiry arrives; nothing read after it does.
    expect(lines).toBeGreaterThan(0);
    expect(lines).toBeLessThan(total);
    expect(ended! - resumed).toBeLessThan(5000);
  });

  it('pauses its webhook subscription with a reason within a second; the owner resumes it with a valid key', async () => {
    const rx = await Receiver.start();
    try {
      const who = await granted('org:hook', 2000);
      const sub = (await post(who, `/lists/${list}/subscriptions`, { sink: rx.url, config: { start: 'head' } })).id as string;
      const first = makeEvent({ subject: 'before-expiry' });
      await publishBatch(hub, list, [first]);
      await rx.waitFor((r) => r.events().some((e) => e.id === first.id));

      let view: Record<string, unknown> = {};
      await until(
        async () => {
          view = await (await hub.fetch(`/subscriptions/${sub}`)).json();
          return view.status === 'disabled';
        },
        5000,
        'the subscription to be paused',
      );
      expect(Date.now() - who.expiresAt!).toBeLessThan(1000);
      expect(view.disabledReason).toMatch(/no API key that works|expired/);
      const during = makeEvent({ subject: 'while-paused' });
      await publishBatch(hub, list, [during]);

      // The same principal, a key that works: enable resumes from where it stopped.
      const renewed = await caller(hub, who.principal);
      const enabled = await renewed.fetch(`/subscriptions/${sub}/enable`, { method: 'POST' });
      expect(enabled.status).toBe(200);
      expect((await enabled.json()).status).toBe('active');
      await rx.waitFor((r) => r.events().some((e) => e.id === during.id));
      // Enabling it with the expired key is not possible.
      expect((await who.fetch(`/subscriptions/${sub}/enable`, { method: 'POST' })).status).toBe(401);
    } finally {
      await rx.close();
    }
  });
});
