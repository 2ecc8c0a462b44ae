import { Webhook } from 'standardwebhooks';
import { HTTP } from 'cloudevents';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, createList, makeEvent, publishBatch, publishStructured, startTestHub } from '../helpers/hub.js';
import { Receiver } from '../helpers/receiver.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('subscriptions and webhook delivery', () => {
  let hub: TestHub;
  let rx: Receiver;
  let n = 0;
  let list = '';
  beforeAll(async () => {
    hub = await startTestHub({ egressAllow: '127.0.0.0/8' });
  });
  afterAll(() => hub.close());
  afterEach(async () => rx?.close());

  async function fresh(): Promise<void> {
    list = `subs${++n}`;
    await createList(hub, list);
    rx = await Receiver.start();
  }

  async function subscribe(body: Record<string, unknown>, expectStatus = 201) {
    const res = await hub.fetch(`/lists/${list}/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sink: rx.url, protocol: 'HTTP', ...body }),
    });
    const json = await res.json();
    expect(res.status, JSON.stringify(json)).toBe(expectStatus);
    return json;
  }

  const get = async (id: string) => (await hub.fetch(`/subscriptions/${id}`)).json();

  it('creates, shows, lists, replaces and deletes; changes take effect at once', async () => {
    await fresh();
    const sub = await subscribe({ types: ['a'] });
    expect(sub.id).toMatch(/^sub_/);
    expect(sub.secret).toMatch(/^whsec_/);
    expect(sub).toMatchObject({ list, status: 'active', position: '0', lag: '0', types: ['a'], protocol: 'HTTP' });
    const shown = await get(sub.id);
    expect(shown.secret).toBeUndefined();
    expect((await (await hub.fetch(`/subscriptions?list=${list}`)).json()).subscriptions.map((s: { id: string }) => s.id)).toEqual([sub.id]);

    await publishStructured(hub, list, makeEvent({ type: 'a' }));
    await publishStructured(hub, list, makeEvent({ type: 'b' }));
    await rx.waitFor((r) => r.received.length === 1);
    // Switch the filter: the very next event follows the new one.
    const put = await hub.fetch(`/subscriptions/${sub.id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sink: rx.url, types: ['b'] }) });
    expect(put.status).toBe(200);
    expect((await put.json()).types).toEqual(['b']);
    await publishStructured(hub, list, makeEvent({ type: 'a' }));
    await publishStructured(hub, list, makeEvent({ type: 'b', id: 'after-put' }));
    await rx.waitFor((r) => r.events().some((e) => e.id === 'after-put'));
    expect(rx.events().map((e) => e.type)).toEqual(['a', 'b']);

    expect((await hub.fetch(`/subscriptions/${sub.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await hub.fetch(`/subscriptions/${sub.id}`)).status).toBe(404);
    await publishStructured(hub, list, makeEvent({ type: 'b' }));
    await wait(300);
    expect(rx.received).toHaveLength(2);
  });

  it('rejects invalid subscriptions with the offending field named, and stores nothing', async () => {
    await fresh();
    const cases: [Record<string, unknown>, string][] = [
      [{ filters: [{ sql: "type = 'a' AND" }] }, '/filters/0/sql'],
      [{ filters: [{ nope: {} }] }, '/filters/0/nope'],
      [{ config: { ordering: 'random' } }, '/config/ordering'],
      [{ config: { retry: [-1] } }, '/config/retry'],
      [{ sink: 'ftp://x' }, '/sink'],
      [{ protocolsettings: { headers: { authorization: 'x' } } }, '/protocolsettings/headers/authorization'],
      [{ bogus: 1 }, '/bogus'],
    ];
    for (const [body, pointer] of cases) {
      const p = await subscribe(body, 400);
      expect(p.errors.map((e: { pointer: string }) => e.pointer), JSON.stringify(p)).toContain(pointer);
    }
    rx.handshake = 'refuse';
    const refused = await subscribe({}, 400);
    expect(refused.errors[0].pointer).toBe('/sink');
    expect(refused.detail).toMatch(/handshake/);
    // validate: false skips the handshake.
    await subscribe({ protocolsettings: { validate: false } }, 201);
    expect((await (await hub.fetch(`/subscriptions?list=${list}`)).json()).subscriptions).toHaveLength(1);
  });

  it('refuses private and loopback sinks unless HEROLD_EGRESS_ALLOW covers them, before any packet', async () => {
    const strict = await startTestHub();
    rx = await Receiver.start();
    try {
      await createList(strict, 'strict');
      for (const sink of [rx.url, 'http://2130706433/hook', 'http://127.1/hook', 'http://[::1]/hook', 'http://10.0.0.1/hook', 'http://169.254.169.254/latest']) {
        const res = await strict.fetch('/lists/strict/subscriptions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sink }) });
        expect(res.status, sink).toBe(400);
        expect((await res.json()).errors[0].pointer).toBe('/sink');
      }
      expect(rx.received).toHaveLength(0);
    } finally {
      await strict.close();
    }
  });

  it('delivers signed structured CloudEvents that standardwebhooks verifies', async () => {
    await fresh();
    const sub = await subscribe({});
    const ev = makeEvent({ subject: 'person/1' });
    await publishStructured(hub, list, ev);
    await rx.waitFor((r) => r.received.length === 1);
    const req = rx.received[0];
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toContain('application/cloudevents+json');
    const verified = new Webhook(sub.secret).verify(req.body, req.headers as Record<string, string>) as Record<string, unknown>;
    expect(verified).toMatchObject({ ...ev, heroldseq: '1' });
    expect(req.headers['webhook-id']).toMatch(/^msg_/);
    expect(req.headers['user-agent']).toMatch(/Herold/i);
    const status = await get(sub.id);
    await expect.poll(async () => (await get(sub.id)).position).toBe('1');
    expect(status.lag === '0' || status.lag === '1').toBe(true);
  });

  it('delivers in binary mode with a bearer token, custom headers and method', async () => {
    await fresh();
    await subscribe({ config: { mode: 'binary' }, protocolsettings: { token: 'sekrit-token', headers: { 'x-tenant': 'oslo' }, method: 'PUT' } });
    const ev = makeEvent({ kommune: '0301' });
    await publishStructured(hub, list, ev);
    await rx.waitFor((r) => r.received.length === 1);
    const req = rx.received[0];
    expect(req.headers.authorization).toBe('Bearer sekrit-token');
    expect(req.headers['x-tenant']).toBe('oslo');
    expect(req.method).toBe('PUT');
    const parsed = HTTP.toEvent({ headers: req.headers as Record<string, string>, body: req.body }) as unknown as Record<string, unknown>;
    expect(parsed).toMatchObject({ id: ev.id, type: ev.type, source: ev.source, kommune: '0301', heroldseq: '1' });
    expect(JSON.parse(req.body)).toEqual(ev.data);
  });

  it('filters with types, source and the dialects before delivery', async () => {
    await fresh();
    await subscribe({ types: ['person.changed'], source: '/hr', filters: [{ prefix: { subject: 'person/' } }, { not: { exact: { kommune: '4601' } } }] });
    const events = [
      makeEvent({ type: 'person.changed', source: '/hr', subject: 'person/1', kommune: '0301', id: 'yes-1' }),
      makeEvent({ type: 'person.moved', source: '/hr', subject: 'person/2' }),
      makeEvent({ type: 'person.changed', source: '/other', subject: 'person/3' }),
      makeEvent({ type: 'person.changed', source: '/hr', subject: 'org/4' }),
      makeEvent({ type: 'person.changed', source: '/hr', subject: 'person/5', kommune: '4601' }),
      makeEvent({ type: 'person.changed', source: '/hr', subject: 'person/6', id: 'yes-2' }),
    ];
    await publishBatch(hub, list, events);
    await rx.waitFor((r) => r.received.length >= 2);
    await wait(200);
    expect(rx.events().map((e) => e.id)).toEqual(['yes-1', 'yes-2']);
  });

  it('retries 5xx, timeouts and 408 with the same webhook-id, and records every attempt', async () => {
    await fresh();
    rx.respond = (_req, i) => (i === 0 ? { status: 500, body: 'boom' } : i === 1 ? { status: 408 } : i === 2 ? 'hang' : { status: 200 });
    const sub = await subscribe({ config: { retry: [0.1, 0.1, 0.1, 0.1], timeout: 0.5 } });
    await publishStructured(hub, list, makeEvent());
    await rx.waitFor((r) => r.received.length === 4);
    expect(new Set(rx.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    await expect.poll(async () => (await (await hub.fetch(`/subscriptions/${sub.id}/attempts`)).json()).attempts.length).toBe(4);
    const { attempts } = await (await hub.fetch(`/subscriptions/${sub.id}/attempts`)).json();
    expect(attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['success', 'retry', 'retry', 'retry']);
    expect(attempts[3]).toMatchObject({ status: 500, response: 'boom', seq: '1' });
    expect(attempts[1].error).toMatch(/no response within/);
    expect((await (await hub.fetch(`/subscriptions/${sub.id}/deadletters`)).json()).deadletters).toHaveLength(0);
  });

  it('honours Retry-After on 429 and 503, within the retry schedule', async () => {
    await fresh();
    rx.respond = (_req, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 });
    await subscribe({ config: { retry: [0] } });
    await publishStructured(hub, list, makeEvent());
    await rx.waitFor((r) => r.received.length === 2);
    expect(rx.received[1].at - rx.received[0].at).toBeGreaterThanOrEqual(900);

    // A sink that always asks to wait still runs out of retries.
    await fresh();
    rx.respond = () => ({ status: 503, headers: { 'retry-after': '1' } });
    const sub = await subscribe({ config: { retry: [0.1] } });
    await publishStructured(hub, list, makeEvent());
    await expect.poll(async () => (await (await hub.fetch(`/subscriptions/${sub.id}/deadletters`)).json()).deadletters.length, { timeout: 5000 }).toBe(1);
    expect(rx.received).toHaveLength(2);
  });

  it('disable and rotate work without a body', async () => {
    await fresh();
    const sub = await subscribe({});
    expect((await hub.fetch(`/subscriptions/${sub.id}/secret/rotate`, { method: 'POST' })).status).toBe(200);
    const disabled = await hub.fetch(`/subscriptions/${sub.id}/disable`, { method: 'POST' });
    expect(disabled.status).toBe(200);
    expect((await disabled.json()).status).toBe('disabled');
  });

  it('dead-letters other 4xx at once and when retries run out; redelivers dead letters with the same id', async () => {
    await fresh();
    rx.respond = (req) => (JSON.parse(req.body).type === 'bad' ? { status: 400, body: 'no such person' } : { status: 503 });
    const sub = await subscribe({ config: { retry: [0.05, 0.05] } });
    await publishStructured(hub, list, makeEvent({ type: 'bad' }));
    await publishStructured(hub, list, makeEvent({ type: 'flaky' }));
    await rx.waitFor((r) => r.received.length === 4);
    await expect.poll(async () => (await (await hub.fetch(`/subscriptions/${sub.id}/deadletters`)).json()).deadletters.length).toBe(2);
    const { deadletters } = await (await hub.fetch(`/subscriptions/${sub.id}/deadletters`)).json();
    expect(deadletters[0]).toMatchObject({ seq: '1', lastStatus: 400, lastResponse: 'no such person', failures: 1 });
    expect(deadletters[0].reason).toMatch(/not retried/);
    expect(deadletters[1]).toMatchObject({ seq: '2', lastStatus: 503, failures: 3 });
    expect(deadletters[1].reason).toMatch(/exhausted/);
    // Admins see it on the system list.
    await expect
      .poll(async () => (await (await hub.fetch('/lists/herold.system/events?type=herold.subscription.deadlettered&limit=1000')).json()).events.filter((e: { subject: string }) => e.subject === sub.id).length)
      .toBe(2);

    const ids = new Map(rx.received.map((r) => [JSON.parse(r.body).heroldseq, r.headers['webhook-id']]));
    rx.respond = () => ({ status: 200 });
    const res = await hub.fetch(`/subscriptions/${sub.id}/redeliver`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ deadletters: true }) });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ redelivering: 2 });
    await rx.waitFor((r) => r.received.length === 6);
    for (const r of rx.received.slice(4)) expect(r.headers['webhook-id']).toBe(ids.get(JSON.parse(r.body).heroldseq));
    await expect.poll(async () => (await (await hub.fetch(`/subscriptions/${sub.id}/deadletters`)).json()).deadletters.length).toBe(0);
  });

  it('redelivers given seqs and a seq range', async () => {
    await fresh();
    const sub = await subscribe({ config: { start: '0' } });
    await publishBatch(hub, list, Array.from({ length: 5 }, () => makeEvent()));
    await rx.waitFor((r) => r.received.length === 5);
    const post = (body: unknown) => hub.fetch(`/subscriptions/${sub.id}/redeliver`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(await (await post({ seqs: ['2', '4'] })).json()).toEqual({ redelivering: 2 });
    await rx.waitFor((r) => r.received.length === 7);
    expect(await (await post({ from: '3', to: '5' })).json()).toEqual({ redelivering: 3 });
    await rx.waitFor((r) => r.received.length === 10);
    expect(rx.events().slice(5).map((e) => e.heroldseq).sort()).toEqual(['2', '3', '4', '4', '5']);
    expect((await post({})).status).toBe(400);
    expect((await post({ seqs: ['1'], from: '1' })).status).toBe(400);
  });

  it('disables on 410 with a reason and resumes from its position when enabled', async () => {
    await fresh();
    rx.respond = () => ({ status: 410 });
    const sub = await subscribe({});
    await publishStructured(hub, list, makeEvent({ id: 'first' }));
    await expect.poll(async () => (await get(sub.id)).status).toBe('disabled');
    const disabled = await get(sub.id);
    expect(disabled.disabledReason).toMatch(/410/);
    // The system event is published after the status is stored (dispatcher.disable): await it.
    const announced = async () => {
      const sys = await (await hub.fetch('/lists/herold.system/events?type=herold.subscription.disabled&limit=1000')).json();
      return sys.events.some((e: { subject: string }) => e.subject === sub.id);
    };
    await expect.poll(announced).toBe(true);
    await publishStructured(hub, list, makeEvent({ id: 'second' }));
    await wait(200);
    expect(rx.received).toHaveLength(1);
    rx.respond = () => ({ status: 200 });
    const enabled = await (await hub.fetch(`/subscriptions/${sub.id}/enable`, { method: 'POST' })).json();
    expect(enabled.status).toBe('active');
    await rx.waitFor((r) => r.events().some((e) => e.id === 'second'));
    expect(rx.events().map((e) => e.id)).toEqual(['first', 'first', 'second']);
  });

  it('ordering subject: a failing subject blocks only itself, and its events arrive in order', async () => {
    await fresh();
    let failA = true;
    rx.respond = (req) => (JSON.parse(req.body).subject === 'person/A' && failA ? { status: 503 } : { status: 200 });
    await subscribe({ config: { ordering: 'subject', retry: [0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2] } });
    const events = [
      makeEvent({ subject: 'person/A', id: 'A1' }),
      makeEvent({ subject: 'person/B', id: 'B1' }),
      makeEvent({ subject: 'person/A', id: 'A2' }),
      makeEvent({ subject: 'person/B', id: 'B2' }),
      makeEvent({ subject: 'person/A', id: 'A3' }),
    ];
    await publishBatch(hub, list, events);
    await rx.waitFor((r) => r.events().filter((e) => e.subject === 'person/B').length === 2);
    const okSoFar = () => rx.received.filter((r) => JSON.parse(r.body).subject === 'person/A').map((r) => JSON.parse(r.body).id);
    // Only A1 has been tried while A is failing.
    expect(new Set(okSoFar())).toEqual(new Set(['A1']));
    failA = false;
    await rx.waitFor((r) => r.events().some((e) => e.id === 'A3'));
    const aOrder = okSoFar().filter((id, i, all) => all.indexOf(id) === i);
    expect(aOrder).toEqual(['A1', 'A2', 'A3']);
  });

  it('ordering none delivers concurrently, bounded', async () => {
    await fresh();
    let open = 0;
    let maxOpen = 0;
    rx.respond = () => {
      open++;
      maxOpen = Math.max(maxOpen, open);
      setTimeout(() => open--, 40);
      return { status: 200, delayMs: 40 };
    };
    await subscribe({ config: { concurrency: 4 } });
    await publishBatch(hub, list, Array.from({ length: 40 }, () => makeEvent()));
    await rx.waitFor((r) => r.received.length === 40);
    expect(new Set(rx.events().map((e) => e.heroldseq)).size).toBe(40);
    expect(maxOpen).toBe(4);
  });

  it('rotates the secret: both signatures verify during the grace period', async () => {
    await fresh();
    const sub = await subscribe({});
    const rotated = await (await hub.fetch(`/subscriptions/${sub.id}/secret/rotate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json();
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(sub.secret);
    await publishStructured(hub, list, makeEvent());
    await rx.waitFor((r) => r.received.length === 1);
    const req = rx.received[0];
    expect(String(req.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [sub.secret, rotated.secret]) expect(() => new Webhook(secret).verify(req.body, req.headers as Record<string, string>)).not.toThrow();
  });

  it("starts at the head by default, or after a given seq ('0' = whole list)", async () => {
    await fresh();
    await publishBatch(hub, list, [makeEvent({ id: 'old-1' }), makeEvent({ id: 'old-2' })]);
    await subscribe({});
    const rx2 = rx;
    rx = await Receiver.start();
    await subscribe({ config: { start: '1' } });
    await publishStructured(hub, list, makeEvent({ id: 'new' }));
    await rx.waitFor((r) => r.received.length === 2);
    await rx2.waitFor((r) => r.received.length === 1);
    expect(rx2.events().map((e) => e.id)).toEqual(['new']);
    expect(rx.events().map((e) => e.id)).toEqual(['old-2', 'new']);
    await rx2.close();
  });
});

describe('auto-disable after continuous failure', () => {
  it('counts refusals (4xx) as failures too', async () => {
    const hub = await startTestHub({ egressAllow: '127.0.0.0/8', disableAfterSeconds: '1' });
    const rx = await Receiver.start();
    try {
      await createList(hub, 'refusing');
      rx.respond = () => ({ status: 400 });
      const sub = await (await hub.fetch('/lists/refusing/subscriptions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sink: rx.url }) })).json();
      await publishStructured(hub, 'refusing', makeEvent());
      await new Promise((r) => setTimeout(r, 1200));
      await publishStructured(hub, 'refusing', makeEvent());
      await expect.poll(async () => (await (await hub.fetch(`/subscriptions/${sub.id}`)).json()).status, { timeout: 5000 }).toBe('disabled');
    } finally {
      await rx.close();
      await hub.close();
    }
  });

  it('disables a subscription that has failed longer than HEROLD_DISABLE_AFTER_SECONDS', async () => {
    const hub = await startTestHub({ egressAllow: '127.0.0.0/8', disableAfterSeconds: '1' });
    const rx = await Receiver.start();
    try {
      await createList(hub, 'failing');
      rx.respond = () => ({ status: 500 });
      const res = await hub.fetch('/lists/failing/subscriptions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sink: rx.url, config: { retry: Array(50).fill(0.2) } }) });
      const sub = await res.json();
      await publishStructured(hub, 'failing', makeEvent());
      await expect.poll(async () => (await (await hub.fetch(`/subscriptions/${sub.id}`)).json()).status, { timeout: 8000 }).toBe('disabled');
      expect((await (await hub.fetch(`/subscriptions/${sub.id}`)).json()).disabledReason).toMatch(/failed continuously/);
    } finally {
      await rx.close();
      await hub.close();
    }
  });
});
