/**
 * Interop with the official CloudEvents JS SDK (dev dependency only):
 * our parser reads what the SDK writes, and the SDK reads what we write.
 */
import { CloudEvent as SdkEvent, HTTP } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import {
  parseHttpEvents,
  toHttpBinary,
  toHttpStructured,
  type CloudEvent,
  type HttpHeaders,
} from '../../src/cloudevents/index.js';

const LIMITS = { maxEventBytes: 64 * 1024, maxBatchEvents: 100, maxBatchBytes: 1024 * 1024 };

/** What an HTTP hop does to a message the SDK produced: header values become strings, the body bytes. */
function overTheWire(msg: { headers: Record<string, unknown>; body: unknown }): { headers: HttpHeaders; body: Buffer } {
  const headers: HttpHeaders = {};
  for (const [k, v] of Object.entries(msg.headers)) if (v !== undefined) headers[k.toLowerCase()] = String(v);
  const body = msg.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(msg.body) ? msg.body : Buffer.from(String(msg.body), 'utf8');
  return { headers, body };
}

/** The SDK event's attributes without the undefined placeholders it carries. */
function sdkAttributes(ev: SdkEvent<unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ev.toJSON())) if (v !== undefined && k !== 'data' && k !== 'data_base64') out[k] = v;
  return out;
}

function attributesOf(ev: CloudEvent): Record<string, unknown> {
  const { data: _d, data_base64: _b, ...rest } = ev;
  return rest;
}

const stringified = (o: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]));

const sdkEvents: Array<[string, SdkEvent<unknown>]> = [
  ['JSON object data', new SdkEvent({ id: 'a-1', source: 'https://example.com/src', type: 'com.example.created', subject: 'sub/1', data: { message: 'Hello', n: 1, nested: [true, null] } })],
  ['extensions of every type', new SdkEvent({ id: 'a-2', source: '/mycontext', type: 't', exts: 'value', extn: 42, extb: true, data: { x: 1 } })],
  ['JSON with dataschema', new SdkEvent({ id: 'a-3', source: 'urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66', type: 't', dataschema: 'https://example.com/schema.json', datacontenttype: 'application/json', data: [1, 2, 3] })],
  ['text data', new SdkEvent({ id: 'a-4', source: '/s', type: 't', datacontenttype: 'text/plain', data: 'plain text, æøå' })],
  ['XML data', new SdkEvent({ id: 'a-5', source: '/s', type: 't', datacontenttype: 'application/xml', data: '<much wow="xml"/>' })],
  ['no data', new SdkEvent({ id: 'a-6', source: '/s', type: 't' })],
];

describe('our parser reads what the SDK writes', () => {
  for (const [name, ev] of sdkEvents) {
    it(`binary mode: ${name}`, () => {
      const { headers, body } = overTheWire(HTTP.binary(ev));
      const parsed = parseHttpEvents(headers, body, LIMITS);
      expect(parsed.mode).toBe('binary');
      const ours = parsed.events[0]!;
      const expected = stringified(sdkAttributes(ev)); // binary mode carries every attribute as a string
      // The SDK always sends Content-Type (application/json by default).
      expected['datacontenttype'] ??= headers['content-type'] as string;
      expect(stringified(attributesOf(ours))).toEqual(expected);
      if (ev.data === undefined) expect('data' in ours).toBe(false);
      else expect(ours.data).toEqual(ev.data);
    });

    it(`structured mode: ${name}`, () => {
      const { headers, body } = overTheWire(HTTP.structured(ev));
      const parsed = parseHttpEvents(headers, body, LIMITS);
      expect(parsed.mode).toBe('structured');
      const ours = parsed.events[0]!;
      expect(attributesOf(ours)).toEqual(sdkAttributes(ev)); // native types survive in structured mode
      expect(ours.data).toEqual(ev.data);
      expect(parsed.serialized[0]).toBe(body.toString('utf8')); // the SDK writes compact JSON too
    });
  }

  it('binary mode with binary data becomes data_base64', () => {
    const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
    const ev = new SdkEvent({ id: 'b-1', source: '/s', type: 't', datacontenttype: 'application/octet-stream', data: bytes });
    const { headers, body } = overTheWire(HTTP.binary(ev));
    const ours = parseHttpEvents(headers, body, LIMITS).events[0]!;
    expect(ours.data_base64).toBe(bytes.toString('base64'));
    expect(ours.data).toBeUndefined();
    expect(ours.datacontenttype).toBe('application/octet-stream');
  });

  it('structured mode with binary data keeps data_base64', () => {
    const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
    const ev = new SdkEvent({ id: 'b-2', source: '/s', type: 't', datacontenttype: 'image/png', data: bytes });
    const { headers, body } = overTheWire(HTTP.structured(ev));
    const ours = parseHttpEvents(headers, body, LIMITS).events[0]!;
    expect(ours.data_base64).toBe(bytes.toString('base64'));
    expect('data' in ours).toBe(false);
  });

  it('a batch of SDK events', () => {
    const body = Buffer.from(JSON.stringify(sdkEvents.map(([, ev]) => ev.toJSON())));
    const parsed = parseHttpEvents({ 'content-type': 'application/cloudevents-batch+json' }, body, LIMITS);
    expect(parsed.mode).toBe('batch');
    expect(parsed.events.map((e) => e.id)).toEqual(sdkEvents.map(([, ev]) => ev.id));
    parsed.events.forEach((e, i) => expect(attributesOf(e)).toEqual(sdkAttributes(sdkEvents[i]![1])));
  });
});

const ours: Array<[string, CloudEvent]> = [
  ['JSON data and extensions', { specversion: '1.0', id: 'o-1', source: 'https://example.com/x', type: 'com.example.t', subject: 'a/b', time: '2018-04-05T17:31:00Z', datacontenttype: 'application/json', exts: 'v', extn: 7, extb: false, data: { a: [1, 'two', null] } }],
  ['implied JSON content type', { specversion: '1.0', id: 'o-2', source: '/s', type: 't', data: { hello: 'world' } }],
  ['text data', { specversion: '1.0', id: 'o-3', source: '/s', type: 't', datacontenttype: 'text/plain', data: 'hi there' }],
  ['binary data', { specversion: '1.0', id: 'o-4', source: '/s', type: 't', datacontenttype: 'application/octet-stream', data_base64: Buffer.from([9, 8, 7, 0, 255]).toString('base64') }],
  ['no data', { specversion: '1.0', id: 'o-5', source: '/s', type: 't' }],
];

function sameTime(a: unknown, b: unknown): void {
  // The SDK rewrites timestamps (the reason Herold has its own codec): compare instants.
  expect(new Date(String(a)).getTime()).toBe(new Date(String(b)).getTime());
}

describe('the SDK reads what we write', () => {
  for (const [name, ev] of ours) {
    it(`toHttpBinary: ${name}`, () => {
      const msg = toHttpBinary(ev);
      const isBinary = ev.data_base64 !== undefined;
      const sdk = HTTP.toEvent({ headers: msg.headers, body: isBinary ? msg.body : msg.body.toString('utf8') }) as SdkEvent<unknown>;
      expect(sdk.id).toBe(ev.id);
      expect(sdk.source).toBe(ev.source);
      expect(sdk.type).toBe(ev.type);
      expect(sdk.specversion).toBe('1.0');
      if (ev.subject !== undefined) expect(sdk.subject).toBe(ev.subject);
      if (ev.time !== undefined) sameTime(sdk.time, ev.time);
      for (const ext of ['exts', 'extn', 'extb']) if (ext in ev) expect(sdk[ext]).toBe(String(ev[ext]));
      if (isBinary) expect(Buffer.from(sdk.data as Uint8Array)).toEqual(Buffer.from(ev.data_base64!, 'base64'));
      else if (ev.data !== undefined) expect(sdk.data).toEqual(ev.data);
      if (ev.datacontenttype !== undefined) expect(sdk.datacontenttype).toBe(ev.datacontenttype);
      else if (ev.data !== undefined) expect(sdk.datacontenttype).toBe('application/json');
    });

    it(`toHttpStructured: ${name}`, () => {
      const msg = toHttpStructured(ev);
      const sdk = HTTP.toEvent({ headers: msg.headers, body: msg.body.toString('utf8') }) as SdkEvent<unknown>;
      expect(sdk.id).toBe(ev.id);
      expect(sdk.source).toBe(ev.source);
      expect(sdk.type).toBe(ev.type);
      if (ev.time !== undefined) sameTime(sdk.time, ev.time);
      for (const ext of ['exts', 'extn', 'extb']) if (ext in ev) expect(sdk[ext]).toBe(ev[ext]); // native types
      if (ev.data_base64 !== undefined) expect(Buffer.from(sdk.data as Uint8Array)).toEqual(Buffer.from(ev.data_base64, 'base64'));
      else expect(sdk.data).toEqual(ev.data);
    });
  }
});
