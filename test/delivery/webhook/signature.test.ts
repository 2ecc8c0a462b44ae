/**
 * Standard Webhooks signing, checked with the reference `standardwebhooks`
 * package exactly as a receiver would; Retry-After parsing; status
 * classification. No network.
 */
import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_RETRY_AFTER_MS,
  classifyStatus,
  generateSecret,
  parseHttpDate,
  parseRetryAfter,
  secretKey,
  signWebhook,
} from '../../../src/delivery/sinks/webhook/index.js';

const now = () => Math.floor(Date.now() / 1000);

describe('signWebhook', () => {
  it('matches the Standard Webhooks test vector', () => {
    // From the Standard Webhooks specification / reference library tests.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const sig = signWebhook([secret], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    expect(sig).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('is verified by the standardwebhooks package', () => {
    const secret = generateSecret();
    const ts = now();
    const body = JSON.stringify({ specversion: '1.0', id: 'é', source: '/s', type: 't', data: { x: [1, 2] } });
    const headers = { 'webhook-id': 'msg_42', 'webhook-timestamp': String(ts), 'webhook-signature': signWebhook([secret], 'msg_42', ts, body) };
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(secret).verify(Buffer.from(body), headers)).toEqual(JSON.parse(body));
    // Tampering is detected.
    expect(() => new Webhook(secret).verify(body.replace('t', 'u'), headers)).toThrow(/No matching signature/);
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'msg_43' })).toThrow();
    expect(() => new Webhook(generateSecret()).verify(body, headers)).toThrow(/No matching signature/);
  });

  it('signs with every secret during rotation; each verifies on its own', () => {
    const oldSecret = generateSecret();
    const newSecret = generateSecret();
    const ts = now();
    const sig = signWebhook([oldSecret, newSecret], 'msg_1', ts, 'hello');
    expect(sig.split(' ')).toHaveLength(2);
    expect(sig).toMatch(/^v1,[A-Za-z0-9+/]{43}= v1,[A-Za-z0-9+/]{43}=$/);
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(ts), 'webhook-signature': sig };
    for (const s of [oldSecret, newSecret]) expect(new Webhook(s).verify('hello', headers, { jsonParse: false })).toBeUndefined();
  });

  it('signs the exact bytes of a Buffer body', () => {
    const secret = generateSecret();
    const body = Buffer.from([0xff, 0x00, 0xfe, 0x41]);
    const sig = signWebhook([secret], 'id', 7, body);
    const key = secretKey(secret);
    const expected = createHmac('sha256', key).update(Buffer.concat([Buffer.from('id.7.'), body])).digest('base64');
    expect(sig).toBe(`v1,${expected}`);
  });

  it('generateSecret: whsec_ and 32 random bytes', () => {
    const a = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secretKey(a)).toHaveLength(32);
    expect(generateSecret()).not.toBe(a);
  });

  it.each([
    [[], 'at least one webhook secret'],
    [['whsec_'], 'non-empty base64 key'],
    [['whsec_not base64!'], 'non-empty base64 key'],
    [['whsec_A'], 'non-empty base64 key'],
  ])('refuses bad secrets %j without echoing them', (secrets, message) => {
    expect(() => signWebhook(secrets, 'id', 1, 'b')).toThrowError(message);
    try {
      signWebhook(secrets, 'id', 1, 'b');
    } catch (e) {
      for (const s of secrets) if (s.length > 6) expect((e as Error).message).not.toContain(s);
    }
  });

  it('refuses ids and timestamps that cannot be headers', () => {
    const s = generateSecret();
    expect(() => signWebhook([s], '', 1, 'b')).toThrow(/webhook id/);
    expect(() => signWebhook([s], 'a\r\nb', 1, 'b')).toThrow(/webhook id/);
    expect(() => signWebhook([s], 'a b', 1, 'b')).toThrow(/webhook id/);
    expect(() => signWebhook([s], 'id', 1.5, 'b')).toThrow(/timestamp/);
    expect(() => signWebhook([s], 'id', -1, 'b')).toThrow(/timestamp/);
  });

  it('any body, id and secret: the reference library verifies (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 48 }),
        fc.stringMatching(/^[!-~]{1,40}$/),
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        (key, id, body) => {
          const secret = `whsec_${Buffer.from(key).toString('base64')}`;
          const ts = now();
          const headers = { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signWebhook([secret], id, ts, body) };
          expect(() => new Webhook(secret).verify(body, headers, { jsonParse: false })).not.toThrow();
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('Retry-After', () => {
  const t0 = Date.UTC(2025, 0, 1, 12, 0, 0);
  const cap = DEFAULT_MAX_RETRY_AFTER_MS;

  it.each([
    ['120', 120_000],
    ['0', 0],
    [' 5 ', 5_000],
    ['Wed, 01 Jan 2025 12:01:00 GMT', 60_000],
    ['Wednesday, 01-Jan-25 12:00:30 GMT', 30_000],
    ['Wed Jan  1 12:00:10 2025', 10_000],
    ['Tue, 31 Dec 2024 12:00:00 GMT', 0], // in the past
    ['99999999999999999999', cap],
    ['86401', cap],
    ['Thu, 01 Jan 2026 12:00:00 GMT', cap],
  ])('%j → %d ms', (value, ms) => {
    expect(parseRetryAfter(value, t0, cap)).toBe(ms);
  });

  it.each(['', 'soon', '-1', '1.5', '0x10', 'Wed, 32 Jan 2025 12:01:00 GMT', 'Wed, 31 Feb 2025 12:01:00 GMT', '2025-01-01T12:00:00Z'])(
    '%j is unreadable',
    (value) => {
      expect(parseRetryAfter(value, t0, cap)).toBeUndefined();
    },
  );

  it('uses the first of repeated headers and tolerates absence', () => {
    expect(parseRetryAfter(['3', '9'], t0, cap)).toBe(3000);
    expect(parseRetryAfter(undefined, t0, cap)).toBeUndefined();
  });

  it('agrees with Date for IMF-fixdate (fast-check)', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1971-01-01'), max: new Date('2999-12-31'), noInvalidDate: true }), (d) => {
        const s = new Date(Math.floor(d.getTime() / 1000) * 1000).toUTCString();
        expect(parseHttpDate(s)).toBe(Date.parse(s));
      }),
    );
  });
});

describe('classifyStatus', () => {
  it.each([
    [200, 'success'],
    [201, 'success'],
    [202, 'success'],
    [204, 'success'],
    [299, 'success'],
    [300, 'dead'],
    [301, 'dead'],
    [302, 'dead'],
    [304, 'dead'],
    [307, 'dead'],
    [308, 'dead'],
    [400, 'dead'],
    [401, 'dead'],
    [403, 'dead'],
    [404, 'dead'],
    [405, 'dead'],
    [408, 'retry'],
    [409, 'dead'],
    [410, 'gone'],
    [413, 'dead'],
    [415, 'dead'],
    [422, 'dead'],
    [429, 'retry'],
    [500, 'retry'],
    [501, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [504, 'retry'],
    [599, 'retry'],
    [600, 'dead'],
    [999, 'dead'],
  ])('%d → %s', (status, outcome) => {
    expect(classifyStatus(status, {}).outcome).toBe(outcome);
  });

  it('reports the redirect target and Retry-After', () => {
    expect(classifyStatus(301, { location: 'https://elsewhere.example/' }).error).toContain('"https://elsewhere.example/"');
    expect(classifyStatus(429, { 'retry-after': '7' })).toMatchObject({ outcome: 'retry', retryAfterMs: 7000 });
    expect(classifyStatus(503, { 'retry-after': '7' }, 0, 5000)).toMatchObject({ outcome: 'retry', retryAfterMs: 5000 });
    expect(classifyStatus(429, {})).not.toHaveProperty('retryAfterMs');
  });
});
