import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchema, freshSchema, testDatabaseUrl, urlForSchema } from '../helpers/pg.js';
import { type TestHub, createList, makeEvent, publishBatch, publishStructured, startTestHub } from '../helpers/hub.js';
import { asyncApiErrors } from '../catalogue/asyncapi-validate.js';

const json = { 'content-type': 'application/json' };

async function newKey(hub: TestHub, principal: string): Promise<string> {
  const res = await hub.fetch('/api-keys', { method: 'POST', headers: json, body: JSON.stringify({ principal }) });
  expect(res.status).toBe(201);
  return (await res.json()).key;
}

const PERSON_MOVED = {
  title: { en: 'Person moved', nb: 'Person flyttet' },
  description: { en: 'A person has a new address.' },
  schema: {
    type: 'object',
    required: ['name', 'flyttedato'],
    additionalProperties: false,
    properties: { name: { type: 'string', minLength: 1 }, flyttedato: { type: 'string' }, tags: { type: 'array', items: { $ref: '#/$defs/tag' } } },
    $defs: { tag: { type: 'string', maxLength: 8 } },
  },
  examples: [makeEvent({ type: 'person.moved', kommunekode: '0301', data: { name: 'Kari', flyttedato: '2026-03-01' } })],
};
const KOMMUNEKODE = { type: 'String', description: { en: 'Municipality after the move.' }, personalData: 'identifier', legalBasis: 'folkeregisterloven § 10' };

describe('event type catalogue', () => {
  let hub: TestHub;
  let owner: string;
  let publisher: string;
  let consumer: string;
  let stranger: string;
  const as = (key: string, path: string, init: RequestInit = {}) => hub.fetch(path, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${key}` } });
  const put = (key: string, path: string, body: unknown) => as(key, path, { method: 'PUT', headers: json, body: JSON.stringify(body) });
  const publish = (key: string, list: string, events: Record<string, unknown>[]) =>
    as(key, `/lists/${list}/events`, { method: 'POST', headers: { 'content-type': 'application/cloudevents-batch+json' }, body: JSON.stringify(events) });
  const head = async (list: string) => (await (await hub.fetch(`/lists/${list}`)).json()).head;

  beforeAll(async () => {
    hub = await startTestHub({ readRate: '0', publishRate: '0' });
    [owner, publisher, consumer, stranger] = await Promise.all(['org:register', 'org:provider', 'kommune:0301', 'org:stranger'].map((p) => newKey(hub, p)));
    await createList(hub, 'people', { owner: 'org:register', title: 'People' });
    await hub.fetch('/lists/people/publishers', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:provider' }) });
    const grant = await hub.fetch('/lists/people/grants', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'kommune:0301', filter: "kommunekode = '0301'", fields: ['id', 'type', 'subject', 'time'] }) });
    expect(grant.status).toBe(201);
  });
  afterAll(() => hub.close());

  it('the owner declares, changes and withdraws types and attributes; others may not', async () => {
    const created = await put(owner, '/lists/people/types/person.moved', PERSON_MOVED);
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/lists/people/types/person.moved');
    expect(await created.json()).toMatchObject({ type: 'person.moved', title: { en: 'Person moved' }, schema: PERSON_MOVED.schema });
    expect((await put(owner, '/lists/people/types/person.moved', PERSON_MOVED)).status).toBe(200);
    expect((await put(owner, '/lists/people/attributes/kommunekode', KOMMUNEKODE)).status).toBe(201);
    expect((await put(owner, '/lists/people/attributes/alder', { type: 'Integer', personalData: 'none' })).status).toBe(201);
    expect((await put(owner, '/lists/people/types/person.died', { title: 'Person died', deprecated: { since: '2026-01-01', replacement: 'person.moved' } })).status).toBe(201);

    // Publishers and consumers may read the catalogue but not change it; strangers do not see the list.
    expect((await put(publisher, '/lists/people/types/x', {})).status).toBe(403);
    expect((await put(consumer, '/lists/people/attributes/x', KOMMUNEKODE)).status).toBe(403);
    expect((await put(stranger, '/lists/people/types/x', {})).status).toBe(404);
    expect((await as(stranger, '/lists/people/types')).status).toBe(404);
    expect((await as(publisher, '/lists/people/types/person.died')).status).toBe(200);

    expect((await as(owner, '/lists/people/types/person.died', { method: 'DELETE' })).status).toBe(204);
    expect((await as(owner, '/lists/people/types/person.died')).status).toBe(404);
    expect((await as(owner, '/lists/people/types/person.died', { method: 'DELETE' })).status).toBe(404);
    // A list that does not exist answers 404 even to an admin.
    expect((await hub.fetch('/lists/nope/types/x', { method: 'PUT', headers: json, body: '{}' })).status).toBe(404);
  });

  it('a bad declaration is a 400 naming every problem, and changes nothing', async () => {
    const bad = await put(owner, '/lists/people/types/person.moved', {
      title: { de: 'x' },
      schema: { type: 'objec' },
      deprecated: { since: 'soon' },
      colour: 'red',
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const pointers = (await bad.json()).errors.map((e: { pointer: string }) => e.pointer).sort();
    expect(pointers).toEqual(['/colour', '/deprecated/since', '/schema', '/title/de']);
    // An example that its own schema refuses, pointed at inside the example's data.
    const example = await put(owner, '/lists/people/types/person.moved', { ...PERSON_MOVED, examples: [makeEvent({ type: 'person.moved', data: { name: '' } })] });
    expect(example.status).toBe(400);
    expect((await example.json()).errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/examples/0/data/flyttedato', '/examples/0/data/name']);
    const remote = await put(owner, '/lists/people/types/person.moved', { schema: { $ref: 'https://example.com/person.json' } });
    expect(remote.status).toBe(400);
    // Personal data needs its legal basis; core attributes and reserved names cannot be declared.
    const noBasis = await put(owner, '/lists/people/attributes/fnr', { type: 'String', personalData: 'special' });
    expect((await noBasis.json()).errors).toEqual([expect.objectContaining({ pointer: '/legalBasis' })]);
    expect((await put(owner, '/lists/people/attributes/subject', { type: 'String', personalData: 'none' })).status).toBe(400);
    expect((await put(owner, '/lists/people/attributes/heroldx', { type: 'String', personalData: 'none' })).status).toBe(400);
    expect((await put(owner, '/lists/people/attributes/alder', { type: 'Float', personalData: 'none' })).status).toBe(400);
    // The earlier declaration is intact.
    expect((await (await as(owner, '/lists/people/types/person.moved')).json()).schema).toEqual(PERSON_MOVED.schema);
  });

  it('validate: enforce refuses undeclared types, bad data and mistyped attributes with pointers; batches stay atomic', async () => {
    expect((await put(owner, '/lists/people', { validate: 'enforce' })).status).toBe(200);
    const good = makeEvent({ type: 'person.moved', kommunekode: '0301', alder: 42, data: { name: 'Kari', flyttedato: '2026-03-01', tags: ['a'] } });
    expect((await publish(publisher, 'people', [good])).status).toBe(201);
    const before = await head('people');

    const undeclared = await publishStructured(hub, 'people', makeEvent({ type: 'person.vanished' }));
    expect(undeclared.status).toBe(400);
    const p1 = await undeclared.json();
    expect(p1.type).toBe('urn:herold:problem:invalid-event');
    expect(p1.errors).toEqual([{ pointer: '/type', message: expect.stringContaining('not an event type declared') }]);

    const single = await publishStructured(hub, 'people', makeEvent({ type: 'person.moved', data: { name: 7, extra: true, tags: ['much too long'] } }));
    expect(single.status).toBe(400);
    expect((await single.json()).errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/data/extra', '/data/flyttedato', '/data/name', '/data/tags/0']);

    const batch = await publishBatch(hub, 'people', [good, makeEvent({ type: 'person.moved', alder: 'old', kommunekode: 301, data: { name: 'Ola' } }), makeEvent({ type: 'person.moved', data: undefined })]);
    expect(batch.status).toBe(400);
    expect((await batch.json()).errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/1/data/flyttedato', '/1/kommunekode', '/1/alder', '/2/data']);
    expect(await head('people')).toBe(before);

    // Binary mode: data is the body, attributes are headers (Integer as its canonical string).
    const binary = (alder: string, body: unknown) =>
      hub.fetch('/lists/people/events', {
        method: 'POST',
        headers: { 'ce-specversion': '1.0', 'ce-id': `b-${Math.random()}`, 'ce-source': '/test', 'ce-type': 'person.moved', 'ce-alder': alder, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const badBinary = await binary('x', { flyttedato: '2026-01-01' });
    expect((await badBinary.json()).errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/data/name', '/headers/ce-alder']);
    expect((await binary('42', { name: 'Per', flyttedato: '2026-01-01' })).status).toBe(201);
  });

  it('validate: warn stores the events and answers with the violations; off checks nothing', async () => {
    expect((await put(owner, '/lists/people', { validate: 'warn' })).status).toBe(200);
    const res = await publishBatch(hub, 'people', [makeEvent({ type: 'person.moved', data: { name: '', flyttedato: 'x' } }), makeEvent({ type: 'person.unknown' })]);
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body.results).toHaveLength(2);
    expect(body.warnings).toEqual([expect.objectContaining({ pointer: '/0/data/name' }), expect.objectContaining({ pointer: '/1/type' })]);
    expect((await put(owner, '/lists/people', { validate: 'off' })).status).toBe(200);
    const off = await publishStructured(hub, 'people', makeEvent({ type: 'person.unknown' }));
    expect(off.status).toBe(201);
    expect(await off.json()).not.toHaveProperty('warnings');
  });

  it('checks JSON Schema formats: enforce refuses with pointers (batches atomic), warn reports; an unknown format is a 400 when declared', async () => {
    // Its own list, owned by someone else, so that the other tests' views of org:register's lists stay as they are.
    await createList(hub, 'dated', { owner: 'org:dates' });
    const dates = await newKey(hub, 'org:dates');
    const schema = {
      type: 'object',
      properties: {
        day: { type: 'string', format: 'date' },
        at: { type: 'string', format: 'date-time' },
        mail: { type: 'string', format: 'email' },
        link: { type: 'string', format: 'uri' },
        ref: { type: 'string', format: 'uuid' },
      },
    };
    // A misspelt or unknown format would check nothing: it is refused where it is, and nothing is declared.
    const unknown = await put(dates, '/lists/dated/types/dated.v1', { schema: { ...schema, properties: { ...schema.properties, day: { type: 'string', format: 'dato' }, nested: { items: { format: 'postnummer' } } } } });
    expect(unknown.status).toBe(400);
    const problem = await unknown.json();
    expect(problem.errors).toEqual([
      { pointer: '/schema/properties/day/format', message: expect.stringMatching(/^"dato" is not a format the hub checks \(formats: .*date-time.*\)$/) },
      { pointer: '/schema/properties/nested/items/format', message: expect.stringContaining('"postnummer"') },
    ]);
    expect(problem.detail).toContain('/schema/properties/day/format');
    expect((await as(dates, '/lists/dated/types/dated.v1')).status).toBe(404);
    // An example whose data breaks a format is refused too.
    const example = await put(dates, '/lists/dated/types/dated.v1', { schema, examples: [makeEvent({ type: 'dated.v1', data: { day: '2026-02-30' } })] });
    expect((await example.json()).errors).toEqual([{ pointer: '/examples/0/data/day', message: 'must match format "date"' }]);
    expect((await put(dates, '/lists/dated/types/dated.v1', { schema })).status).toBe(201);

    const good = { day: '2026-02-28', at: '2026-02-28T12:00:00+01:00', mail: 'kari@example.no', link: 'https://example.no/a?b=c', ref: '0a3b7c1e-2f4d-4e5a-9b6c-7d8e9f0a1b2c' };
    const bad = { day: '2026-02-30', at: '2026-02-28 12:00', mail: 'kari(at)example.no', link: 'example.no/a', ref: 'not-a-uuid' };
    const pointers = ['/1/data/day', '/1/data/at', '/1/data/mail', '/1/data/link', '/1/data/ref'];
    expect((await put(dates, '/lists/dated', { validate: 'enforce' })).status).toBe(200);
    const before = await head('dated');
    const refused = await publishBatch(hub, 'dated', [makeEvent({ type: 'dated.v1', data: good }), makeEvent({ type: 'dated.v1', data: bad })]);
    expect(refused.status).toBe(400);
    const errors = (await refused.json()).errors;
    expect(errors.map((e: { pointer: string }) => e.pointer)).toEqual(pointers);
    expect(errors[0].message).toBe('must match format "date"');
    expect(await head('dated')).toBe(before);
    expect((await publishBatch(hub, 'dated', [makeEvent({ type: 'dated.v1', data: good })])).status).toBe(201);

    expect((await put(dates, '/lists/dated', { validate: 'warn' })).status).toBe(200);
    const warned = await publishBatch(hub, 'dated', [makeEvent({ type: 'dated.v1', data: good }), makeEvent({ type: 'dated.v1', data: bad })]);
    expect(warned.status).toBe(201);
    expect((await warned.json()).warnings.map((e: { pointer: string }) => e.pointer)).toEqual(pointers);
    expect(Number(await head('dated'))).toBe(Number(before) + 3);
  });

  it('counts the types seen (undeclared too) for owners and publishers, not for consumers', async () => {
    await createList(hub, 'counted', { owner: 'org:register' });
    await hub.fetch('/lists/counted/grants', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'kommune:0301' }) });
    await put(owner, '/lists/counted/types/a', {});
    const dup = makeEvent({ type: 'a' });
    expect((await publishBatch(hub, 'counted', [dup, makeEvent({ type: 'a' }), makeEvent({ type: 'b' })])).status).toBe(201);
    expect((await publishStructured(hub, 'counted', dup)).status).toBe(200); // a duplicate is not counted again
    const seen = (await (await as(owner, '/lists/counted/types')).json()).seen;
    expect(seen).toEqual([
      expect.objectContaining({ type: 'a', declared: true, count: 2, invalid: 0 }),
      expect.objectContaining({ type: 'b', declared: false, count: 1, invalid: 0 }),
    ]);
    const asConsumer = await (await as(consumer, '/lists/counted/types')).json();
    expect(asConsumer.types.map((t: { type: string }) => t.type)).toEqual(['a']);
    expect(asConsumer).not.toHaveProperty('seen');
    // Counts of events that failed the catalogue under warn.
    const people = (await (await as(publisher, '/lists/people/types')).json()).seen;
    expect(people.find((s: { type: string }) => s.type === 'person.unknown')).toMatchObject({ declared: false, count: 2, invalid: 1 });
    expect(people.find((s: { type: string }) => s.type === 'person.moved')).toMatchObject({ declared: true, invalid: 1 });
  });

  it("a consumer sees the catalogue projected by its grant: no data schema, no attribute it is not served", async () => {
    const t = await (await as(consumer, '/lists/people/types/person.moved')).json();
    expect(t).not.toHaveProperty('schema');
    expect(t.examples[0]).not.toHaveProperty('data');
    expect(t.examples[0]).not.toHaveProperty('kommunekode');
    expect(t.examples[0]).toHaveProperty('subject');
    expect((await as(consumer, '/lists/people/types/person.moved/schema')).status).toBe(404);
    expect((await (await as(consumer, '/lists/people/attributes')).json()).attributes).toEqual([]);
    expect((await as(consumer, '/lists/people/attributes/kommunekode')).status).toBe(404);
    // The owner gets the whole schema at the xRegistry's dataschemauri.
    const schema = await as(owner, '/lists/people/types/person.moved/schema');
    expect(schema.headers.get('content-type')).toMatch(/application\/schema\+json/);
    expect(await schema.json()).toEqual(PERSON_MOVED.schema);
    expect((await (await as(owner, '/lists/people/attributes')).json()).attributes.map((a: { name: string }) => a.name)).toEqual(['alder', 'kommunekode']);
  });

  it('AsyncAPI 3.0 per list, valid, and projected by the grant', async () => {
    const full = await (await as(owner, '/lists/people/asyncapi.json')).json();
    expect(await asyncApiErrors(full)).toEqual([]);
    const message = full.components.messages['person.moved'];
    expect(message.payload.properties.type.const).toBe('person.moved');
    expect(message.payload.properties.kommunekode).toMatchObject({ type: 'string', 'x-personal-data': 'identifier', 'x-legal-basis': 'folkeregisterloven § 10' });
    expect(message.payload.properties.data).toEqual({ $ref: '#/components/schemas/person.moved.data' });
    // The schema's own $defs references point into the document.
    expect(full.components.schemas['person.moved.data'].properties.tags.items.$ref).toBe('#/components/schemas/person.moved.data/$defs/tag');
    expect(Object.keys(full.channels)).toEqual(['pull', 'sse', 'webhook', 'amqp']);

    const projected = await (await as(consumer, '/lists/people/asyncapi.json')).json();
    expect(await asyncApiErrors(projected)).toEqual([]);
    const props = Object.keys(projected.components.messages['person.moved'].payload.properties).sort();
    expect(props).toEqual(['heroldprevseq', 'heroldseq', 'heroldtime', 'id', 'source', 'specversion', 'subject', 'time', 'type']);
    expect(projected.components.schemas).toEqual({});
    expect(JSON.stringify(projected)).not.toContain('kommunekode');
    expect(JSON.stringify(projected)).not.toContain('Kari');
    expect((await as(stranger, '/lists/people/asyncapi.json')).status).toBe(404);
  });

  it('declared attributes filter reads where the grant serves them, and only there', async () => {
    await createList(hub, 'filtered', { owner: 'org:register' });
    await put(owner, '/lists/filtered/attributes/kommunekode', KOMMUNEKODE);
    await hub.fetch('/lists/filtered/grants', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'kommune:0301', fields: ['kommunekode'] }) });
    await publishBatch(hub, 'filtered', [makeEvent({ kommunekode: '0301' }), makeEvent({ kommunekode: '4601' })]);
    const page = await (await as(consumer, `/lists/filtered/events?filter=${encodeURIComponent("kommunekode = '0301'")}`)).json();
    expect(page.events.map((e: { kommunekode: string }) => e.kommunekode)).toEqual(['0301']);
    // On 'people' the grant does not serve kommunekode: filtering on it would be an oracle.
    const refused = await as(consumer, `/lists/people/events?filter=${encodeURIComponent("kommunekode = '4601'")}`);
    expect(refused.status).toBe(400);
    expect((await refused.json()).detail).toContain("'kommunekode'");
    const ndjson = await as(consumer, `/lists/people/events?filter=${encodeURIComponent("kommunekode = '4601'")}`, { headers: { accept: 'application/x-ndjson' } });
    expect(ndjson.status).toBe(400);
    // SSE and subscription filters follow the same rule.
    const sse = await as(consumer, `/lists/people/events?filter=${encodeURIComponent("kommunekode = '4601'")}`, { headers: { accept: 'text/event-stream' } });
    expect(sse.status).toBe(400);
    const subscribe = (list: string, filters: unknown[]) =>
      as(consumer, `/lists/${list}/subscriptions`, { method: 'POST', headers: json, body: JSON.stringify({ sink: 'https://receiver.example/hook', filters }) });
    const refusedSubscription = await subscribe('people', [{ exact: { kommunekode: '4601' } }]);
    expect(refusedSubscription.status).toBe(400);
    expect(JSON.stringify(await refusedSubscription.json())).toContain('kommunekode');
    // Where the grant serves it, a stream filters on it.
    const abort = new AbortController();
    const stream = await as(consumer, `/lists/filtered/events?after=0&filter=${encodeURIComponent("kommunekode = '4601'")}`, { headers: { accept: 'text/event-stream' }, signal: abort.signal });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    let text = '';
    while (!text.includes('"kommunekode":"4601"')) text += new TextDecoder().decode((await reader.read()).value);
    abort.abort();
    expect(text).not.toContain('"kommunekode":"0301"');
  });

  describe('discoverable lists', () => {
    beforeAll(async () => {
      await createList(hub, 'open', { owner: 'org:register', title: 'Open register', description: 'Anyone may find it.', discoverable: true });
      await put(owner, '/lists/open/types/open.changed', { title: 'Changed', schema: { type: 'object' } });
      await put(owner, '/lists/open/attributes/kommunekode', KOMMUNEKODE);
      await publishStructured(hub, 'open', makeEvent({ type: 'open.changed', kommunekode: '0301' }));
      await createList(hub, 'closed', { owner: 'org:register', title: 'Closed' });
    });

    it('appear to every principal with name, title, description, declared types and access none; never head, events or grants', async () => {
      const lists = (await (await as(stranger, '/lists')).json()).lists;
      expect(lists).toEqual([{ name: 'open', title: 'Open register', description: 'Anyone may find it.', discoverable: true, types: ['open.changed'], access: 'none' }]);
      const one = await (await as(stranger, '/lists/open')).json();
      expect(one).toEqual(lists[0]);
      expect((await as(stranger, '/lists/closed')).status).toBe(404);
      expect((await as(owner, '/lists/open')).status).toBe(200);
      expect(await (await as(owner, '/lists/open')).json()).toMatchObject({ head: '1', access: 'owner', discoverable: true });
      // Attacker's probes: nothing of the events, head, grants or catalogue details.
      for (const path of ['/lists/open/events', '/lists/open/events/1', '/lists/open/grants', '/lists/open/types', '/lists/open/attributes', '/lists/open/asyncapi.json', '/lists/open/types/open.changed']) {
        const res = await as(stranger, path);
        expect([path, res.status]).toEqual([path, 404]);
      }
      expect((await as(stranger, '/lists/open/events', { headers: { accept: 'text/event-stream' } })).status).toBe(404);
      expect((await as(stranger, '/lists/open/subscriptions', { method: 'POST', headers: json, body: JSON.stringify({ sink: 'http://127.0.0.1:9/', protocol: 'HTTP' }) })).status).toBe(404);
      expect((await publish(stranger, 'open', [makeEvent()])).status).toBe(404);
      // Discovering a list grants no write either.
      expect((await put(stranger, '/lists/open', { discoverable: false })).status).toBe(403);
    });

    it('are message groups in /registry with access none and no schemas; access requests are accepted', async () => {
      const registry = await (await as(stranger, '/registry')).json();
      expect(Object.keys(registry.messagegroups)).toEqual(['open']);
      const group = registry.messagegroups.open;
      expect(group).toMatchObject({ access: 'none', envelope: 'CloudEvents/1.0', messagescount: 1 });
      expect(group.messages['open.changed']).toMatchObject({ messageid: 'open.changed', name: 'Changed', envelope: 'CloudEvents/1.0' });
      expect(group.messages['open.changed']).not.toHaveProperty('dataschemauri');
      expect(JSON.stringify(registry)).not.toContain('kommunekode');
      const request = await as(stranger, '/lists/open/access-requests', { method: 'POST', headers: json, body: JSON.stringify({ purpose: 'We keep a register of the same people.' }) });
      expect(request.status).toBe(201);
      // A list that is not discoverable answers exactly like one that does not exist.
      const hidden = await as(stranger, '/lists/closed/access-requests', { method: 'POST', headers: json, body: JSON.stringify({ purpose: 'We keep a register of the same people.' }) });
      const missing = await as(stranger, '/lists/missing/access-requests', { method: 'POST', headers: json, body: JSON.stringify({ purpose: 'We keep a register of the same people.' }) });
      expect(hidden.status).toBe(404);
      const [h, m] = [await hidden.json(), await missing.json()];
      expect({ ...h, detail: h.detail.replace('closed', 'X') }).toEqual({ ...m, detail: m.detail.replace('missing', 'X') });
    });

    it('the owner sees every list it may read in /registry, with schemas and endpoints for each way to receive', async () => {
      const registry = await (await as(owner, '/registry')).json();
      expect(Object.keys(registry.messagegroups).sort()).toEqual(['closed', 'counted', 'filtered', 'open', 'people']);
      const moved = registry.messagegroups.people.messages['person.moved'];
      expect(moved.dataschemauri).toMatch(/\/lists\/people\/types\/person\.moved\/schema$/);
      expect(moved.dataschemaformat).toBe('JsonSchema/draft-2020-12');
      expect(registry.messagegroups.people).not.toHaveProperty('access');
      expect(Object.keys(registry.endpoints).filter((e) => e.startsWith('people.'))).toEqual(['people.pull', 'people.sse', 'people.webhook', 'people.amqp']);
      expect(registry.endpoints['people.webhook']).toMatchObject({ usage: ['subscriber'], protocol: 'HTTP', protocoloptions: { method: 'POST' } });
      const consumerView = await (await as(consumer, '/registry')).json();
      expect(consumerView.messagegroups.people.messages['person.moved']).not.toHaveProperty('dataschemauri');
      expect(consumerView.messagegroups.open.access).toBe('none');
    });

    it('stop being visible when the owner turns discoverable off', async () => {
      expect((await put(owner, '/lists/open', { discoverable: false })).status).toBe(200);
      expect((await as(stranger, '/lists/open')).status).toBe(404);
      expect((await (await as(stranger, '/registry')).json()).messagegroups).toEqual({});
      expect((await put(owner, '/lists/open', { discoverable: true })).status).toBe(200);
    });
  });

});

describe('event type catalogue across a restart', () => {
  it('keeps declarations, settings and counts; enforcement holds at once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'herold-catalogue-'));
    const pgUrl = testDatabaseUrl();
    const schema = pgUrl ? freshSchema() : undefined;
    const overrides = { dataDir, readRate: '0', publishRate: '0', ...(schema && { databaseUrl: urlForSchema(pgUrl!, schema, { pool_max: '4' }) }) };
    try {
      const first = await startTestHub(overrides);
      await createList(first, 'kept', { validate: 'enforce', discoverable: true });
      const put = (path: string, body: unknown) => first.fetch(path, { method: 'PUT', headers: json, body: JSON.stringify(body) });
      expect((await put('/lists/kept/types/kept.v1', { schema: { type: 'object', required: ['n'] } })).status).toBe(201);
      expect((await put('/lists/kept/attributes/n', { type: 'Integer', personalData: 'none' })).status).toBe(201);
      expect((await publishStructured(first, 'kept', makeEvent({ type: 'kept.v1', data: { n: 1 } }))).status).toBe(201);
      await first.close();
      const second = await startTestHub(overrides);
      try {
        const list = await (await second.fetch('/lists/kept')).json();
        expect(list).toMatchObject({ validate: 'enforce', discoverable: true, types: ['kept.v1'] });
        expect((await (await second.fetch('/lists/kept/types')).json()).seen).toEqual([expect.objectContaining({ type: 'kept.v1', count: 1 })]);
        expect((await (await second.fetch('/lists/kept/attributes/n')).json()).type).toBe('Integer');
        const refused = await publishStructured(second, 'kept', makeEvent({ type: 'kept.v1', data: {} }));
        expect((await refused.json()).errors).toEqual([expect.objectContaining({ pointer: '/data/n' })]);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      if (schema) await dropSchema(schema);
    }
  });
});
