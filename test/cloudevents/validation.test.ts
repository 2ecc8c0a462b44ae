import { describe, expect, it } from 'vitest';
import {
  absoluteUriProblem,
  binaryPointers,
  isRfc3339Timestamp,
  parseMediaType,
  parseStructuredEvent,
  uriReferenceProblem,
  validateCloudEvent,
  type Violation,
} from '../../src/cloudevents/index.js';

const base = (): Record<string, unknown> => ({ specversion: '1.0', id: '1', source: '/s', type: 'com.example.t' });
const with_ = (patch: Record<string, unknown>): Record<string, unknown> => ({ ...base(), ...patch });
const without = (name: string): Record<string, unknown> => {
  const e = base();
  delete e[name];
  return e;
};
const pointers = (v: Violation[]): string[] => v.map((x) => x.pointer);

/** Expects exactly one violation, at `pointer`, whose message matches `message`. */
function expectOne(candidate: unknown, pointer: string, message: RegExp, prefix = ''): void {
  const v = validateCloudEvent(candidate, prefix);
  expect(v, JSON.stringify(v)).toHaveLength(1);
  expect(v[0]!.pointer).toBe(pointer);
  expect(v[0]!.message).toMatch(message);
}

describe('a valid event', () => {
  it('has no violations and is returned as is', () => {
    const ev = with_({ subject: 'x', time: '2018-04-05T17:31:00Z', datacontenttype: 'application/json', dataschema: 'https://example.com/s.json', ext: 'v', n: 5, b: true, data: { a: 1 } });
    expect(validateCloudEvent(ev)).toEqual([]);
    const r = parseStructuredEvent(ev, '');
    expect(r.errors).toEqual([]);
    expect(r.event).toBe(ev);
  });

  it('accepts data: null as an explicit JSON null payload', () => {
    expect(validateCloudEvent(with_({ data: null }))).toEqual([]);
  });

  it('accepts attribute names longer than 20 characters (only a SHOULD)', () => {
    expect(validateCloudEvent(with_({ averyveryverylongextensionname: 'x' }))).toEqual([]);
  });

  it('accepts an empty data_base64 and padded base64', () => {
    expect(validateCloudEvent(with_({ data_base64: '' }))).toEqual([]);
    expect(validateCloudEvent(with_({ data_base64: 'Zm9vYg==' }))).toEqual([]);
    expect(validateCloudEvent(with_({ data_base64: 'Zm9vYmE=' }))).toEqual([]);
  });

  it('accepts string data for non-JSON content types and any JSON for JSON ones', () => {
    expect(validateCloudEvent(with_({ datacontenttype: 'text/xml', data: '<a/>' }))).toEqual([]);
    expect(validateCloudEvent(with_({ datacontenttype: 'application/vnd.x+json', data: [1] }))).toEqual([]);
    expect(validateCloudEvent(with_({ datacontenttype: 'text/json', data: 1.5 }))).toEqual([]);
    expect(validateCloudEvent(with_({ data: 'no datacontenttype means JSON' }))).toEqual([]);
  });

  it('accepts integer extensions at the edges of the 32-bit range and unicode strings', () => {
    expect(validateCloudEvent(with_({ a: 2147483647, b: -2147483648, c: 0, d: 'Euro € 😀' }))).toEqual([]);
  });
});

describe('required attributes', () => {
  for (const name of ['specversion', 'id', 'source', 'type']) {
    it(`${name} missing → /${name}`, () => expectOne(without(name), `/${name}`, /required attribute .* missing/));
  }
  for (const name of ['id', 'source', 'type']) {
    it(`${name} empty → /${name}`, () => expectOne(with_({ [name]: '' }), `/${name}`, /non-empty string/));
    it(`${name} not a string → /${name}`, () => expectOne(with_({ [name]: 12 }), `/${name}`, /must be a non-empty string, not an integer/));
  }
  it('all four missing are all reported', () => {
    expect(pointers(validateCloudEvent({}))).toEqual(['/specversion', '/id', '/source', '/type']);
  });
  it('not an object → the event pointer', () => {
    expectOne([], '', /must be a JSON object, not an array/);
    expectOne('x', '', /not a string/);
    expectOne(null, '/7', /not null/, '/7');
  });
});

describe('specversion', () => {
  it('must be exactly "1.0"', () => {
    for (const v of ['0.3', '1', '1.0.0', ' 1.0', '']) expectOne(with_({ specversion: v }), '/specversion', /unsupported specversion/);
    expectOne(with_({ specversion: 1.0 }), '/specversion', /must be the string "1.0"/);
  });
});

describe('string attributes', () => {
  it('subject must be non-empty when present', () => {
    expectOne(with_({ subject: '' }), '/subject', /non-empty/);
    expectOne(with_({ subject: 5 }), '/subject', /must be a non-empty string/);
  });
  it('rejects control characters, noncharacters and unpaired surrogates', () => {
    expectOne(with_({ id: 'a\nb' }), '/id', /control character U\+000A/);
    expectOne(with_({ type: 'a\u0085' }), '/type', /control character U\+0085/);
    expectOne(with_({ subject: 'a\uFFFE' }), '/subject', /noncharacter U\+FFFE/);
    expectOne(with_({ ext: 'a\uD800' }), '/ext', /unpaired surrogate/);
    expectOne(with_({ ext: '\uDC00x' }), '/ext', /unpaired surrogate/);
    expect(validateCloudEvent(with_({ ext: '\uD800\uDEAD' }))).toEqual([]); // a proper pair is fine
  });
});

describe('source (URI-reference)', () => {
  it.each(['https://github.com/cloudevents', 'mailto:cncf-wg-serverless@lists.cncf.io', 'urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66', '/cloudevents/spec/pull/123', '/sensors/tn-1234567/alerts', '1-555-123-4567', 'cloudevents/spec/pull/123', 'http://[::1]:8080/a?b=c#d', '/a%20b', '#frag', '?q'])('accepts %s', (s) => {
    expect(uriReferenceProblem(s)).toBeUndefined();
    expect(validateCloudEvent(with_({ source: s }))).toEqual([]);
  });
  it.each(['a b', '/a%2', '/a%zz', 'http://ex ample.com/', '/æøå', '1:2/x', '/a<b>', 'http://h:port/', '/a#b#c', 'x\\y'])('rejects %s', (s) => {
    expect(uriReferenceProblem(s)).toBeDefined();
    expectOne(with_({ source: s }), '/source', /URI-reference/);
  });
});

describe('dataschema (URI)', () => {
  it('accepts absolute URIs, including a fragment', () => {
    for (const s of ['https://example.com/schema.json', 'urn:example:schema', 'https://example.com/s.json#/definitions/A']) {
      expect(absoluteUriProblem(s)).toBeUndefined();
      expect(validateCloudEvent(with_({ dataschema: s }))).toEqual([]);
    }
  });
  it('rejects relative references, empty strings and non-strings', () => {
    expectOne(with_({ dataschema: '/relative/schema' }), '/dataschema', /absolute URI/);
    expectOne(with_({ dataschema: '' }), '/dataschema', /non-empty/);
    expectOne(with_({ dataschema: 3 }), '/dataschema', /string/);
    expectOne(with_({ dataschema: 'https://exa mple.com' }), '/dataschema', /absolute URI/);
  });
});

describe('time (RFC 3339)', () => {
  const valid = [
    '2018-04-05T17:31:00Z',
    '2018-04-05T03:56:24.123456789+02:00',
    '2018-04-05t17:31:00z',
    '2020-02-29T00:00:00Z',
    '2000-02-29T00:00:00-00:00',
    '1985-04-12T23:20:50.52Z',
    '1990-12-31T23:59:60Z',
    '1990-12-31T15:59:60-08:00',
    '0001-01-01T00:00:00+23:59',
  ];
  const invalid = [
    '2018-04-05',
    '2018-04-05T17:31Z',
    '2018-04-05T17:31:00',
    '2018-04-05 17:31:00Z',
    '2019-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2018-13-01T00:00:00Z',
    '2018-00-01T00:00:00Z',
    '2018-04-31T00:00:00Z',
    '2018-04-00T00:00:00Z',
    '2018-04-05T24:00:00Z',
    '2018-04-05T23:60:00Z',
    '2018-04-05T23:59:61Z',
    '2018-04-05T12:00:60Z',
    '2018-04-05T17:31:00.Z',
    '2018-04-05T17:31:00+24:00',
    '2018-04-05T17:31:00+01:60',
    '2018-04-05T17:31:00+0100',
    '18-04-05T17:31:00Z',
    '2018-04-05T17:31:00Z ',
    '２０１８-04-05T17:31:00Z',
  ];
  it.each(valid)('accepts %s', (t) => {
    expect(isRfc3339Timestamp(t)).toBe(true);
    expect(validateCloudEvent(with_({ time: t }))).toEqual([]);
  });
  it.each(invalid)('rejects %s', (t) => {
    expect(isRfc3339Timestamp(t)).toBe(false);
    expectOne(with_({ time: t }), '/time', /not an RFC 3339 timestamp/);
  });
  it('rejects a non-string time', () => expectOne(with_({ time: 1522949460 }), '/time', /string/));
  it('never rewrites the string', () => {
    const t = '2018-04-05T03:56:24.123456789+02:00';
    const r = parseStructuredEvent(with_({ time: t }), '');
    expect(r.event!.time).toBe(t);
  });
});

describe('datacontenttype (RFC 2046)', () => {
  it.each(['application/json', 'text/plain; charset=utf-8', 'TEXT/Plain; CharSet=UTF-8', 'application/vnd.apache.thrift.binary', 'multipart/form-data; boundary="a b;c"', 'text/plain;', 'image/svg+xml;a=b;c=d'])('accepts %s', (ct) => {
    expect(parseMediaType(ct)).toBeDefined();
    expect(validateCloudEvent(with_({ datacontenttype: ct }))).toEqual([]);
  });
  it.each(['json', 'application/', '/json', 'application/json; charset', 'application/json; =x', 'text/plain; a="unterminated', 'a b/c', 'text/plain, text/html', ''])('rejects %s', (ct) => {
    expect(parseMediaType(ct)).toBeUndefined();
    expectOne(with_({ datacontenttype: ct }), '/datacontenttype', /not a media type/);
  });
  it('rejects a non-string', () => expectOne(with_({ datacontenttype: ['a/b'] }), '/datacontenttype', /media type string, not an array/));
  it('rejects CloudEvents formats, which binary mode would turn into a forged structured event', () => {
    for (const ct of ['application/cloudevents+json', 'Application/CloudEvents-Batch+JSON; charset=utf-8', 'application/cloudevents+avro']) {
      expectOne(with_({ datacontenttype: ct, data: { specversion: '1.0', id: 'forged', source: '/bank', type: 't' } }), '/datacontenttype', /CloudEvents event format/);
    }
  });
  it('requires string data when the type does not declare JSON', () => {
    expectOne(with_({ datacontenttype: 'text/plain', data: { a: 1 } }), '/data', /does not declare JSON, so data must be a string/);
    expectOne(with_({ datacontenttype: 'application/xml', data: 5 }), '/data', /must be a string/);
  });
});

describe('extension attributes', () => {
  it('names must be lower-case a-z0-9', () => {
    for (const name of ['Upper', 'with-dash', 'with_underscore', 'dot.ted', 'ünï', 'a b', '']) {
      expectOne(with_({ [name]: 'x' }), `/${name}`, /lower-case letters a-z and digits 0-9/);
    }
  });
  it('escapes pointer tokens (RFC 6901)', () => {
    expectOne(with_({ 'a/b': 'x' }), '/a~1b', /invalid/);
    expectOne(with_({ 'a~b': 'x' }), '/a~0b', /invalid/);
  });
  it('names beginning with "herold" are reserved for the hub', () => {
    expectOne(with_({ heroldseq: 1 }), '/heroldseq', /reserved for the hub/);
    expectOne(with_({ herold: 'x' }), '/herold', /reserved for the hub/);
    expect(validateCloudEvent(with_({ xherold: 'x' }))).toEqual([]);
  });
  it('values must be string, boolean or 32-bit integer', () => {
    expectOne(with_({ e: 1.5 }), '/e', /non-integer numbers are not allowed/);
    expectOne(with_({ e: 2147483648 }), '/e', /32-bit/);
    expectOne(with_({ e: -2147483649 }), '/e', /32-bit/);
    expectOne(with_({ e: {} }), '/e', /not an object/);
    expectOne(with_({ e: [] }), '/e', /not an array/);
  });
  it('null is a violation (omit the attribute instead)', () => {
    expectOne(with_({ e: null }), '/e', /null.*omit the attribute/);
    expectOne(with_({ subject: null }), '/subject', /null/);
    expectOne(with_({ time: null }), '/time', /null/);
    expectOne(with_({ id: null }), '/id', /null/); // reported once, not also as missing
  });
});

describe('data and data_base64', () => {
  it('are mutually exclusive', () => expectOne(with_({ data: 'x', data_base64: 'eA==' }), '/data_base64', /mutually exclusive/));
  it.each(['abc', 'ab=c', 'a===', 'Zm9v YmE=', 'Zm9vYg', '!!!!', 'Zm9vYg==='])('data_base64 %j is not valid base64', (b) => {
    expectOne(with_({ data_base64: b }), '/data_base64', /not valid base64/);
  });
  it('data_base64 must be a string', () => {
    expectOne(with_({ data_base64: 5 }), '/data_base64', /base64 string/);
    expectOne(with_({ data_base64: null }), '/data_base64', /null/);
  });
});

describe('collecting every violation', () => {
  it('reports all problems of one event in member order, then missing attributes', () => {
    const v = validateCloudEvent({ specversion: '0.3', id: '', time: 'yesterday', Bad: 1, heroldx: true, e: 1.5, data: 1, data_base64: '!' }, '/2');
    expect(pointers(v)).toEqual(['/2/specversion', '/2/id', '/2/time', '/2/Bad', '/2/heroldx', '/2/e', '/2/data_base64', '/2/source', '/2/type', '/2/data_base64']);
  });
  it('parseStructuredEvent gives no event when invalid', () => {
    const r = parseStructuredEvent(without('id'), '/0');
    expect(r.event).toBeUndefined();
    expect(pointers(r.errors)).toEqual(['/0/id']);
  });
  it('supports binary-mode pointers', () => {
    const v = validateCloudEvent({ specversion: '1.0', source: '/s', type: 't', time: 'x', datacontenttype: 'bad', ext: '\u0001' }, binaryPointers);
    expect(pointers(v)).toEqual(['/headers/ce-time', '/headers/content-type', '/headers/ce-ext', '/headers/ce-id']);
  });
});
