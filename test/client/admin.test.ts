import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeroldClient, ROUTES } from '../../src/client/client.js';
import { HeroldError } from '../../src/client/errors.js';
import { ADMIN_KEY, type TestHub, makeEvent, startTestHub } from '../helpers/hub.js';
import { serve } from './helpers-server.js';
import { webhookHandler } from '../../src/client/webhook/handler.js';

let hub: TestHub;
let admin: HeroldClient;
beforeAll(async () => {
  hub = await startTestHub({ egressAllow: '127.0.0.0/8' });
  admin = new HeroldClient({ url: hub.url, key: ADMIN_KEY });
});
afterAll(() => hub.close());

/** Routes that are not the JSON API the client types (other engineers' doors with clients of their own). */
const OUT_OF_SCOPE = [/^\/graphql\b/, /^\/console\b/];

describe('the client’s route table', () => {
  it('is exactly the hub’s /openapi.json: a route added or removed on either side fails here', async () => {
    const doc = (await (await hub.fetch('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    const hubRoutes = new Set<string>();
    for (const [path, methods] of Object.entries(doc.paths)) {
      if (OUT_OF_SCOPE.some((re) => re.test(path))) continue;
      for (const method of Object.keys(methods)) if (method !== 'parameters') hubRoutes.add(`${method.toUpperCase()} ${path}`);
    }
    const clientRoutes = new Set(Object.values(ROUTES).map(([m, p]) => `${m} ${p}`));
    expect([...hubRoutes].filter((r) => !clientRoutes.has(r)), 'routes the client has no method for').toEqual([]);
    expect([...clientRoutes].filter((r) => !hubRoutes.has(r)), 'client routes the hub does not serve').toEqual([]);
  });

  it('names a HeroldClient method for every entry', () => {
    for (const name of Object.keys(ROUTES)) expect(typeof (HeroldClient.prototype as unknown as Record<string, unknown>)[name], name).toBe('function');
  });
});

describe('typed admin methods against a hub', () => {
  it('lists, events, publishers, keys, grants, requests and audit', async () => {
    expect(await admin.health()).toEqual({ status: 'ok' });
    expect((await admin.ready()).status).toBeDefined();
    expect(await admin.metrics()).toContain('# HELP');
    expect(await admin.putList('a.people', { title: 'People' })).toMatchObject({ name: 'a.people', title: 'People', head: '0' });
    expect((await admin.listLists()).map((l) => l.name)).toContain('a.people');
    expect(await admin.publish('a.people', makeEvent({ subject: 'person/1' }))).toEqual({ seq: '1' });
    expect((await admin.publishBatch('a.people', [makeEvent({ subject: 'person/2' })])).results).toEqual([{ seq: '2', duplicate: false }]);
    expect((await admin.getEvent('a.people', '2')).subject).toBe('person/2');
    expect((await admin.read('a.people', { subject: 'person/1' })).events.map((e) => e.heroldseq)).toEqual(['1']);
    expect((await admin.getList('a.people')).head).toBe('2');

    const key = await admin.createApiKey({ principal: 'cms' });
    expect(key).toMatchObject({ principal: 'cms', admin: false, key: expect.any(String) });
    expect((await admin.listApiKeys()).map((k) => k.id)).toContain(key.id);
    expect(await admin.addPublisher('a.people', { principal: 'hr', source: '/hr' })).toEqual({ list: 'a.people', principal: 'hr', source: '/hr' });
    expect(await admin.listPublishers('a.people')).toEqual([{ principal: 'hr', source: '/hr' }]);
    await admin.removePublisher('a.people', 'hr');
    expect(await admin.listPublishers('a.people')).toEqual([]);

    const cms = new HeroldClient({ url: hub.url, key: key.key });
    // Access requests are taken only for lists the caller can see: the CMS starts with a narrow grant.
    const starter = await admin.createGrant('a.people', { principal: 'cms', filter: "subject = 'person/1'", fields: ['id', 'source', 'type', 'subject'] });
    expect((await cms.read('a.people')).events.map((e) => [e.heroldseq, e.data])).toEqual([['1', undefined]]);
    const request = await cms.requestAccess('a.people', { purpose: 'keep the CMS up to date', filter: "subject = 'person/2'" });
    expect(request.status).toBe('pending');
    expect((await cms.listAccessRequests()).map((r) => r.id)).toEqual([request.id]);
    const approved = await admin.approveAccessRequest(request.id, { fields: ['id', 'source', 'type', 'subject'] });
    expect(approved).toMatchObject({ status: 'approved', grant: { principal: 'cms', filter: "subject = 'person/2'" } });
    const both = [starter.id, approved.grant.id].sort();
    expect((await cms.listGrants()).map((g) => g.id).sort()).toEqual(both);
    expect((await admin.grantsOfList('a.people')).map((g) => g.id).sort()).toEqual(both);
    const second = await cms.requestAccess('a.people', { purpose: 'and the rest, please' });
    expect((await admin.denyAccessRequest(second.id, 'not needed')).status).toBe('denied');
    // Audit rows are written in batches: wait for the read above to be recorded.
    let recorded = false;
    for (let i = 0; i < 100 && !recorded; i++) {
      const audit = await admin.audit({ list: 'a.people', principal: 'cms' });
      recorded = 'records' in audit && audit.records.some((r) => r.principal === 'cms' && r.channel === 'pull');
      if (!recorded) await new Promise((r) => setTimeout(r, 50));
    }
    expect(recorded).toBe(true);
    await admin.revokeGrant(approved.grant.id);
    await admin.revokeGrant(starter.id);
    await expect(cms.read('a.people')).rejects.toMatchObject({ status: 404 });
    const g = await admin.createGrant('a.people', { principal: 'search' });
    expect(g.principal).toBe('search');
    await admin.revokeApiKey(key.id);
    const refused = await cms.listLists().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HeroldError);
    expect((refused as HeroldError).nextStep).toMatch(/API key or token/);
  });

  it('subscriptions: create, show, update, disable, enable, rotate, attempts, dead letters, redeliver, delete', async () => {
    const rx = await serve((req, res) => void handle(req, res));
    let secret = '';
    const handle = webhookHandler({ secret: () => secret, handler: () => undefined });
    try {
      await admin.putList('a.subs');
      const sub = await admin.createSubscription('a.subs', { sink: rx.url });
      secret = sub.secret!;
      expect(sub).toMatchObject({ list: 'a.subs', status: 'active', secret: expect.stringMatching(/^whsec_/) });
      expect((await admin.listSubscriptions({ list: 'a.subs' })).map((s) => s.id)).toEqual([sub.id]);
      expect((await admin.updateSubscription(sub.id, { sink: rx.url, types: ['t'] })).id).toBe(sub.id);
      expect((await admin.disableSubscription(sub.id, 'maintenance')).status).toBe('disabled');
      expect((await admin.enableSubscription(sub.id)).status).toBe('active');
      const rotated = await admin.rotateSecret(sub.id, 60);
      secret = rotated.secret;
      await admin.publish('a.subs', makeEvent({ type: 't' }));
      let attempts: unknown[] = [];
      for (let i = 0; i < 100 && attempts.length === 0; i++) {
        attempts = (await admin.attempts(sub.id)).attempts;
        if (attempts.length === 0) await new Promise((r) => setTimeout(r, 30));
      }
      expect(attempts[0]).toMatchObject({ seq: '1', outcome: 'success', status: 204 });
      expect(await admin.deadLetters(sub.id)).toEqual([]);
      expect(await admin.redeliver(sub.id, { seqs: ['1'] })).toEqual({ redelivering: 1 });
      expect((await admin.getSubscription(sub.id)).position).toBe('1');
      await admin.deleteSubscription(sub.id);
      await expect(admin.getSubscription(sub.id)).rejects.toMatchObject({ status: 404 });
    } finally {
      await rx.close();
    }
  });

  it('the event type catalogue, and access requests for a discoverable list', async () => {
    await admin.putList('a.catalogue', { discoverable: true, validate: 'warn' });
    const declared = await admin.putType('a.catalogue', 'no.example.person.moved', {
      title: { en: 'A person moved' },
      schema: { type: 'object', properties: { municipality: { type: 'string' } } },
    });
    expect(declared).toMatchObject({ title: { en: 'A person moved' } });
    expect(await admin.getType('a.catalogue', 'no.example.person.moved')).toMatchObject({ title: { en: 'A person moved' } });
    expect(JSON.stringify(await admin.listTypes('a.catalogue'))).toContain('no.example.person.moved');
    expect(await admin.typeSchema('a.catalogue', 'no.example.person.moved')).toMatchObject({ properties: { municipality: { type: 'string' } } });
    await admin.putAttribute('a.catalogue', 'municipality', { type: 'String', personalData: 'none' });
    expect(await admin.getAttribute('a.catalogue', 'municipality')).toMatchObject({ type: 'String', personalData: 'none' });
    expect(JSON.stringify(await admin.listAttributes('a.catalogue'))).toContain('municipality');
    expect(JSON.stringify(await admin.asyncapi('a.catalogue'))).toContain('no.example.person.moved');
    // A stranger finds the discoverable list in the registry and may ask for access to it.
    const stranger = new HeroldClient({ url: hub.url, key: (await admin.createApiKey({ principal: 'stranger' })).key });
    expect(JSON.stringify(await stranger.registry())).toContain('a.catalogue');
    expect((await stranger.requestAccess('a.catalogue', { purpose: 'municipality statistics' })).status).toBe('pending');
    await admin.deleteAttribute('a.catalogue', 'municipality');
    await admin.deleteType('a.catalogue', 'no.example.person.moved');
    await expect(admin.getType('a.catalogue', 'no.example.person.moved')).rejects.toMatchObject({ status: 404 });
  });
});
