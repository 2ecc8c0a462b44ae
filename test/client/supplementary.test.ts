import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoGuard, causedBy, sourceWithin } from '../../src/client/causation.js';
import { Deduper } from '../../src/client/dedupe.js';
import { EchoError } from '../../src/client/errors.js';
import { SupplementaryError, SupplementaryFetcher, fetchSupplementary } from '../../src/client/supplementary.js';
import { serve } from './helpers-server.js';

// The provider's API: /api/person/{id} with an ETag per version; counts requests and the most in flight at once.
const people = new Map<string, { name: string; version: number }>([
  ['123', { name: 'Kari', version: 1 }],
  ['456', { name: 'Ola', version: 1 }],
]);
const seen: { url: string; ifNoneMatch?: string; auth?: string }[] = [];
let inFlight = 0;
let maxInFlight = 0;
let provider: Awaited<ReturnType<typeof serve>>;
beforeAll(async () => {
  provider = await serve(async (req, res) => {
    seen.push({ url: req.url!, ifNoneMatch: req.headers['if-none-match'], auth: req.headers.authorization });
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, 20));
    inFlight--;
    const id = /^\/api\/person\/(\d+)$/.exec(req.url!)?.[1];
    const person = id && people.get(id);
    if (req.url === '/api/broken') return res.writeHead(500).end('down for maintenance');
    if (!person) return res.writeHead(404).end();
    const etag = `"v${person.version}"`;
    if (req.headers['if-none-match'] === etag) return res.writeHead(304, { etag }).end();
    res.writeHead(200, { 'content-type': 'application/json', etag }).end(JSON.stringify({ id, name: person.name }));
  });
});
afterAll(() => provider.close());

describe('fetchSupplementary', () => {
  it('follows subject under baseUrl, revalidates with the ETag, and sees a new version', async () => {
    const options = { baseUrl: `${provider.url}/api`, headers: { authorization: 'Bearer provider-token' } };
    const event = { subject: 'person/123' };
    const first = await fetchSupplementary<{ name: string }>(event, options);
    expect(first).toMatchObject({ status: 200, cached: false, etag: '"v1"', body: { id: '123', name: 'Kari' } });
    const again = await fetchSupplementary<{ name: string }>(event, options);
    expect(again).toMatchObject({ status: 200, cached: true, body: { name: 'Kari' } });
    expect(seen.at(-1)).toEqual({ url: '/api/person/123', ifNoneMatch: '"v1"', auth: 'Bearer provider-token' });
    people.set('123', { name: 'Kari Nordmann', version: 2 });
    expect(await fetchSupplementary(event, options)).toMatchObject({ cached: false, etag: '"v2"', body: { name: 'Kari Nordmann' } });
  });

  it('a deleted resource is an answer (404), a failing provider an error', async () => {
    const f = new SupplementaryFetcher({ baseUrl: `${provider.url}/api/` });
    expect(await f.fetch({ subject: 'person/999' })).toMatchObject({ status: 404, body: undefined });
    await expect(f.fetch({ dataref: `${provider.url}/api/broken` })).rejects.toThrow(SupplementaryError);
  });

  it('runs at most `concurrency` requests at once', async () => {
    const f = new SupplementaryFetcher({ baseUrl: `${provider.url}/api`, concurrency: 2 });
    maxInFlight = 0;
    await Promise.all(Array.from({ length: 8 }, (_, i) => f.fetch({ subject: `person/${i % 2 ? '123' : '456'}` })));
    expect(maxInFlight).toBe(2);
  });

  it('never sends the provider’s credentials where an event points outside baseUrl', async () => {
    const f = new SupplementaryFetcher({ baseUrl: `${provider.url}/api`, headers: { authorization: 'Bearer provider-token' } });
    const before = seen.length;
    for (const event of [
      { subject: '../admin/keys' },
      { subject: 'person/%2e%2e/%2e%2e/admin' },
      { subject: 'http://evil.example/steal' },
      { dataref: 'https://evil.example/steal' },
      { dataref: `${provider.url.replace('127.0.0.1', 'localhost')}/api/person/123` },
    ]) {
      await expect(f.fetch(event), JSON.stringify(event)).rejects.toThrow(/refusing/);
    }
    await expect(f.fetch({})).rejects.toThrow(/neither dataref nor subject/);
    // A subject is always a path under baseUrl, even one that looks like a host.
    expect(f.urlOf({ subject: '//evil.example/steal' })).toBe(`${provider.url}/api/evil.example/steal`);
    expect(seen.length).toBe(before);
    // An origin named as allowed may be followed.
    const allowed = new SupplementaryFetcher({ baseUrl: `${provider.url}/api`, allowOrigins: [provider.url.replace('127.0.0.1', 'localhost')] });
    expect(allowed.urlOf({ dataref: `${provider.url.replace('127.0.0.1', 'localhost')}/api/person/123` })).toContain('localhost');
  });
});

describe('causation and echoes', () => {
  it('stamps the cause and the origin of the chain, and the origin stays across hops', () => {
    const hr = { id: 'hr-1', source: '/hr', type: 'person.changed' };
    const cms = causedBy({ source: '/cms', type: 'page.updated', id: 'cms-1' }, hr);
    expect(cms).toMatchObject({ causationid: 'hr-1', causationsource: '/hr', originsource: '/hr', correlationid: 'hr-1' });
    const search = causedBy({ source: '/search', type: 'indexed' }, cms);
    expect(search).toMatchObject({ causationid: 'cms-1', causationsource: '/cms', originsource: '/hr', correlationid: 'hr-1' });
  });

  it('refuses to publish an echo of the system’s own change, and lets other chains through', () => {
    const hrGuard = new EchoGuard('/hr');
    const cmsChange = causedBy({ source: '/cms', type: 'page.updated', id: 'cms-1' }, { id: 'hr-1', source: '/hr/people' });
    expect(hrGuard.isEcho(cmsChange)).toBe(true);
    const reaction = causedBy({ source: '/hr', type: 'person.changed', id: 'hr-2' }, cmsChange);
    expect(() => hrGuard.check(reaction)).toThrow(EchoError);
    expect(() => hrGuard.check(reaction)).toThrow(/would loop/);
    const fromElsewhere = causedBy({ source: '/hr', type: 'person.changed' }, { id: 'x', source: '/folkeregister' });
    expect(hrGuard.check(fromElsewhere)).toBe(fromElsewhere);
    expect(new EchoGuard('/cms').isEcho(cmsChange)).toBe(false);
  });

  it('source prefixes end at a boundary', () => {
    expect(sourceWithin('/hr', '/hr')).toBe(true);
    expect(sourceWithin('/hr/people', '/hr')).toBe(true);
    expect(sourceWithin('urn:hr:1', 'urn:hr')).toBe(true);
    expect(sourceWithin('/hrx', '/hr')).toBe(false);
  });
});

describe('Deduper', () => {
  it('remembers the last N (source, id) keys', () => {
    const d = new Deduper(2);
    d.add({ source: '/a', id: '1' });
    d.add({ source: '/a', id: '2' });
    expect(d.has({ source: '/a', id: '1' })).toBe(true);
    expect(d.has({ source: '/b', id: '1' })).toBe(false);
    d.add({ source: '/a', id: '3' });
    expect(d.has({ source: '/a', id: '1' })).toBe(false);
    expect(d.has({ source: '/a', id: '3' })).toBe(true);
  });
});
