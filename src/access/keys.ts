import { hash, randomBytes, randomUUID } from 'node:crypto';

/**
 * SHA-256 of a credential, hex: keys are stored and compared only in this form.
 * Runs on every authenticated request; the one-shot `crypto.hash` avoids a Hash object.
 */
export function hashKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/**
 * A new API key: `hk_<8 visible chars>_<32 random bytes>`. The visible part
 * (prefix) lets people recognise a key in lists without revealing it.
 */
export function generateApiKey(): { id: string; key: string; prefix: string; hash: string } {
  const visible = randomBytes(6).toString('base64url').slice(0, 8);
  const key = `hk_${visible}_${randomBytes(32).toString('base64url')}`;
  return { id: `key_${randomUUID().replace(/-/g, '')}`, key, prefix: `hk_${visible}`, hash: hashKey(key) };
}
