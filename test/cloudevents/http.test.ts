import { describe, expect, it } from 'vitest';
import {
  CloudEventsError,
  decodeHeaderValue,
  parseHttpEvents,
  percentEncodeHeaderValue,
  toBatchJson,
  toHttpBatch,
  toHttpBinary,
  toHttpStructured,
  toStructuredJson,
  type CloudEvent,
  type HttpHeaders,
  type HttpLimits,
} from '../../src/cloudevents/index.js';

const LIMITS: HttpLimits = { maxEventBytes: 64 * 1024, maxBatchEvents: 10, maxBatchBytes: 1024 * 1024 };
const CE = 'application/cloudevents+json';
const BATCH = 'application/cloudevents-batch+json';
const ev = (patch: Record<string, unknown> = {}): Record<string, unknown> => ({ specversion: '1.0', id: '1', source: '/s', type: 't', ...patch });
const binHeaders = (extra: HttpHeaders = {}): HttpHeaders => ({ 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/s', 'ce-type': 't', ...extra });
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

function fail(headers: HttpHeaders, body: Buffer | string, limits: HttpLimits = LIMITS): CloudEventsError {
  try {
    parseHttpEvents(headers, typeof body === 'string' ? Buffer.from(body) : body, limits);
  } catch (e) {
    expect(e).toBeInstanceOf(CloudEventsError);
    return e as CloudEventsError;
  }
  throw new Error('expected parseHttpEvents to throw');
}
const pointersOf = (e: CloudEventsError): string[] => e.errors.map((v) => v.pointer);

describe('content mode detection', () => {
  it('structured for application/cloudevents+json, with or without parameters, case-insensitively', () => {
    for (const ct of [CE, `${CE}; charset=utf-8`, 'Application/CloudEvents+JSON;charset=UTF-8']) {
      expect(parseHttpEvents({ 'content-type': ct }, json(ev()), LIMITS).mode).toBe('structured');
    }
  });
  it('batch for application/cloudevents-batch+json', () => {
    expect(parseHttpEvents({ 'content-type': `${BATCH}; charset=utf-8` }, json([ev()]), LIMITS).mode).toBe('batch');
  });
  it('binary for any other content type, or none, with ce-specversion', () => {
    expect(parseHttpEvents(binHeaders({ 'content-type': 'application/json' }), Buffer.from('{}'), LIMITS).mode).toBe('binary');
    expect(parseHttpEvents(binHeaders(), Buffer.alloc(0), LIMITS).mode).toBe('binary');
  });
  it('structured mode ignores ce- headers', () => {
    const r = parseHttpEvents({ 'content-type': CE, 'ce-id': 'other', 'ce-specversion': '1.0' }, json(ev()), LIMITS);
    expect(r.events[0]!.id).toBe('1');
  });
  it('415 for other CloudEvents formats, naming the accepted modes', () => {
    for (const ct of ['application/cloudevents+avro', 'application/cloudevents-batch+protobuf', 'application/cloudevents']) {
      const e = fail({ 'content-type': ct, 'ce-specversion': '1.0' }, '{}');
      expect(e.status).toBe(415);
      expect(e.detail).toMatch(/application\/cloudevents\+json.*application\/cloudevents-batch\+json.*binary/);
    }
  });
  it('415 for a non-CloudEvents content type without ce-specversion', () => {
    const e = fail({ 'content-type': 'application/json' }, '{}');
    expect(e.status).toBe(415);
    expect(e.detail).toMatch(/structured mode .*batch mode .*binary mode/);
    expect(fail({}, '').status).toBe(415);
  });
  it('415 mentions the missing ce-specversion when other ce- headers are there', () => {
    const e = fail({ 'ce-id': '1', 'ce-source': '/s', 'ce-type': 't' }, '');
    expect(e.status).toBe(415);
    expect(e.detail).toMatch(/ce-specversion/);
  });
  it('415 for a JSON format in another charset', () => {
    expect(fail({ 'content-type': `${CE}; charset=iso-8859-1` }, json(ev())).status).toBe(415);
  });
});

describe('structured mode', () => {
  it('keeps attribute order and values byte-for-byte', () => {
    const text = '{"type":"t","time":"2018-04-05T03:56:24.123456789+02:00","id":"1","specversion":"1.0","source":"/s","x":5,"data":{"b":1,"a":[1.5]}}';
    const r = parseHttpEvents({ 'content-type': CE }, Buffer.from(text), LIMITS);
    expect(r.events[0]!.time).toBe('2018-04-05T03:56:24.123456789+02:00');
    expect(r.serialized[0]).toBe(text);
    expect(toStructuredJson(r.events[0]!)).toBe(text);
  });
  it('accepts a UTF-8 byte order mark', () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json(ev())]);
    expect(parseHttpEvents({ 'content-type': CE }, body, LIMITS).events).toHaveLength(1);
  });
  it('400 for invalid JSON, invalid UTF-8 or a non-object', () => {
    for (const body of ['{', '', 'nul', Buffer.from([0x7b, 0xff, 0x7d]), '[]', '"x"']) {
      const e = fail({ 'content-type': CE }, body);
      expect(e.status).toBe(400);
      expect(pointersOf(e)).toEqual(['']);
    }
  });
  it('400 with every violation, pointers at the top level', () => {
    const e = fail({ 'content-type': CE }, json({ specversion: '1.0', id: '', source: '/s', time: '2018-02-30T00:00:00Z', herolda: 1 }));
    expect(e.status).toBe(400);
    expect(e.title).toBe('Invalid CloudEvent');
    expect(pointersOf(e)).toEqual(['/id', '/time', '/herolda', '/type']);
    expect(e.detail).toMatch(/4 violations/);
  });
});

describe('batch mode', () => {
  it('reads every event in order', () => {
    const r = parseHttpEvents({ 'content-type': BATCH }, json([ev({ id: 'a' }), ev({ id: 'b' }), ev({ id: 'c' })]), LIMITS);
    expect(r.events.map((e) => e.id)).toEqual(['a', 'b', 'c']);
    expect(r.serialized).toHaveLength(3);
  });
  it('is atomic: one bad event rejects the whole batch, with its index in the pointer', () => {
    const batch = [ev({ id: 'a' }), ev({ id: 'b' }), ev({ id: 'c' }), ev({ id: 'd', time: 'not a time' })];
    const e = fail({ 'content-type': BATCH }, json(batch));
    expect(e.status).toBe(400);
    expect(pointersOf(e)).toEqual(['/3/time']);
    expect(e.detail).toMatch(/rejected as a whole.*1 violation in 1 of 4 events/);
  });
  it('collects violations from every bad event', () => {
    const e = fail({ 'content-type': BATCH }, json([ev({ id: '' }), ev(), 'x', ev({ specversion: '2.0', subject: '' })]));
    expect(pointersOf(e)).toEqual(['/0/id', '/2', '/3/specversion', '/3/subject']);
  });
  it('400 for an empty array or a non-array', () => {
    expect(fail({ 'content-type': BATCH }, '[]').status).toBe(400);
    expect(fail({ 'content-type': BATCH }, '[]').detail).toMatch(/empty/);
    expect(fail({ 'content-type': BATCH }, json(ev())).detail).toMatch(/JSON array/);
  });
  it('413 for more than maxBatchEvents events', () => {
    const e = fail({ 'content-type': BATCH }, json(Array.from({ length: 11 }, (_, i) => ev({ id: String(i) }))));
    expect(e.status).toBe(413);
    expect(e.detail).toMatch(/11 events; the limit is 10/);
  });
  it('413 for a body over maxBatchBytes, before parsing', () => {
    const e = fail({ 'content-type': BATCH }, Buffer.alloc(2000, 0x20), { ...LIMITS, maxBatchBytes: 1000 });
    expect(e.status).toBe(413);
  });
  it('caps the number of violations listed', () => {
    const limits = { ...LIMITS, maxBatchEvents: 2000 };
    const e = fail({ 'content-type': BATCH }, json(Array.from({ length: 1500 }, () => ({}))), limits);
    expect(e.errors).toHaveLength(1000);
    expect(e.detail).toMatch(/6000 violations in 1500 of 1500 events.*first 1000/);
  });
});

describe('size limit per event', () => {
  const limits = { ...LIMITS, maxEventBytes: 200 };
  it('413 for a structured event whose JSON exceeds maxEventBytes', () => {
    const e = fail({ 'content-type': CE }, json(ev({ data: 'x'.repeat(300) })), limits);
    expect(e.status).toBe(413);
    expect(pointersOf(e)).toEqual(['']);
  });
  it('measures UTF-8 bytes, not characters', () => {
    const small = ev({ data: 'ø'.repeat(60) }); // ~120 data bytes
    const big = ev({ data: 'ø'.repeat(90) }); // 180 data bytes + attributes > 200
    expect(parseHttpEvents({ 'content-type': CE }, json(small), limits).events).toHaveLength(1);
    expect(fail({ 'content-type': CE }, json(big), limits).status).toBe(413);
  });
  it('measures the compact form, not the request whitespace', () => {
    const padded = Buffer.from(JSON.stringify(ev({ data: 'x'.repeat(50) })).replace(/,/g, ',' + ' '.repeat(40)));
    expect(padded.length).toBeGreaterThan(200);
    expect(parseHttpEvents({ 'content-type': CE }, padded, limits).events).toHaveLength(1);
  });
  it('413 in a batch points at each oversized event', () => {
    const e = fail({ 'content-type': BATCH }, json([ev(), ev({ data: 'x'.repeat(300) }), ev(), ev({ data: 'y'.repeat(300) })]), limits);
    expect(e.status).toBe(413);
    expect(pointersOf(e)).toEqual(['/1', '/3']);
  });
  it('413 for binary mode, also for base64 growth of binary data', () => {
    expect(fail(binHeaders({ 'content-type': 'application/octet-stream' }), Buffer.alloc(300), limits).status).toBe(413);
    expect(fail(binHeaders({ 'content-type': 'application/octet-stream' }), Buffer.alloc(120), limits).status).toBe(413); // 160 base64 chars + attributes
    expect(parseHttpEvents(binHeaders({ 'content-type': 'application/octet-stream' }), Buffer.alloc(60), limits).events).toHaveLength(1);
  });
});

describe('binary mode', () => {
  it('maps ce- headers to attributes and Content-Type to datacontenttype', () => {
    const r = parseHttpEvents(binHeaders({ 'ce-time': '2018-04-05T03:56:24.123456789+02:00', 'ce-subject': 'x/y', 'ce-myext': '5', 'content-type': 'application/json; charset=utf-8', host: 'h', 'x-other': 'ignored' }), Buffer.from('{"a":1}'), LIMITS);
    expect(r.events[0]).toEqual({ specversion: '1.0', id: '1', source: '/s', type: 't', subject: 'x/y', time: '2018-04-05T03:56:24.123456789+02:00', datacontenttype: 'application/json; charset=utf-8', myext: '5', data: { a: 1 } });
  });
  it('keeps a canonical attribute order whatever the header order', () => {
    const r = parseHttpEvents({ 'ce-zext': 'z', 'ce-type': 't', 'ce-aext': 'a', 'ce-source': '/s', 'ce-id': '1', 'ce-specversion': '1.0' }, Buffer.alloc(0), LIMITS);
    expect(Object.keys(r.events[0]!)).toEqual(['specversion', 'id', 'source', 'type', 'zext', 'aext']);
  });

  describe('data representation', () => {
    const read = (ct: string | undefined, body: Buffer | string): CloudEvent =>
      parseHttpEvents(binHeaders(ct === undefined ? {} : { 'content-type': ct }), typeof body === 'string' ? Buffer.from(body) : body, LIMITS).events[0]!;

    it('JSON content types are parsed into data', () => {
      for (const ct of ['application/json', 'text/json', 'application/vnd.api+json', 'application/ld+json; charset=utf-8']) {
        expect(read(ct, '{"x":[1,2]}').data).toEqual({ x: [1, 2] });
      }
      expect(read('application/json', '"just a string"').data).toBe('just a string');
      expect(read('application/json', 'null').data).toBeNull();
      expect(read('application/json', '1.5').data).toBe(1.5);
    });
    it('an empty body means no data', () => {
      const e = read('application/json', '');
      expect('data' in e || 'data_base64' in e).toBe(false);
      expect(e.datacontenttype).toBe('application/json');
    });
    it('invalid JSON is a 400 at /data', () => {
      const e = fail(binHeaders({ 'content-type': 'application/json' }), '{"message": oops}');
      expect(e.status).toBe(400);
      expect(pointersOf(e)).toEqual(['/data']);
      expect(fail(binHeaders({ 'content-type': 'application/json' }), Buffer.from([0x22, 0xc3, 0x28, 0x22])).errors[0]!.message).toMatch(/UTF-8/);
    });
    it('text content types with UTF-8 bytes become a string', () => {
      for (const ct of ['text/plain', 'text/csv; charset=utf-8', 'text/html; charset=US-ASCII', 'application/xml', 'image/svg+xml', 'application/x-www-form-urlencoded', 'application/yaml']) {
        expect(read(ct, 'æøå <x/> a=b').data).toBe('æøå <x/> a=b');
      }
    });
    it('text in another charset, or not valid UTF-8, stays bytes in data_base64', () => {
      const latin1 = Buffer.from([0x62, 0xe6, 0x72]);
      expect(read('text/plain; charset=iso-8859-1', latin1).data_base64).toBe(latin1.toString('base64'));
      expect(read('text/plain', latin1).data_base64).toBe(latin1.toString('base64'));
    });
    it('other content types, and no content type, become data_base64', () => {
      const bytes = Buffer.from([0, 1, 2, 255]);
      for (const ct of ['application/octet-stream', 'image/png', 'application/vnd.apache.thrift.binary', undefined]) {
        const e = read(ct, bytes);
        expect(e.data_base64).toBe('AAEC/w==');
        expect('data' in e).toBe(false);
        expect(e.datacontenttype).toBe(ct);
      }
      // JSON format example: data_base64 without datacontenttype, no content type inferred
      expect(read(undefined, '{ "xyz": 123 }').data_base64).toBe('eyAieHl6IjogMTIzIH0=');
    });
  });

  describe('header values', () => {
    const readExt = (value: string): unknown => parseHttpEvents(binHeaders({ 'ce-ext': value }), Buffer.alloc(0), LIMITS).events[0]!['ext'];
    it('are percent-decoded (spec example)', () => {
      expect(readExt('Euro%20%E2%82%AC%20%F0%9F%98%80')).toBe('Euro € 😀');
    });
    it('accept lower-case hex and unnecessary encoding', () => {
      expect(readExt('%e2%82%ac%41%2f')).toBe('€A/');
    });
    it('are unquoted from RFC 7230 quoted-strings first', () => {
      expect(readExt('"hello world"')).toBe('hello world');
      expect(readExt('"a \\"quoted\\" \\\\ word"')).toBe('a "quoted" \\ word');
      expect(readExt('"50%25"')).toBe('50%');
    });
    it('read raw UTF-8 bytes (latin1 characters from Node) as UTF-8', () => {
      expect(readExt(Buffer.from('æøå', 'utf8').toString('latin1'))).toBe('æøå');
    });
    it('reject malformed percent-encoding, invalid UTF-8 and broken quoting with a pointer', () => {
      for (const bad of ['%', '%4', '%zz', 'a%2', '%C0%A0', '%ED%A0%80', '%FF', '%E2%82', '"unterminated', '"a"b"', '"ends with backslash\\"']) {
        const e = fail(binHeaders({ 'ce-ext': bad }), '');
        expect(e.status, bad).toBe(400);
        expect(pointersOf(e), bad).toEqual(['/headers/ce-ext']);
      }
    });
    it('reject decoded control characters', () => {
      const e = fail(binHeaders({ 'ce-ext': 'a%0Ab' }), '');
      expect(e.errors[0]).toEqual({ pointer: '/headers/ce-ext', message: expect.stringMatching(/control character U\+000A/) });
    });
  });

  describe('violations point at headers', () => {
    it('every validation rule uses /headers/ce-<name>, /headers/content-type or /data', () => {
      const e = fail(
        { 'ce-specversion': '0.3', 'ce-id': '', 'ce-source': 'a b', 'ce-time': '2018-04-05', 'ce-heroldx': '1', 'ce-bad_name': 'x', 'content-type': 'not a type' },
        'body',
      );
      expect(pointersOf(e)).toEqual(['/headers/ce-bad_name', '/headers/ce-specversion', '/headers/ce-id', '/headers/ce-source', '/headers/ce-time', '/headers/content-type', '/headers/ce-heroldx', '/headers/ce-type']);
    });
    it('duplicate headers (arrays) are violations', () => {
      const e = fail(binHeaders({ 'ce-id': ['1', '2'] }), '');
      expect(pointersOf(e)).toEqual(['/headers/ce-id']);
      expect(e.errors[0]!.message).toMatch(/appears 2 times/);
      expect(parseHttpEvents(binHeaders({ 'ce-ext': ['only'] }), Buffer.alloc(0), LIMITS).events[0]!['ext']).toBe('only');
    });
    it('an unreadable required header is reported once, not also as missing', () => {
      const e = fail(binHeaders({ 'ce-id': '%zz' }), '');
      expect(pointersOf(e)).toEqual(['/headers/ce-id']);
      expect(e.errors[0]!.message).toMatch(/malformed percent-encoding/);
    });
    it('duplicate headers differing in case are violations', () => {
      expect(pointersOf(fail(binHeaders({ 'CE-ID': '2' }), ''))).toEqual(['/headers/ce-id']);
    });
    it('ce-datacontenttype and ce-data are not allowed', () => {
      expect(pointersOf(fail(binHeaders({ 'ce-datacontenttype': 'text/plain' }), 'x'))).toEqual(['/headers/ce-datacontenttype']);
      expect(pointersOf(fail(binHeaders({ 'ce-data': 'x' }), ''))).toEqual(['/headers/ce-data']);
    });
    it('a ce-__proto__ header is just an invalid name', () => {
      expect(pointersOf(fail(binHeaders({ 'ce-__proto__': 'x' }), ''))).toEqual(['/headers/ce-__proto__']);
    });
  });
});

describe('percent-encoding', () => {
  it('encodes exactly space, double-quote, percent and non-printable-ASCII (spec example)', () => {
    expect(percentEncodeHeaderValue('Euro € 😀')).toBe('Euro%20%E2%82%AC%20%F0%9F%98%80');
    expect(percentEncodeHeaderValue('a"b%c d')).toBe('a%22b%25c%20d');
    expect(percentEncodeHeaderValue('\t\n\u007f')).toBe('%09%0A%7F');
    const printable = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).filter((c) => c !== '"' && c !== '%').join('');
    expect(percentEncodeHeaderValue(printable)).toBe(printable);
  });
  it('round-trips through decoding', () => {
    for (const s of ['', 'plain', 'Euro € 😀', '100% "quoted"', 'æøå ÆØÅ', '𝄞 music', 'tab\tand space', '%41 literal']) {
      expect(decodeHeaderValue(percentEncodeHeaderValue(s))).toEqual({ ok: true, value: s });
    }
  });
  it('round-trips attributes through toHttpBinary and parseHttpEvents', () => {
    const event: CloudEvent = { specversion: '1.0', id: 'id with spaces', source: '/s?q=%20', type: 'Ürlaub "typ"', subject: '😀/50%', time: '2018-04-05T03:56:24.123456789+02:00', ext: 'a,b;c=d' };
    const { headers, body } = toHttpBinary(event);
    expect(headers['ce-subject']).toBe('%F0%9F%98%80/50%25');
    expect(headers['ce-time']).toBe('2018-04-05T03:56:24.123456789+02:00');
    expect(parseHttpEvents(headers, body, LIMITS).events[0]).toEqual(event);
  });
});

describe('output', () => {
  const event: CloudEvent = { specversion: '1.0', type: 't', source: '/s', id: '1', time: '2018-04-05T03:56:24.123456789+02:00', n: 5, b: true, datacontenttype: 'application/json', data: { a: 1 } };

  it('toStructuredJson keeps attribute order', () => {
    expect(toStructuredJson(event)).toBe('{"specversion":"1.0","type":"t","source":"/s","id":"1","time":"2018-04-05T03:56:24.123456789+02:00","n":5,"b":true,"datacontenttype":"application/json","data":{"a":1}}');
    expect(toBatchJson([event, event])).toBe(`[${toStructuredJson(event)},${toStructuredJson(event)}]`);
  });
  it('toHttpStructured / toHttpBatch', () => {
    const s = toHttpStructured(event);
    expect(s.headers).toEqual({ 'content-type': 'application/cloudevents+json; charset=utf-8' });
    expect(s.body.toString()).toBe(toStructuredJson(event));
    expect(parseHttpEvents(s.headers, s.body, LIMITS).events[0]).toEqual(event);
    const b = toHttpBatch([event, event]);
    expect(parseHttpEvents(b.headers, b.body, LIMITS).events).toEqual([event, event]);
  });
  it('toHttpBinary writes canonical strings and JSON data', () => {
    const { headers, body } = toHttpBinary(event);
    expect(headers).toEqual({ 'ce-specversion': '1.0', 'ce-type': 't', 'ce-source': '/s', 'ce-id': '1', 'ce-time': '2018-04-05T03:56:24.123456789+02:00', 'ce-n': '5', 'ce-b': 'true', 'content-type': 'application/json' });
    expect(body.toString()).toBe('{"a":1}');
  });
  it('toHttpBinary states the implied application/json', () => {
    const { headers, body } = toHttpBinary({ specversion: '1.0', id: '1', source: '/s', type: 't', data: "I'm just a string" });
    expect(headers['content-type']).toBe('application/json');
    expect(body.toString()).toBe('"I\'m just a string"');
  });
  it('toHttpBinary writes text data as is and decodes data_base64', () => {
    expect(toHttpBinary({ specversion: '1.0', id: '1', source: '/s', type: 't', datacontenttype: 'application/xml', data: '<much wow="xml"/>' }).body.toString()).toBe('<much wow="xml"/>');
    const bin = toHttpBinary({ specversion: '1.0', id: '1', source: '/s', type: 't', data_base64: 'eyAieHl6IjogMTIzIH0=' });
    expect(bin.body.toString()).toBe('{ "xyz": 123 }');
    expect(bin.headers['content-type']).toBeUndefined();
  });
  it('binary round trip preserves data in every representation', () => {
    const events: CloudEvent[] = [
      { specversion: '1.0', id: '1', source: '/s', type: 't', datacontenttype: 'application/json', data: [1, { b: null }] },
      { specversion: '1.0', id: '2', source: '/s', type: 't', datacontenttype: 'text/plain', data: 'hello\nworld' },
      { specversion: '1.0', id: '3', source: '/s', type: 't', datacontenttype: 'image/png', data_base64: 'iVBORw0KGgo=' },
      { specversion: '1.0', id: '4', source: '/s', type: 't', data_base64: 'AAEC' },
      { specversion: '1.0', id: '5', source: '/s', type: 't' },
    ];
    for (const e of events) {
      const { headers, body } = toHttpBinary(e);
      expect(parseHttpEvents(headers, body, LIMITS).events[0]).toEqual(e);
    }
  });
});
