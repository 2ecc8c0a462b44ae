/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com/):
 * `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`,
 * one `v1,…` entry per secret, separated by spaces, so a receiver keeps
 * verifying while secrets are rotated. Secrets look like `whsec_<base64 key>`.
 */
import { createHmac, randomBytes } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;
/** Standard base64; padding optional. */
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** A new signing secret: `whsec_` and 32 random bytes in base64. */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/**
 * The HMAC key of a secret: the base64 part after `whsec_` (the prefix is
 * optional, as in the reference libraries). Throws for a malformed or empty
 * key; the message never contains the secret.
 */
export function secretKey(secret: string): Buffer {
  if (typeof secret !== 'string') throw new TypeError('a webhook secret must be a string');
  const b64 = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = BASE64.test(b64) && b64.replace(/=+$/, '').length % 4 !== 1 ? Buffer.from(b64, 'base64') : undefined;
  if (key === undefined || key.length === 0) throw new Error('a webhook secret must be "whsec_" followed by a non-empty base64 key');
  return key;
}

/**
 * Keys of the secrets in use: every delivery signs, and decoding the secret
 * each time cost more than the HMAC. Bounded; a rotated-out secret's key goes
 * when the map is next cleared.
 */
const keys = new Map<string, Buffer>();
const MAX_KEYS = 4096;

function keyOf(secret: string): Buffer {
  let key = keys.get(secret);
  if (key === undefined) {
    key = secretKey(secret);
    if (keys.size >= MAX_KEYS) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

/** The signature of one message under one secret, without the `v1,` prefix. */
function hmac(key: Buffer, id: string, timestampSeconds: number, body: string | Buffer): string {
  return createHmac('sha256', key).update(`${id}.${timestampSeconds}.`, 'utf8').update(body).digest('base64');
}

/**
 * The `webhook-signature` header value: `v1,<sig>` for each secret, joined by
 * single spaces. The body must be exactly the bytes sent. Throws when there
 * is no secret, a secret is malformed, or the id or timestamp cannot be sent
 * in a header.
 */
export function signWebhook(secrets: readonly string[], id: string, timestampSeconds: number, body: string | Buffer): string {
  if (!Array.isArray(secrets) || secrets.length === 0) throw new Error('at least one webhook secret is needed to sign');
  if (typeof id !== 'string' || id === '' || /[^\x21-\x7e]/.test(id)) {
    throw new Error('the webhook id must be a non-empty string of visible ASCII characters');
  }
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new Error('the webhook timestamp must be a non-negative integer number of seconds');
  }
  if (secrets.length === 1) return `v1,${hmac(keyOf(secrets[0]), id, timestampSeconds, body)}`;
  return secrets.map((s) => `v1,${hmac(keyOf(s), id, timestampSeconds, body)}`).join(' ');
}
