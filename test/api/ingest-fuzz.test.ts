import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, createList, makeEvent, startTestHub } from '../helpers/hub.js';

/**
 * DESIGN.md invariant 7 through the real HTTP interface: malformed headers,
 * JSON and CloudEvents get a 4xx problem+json, the process stays up, and
 * nothing is stored.
 */
describe('ingest fuzzing', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
    await createList(hub, 'fuzz');
  });
  afterAll(() => hub.close());

  const attr = fc.oneof(
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(''),
    fc.constant('2026-02-30T00:00:00Z'),
    fc.array(fc.string(), { maxLength: 2 }),
    fc.object({ maxDepth: 1 }),
  );
  // Events that are wrong in at least one way.
  const badEvent = fc
    .record({
      specversion: fc.oneof(fc.constant('1.0'), attr),
      id: fc.oneof(fc.constant('x'), attr),
      source: fc.oneof(fc.constant('/s'), attr),
      type: fc.oneof(fc.constant('t'), attr),
      time: fc.oneof(attr, fc.constant('not-a-time')),
      data_base64: fc.oneof(fc.constant('!!notbase64'), attr),
    }, { requiredKeys: [] })
    .chain((ev) => fc.record({ ev: fc.constant(ev), extra: fc.dictionary(fc.string({ maxLength: 25 }), attr, { maxKeys: 3 }) }))
    .map(({ ev, extra }) => ({ ...extra, ...ev, data: 1, data_base64: 'AA==' }));

  const contentTypes = fc.constantFrom(
    'application/cloudevents+json',
    'application/cloudevents-batch+json',
    'application/cloudevents+xml',
    'application/json',
    'text/plain',
    '',
    ';;;',
    'application/cloudevents+json; charset=latin1',
  );
  const headerValue = fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, ''));
  const ceHeaders = fc.dictionary(
    fc.constantFrom('ce-specversion', 'ce-id', 'ce-source', 'ce-type', 'ce-time', 'ce-Bad_Name', 'ce-', 'ce-heroldseq', 'ce-subject'),
    fc.oneof(headerValue, fc.constant('%zz'), fc.constant('%C3%28'), fc.constant('1.0')),
  );
  const body = fc.oneof(
    badEvent.map((e) => JSON.stringify(e)),
    fc.array(badEvent, { maxLength: 3 }).map((a) => JSON.stringify(a)),
    fc.string().map((s) => '{' + s),
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
    fc.constant(''),
    fc.constant('[]'),
    fc.constant('null'),
    fc.constant('{"__proto__":{"specversion":"1.0"}}'),
  );

  it('answers every malformed request with 4xx problem+json and stores nothing', async () => {
    const headBefore = (await (await hub.fetch('/lists/fuzz')).json()).head;
    await fc.assert(
      fc.asyncProperty(contentTypes, ceHeaders, body, async (contentType, ce, payload) => {
        const headers: Record<string, string> = { ...ce };
        if (contentType) headers['content-type'] = contentType;
        // Binary mode with every required header valid would be a valid event: keep one broken.
        if (headers['ce-specversion'] === '1.0' && headers['ce-id'] && headers['ce-source'] && headers['ce-type']) headers['ce-time'] = 'never';
        const res = await hub.fetch('/lists/fuzz/events', { method: 'POST', headers, body: payload });
        const text = await res.text();
        expect(res.status, `${res.status} ${text}`).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        const p = JSON.parse(text);
        expect(typeof p.title).toBe('string');
        expect(typeof p.detail).toBe('string');
        expect(p.status).toBe(res.status);
      }),
      { numRuns: 400 },
    );
    expect((await (await hub.fetch('/lists/fuzz')).json()).head).toBe(headBefore);
    // Still up and still accepting good events.
    expect((await hub.fetch('/lists/fuzz/events', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(makeEvent()) })).status).toBe(201);
  });
});
