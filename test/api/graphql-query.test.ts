import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getIntrospectionQuery } from 'graphql';
import { ADMIN_KEY, type TestHub, createList, makeEvent, publishBatch, startTestHub } from '../helpers/hub.js';
import { gql } from '../helpers/graphql.js';

const json = { 'content-type': 'application/json' };

/** The events of list `reg`, as published, with their seqs (1-based). */
const TYPES = ['bbr.bygning.changed', 'bbr.enhed.changed', 'bbr.bygning.deleted'];
const published = Array.from({ length: 30 }, (_, i) => ({
  seq: i + 1,
  event: makeEvent({
    type: TYPES[i % 3],
    source: i % 5 === 0 ? '/bbr/import' : '/bbr',
    subject: `bygning/${i % 4}`,
    time: `2026-01-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00+01:00`,
    kommune: i % 2 === 0 ? '0301' : '0101',
    niveau: i % 3,
    data: { n: i },
  }),
}));
type Published = (typeof published)[number];

const EVENT_FIELDS = 'eventid heroldtime heroldprevseq id source specversion type subject time datacontenttype dataschema data data_base64 extensions';

describe('GraphQL queries', () => {
  let hub: TestHub;
  let consumerKey = '';
  let publisherKey = '';

  const key = async (principal: string) => (await (await hub.fetch('/api-keys', { method: 'POST', headers: json, body: JSON.stringify({ principal }) })).json()).key as string;

  beforeAll(async () => {
    hub = await startTestHub({ readRate: '0' });
    await createList(hub, 'reg', { title: 'Register', description: 'BBR events' });
    await createList(hub, 'other');
    await publishBatch(hub, 'reg', published.map((p) => p.event));
    consumerKey = await key('org:consumer');
    publisherKey = await key('org:publisher');
    await hub.fetch('/lists/reg/grants', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:consumer', filter: "kommune = '0301'", fields: ['subject', 'kommune'] }) });
    await hub.fetch('/lists/reg/publishers', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'org:publisher', source: '/bbr' }) });
  });
  afterAll(() => hub.close());

  const eventids = (body: { data?: unknown }) => ((body.data as { events: { nodes: { eventid: string }[] } }).events.nodes ?? []).map((n) => n.eventid);

  it('answers application/graphql-response+json with lists, heads and lastUpdated', async () => {
    const r = await gql(hub.url, '{ lists { name title description head lastUpdated } list(name: "reg") { name head lastUpdated } missing: list(name: "nope") { name } }');
    expect(r.status).toBe(200);
    expect(r.type).toContain('application/graphql-response+json');
    const reg = (r.body.data!.lists as { name: string }[]).find((l) => l.name === 'reg');
    expect(reg).toMatchObject({ name: 'reg', title: 'Register', description: 'BBR events', head: '30' });
    const list = r.body.data!.list as { head: string; lastUpdated: string };
    const last = await (await hub.fetch('/lists/reg/events/30')).json();
    expect(list).toEqual({ name: 'reg', head: '30', lastUpdated: last.heroldtime });
    expect(r.body.data!.missing).toBeNull();
  });

  it('pages with nodes, edges and pageInfo; after: endCursor and where eventid gt are interchangeable', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const r = await gql(hub.url, 'query ($after: String) { events(list: "reg", first: 7, after: $after) { nodes { eventid } edges { cursor node { eventid } } pageInfo { startCursor endCursor hasNextPage } } }', { after });
      const c = r.body.data!.events as { nodes: { eventid: string }[]; edges: { cursor: string; node: { eventid: string } }[]; pageInfo: { startCursor: string | null; endCursor: string; hasNextPage: boolean } };
      expect(c.edges.map((e) => e.node.eventid)).toEqual(c.nodes.map((n) => n.eventid));
      if (c.nodes.length > 0) expect(c.pageInfo.startCursor).toBe(c.edges[0].cursor);
      seen.push(...c.nodes.map((n) => n.eventid));
      // The same page through where: {eventid: {gt: N}} with N the previous page's last eventid.
      const gt = seen.length > c.nodes.length ? seen[seen.length - c.nodes.length - 1] : '0';
      const viaWhere = await gql(hub.url, 'query ($gt: Long) { events(list: "reg", first: 7, where: {eventid: {gt: $gt}}) { nodes { eventid } } }', { gt });
      expect(eventids(viaWhere.body)).toEqual(c.nodes.map((n) => n.eventid));
      after = c.pageInfo.endCursor;
      if (!c.pageInfo.hasNextPage) break;
    }
    expect(seen).toEqual(published.map((p) => String(p.seq)));
    // An eventid is accepted as `after` too.
    expect(eventids((await gql(hub.url, '{ events(list: "reg", first: 2, after: "28") { nodes { eventid } } }')).body)).toEqual(['29', '30']);
  });

  const cases: [string, Record<string, unknown>, (p: Published) => boolean][] = [
    ['eq', { type: { eq: TYPES[1] } }, (p) => p.event.type === TYPES[1]],
    ['neq', { type: { neq: TYPES[1] } }, (p) => p.event.type !== TYPES[1]],
    ['in', { subject: { in: ['bygning/1', 'bygning/2'] } }, (p) => ['bygning/1', 'bygning/2'].includes(p.event.subject as string)],
    ['nin', { subject: { nin: ['bygning/1', 'bygning/2'] } }, (p) => !['bygning/1', 'bygning/2'].includes(p.event.subject as string)],
    ['startsWith', { source: { startsWith: '/bbr/' } }, (p) => (p.event.source as string).startsWith('/bbr/')],
    ['endsWith', { type: { endsWith: '.deleted' } }, (p) => (p.event.type as string).endsWith('.deleted')],
    ['contains', { type: { contains: 'enhed' } }, (p) => (p.event.type as string).includes('enhed')],
    ['time gt (as instants)', { time: { gt: '2026-01-10T08:00:00Z' } }, (p) => Date.parse(p.event.time as string) > Date.parse('2026-01-10T08:00:00Z')],
    ['time lte', { time: { lte: '2026-01-05T09:00:00Z' } }, (p) => Date.parse(p.event.time as string) <= Date.parse('2026-01-05T09:00:00Z')],
    ['and', { and: [{ type: { eq: TYPES[0] } }, { subject: { eq: 'bygning/0' } }] }, (p) => p.event.type === TYPES[0] && p.event.subject === 'bygning/0'],
    ['or', { or: [{ type: { eq: TYPES[2] } }, { subject: { eq: 'bygning/3' } }] }, (p) => p.event.type === TYPES[2] || p.event.subject === 'bygning/3'],
    ['not', { not: { source: { eq: '/bbr' } } }, (p) => p.event.source !== '/bbr'],
    ['ext (text comparison of a number)', { ext: [{ name: 'niveau', eq: '2' }] }, (p) => p.event.niveau === 2],
    ['ext in + attribute', { ext: [{ name: 'kommune', in: ['0101'] }], type: { neq: TYPES[0] } }, (p) => p.event.kommune === '0101' && p.event.type !== TYPES[0]],
    ['eventid range', { eventid: { gte: '5', lt: '9' } }, (p) => p.seq >= 5 && p.seq < 9],
    ['eventid in / nin', { eventid: { in: ['3', '7', '11', '40'], nin: ['7'] } }, (p) => [3, 11].includes(p.seq)],
    ['eventid neq with a filter', { eventid: { neq: '4' }, subject: { eq: 'bygning/0' } }, (p) => p.seq !== 4 && p.event.subject === 'bygning/0'],
  ];
  for (const [name, where, expected] of cases) {
    it(`where ${name}`, async () => {
      const r = await gql(hub.url, 'query ($where: EventFilter) { events(list: "reg", first: 1000, where: $where) { nodes { eventid } pageInfo { hasNextPage } } }', { where });
      expect(r.body.errors).toBeUndefined();
      expect(eventids(r.body)).toEqual(published.filter(expected).map((p) => String(p.seq)));
    });
  }

  it('where on heroldtime bounds the commit time', async () => {
    const all = await gql(hub.url, '{ events(list: "reg", first: 1000) { nodes { eventid heroldtime } } }');
    const t = (all.body.data!.events as { nodes: { heroldtime: string }[] }).nodes[0].heroldtime;
    const before = await gql(hub.url, 'query ($t: String) { events(list: "reg", where: {heroldtime: {lt: $t}}) { nodes { eventid } } }', { t });
    expect(eventids(before.body)).toEqual([]);
    const from = await gql(hub.url, 'query ($t: String) { events(list: "reg", first: 1000, where: {heroldtime: {gte: $t}}) { nodes { eventid } } }', { t });
    expect(eventids(from.body)).toHaveLength(30);
  });

  it('pages are full: the where runs inside the read', async () => {
    const r = await gql(hub.url, '{ events(list: "reg", first: 3, where: {subject: {eq: "bygning/3"}}) { nodes { eventid } pageInfo { endCursor hasNextPage } } }');
    expect(eventids(r.body)).toEqual(['4', '8', '12']);
    expect((r.body.data!.events as { pageInfo: { hasNextPage: boolean } }).pageInfo.hasNextPage).toBe(true);
  });

  it('refuses a bad where with BAD_USER_INPUT and a pointer', async () => {
    for (const [where, pointer] of [
      [{ or: [{ eventid: { gt: '1' } }] }, '/where/or/0/eventid'],
      [{ heroldtime: { startsWith: '2026' } }, '/where/heroldtime/startsWith'],
      [{ time: { gt: 'yesterday' } }, '/where/time/gt'],
      [{ ext: [{ name: 'Bad-Name', eq: 'x' }] }, '/where/ext/0/name'],
      [{ ext: [{ name: 'heroldseq', eq: '1' }] }, '/where/ext/0/name'],
    ] as const) {
      const r = await gql(hub.url, 'query ($where: EventFilter) { events(list: "reg", where: $where) { nodes { eventid } } }', { where });
      expect(r.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', errors: [{ pointer }] });
    }
  });

  it('event(list, eventid); a missing event is null', async () => {
    const r = await gql(hub.url, `{ e: event(list: "reg", eventid: "2") { ${EVENT_FIELDS} } none: event(list: "reg", eventid: "99") { eventid } }`);
    const rest = await (await hub.fetch('/lists/reg/events/2')).json();
    const e = r.body.data!.e as Record<string, unknown>;
    expect(e).toMatchObject({ eventid: '2', heroldtime: rest.heroldtime, id: rest.id, source: rest.source, type: rest.type, subject: rest.subject, time: rest.time, data: rest.data, data_base64: null, heroldprevseq: null });
    expect(e.extensions).toEqual({ kommune: rest.kommune, niveau: rest.niveau });
    expect(r.body.data!.none).toBeNull();
  });

  it('previous follows heroldprevseq, nested', async () => {
    const r = await gql(hub.url, '{ events(list: "reg", first: 30) { nodes { eventid subject heroldprevseq previous { eventid subject previous { eventid } } } } }');
    const nodes = (r.body.data!.events as { nodes: { eventid: string; subject: string; heroldprevseq: string | null; previous: { eventid: string; subject: string; previous: { eventid: string } | null } | null }[] }).nodes;
    for (const n of nodes) {
      const seq = Number(n.eventid);
      const prev = seq > 4 ? String(seq - 4) : null;
      expect(n.heroldprevseq).toBe(prev);
      expect(n.previous?.eventid ?? null).toBe(prev);
      if (n.previous) expect(n.previous.subject).toBe(n.subject);
      expect(n.previous?.previous?.eventid ?? null).toBe(seq > 8 ? String(seq - 8) : null);
    }
  });

  it("a consumer gets its grant's rows, minimised fields as null named in extensions.minimised, and previous within its view", async () => {
    const r = await gql(hub.url, `{ events(list: "reg", first: 100) { nodes { ${EVENT_FIELDS} previous { eventid } } } }`, undefined, consumerKey);
    const nodes = (r.body.data!.events as { nodes: Record<string, unknown>[] }).nodes;
    expect(nodes.map((n) => n.eventid)).toEqual(published.filter((p) => p.event.kommune === '0301').map((p) => String(p.seq)));
    for (const n of nodes) {
      expect(n).toMatchObject({ data: null, time: null, datacontenttype: null });
      expect(n.extensions).toEqual({ kommune: '0301' });
      // Subject bygning/0 and bygning/2 events alternate kommune 0301; the previous one it may see.
      if (n.previous) expect(nodes.some((m) => m.eventid === (n.previous as { eventid: string }).eventid)).toBe(true);
    }
    expect(r.body.extensions?.minimised).toEqual(expect.arrayContaining(['data', 'data_base64', 'datacontenttype', 'dataschema', 'extensions', 'time']));
    expect(r.body.extensions?.minimised).not.toContain('subject');
    // A hidden event is null, exactly like a missing one.
    const hidden = await gql(hub.url, '{ a: event(list: "reg", eventid: "2") { eventid } b: event(list: "reg", eventid: "99") { eventid } }', undefined, consumerKey);
    expect(hidden.body).toEqual({ data: { a: null, b: null } });
  });

  it('a page of plain fields (rendered as text) answers exactly what the general execution answers', async () => {
    const leaves = `${EVENT_FIELDS} __typename`;
    for (const key of [ADMIN_KEY, consumerKey]) {
      const fast = await gql(hub.url, `{ events(list: "reg", first: 50) { nodes { ${leaves} } } }`, undefined, key);
      const general = await gql(hub.url, `{ events(list: "reg", first: 50) { nodes { ...F } } } fragment F on Event { ${leaves} }`, undefined, key);
      expect(fast.body).toEqual(general.body);
      const aliased = await gql(hub.url, `{ a: events(list: "reg", first: 3) { n: nodes { x: eventid subject } pageInfo { hasNextPage } } b: events(list: "reg", first: 2, after: "3") { nodes { eventid } } }`, undefined, key);
      const expected = key === ADMIN_KEY ? ['1', '2', '3'] : ['1', '3', '5'];
      expect((aliased.body.data!.a as { n: { x: string }[] }).n.map((n) => n.x)).toEqual(expected);
      expect((aliased.body.data!.b as { nodes: unknown[] }).nodes).toHaveLength(2);
    }
  });

  it('a filter on an attribute the grant does not serve is BAD_USER_INPUT naming it', async () => {
    const r = await gql(hub.url, '{ events(list: "reg", where: {time: {gt: "2026-01-01T00:00:00Z"}}) { nodes { eventid } } }', undefined, consumerKey);
    expect(r.body.data).toBeNull();
    expect(r.body.errors![0].message).toMatch(/does not serve the attribute 'time'/);
    expect(r.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', status: 400, errors: [{ pointer: '/where', message: "'time' is not served by your grant" }] });
    const ext = await gql(hub.url, '{ events(list: "reg", where: {ext: [{name: "niveau", eq: "1"}]}) { nodes { eventid } } }', undefined, consumerKey);
    expect(ext.body.errors![0].message).toMatch(/'niveau'/);
  });

  it('a hidden list answers exactly like a missing one (NOT_FOUND, or null)', async () => {
    const hidden = await gql(hub.url, '{ events(list: "other") { nodes { eventid } } }', undefined, consumerKey);
    const missing = await gql(hub.url, '{ events(list: "nope") { nodes { eventid } } }', undefined, consumerKey);
    expect(hidden.body.errors![0].extensions!.code).toBe('NOT_FOUND');
    expect(hidden.body.errors![0].message.replace('other', 'X')).toBe(missing.body.errors![0].message.replace('nope', 'X'));
    expect(hidden.body.errors![0].extensions).toEqual({ ...missing.body.errors![0].extensions });
    const lists = await gql(hub.url, '{ lists { name } other: list(name: "other") { name } nope: list(name: "nope") { name } e: event(list: "other", eventid: "1") { eventid } }', undefined, consumerKey);
    expect(lists.body.data).toEqual({ lists: [{ name: 'reg' }], other: null, nope: null, e: null });
    expect(lists.body.errors![0]).toMatchObject({ path: ['e'], extensions: { code: 'NOT_FOUND' } });
  });

  it('errors carry extensions.code: UNAUTHENTICATED, FORBIDDEN', async () => {
    const anonymous = await gql(hub.url, '{ lists { name } }', undefined, null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.type).toContain('application/graphql-response+json');
    expect(anonymous.body.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
    const bad = await gql(hub.url, '{ lists { name } }', undefined, 'not-a-key');
    expect(bad.status).toBe(401);
    expect(bad.body.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
    const publisher = await gql(hub.url, '{ events(list: "reg") { nodes { eventid } } }', undefined, publisherKey);
    expect(publisher.body.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', status: 403 });
  });

  it('GET /graphql runs queries; subscriptions are refused on this transport', async () => {
    const res = await hub.fetch(`/graphql?query=${encodeURIComponent('query ($n: String!) { list(name: $n) { head } }')}&variables=${encodeURIComponent('{"n":"reg"}')}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { list: { head: '30' } } });
    const legacy = await hub.fetch('/graphql?query={lists{name}}', { headers: { accept: 'application/json' } });
    expect(legacy.headers.get('content-type')).toContain('application/json');
    const sub = await gql(hub.url, 'subscription { events(list: "reg") { eventid } }');
    expect(sub.status).toBe(400);
    expect(sub.body.errors![0].message).toMatch(/graphql\/stream/);
  });

  it('limits: depth, aliases, tokens and first are refused with QUERY_TOO_COMPLEX / BAD_USER_INPUT', async () => {
    const deep = await gql(hub.url, '{ events(list: "reg") { nodes { previous { previous { previous { previous { previous { previous { eventid } } } } } } } } }');
    expect(deep.status).toBe(400);
    expect(deep.body.errors![0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'depth', max: 8 });
    const aliases = await gql(hub.url, `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: lists { name }`).join(' ')} }`);
    expect(aliases.body.errors![0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'aliases' });
    const tokens = await gql(hub.url, `{ lists { ${'name '.repeat(2100)} } }`);
    expect(tokens.body.errors![0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'tokens' });
    const first = await gql(hub.url, '{ events(list: "reg", first: 1001) { nodes { eventid } } }');
    expect(first.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', errors: [{ pointer: '/first' }] });
    const fine = await gql(hub.url, '{ events(list: "reg", first: 1000) { nodes { previous { previous { previous { previous { eventid } } } } } } }');
    expect(fine.body.errors).toBeUndefined();
  });

  it('introspection for authenticated callers; suggestions for them too', async () => {
    const r = await gql(hub.url, getIntrospectionQuery());
    expect(r.body.errors).toBeUndefined();
    expect((r.body.data!.__schema as { queryType: { name: string } }).queryType.name).toBe('Query');
    const typo = await gql(hub.url, '{ evnts(list: "reg") { nodes { eventid } } }', undefined, consumerKey);
    expect(typo.body.errors![0].message).toMatch(/Did you mean/);
  });

  it('serves the SDL at /graphql/schema.graphql, equal to docs/schema.graphql', async () => {
    const res = await hub.fetch('/graphql/schema.graphql');
    expect(res.status).toBe(200);
    const served = await res.text();
    expect(served).toBe(readFileSync('docs/schema.graphql', 'utf8'));
    expect(served).toContain('type Subscription');
    expect((await hub.fetch('/graphql/schema.graphql', { auth: false })).status).toBe(401);
  });

  it('the OpenAPI document points to the GraphQL endpoint', async () => {
    const doc = await (await hub.fetch('/openapi.json')).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/graphql', '/graphql/stream', '/graphql/schema.graphql']));
    expect(doc.tags.find((t: { name: string }) => t.name === 'graphql').description).toMatch(/schema\.graphql/);
  });

  it('REST and GraphQL return the same events for the same filter and grant', async () => {
    const rest = await (
      await hub.fetch(`/lists/reg/events?limit=1000&filter=${encodeURIComponent("subject LIKE 'bygning/%' AND NOT (subject = 'bygning/2') AND kommune = '0301'")}`, { auth: false, headers: { authorization: `Bearer ${consumerKey}` } })
    ).json();
    const r = await gql(
      hub.url,
      `{ events(list: "reg", first: 1000, where: {subject: {startsWith: "bygning/"}, not: {subject: {eq: "bygning/2"}}, ext: [{name: "kommune", eq: "0301"}]}) { nodes { ${EVENT_FIELDS} } } }`,
      undefined,
      consumerKey,
    );
    const nodes = (r.body.data!.events as { nodes: Record<string, unknown>[] }).nodes;
    expect(rest.events.length).toBeGreaterThan(0);
    expect(nodes.map((n) => n.eventid)).toEqual(rest.events.map((e: { heroldseq: string }) => e.heroldseq));
    for (let i = 0; i < nodes.length; i++) {
      const e = rest.events[i] as Record<string, unknown>;
      const n = nodes[i];
      for (const a of ['id', 'source', 'specversion', 'type', 'subject', 'time', 'datacontenttype', 'dataschema', 'data', 'data_base64', 'heroldtime', 'heroldprevseq']) {
        expect(n[a], a).toEqual(e[a] ?? null);
      }
      expect(n.extensions).toEqual({ kommune: e.kommune });
    }
  });

  it("records GraphQL reads in the audit with channel 'graphql'", async () => {
    await gql(hub.url, '{ events(list: "reg", first: 5) { nodes { eventid } } }', undefined, consumerKey);
    await hub.running.app.deps.audit.flush();
    const audit = await (await hub.fetch('/audit?principal=org:consumer&list=reg')).json();
    expect(audit.records.some((r: { channel: string }) => r.channel === 'graphql')).toBe(true);
  });
});

describe('GraphQL limits as configured', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ graphqlMaxDepth: '3', graphqlMaxAliases: '1', graphqlMaxFirst: '5', graphqlIntrospection: 'false' });
    await createList(hub, 'l');
  });
  afterAll(() => hub.close());

  it('applies the configured limits and turns introspection off', async () => {
    expect((await gql(hub.url, '{ events(list: "l") { nodes { previous { eventid } } } }')).body.errors![0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', max: 3 });
    expect((await gql(hub.url, '{ a: lists { name } b: lists { name } }')).body.errors![0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', max: 1 });
    expect((await gql(hub.url, '{ events(list: "l", first: 6) { nodes { eventid } } }')).body.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    const intro = await gql(hub.url, '{ __schema { queryType { name } } }');
    expect(intro.body.errors![0].message).toMatch(/introspection/);
  });
});

describe('GraphQL for an anonymous caller (a hub run --insecure)', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ insecure: 'true' });
    await createList(hub, 'l');
  });
  afterAll(() => hub.close());

  it('answers queries, but gives no introspection, no suggestions and no SDL', async () => {
    expect((await gql(hub.url, '{ lists { name } }', undefined, null)).body.data).toBeTruthy();
    const intro = await gql(hub.url, '{ __schema { queryType { name } } }', undefined, null);
    expect(intro.body.errors![0].message).toMatch(/introspection/);
    const typo = await gql(hub.url, '{ evnts(list: "l") { nodes { eventid } } }', undefined, null);
    expect(typo.body.errors![0].message).not.toMatch(/Did you mean/);
    expect((await fetch(`${hub.url}/graphql/schema.graphql`)).status).toBe(401);
    // With credentials, the same hub serves them.
    expect((await gql(hub.url, '{ __schema { queryType { name } } }', undefined, ADMIN_KEY)).body.errors).toBeUndefined();
  });
});
