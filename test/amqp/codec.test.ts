import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { validateCloudEvent } from '../../src/cloudevents/index.js';
import { amqpSettingsProblems, isMaskedSinkOf, maskSinkUrl, toAmqpMessage } from '../../src/delivery/sinks/amqp/index.js';
import { readDeclaredConfig } from '../../src/hub/declared-lists.js';
import { decodeAmqpMessage } from '../../src/ingest/amqp/index.js';

/** Pure parts, no broker: the AMQP codec both ways, settings, masking, the ingest config. */

/** What amqplib's codec does to header values on the way through the broker. */
function overTheWire(headers: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    out[k] = v && typeof v === 'object' && (v as { '!'?: string })['!'] === 'long' ? (v as { value: number }).value : v;
  }
  return out;
}

const limits = { maxEventBytes: 65536 };

describe('AMQP codec', () => {
  const attr = fc.stringMatching(/^[a-z][a-z0-9]{0,9}$/).filter((n) => !n.startsWith('herold') && !['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'dataschema', 'data'].includes(n));
  const text = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => validateCloudEvent({ specversion: '1.0', id: s, source: '/s', type: 't' }).length === 0);
  const event = fc
    .record({
      id: text,
      source: fc.constantFrom('/hr', 'urn:x:y', 'https://example.com/a'),
      type: text,
      subject: fc.option(text, { nil: undefined }),
      time: fc.option(fc.constantFrom('2026-01-02T03:04:05.678+01:00', '2026-01-02T03:04:05Z'), { nil: undefined }),
      ext: fc.dictionary(attr, fc.oneof(text, fc.boolean(), fc.integer({ min: -2147483648, max: 2147483647 })), { maxKeys: 4 }),
      body: fc.oneof(
        fc.record({ kind: fc.constant('json' as const), data: fc.jsonValue({ maxDepth: 2 }) }),
        fc.record({ kind: fc.constant('text' as const), data: fc.string({ maxLength: 30 }) }),
        fc.record({ kind: fc.constant('bytes' as const), data: fc.uint8Array({ minLength: 1, maxLength: 30 }) }),
        fc.record({ kind: fc.constant('none' as const) }),
      ),
    })
    .map((r) => {
      const e: Record<string, unknown> = { specversion: '1.0', id: r.id, source: r.source, type: r.type };
      if (r.subject !== undefined) e.subject = r.subject;
      if (r.time !== undefined) e.time = r.time;
      if (r.body.kind === 'json') {
        e.datacontenttype = 'application/json';
        e.data = r.body.data;
      } else if (r.body.kind === 'text') {
        e.datacontenttype = 'text/plain';
        e.data = r.body.data;
      } else if (r.body.kind === 'bytes') {
        e.datacontenttype = 'application/octet-stream';
        e.data_base64 = Buffer.from(r.body.data).toString('base64');
      }
      for (const [k, v] of Object.entries(r.ext)) e[k] = v;
      return e;
    })
    .filter((e) => validateCloudEvent(e).length === 0 && !(e.datacontenttype === 'text/plain' && e.data === ''));

  /** JSON data round-trips as JSON (`-0` becomes 0 on the way, as with any JSON transport). */
  const normal = (e: Record<string, unknown>) => JSON.parse(JSON.stringify(e));

  it('binary mode with cloudEvents_ properties round-trips every valid event exactly (types kept)', () => {
    fc.assert(
      fc.property(event, (e) => {
        const m = toAmqpMessage(e, 'binary', 'cloudEvents', 'msg_x');
        expect(m.options.persistent).toBe(true);
        expect(m.options.messageId).toBe('msg_x');
        const d = decodeAmqpMessage({ content: m.content, properties: { contentType: m.options.contentType, headers: overTheWire(m.options.headers) } }, limits);
        expect(d.ok, JSON.stringify(d)).toBe(true);
        if (d.ok) expect(normal(d.events[0])).toEqual(normal(e));
      }),
      { numRuns: 300 },
    );
  });

  it('structured mode round-trips every valid event exactly', () => {
    fc.assert(
      fc.property(event, (e) => {
        const m = toAmqpMessage(e, 'structured', 'cloudEvents', 'msg_x');
        expect(m.options.contentType).toBe('application/cloudevents+json; charset=utf-8');
        const d = decodeAmqpMessage({ content: m.content, properties: { contentType: m.options.contentType } }, limits);
        expect(d.ok && normal(d.events[0])).toEqual(normal(e));
      }),
      { numRuns: 200 },
    );
  });

  it('ce- style sends canonical strings (Knative-style); strings read back as strings', () => {
    const e = { specversion: '1.0', id: 'i', source: '/s', type: 't', n: 5, b: true, s: 'x' };
    const m = toAmqpMessage(e, 'binary', 'ce', 'msg_y');
    expect(m.options.headers).toEqual({ 'ce-specversion': '1.0', 'ce-id': 'i', 'ce-source': '/s', 'ce-type': 't', 'ce-n': '5', 'ce-b': 'true', 'ce-s': 'x' });
    const d = decodeAmqpMessage({ content: m.content, properties: { headers: m.options.headers } }, limits);
    expect(d.ok && d.events[0]).toEqual({ ...e, n: '5', b: 'true' });
  });

  it('decoding reports every problem with its location and never throws on junk', () => {
    const d = decodeAmqpMessage(
      { content: Buffer.from('{'), properties: { contentType: 'application/json', headers: { cloudEvents_specversion: '2.0', cloudEvents_Bad: 'x', 'ce-id': 1.5, cloudEvents_type: [1] } } },
      limits,
    );
    expect(d.ok).toBe(false);
    if (!d.ok) {
      const pointers = d.violations.map((v) => v.pointer);
      expect(pointers).toEqual(expect.arrayContaining(['/headers/cloudEvents_specversion', '/headers/cloudEvents_Bad', '/headers/ce-id', '/headers/cloudEvents_type', '/headers/cloudEvents_source', '/body']));
      expect(d.reason).toMatch(/^invalid CloudEvent \(binary mode\): \d+ violations: /);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.option(fc.string(), { nil: undefined }), fc.dictionary(fc.string({ maxLength: 16 }), fc.anything()), (body, ct, headers) => {
        const r = decodeAmqpMessage({ content: Buffer.from(body), properties: { contentType: ct, headers } }, limits);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 300 },
    );
  });

  it('duplicate attributes across prefixes and a conflicting datacontenttype are violations', () => {
    const headers = { cloudEvents_specversion: '1.0', cloudEvents_id: 'a', 'ce-id': 'b', cloudEvents_source: '/s', cloudEvents_type: 't', cloudEvents_datacontenttype: 'text/plain' };
    const d = decodeAmqpMessage({ content: Buffer.from('x'), properties: { contentType: 'application/json', headers } }, limits);
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.reason).toMatch(/appears more than once/);
    if (!d.ok) expect(d.reason).toMatch(/conflicts with the content-type property/);
  });

  it('oversized events are refused by the same limit as HTTP', () => {
    const big = { specversion: '1.0', id: 'i', source: '/s', type: 't', datacontenttype: 'text/plain', data: 'x'.repeat(2000) };
    for (const mode of ['binary', 'structured'] as const) {
      const m = toAmqpMessage(big, mode, 'cloudEvents', 'm');
      const d = decodeAmqpMessage({ content: m.content, properties: { contentType: m.options.contentType, headers: overTheWire(m.options.headers) } }, { maxEventBytes: 1000 });
      expect(d.ok, mode).toBe(false);
    }
  });
});

describe('AMQP settings and masking', () => {
  it('validates settings', () => {
    expect(amqpSettingsProblems({ queue: 'q' })).toEqual([]);
    expect(amqpSettingsProblems({ exchange: 'x', routingkey: '' })).toEqual([]);
    expect(amqpSettingsProblems({ exchange: 'x', queue: 'q', declare: true })).toEqual([]);
    expect(amqpSettingsProblems({}).map(([p]) => p)).toEqual(['/protocolsettings']);
    expect(amqpSettingsProblems({ exchange: 'x\n' }).map(([p]) => p)).toEqual(['/protocolsettings/exchange']);
  });

  it('masks passwords and recognises a masked view', () => {
    expect(maskSinkUrl('amqp://u:secret@h:5672/v')).toBe('amqp://u:***@h:5672/v');
    expect(maskSinkUrl('amqps://h/v')).toBe('amqps://h/v');
    expect(maskSinkUrl('not a url with pass@word')).toBe('***');
    expect(isMaskedSinkOf('amqp://u:***@h:5672/v', 'amqp://u:secret@h:5672/v')).toBe(true);
    expect(isMaskedSinkOf('amqp://u:other@h:5672/v', 'amqp://u:secret@h:5672/v')).toBe(false);
  });
});

describe('declared lists: amqpIngest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herold-declared-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const write = (text: string) => {
    const file = join(dir, `c${++n}.yaml`);
    writeFileSync(file, text);
    return file;
  };

  it('reads lists with and without amqpIngest, with defaults and ${VAR} in the URL', async () => {
    const file = write(`lists:\n  - name: a\n  - name: b\n    amqpIngest:\n      url: \${B_URL}\n      queue: qb\n  - name: c\n    amqpIngest: {url: "amqps://u:p@h/v", queue: qc, principal: hr, prefetch: 5, deadLetterExchange: dlx, deadLetterRoutingKey: bad}\n`);
    const config = await readDeclaredConfig(file, { B_URL: 'amqp://x:y@127.0.0.1:5672' });
    expect(config.lists.map((l) => l.name)).toEqual(['a', 'b', 'c']);
    expect(config.lists[1]).toEqual({ name: 'b', title: undefined, description: undefined, retentionDays: undefined });
    expect(config.amqpIngest).toEqual([
      { list: 'b', url: 'amqp://x:y@127.0.0.1:5672', queue: 'qb', principal: 'admin', prefetch: 100 },
      { list: 'c', url: 'amqps://u:p@h/v', queue: 'qc', principal: 'hr', prefetch: 5, deadLetterExchange: 'dlx', deadLetterRoutingKey: 'bad' },
    ]);
  });

  it('refuses bad amqpIngest settings with the place named', async () => {
    const cases: [string, RegExp][] = [
      ['amqpIngest: {queue: q}', /lists\[0\]\.amqpIngest\.url is required/],
      ['amqpIngest: {url: "http://h", queue: q}', /url must be an amqp/],
      ['amqpIngest: {url: "amqp://h", queue: ""}', /queue must be a non-empty string/],
      ['amqpIngest: {url: "amqp://h", queue: q, prefetch: 0}', /prefetch must be an integer/],
      ['amqpIngest: {url: "amqp://h", queue: q, bogus: 1}', /bogus is not a known setting/],
      ['amqpIngest: {url: "${NOPE_NOT_SET}", queue: q}', /NOPE_NOT_SET is not set/],
      ['amqpIngest: {url: "amqp://h", queue: q, deadLetterExchange: ""}', /needs deadLetterRoutingKey/],
      ['amqpIngest: {url: "amqp://h", queue: q, deadLetterExchange: "", deadLetterRoutingKey: q}', /back into the queue/],
      ['amqpIngest: [1]', /must be an object/],
    ];
    for (const [yaml, message] of cases) {
      await expect(readDeclaredConfig(write(`lists:\n  - name: a\n    ${yaml}\n`), {}), yaml).rejects.toThrow(message);
    }
  });
});
