/**
 * Property tests: whatever arrives, parseHttpEvents either returns valid
 * events or throws a CloudEventsError with a 4xx status — nothing else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CloudEventsError,
  decodeHeaderValue,
  isRfc3339Timestamp,
  parseHttpEvents,
  parseStructuredEvent,
  percentEncodeHeaderValue,
  toHttpBatch,
  toHttpBinary,
  toHttpStructured,
  validateCloudEvent,
  type CloudEvent,
  type HttpHeaders,
  type HttpLimits,
} from '../../src/cloudevents/index.js';

const LIMITS: HttpLimits = { maxEventBytes: 4096, maxBatchEvents: 20, maxBatchBytes: 64 * 1024 };
const RUNS = { numRuns: 300 };

/** The contract: a result of valid events, or a CloudEventsError with 400/413/415. */
function checkOutcome(headers: HttpHeaders, body: Buffer, limits: HttpLimits = LIMITS): 'ok' | CloudEventsError {
  let result;
  try {
    result = parseHttpEvents(headers, body, limits);
  } catch (e) {
    if (!(e instanceof CloudEventsError)) throw new Error(`threw something other than CloudEventsError: ${String(e)}`, { cause: e });
    expect([400, 413, 415]).toContain(e.status);
    expect(typeof e.title).toBe('string');
    expect(typeof e.detail).toBe('string');
    if (e.status !== 415) expect(e.errors.length).toBeGreaterThan(0);
    for (const v of e.errors) {
      expect(v.pointer === '' || v.pointer.startsWith('/')).toBe(true);
      expect(v.message.length).toBeGreaterThan(0);
    }
    return e;
  }
  expect(['binary', 'structured', 'batch']).toContain(result.mode);
  expect(result.events.length).toBeGreaterThan(0);
  expect(result.serialized).toHaveLength(result.events.length);
  result.events.forEach((ev, i) => {
    expect(validateCloudEvent(ev)).toEqual([]);
    expect(result.serialized[i]).toBe(JSON.stringify(ev));
    expect(Buffer.byteLength(result.serialized[i]!)).toBeLessThanOrEqual(limits.maxEventBytes);
  });
  return 'ok';
}

// ---- arbitraries ----------------------------------------------------------

const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }), // lone surrogates too
  fc.string({ unit: fc.constantFrom('%', 'A', 'f', '0', '9', 'G', '"', '\\', ' ', 'é', '\u00ff', '\u0100') }),
);
const attrName = fc.oneof(
  fc.constantFrom('specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'dataschema', 'data', 'data_base64', 'heroldseq', '__proto__', 'constructor', ''),
  fc.stringMatching(/^[a-z0-9]{1,25}$/),
  fc.string({ maxLength: 8 }),
);
const contentType = fc.oneof(
  fc.constantFrom(
    'application/cloudevents+json',
    'application/cloudevents+json; charset=utf-8',
    'application/cloudevents-batch+json',
    'application/cloudevents+avro',
    'application/json',
    'text/plain',
    'text/plain; charset=latin1',
    'application/octet-stream',
    'application/xml',
    'image/png',
    'application/vnd.x+json',
    '',
    ';;',
    'a/b; c="',
  ),
  anyText,
);
const headerValue = fc.oneof(anyText, fc.array(anyText, { maxLength: 3 }), fc.constant(undefined));
const headersArb: fc.Arbitrary<HttpHeaders> = fc
  .tuple(
    fc.dictionary(attrName.map((n) => `ce-${n}`), headerValue, { maxKeys: 8 }),
    fc.dictionary(fc.string({ maxLength: 10 }), headerValue, { maxKeys: 3 }),
    fc.option(fc.oneof(contentType, fc.array(contentType, { maxLength: 2 })), { nil: undefined }),
    fc.boolean(),
  )
  .map(([ce, other, ct, withSpec]) => {
    const h: HttpHeaders = { ...other, ...ce };
    if (ct !== undefined) h['content-type'] = ct as string;
    if (withSpec) h['ce-specversion'] ??= '1.0';
    return h;
  });
const bodyArb = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? '')),
  anyText.map((s) => Buffer.from(s, 'utf8')),
);

const validTime = fc
  .tuple(
    fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
    fc.constantFrom('Z', 'z', '+00:00', '-00:00', '+02:00', '-23:59', '+05:30'),
    fc.stringMatching(/^(\.[0-9]{1,12})?$/),
    fc.constantFrom('T', 't'),
  )
  .map(([d, zone, frac, t]) => {
    const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ in UTC: the wall clock is checked, not the instant
    return `${iso.slice(0, 10)}${t}${iso.slice(11, 19)}${frac}${zone}`;
  });

const extValue = fc.oneof(fc.string({ unit: 'grapheme', minLength: 0, maxLength: 20 }), fc.boolean(), fc.integer({ min: -2147483648, max: 2147483647 }));
/** JSON values as they come out of JSON.parse (no -0). */
const jsonData = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const validEvent: fc.Arbitrary<CloudEvent> = fc
  .record(
    {
      id: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 20 }).filter((s) => !/[\x00-\x1f\x7f]/.test(s)),
      source: fc.oneof(fc.webUrl(), fc.constantFrom('/mycontext', 'urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66', '1-555-123-4567')),
      type: fc.stringMatching(/^[a-z]{1,8}(\.[a-z0-9]{1,8}){0,3}$/),
      subject: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
      time: validTime,
      dataschema: fc.webUrl(),
      exts: fc.dictionary(fc.stringMatching(/^[a-gi-z][a-z0-9]{0,12}$/), extValue, { maxKeys: 4 }),
      payload: fc.oneof(
        fc.record({ datacontenttype: fc.constantFrom('application/json', 'application/vnd.x+json; charset=utf-8'), data: jsonData }),
        fc.record({ data: jsonData }),
        fc.record({ datacontenttype: fc.constantFrom('text/plain', 'application/xml', 'text/csv; charset=utf-8'), data: fc.string({ unit: 'grapheme' }) }),
        fc.record({ datacontenttype: fc.constantFrom('application/octet-stream', 'image/png'), data_base64: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a).toString('base64')) }),
        fc.record({ data_base64: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a).toString('base64')) }),
        fc.constant({}),
      ),
    },
    { requiredKeys: ['id', 'source', 'type', 'exts', 'payload'] },
  )
  .map(({ exts, payload, ...attrs }) => {
    const ev: Record<string, unknown> = { specversion: '1.0', ...attrs };
    for (const [k, v] of Object.entries(exts)) if (!(k in ev) && k !== 'data') ev[k] = v;
    return { ...ev, ...payload } as CloudEvent;
  });

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), name: attrName }),
  fc.record({ kind: fc.constant('set' as const), name: attrName, value: fc.oneof(fc.jsonValue(), anyText, validTime, fc.double()) }),
  fc.record({ kind: fc.constant('time' as const), value: validTime.chain((t) => fc.nat(t.length).chain((i) => fc.string({ minLength: 1, maxLength: 1 }).map((c) => t.slice(0, i) + c + t.slice(i + 1)))) }),
);
const almostValid: fc.Arbitrary<Record<string, unknown>> = fc.tuple(validEvent, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([ev, muts]) => {
  const e: Record<string, unknown> = { ...ev };
  for (const m of muts) {
    if (m.kind === 'delete') delete e[m.name];
    else if (m.kind === 'set') Object.defineProperty(e, m.name, { value: m.value, enumerable: true, writable: true, configurable: true });
    else e['time'] = m.value;
  }
  return e;
});

// ---- properties -------------------------------------------------------------

describe('fuzz: parseHttpEvents never fails other than with a 4xx CloudEventsError', () => {
  it('arbitrary headers and bodies', () => {
    fc.assert(fc.property(headersArb, bodyArb, (h, b) => void checkOutcome(h, b)), { numRuns: 1000 });
  });

  it('arbitrary JSON in structured and batch mode', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom('application/cloudevents+json', 'application/cloudevents-batch+json'), (v, ct) => {
        void checkOutcome({ 'content-type': ct }, Buffer.from(JSON.stringify(v) ?? 'null'));
      }),
      RUNS,
    );
  });

  it('almost-valid events in every mode, with small limits too', () => {
    const small: HttpLimits = { maxEventBytes: 300, maxBatchEvents: 3, maxBatchBytes: 2000 };
    fc.assert(
      fc.property(fc.array(almostValid, { minLength: 1, maxLength: 5 }), fc.boolean(), (events, useSmall) => {
        const limits = useSmall ? small : LIMITS;
        const one = events[0]!;
        void checkOutcome({ 'content-type': 'application/cloudevents+json' }, Buffer.from(JSON.stringify(one)), limits);
        void checkOutcome({ 'content-type': 'application/cloudevents-batch+json' }, Buffer.from(JSON.stringify(events)), limits);
        const bin = toHttpBinary(one as CloudEvent); // must not throw on invalid events either
        void checkOutcome(bin.headers, bin.body, limits);
        // validation agrees with parseStructuredEvent
        const direct = parseStructuredEvent(one, '');
        expect(direct.event === undefined).toBe(direct.errors.length > 0);
      }),
      RUNS,
    );
  });

  it('a batch is all or nothing: the error names every bad index', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(validEvent.map((e) => e as Record<string, unknown>), almostValid), { minLength: 1, maxLength: 8 }), (events) => {
        const bad = events.map((e, i) => (validateCloudEvent(e).length > 0 ? i : -1)).filter((i) => i >= 0);
        const outcome = checkOutcome({ 'content-type': 'application/cloudevents-batch+json' }, Buffer.from(JSON.stringify(events)), { ...LIMITS, maxEventBytes: 1 << 20 });
        if (bad.length === 0) expect(outcome).toBe('ok');
        else {
          expect(outcome).toBeInstanceOf(CloudEventsError);
          const e = outcome as CloudEventsError;
          expect(e.status).toBe(400);
          const indices = new Set(e.errors.map((v) => Number(v.pointer.split('/')[1])));
          expect([...indices].sort((a, b) => a - b)).toEqual(bad);
        }
      }),
      RUNS,
    );
  });
});

describe('fuzz: round trips of valid events', () => {
  it('structured and batch mode return the same events, byte for byte', () => {
    fc.assert(
      fc.property(fc.array(validEvent, { minLength: 1, maxLength: 5 }), (events) => {
        for (const ev of events) {
          expect(validateCloudEvent(ev)).toEqual([]);
          const s = toHttpStructured(ev);
          const r = parseHttpEvents(s.headers, s.body, { ...LIMITS, maxEventBytes: 1 << 20 });
          expect(r.events[0]).toEqual(ev);
          expect(r.serialized[0]).toBe(s.body.toString('utf8'));
        }
        const b = toHttpBatch(events);
        expect(parseHttpEvents(b.headers, b.body, { ...LIMITS, maxEventBytes: 1 << 20 }).events).toEqual(events);
      }),
      RUNS,
    );
  });

  it('binary mode returns the same event (extension values as their canonical strings)', () => {
    fc.assert(
      fc.property(validEvent, (ev) => {
        const { headers, body } = toHttpBinary(ev);
        for (const [k, v] of Object.entries(headers)) if (k.startsWith('ce-')) expect(v).toMatch(/^[\x21-\x7e]*$/); // header-safe
        const got = parseHttpEvents(headers, body, { ...LIMITS, maxEventBytes: 1 << 20 }).events[0]!;
        const expected: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(ev)) {
          if (k === 'data') expected[k] = JSON.parse(JSON.stringify(v)); // what JSON can carry (-0 becomes 0)
          else expected[k] = typeof v === 'number' || typeof v === 'boolean' ? String(v) : v;
        }
        if (ev.data !== undefined && ev.datacontenttype === undefined) expected['datacontenttype'] = 'application/json';
        // An empty body is no data: empty binary or text data does not survive binary mode.
        if (ev.data_base64 === '') delete expected['data_base64'];
        if (ev.data === '' && ev.datacontenttype !== undefined && !ev.datacontenttype.includes('json')) delete expected['data'];
        expect(got).toEqual(expected);
      }),
      RUNS,
    );
  });

  it('time strings are never rewritten', () => {
    fc.assert(
      fc.property(validTime, (t) => {
        expect(isRfc3339Timestamp(t)).toBe(true);
        const ev = { specversion: '1.0', id: '1', source: '/s', type: 't', time: t };
        expect(parseHttpEvents({ 'content-type': 'application/cloudevents+json' }, Buffer.from(JSON.stringify(ev)), LIMITS).events[0]!.time).toBe(t);
        const bin = toHttpBinary(ev);
        expect(parseHttpEvents(bin.headers, bin.body, LIMITS).events[0]!.time).toBe(t);
      }),
      RUNS,
    );
  });
});

describe('fuzz: header value coding', () => {
  it('percent-encoding round-trips every well-formed string and is header-safe', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const enc = percentEncodeHeaderValue(s);
        expect(enc).toMatch(/^[\x21\x23\x24\x26-\x7e]*(%[0-9A-F]{2}[\x21\x23\x24\x26-\x7e]*)*$/);
        expect(decodeHeaderValue(enc)).toEqual({ ok: true, value: s });
      }),
      { numRuns: 500 },
    );
  });

  it('decoding arbitrary input never throws and never yields unpaired surrogates', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        const r = decodeHeaderValue(s);
        if (r.ok) expect(r.value.isWellFormed()).toBe(true);
        else expect(r.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 1000 },
    );
  });
});
