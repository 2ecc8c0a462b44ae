import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, createList, makeEvent, publishBatch, startTestHub } from '../helpers/hub.js';
import { gql, type GqlResult, subscribeWith } from '../helpers/graphql.js';

const json = { 'content-type': 'application/json' };

/**
 * Declared extension attributes in the GraphQL door (issue 11 point 2, issue
 * 14 point 5): `Event.attributes` and `attribute(name)` typed by the list's
 * catalogue, `where: {attr}` checked against it, both projected by the grant.
 */
const DECLARED: Record<string, Record<string, unknown>> = {
  eventaction: { type: 'String', personalData: 'none' },
  etager: { type: 'Integer', personalData: 'none' },
  fredet: { type: 'Boolean', personalData: 'none' },
  virkningfra: { type: 'Timestamp', personalData: 'none' },
  kommunekode: { type: 'String', personalData: 'identifier', legalBasis: 'BBR-loven § 1' },
};

// The list does not enforce, so values come as published: canonical strings ("3", "true") too, as binary mode sends them.
const EVENTS = [
  makeEvent({ subject: 'bygning/1', eventaction: 'i', etager: 2, fredet: false, virkningfra: '2026-03-01T00:00:00Z', kommunekode: '0301' }),
  makeEvent({ subject: 'bygning/1', eventaction: 'u', etager: '3', fredet: 'true', virkningfra: '2026-03-01T02:00:00+01:00', kommunekode: '0301' }),
  makeEvent({ subject: 'bygning/2', eventaction: 'u', etager: 11, fredet: true, virkningfra: '2026-04-01T00:00:00Z', kommunekode: '0101' }),
  makeEvent({ subject: 'bygning/3', eventaction: 'd', kommunekode: '0301', udeklareret: 7 }),
];

describe('GraphQL: declared attributes', () => {
  let hub: TestHub;
  let consumer = '';

  const key = async (principal: string) => (await (await hub.fetch('/api-keys', { method: 'POST', headers: json, body: JSON.stringify({ principal }) })).json()).key as string;
  const eventids = (r: { body: GqlResult }) => (r.body.data!.events as { nodes: { eventid: string }[] }).nodes.map((n) => n.eventid);
  const events = (where: unknown, key?: string) => gql(hub.url, 'query ($w: EventFilter) { events(list: "bbr", where: $w) { nodes { eventid } } }', { w: where }, key);
  const refusal = (r: { body: GqlResult }) => {
    expect(r.body.errors, JSON.stringify(r.body)).toHaveLength(1);
    return r.body.errors![0].extensions as { code: string; errors: { pointer: string; message: string }[] };
  };

  beforeAll(async () => {
    hub = await startTestHub({ readRate: '0' });
    await createList(hub, 'bbr');
    await createList(hub, 'plain');
    for (const [name, spec] of Object.entries(DECLARED)) {
      const res = await hub.fetch(`/lists/bbr/attributes/${name}`, { method: 'PUT', headers: json, body: JSON.stringify(spec) });
      expect(res.status).toBe(201);
    }
    await publishBatch(hub, 'bbr', EVENTS);
    await publishBatch(hub, 'plain', [makeEvent({ niveau: 7 }), makeEvent({ niveau: '8' })]);
    consumer = await key('org:kommune-0301');
    // The municipality sees its own buildings, without kommunekode or the Timestamp.
    await hub.fetch('/lists/bbr/grants', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ principal: 'org:kommune-0301', filter: "kommunekode = '0301'", fields: ['subject', 'eventaction', 'etager', 'fredet', 'udeklareret'] }),
    });
  });
  afterAll(() => hub.close());

  it('serves declared attributes typed: Integer a number, Boolean a boolean, from canonical strings too', async () => {
    const r = await gql(hub.url, '{ events(list: "bbr") { nodes { eventid attributes etager: attribute(name: "etager") other: attribute(name: "udeklareret") } } }');
    expect(r.body.errors).toBeUndefined();
    expect((r.body.data!.events as { nodes: unknown[] }).nodes).toEqual([
      { eventid: '1', attributes: { eventaction: 'i', etager: 2, fredet: false, virkningfra: '2026-03-01T00:00:00Z', kommunekode: '0301' }, etager: 2, other: null },
      { eventid: '2', attributes: { eventaction: 'u', etager: 3, fredet: true, virkningfra: '2026-03-01T02:00:00+01:00', kommunekode: '0301' }, etager: 3, other: null },
      { eventid: '3', attributes: { eventaction: 'u', etager: 11, fredet: true, virkningfra: '2026-04-01T00:00:00Z', kommunekode: '0101' }, etager: 11, other: null },
      // An undeclared attribute is not in `attributes`; attribute(name) gives it as published.
      { eventid: '4', attributes: { eventaction: 'd', kommunekode: '0301' }, etager: null, other: 7 },
    ]);
    expect(r.body.extensions).toBeUndefined();
  });

  it('serves declared attributes as typed GraphQL fields, projected by the grant', async () => {
    const query = '{ events(list: "bbr") { nodes { eventid declaredAttributes { name type string integer boolean timestamp uri } } } }';
    const typed = (name: string, type: string, field: string, value: unknown) => ({ name, type, string: null, integer: null, boolean: null, timestamp: null, uri: null, [field]: value });
    const r = await gql(hub.url, query);
    expect(r.body.errors).toBeUndefined();
    expect((r.body.data!.events as { nodes: unknown[] }).nodes).toEqual([
      { eventid: '1', declaredAttributes: [typed('etager', 'Integer', 'integer', 2), typed('eventaction', 'String', 'string', 'i'), typed('fredet', 'Boolean', 'boolean', false), typed('kommunekode', 'String', 'string', '0301'), typed('virkningfra', 'Timestamp', 'timestamp', '2026-03-01T00:00:00Z')] },
      // Published as the text "3" and "true": served as an Int and a Boolean.
      { eventid: '2', declaredAttributes: [typed('etager', 'Integer', 'integer', 3), typed('eventaction', 'String', 'string', 'u'), typed('fredet', 'Boolean', 'boolean', true), typed('kommunekode', 'String', 'string', '0301'), typed('virkningfra', 'Timestamp', 'timestamp', '2026-03-01T02:00:00+01:00')] },
      { eventid: '3', declaredAttributes: [typed('etager', 'Integer', 'integer', 11), typed('eventaction', 'String', 'string', 'u'), typed('fredet', 'Boolean', 'boolean', true), typed('kommunekode', 'String', 'string', '0101'), typed('virkningfra', 'Timestamp', 'timestamp', '2026-04-01T00:00:00Z')] },
      { eventid: '4', declaredAttributes: [typed('eventaction', 'String', 'string', 'd'), typed('kommunekode', 'String', 'string', '0301')] },
    ]);
    const c = await gql(hub.url, '{ events(list: "bbr") { nodes { eventid declaredAttributes { name integer } } } }', undefined, consumer);
    expect(c.body.errors).toBeUndefined();
    expect((c.body.data!.events as { nodes: { declaredAttributes: { name: string }[] }[] }).nodes.map((n) => n.declaredAttributes.map((a) => a.name))).toEqual([
      ['etager', 'eventaction', 'fredet'],
      ['etager', 'eventaction', 'fredet'],
      ['eventaction'],
    ]);
    expect(c.body.extensions).toEqual({ minimised: ['attributes.kommunekode', 'attributes.virkningfra'] });
  });

  it('filters with attr by the declared type: numbers as numbers, timestamps as instants, booleans', async () => {
    // As text, "3" > "11"; as Integers, only 11 is greater than 3.
    expect(eventids(await events({ attr: [{ name: 'etager', gt: 3 }] }))).toEqual(['3']);
    expect(eventids(await events({ attr: [{ name: 'etager', gte: '3', lt: 11 }] }))).toEqual(['2']);
    expect(eventids(await events({ attr: [{ name: 'etager', in: [2, '11'] }] }))).toEqual(['1', '3']);
    // 02:00+01:00 is 01:00Z: the same instant as neither, later than event 1's.
    expect(eventids(await events({ attr: [{ name: 'virkningfra', eq: '2026-03-01T01:00:00Z' }] }))).toEqual(['2']);
    expect(eventids(await events({ attr: [{ name: 'virkningfra', gt: '2026-03-01T00:00:00+00:00' }] }))).toEqual(['2', '3']);
    expect(eventids(await events({ attr: [{ name: 'fredet', eq: true }] }))).toEqual(['2', '3']);
    // An event without the attribute matches only neq and nin.
    expect(eventids(await events({ attr: [{ name: 'fredet', neq: true }] }))).toEqual(['1', '4']);
    expect(eventids(await events({ or: [{ attr: [{ name: 'eventaction', eq: 'd' }] }, { attr: [{ name: 'kommunekode', startsWith: '01' }] }] }))).toEqual(['3', '4']);
    // Literals, not only variables.
    const r = await gql(hub.url, '{ events(list: "bbr", where: {attr: [{name: "etager", lte: 2}, {name: "fredet", eq: false}]}) { nodes { eventid } } }');
    expect(eventids(r)).toEqual(['1']);
  });

  it('refuses a value of the wrong type, an operator the type does not take and an undeclared name, naming the attribute', async () => {
    const wrong = refusal(await events({ attr: [{ name: 'etager', eq: 'tre' }] }));
    expect(wrong.code).toBe('BAD_USER_INPUT');
    expect(wrong.errors).toEqual([{ pointer: '/where/attr/0/eq', message: `'etager': "tre" is not an Integer` }]);
    expect(refusal(await events({ attr: [{ name: 'virkningfra', gte: 'yesterday' }] })).errors[0]).toEqual({ pointer: '/where/attr/0/gte', message: `'virkningfra': "yesterday" is not a Timestamp` });
    expect(refusal(await events({ attr: [{ name: 'fredet', gt: true }] })).errors[0]).toEqual({ pointer: '/where/attr/0/gt', message: `'fredet': a Boolean attribute takes eq, neq` });
    expect(refusal(await events({ attr: [{ name: 'fredet', eq: 1 }] })).errors[0].pointer).toBe('/where/attr/0/eq');
    const undeclared = refusal(await events({ and: [{ attr: [{ name: 'etasjer', eq: 2 }] }] }));
    expect(undeclared.errors[0].pointer).toBe('/where/and/0/attr/0/name');
    expect(undeclared.errors[0].message).toMatch(/^'etasjer' is not an attribute list 'bbr' declares \(it declares etager, eventaction, fredet, kommunekode, virkningfra\)/);
    // A float is not an AttributeValue at all.
    const r = await gql(hub.url, '{ events(list: "bbr", where: {attr: [{name: "etager", eq: 2.5}]}) { nodes { eventid } } }');
    expect(r.status).toBe(400);
    expect(r.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('on a list without declarations, attr compares as text, like ext', async () => {
    const r = await gql(hub.url, '{ a: events(list: "plain", where: {attr: [{name: "niveau", in: ["7", 8]}]}) { nodes { eventid } } }');
    expect((r.body.data!.a as { nodes: unknown[] }).nodes).toEqual([{ eventid: '1' }, { eventid: '2' }]);
    expect(refusal(await gql(hub.url, '{ events(list: "plain", where: {attr: [{name: "niveau", gt: 7}]}) { nodes { eventid } } }')).errors[0].message).toMatch(/undeclared attribute/);
  });

  it("projects by the grant: unserved declarations are absent, named in extensions.minimised, and cannot be filtered on", async () => {
    const r = await gql(hub.url, '{ list(name: "bbr") { attributes { name type personalData } } events(list: "bbr") { nodes { eventid attributes k: attribute(name: "kommunekode") } } }', undefined, consumer);
    expect(r.body.errors).toBeUndefined();
    expect((r.body.data!.list as { attributes: unknown[] }).attributes).toEqual([
      { name: 'etager', type: 'Integer', personalData: 'none' },
      { name: 'eventaction', type: 'String', personalData: 'none' },
      { name: 'fredet', type: 'Boolean', personalData: 'none' },
    ]);
    expect((r.body.data!.events as { nodes: unknown[] }).nodes).toEqual([
      { eventid: '1', attributes: { eventaction: 'i', etager: 2, fredet: false }, k: null },
      { eventid: '2', attributes: { eventaction: 'u', etager: 3, fredet: true }, k: null },
      { eventid: '4', attributes: { eventaction: 'd' }, k: null },
    ]);
    expect(r.body.extensions).toEqual({ minimised: ['attributes.kommunekode', 'attributes.virkningfra'] });

    // Filtering on a declared attribute the grant does not serve is refused by name, whatever the value's type.
    for (const where of [{ attr: [{ name: 'kommunekode', eq: '0101' }] }, { attr: [{ name: 'virkningfra', gt: 'not a time' }] }]) {
      const x = refusal(await events(where, consumer));
      expect(x.code).toBe('BAD_USER_INPUT');
      expect(x.errors[0].message).toBe(`'${where.attr[0].name}' is not served by your grant`);
    }
    // A name nobody declared and the grant does not serve answers the same way: the refusal tells nothing of what is declared.
    const declaredHidden = refusal(await events({ attr: [{ name: 'kommunekode', eq: '1' }] }, consumer));
    const undeclaredHidden = refusal(await events({ attr: [{ name: 'nosuchattr', eq: '1' }] }, consumer));
    expect(JSON.stringify(undeclaredHidden).replaceAll('nosuchattr', 'X')).toBe(JSON.stringify(declaredHidden).replaceAll('kommunekode', 'X'));
    // Served declarations are typed and filterable; the refusal for an undeclared, served name lists only served ones.
    expect(eventids(await events({ attr: [{ name: 'etager', gte: 3 }] }, consumer))).toEqual(['2']);
    expect(refusal(await events({ attr: [{ name: 'udeklareret', eq: 7 }] }, consumer)).errors[0].message).toMatch(/\(it declares etager, eventaction, fredet\)/);
  });

  it('a subscription filters on declared attributes the same way', async () => {
    const SUB = 'subscription ($w: EventFilter) { events(list: "bbr", after: "0", where: $w) { eventid attributes } }';
    const s = subscribeWith('sse-distinct', hub.url, SUB, { w: { attr: [{ name: 'etager', gt: 2 }] } });
    await s.received.until(() => s.received.eventids().length === 2);
    expect(s.received.results.map((r) => r.data!.events)).toEqual([
      { eventid: '2', attributes: { eventaction: 'u', etager: 3, fredet: true, virkningfra: '2026-03-01T02:00:00+01:00', kommunekode: '0301' } },
      { eventid: '3', attributes: { eventaction: 'u', etager: 11, fredet: true, virkningfra: '2026-04-01T00:00:00Z', kommunekode: '0101' } },
    ]);
    await s.dispose();
    const bad = subscribeWith('ws', hub.url, SUB, { w: { attr: [{ name: 'etager', gt: 'many' }] } });
    await bad.received.until(() => bad.received.errors().length > 0 || bad.received.error !== undefined);
    const errors = bad.received.errors().length > 0 ? bad.received.errors() : (bad.received.error as GqlResult['errors']);
    expect(errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    await bad.dispose();
  });
});
