import { timingSafeEqual } from 'node:crypto';
import { signWebhook } from '../../delivery/sinks/webhook/signature.js';
import { WebhookVerificationError } from '../errors.js';
import { type HeadersLike, headerOf } from './headers.js';

export interface VerifyOptions {
  /** How far the webhook-timestamp may be from now, seconds (default 300). */
  toleranceSeconds?: number;
  /** The clock, ms (default Date.now). */
  now?: () => number;
}

/**
 * Standard Webhooks verification, by the hub's own signing rule
 * (src/delivery/sinks/webhook/signature.ts): the request is genuine when one of
 * the `v1,<signature>` entries of `webhook-signature` is the HMAC-SHA256 of
 * `<webhook-id>.<webhook-timestamp>.<raw body>` under one of `secrets`
 * (several during a rotation), compared in constant time, and the timestamp
 * is within the tolerance (a replayed old request is refused). `rawBody` must
 * be the bytes as received, before any JSON parsing. Throws
 * WebhookVerificationError; returns the webhook id and timestamp.
 */
export function verifyWebhook(headers: HeadersLike, rawBody: string | Uint8Array, secrets: string | readonly string[], options: VerifyOptions = {}): { id: string; timestamp: number } {
  const id = headerOf(headers, 'webhook-id');
  const stamp = headerOf(headers, 'webhook-timestamp');
  const signatures = headerOf(headers, 'webhook-signature');
  if (!id || !stamp || !signatures) throw new WebhookVerificationError('missing webhook-id, webhook-timestamp or webhook-signature header');
  if (!/^\d{1,12}$/.test(stamp)) throw new WebhookVerificationError('webhook-timestamp is not a number of seconds');
  const timestamp = Number(stamp);
  const tolerance = options.toleranceSeconds ?? 300;
  const now = (options.now ?? Date.now)() / 1000;
  if (Math.abs(now - timestamp) > tolerance) throw new WebhookVerificationError(`webhook-timestamp is more than ${tolerance} s from this clock (a replay, or a clock out of sync)`);
  const list = typeof secrets === 'string' ? [secrets] : [...secrets];
  if (list.length === 0) throw new TypeError('verifyWebhook needs at least one secret (whsec_...)');
  const body = typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength);
  const given = signatures
    .split(' ')
    .map((entry) => entry.split(',', 2))
    .filter(([version, sig]) => version === 'v1' && sig)
    .map(([, sig]) => Buffer.from(sig!));
  for (const secret of list) {
    let expected: Buffer;
    try {
      expected = Buffer.from(signWebhook([secret], id, timestamp, body).slice('v1,'.length));
    } catch (error) {
      // A malformed id is the sender's fault; a malformed secret is ours.
      if (/secret/.test((error as Error).message)) throw error;
      throw new WebhookVerificationError(`webhook-id is not valid: ${(error as Error).message}`);
    }
    if (given.some((g) => g.length === expected.length && timingSafeEqual(g, expected))) return { id, timestamp };
  }
  throw new WebhookVerificationError('no webhook-signature matches a secret you hold');
}
