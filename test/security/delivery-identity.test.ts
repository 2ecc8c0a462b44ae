import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, createList, makeEvent, publishBatch, startTestHub } from '../helpers/hub.js';
import { Receiver } from '../helpers/receiver.js';
import { AMQP_URL, Rabbit, rabbitAvailable, unique } from '../amqp/rabbit.js';
import { type Caller, caller, post, until } from '../helpers/attacker.js';

/**
 * Issue 10, "A principal named admin": push delivery gave a principal named
 * `admin` admin scope, so its one-subject grant delivered every event of the
 * list, whole, and kept delivering after the grant was revoked. Admin is a
 * property of a credential, never of a name: a subscription delivers as admin
 * only through the admin key it was made with, while that key works.
 */
const SERVED = new Set(['specversion', 'id', 'source', 'type', 'subject', 'heroldseq', 'heroldprevseq', 'heroldtime']);
const minimised = (e: Record<string, unknown>) => Object.keys(e).every((k) => SERVED.has(k));

describe('push delivery runs under the credential, not the name', () => {
  let hub: TestHub;
  const receivers: Receiver[] = [];
  const list = 'persons';
  let n = 0;

  beforeAll(async () => {
    hub = await startTestHub({ readRate: '0', egressAllow: '127.0.0.0/8' });
    await createList(hub, list);
  });
  afterAll(async () => {
    await hub.close();
    for (const r of receivers) await r.close();
  });

  const receiver = async () => {
    const r = await Receiver.start();
    receivers.push(r);
    return r;
  };
  /** One hidden (person/2) and one visible (person/1) event; resolves with their seqs. */
  const publishPair = async () => {
    const tag = `t${++n}`;
    const res = await publishBatch(hub, list, [makeEvent({ subject: 'person/2', fnr: '02029000004', data: { tag } }), makeEvent({ subject: 'person/1', fnr: '01019000003', data: { tag } })]);
    const { results } = (await res.json()) as { results: { seq: string }[] };
    return { hidden: results[0].seq, visible: results[1].seq };
  };
  /** A webhook subscription delivering one at a time in seq order (so "not delivered before X" is meaningful). */
  const subscribe = async (who: Caller, rx: Receiver, start = 'head') => (await post(who, `/lists/${list}/subscriptions`, { sink: rx.url, config: { start, concurrency: 1 } })).id as string;
  const seqsOf = (rx: Receiver) => rx.events().map((e) => e.heroldseq);

  it('no API key can be made for the name admin or a herold* name', async () => {
    for (const principal of ['admin', 'ADMIN', 'Admin', 'herold', 'herold.system', 'heroldx']) {
      for (const admin of [false, true]) {
        const res = await hub.fetch('/api-keys', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ principal, admin }) });
        const body = await res.json();
        expect(res.status, `${principal} ${JSON.stringify(body)}`).toBe(400);
        expect(body.errors).toEqual([{ pointer: '/principal', message: 'reserved name' }]);
      }
    }
    const keys = (await (await hub.fetch('/api-keys')).json()).keys as { principal: string }[];
    expect(keys.filter((k) => /^(admin$|herold)/i.test(k.principal))).toEqual([]);
  });

  it("a non-admin key's subscription delivers with the principal's grant only, although the same principal has an admin key", async () => {
    const adminKey = await caller(hub, 'org:x', { admin: true });
    const plainKey = await caller(hub, 'org:x');
    await post(hub, `/lists/${list}/grants`, { principal: 'org:x', filter: "subject = 'person/1'", fields: ['id', 'type', 'subject'] });
    const rxPlain = await receiver();
    const rxAdmin = await receiver();
    const plainSub = await subscribe(plainKey, rxPlain);
    const adminSub = await subscribe(adminKey, rxAdmin);

    const first = await publishPair();
    await rxPlain.waitFor((r) => seqsOf(r).includes(first.visible));
    await rxAdmin.waitFor((r) => seqsOf(r).includes(first.visible));
    expect(seqsOf(rxPlain)).toEqual([first.visible]);
    expect(rxPlain.events().every(minimised)).toBe(true);
    // Made with the admin key: admin while that key works (every event, whole).
    expect(seqsOf(rxAdmin)).toEqual([first.hidden, first.visible]);
    expect(rxAdmin.events()[0].fnr).toBe('02029000004');

    // The admin key is revoked: the principal's other key still works, but only with its grant.
    const revoked = await hub.fetch(`/api-keys/${adminKey.keyId}`, { method: 'DELETE' });
    expect(revoked.status).toBe(204);
    const second = await publishPair();
    await rxAdmin.waitFor((r) => seqsOf(r).includes(second.visible));
    expect(seqsOf(rxAdmin)).toEqual([first.hidden, first.visible, second.visible]);
    expect(minimised(rxAdmin.events()[2])).toBe(true);
    await rxPlain.waitFor((r) => seqsOf(r).includes(second.visible));
    expect(seqsOf(rxPlain)).toEqual([first.visible, second.visible]);
    for (const id of [plainSub, adminSub]) expect((await (await hub.fetch(`/subscriptions/${id}`)).json()).status).toBe('active');
  });

  it('an admin key that expires ends admin delivery within a second, though the principal has a key that does not expire', async () => {
    const expiresAt = Date.now() + 2500;
    const adminKey = await caller(hub, 'org:y', { admin: true, expiresAt });
    await caller(hub, 'org:y');
    await post(hub, `/lists/${list}/grants`, { principal: 'org:y', filter: "subject = 'person/1'", fields: ['id', 'type', 'subject'] });
    const rx = await receiver();
    await subscribe(adminKey, rx);
    const before = await publishPair();
    await rx.waitFor((r) => seqsOf(r).includes(before.visible));
    expect(seqsOf(rx)).toEqual([before.hidden, before.visible]);
    // "Within a second" of the expiry: the clock is the condition.
    await until(() => Date.now() > expiresAt + 1000, 10_000, 'a second past the expiry');
    const after = await publishPair();
    await rx.waitFor((r) => seqsOf(r).includes(after.visible));
    expect(seqsOf(rx)).toEqual([before.hidden, before.visible, after.visible]);
    expect(minimised(rx.events()[2])).toBe(true);
  });

  it.skipIf(!rabbitAvailable)("AMQP: a non-admin key's subscription delivers the grant's rows, minimised", async () => {
    const rabbit = await Rabbit.open();
    try {
      const key = await caller(hub, 'org:amqp');
      await post(hub, `/lists/${list}/grants`, { principal: 'org:amqp', filter: "subject = 'person/1'", fields: ['id', 'type', 'subject'] });
      const queue = await rabbit.queue(unique('identity'));
      const collector = await rabbit.collect(queue);
      await post(key, `/lists/${list}/subscriptions`, { sink: AMQP_URL, protocol: 'AMQP', protocolsettings: { queue }, config: { start: 'head', mode: 'structured', concurrency: 1 } });
      const pair = await publishPair();
      await collector.waitFor(1);
      const events = collector.messages.map((m) => JSON.parse(m.content.toString('utf8')) as Record<string, unknown>);
      expect(events.map((e) => e.heroldseq)).toEqual([pair.visible]);
      expect(events.every(minimised)).toBe(true);
    } finally {
      await rabbit.cleanup();
    }
  });

  it('revoking the grant stops deliveries within a second (the subscription is disabled with a reason)', async () => {
    const victim = await caller(hub, 'org:revoked');
    const control = await caller(hub, 'org:control');
    const grant = await post(hub, `/lists/${list}/grants`, { principal: victim.principal, filter: "subject = 'person/1'" });
    await post(hub, `/lists/${list}/grants`, { principal: control.principal, filter: "subject = 'person/1'" });
    const rxVictim = await receiver();
    const rxControl = await receiver();
    const sub = await subscribe(victim, rxVictim);
    await subscribe(control, rxControl);
    const first = await publishPair();
    await rxVictim.waitFor((r) => seqsOf(r).includes(first.visible));

    expect((await hub.fetch(`/grants/${grant.id}`, { method: 'DELETE' })).status).toBe(204);
    let view: Record<string, unknown> = {};
    const took = await until(
      async () => {
        view = await (await hub.fetch(`/subscriptions/${sub}`)).json();
        return view.status === 'disabled';
      },
      1000,
      'the subscription to be disabled',
    );
    expect(took).toBeLessThan(1000);
    expect(view.disabledReason).toMatch(/may no longer read list/);
    // The control subscription receives the next event; the revoked one does not.
    const second = await publishPair();
    await rxControl.waitFor((r) => seqsOf(r).includes(second.visible));
    expect(seqsOf(rxVictim)).toEqual([first.visible]);
  });
});
