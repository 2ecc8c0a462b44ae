import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idempotencyKey } from '../../src/store/idempotency-key.js';

// Stored idempotency keys depend on this function: a change would make
// republished events look new. These tests pin its value.
const reference = (source: string, id: string): bigint =>
  createHash('sha1').update(source).update('\u0000').update(id).digest().readBigInt64BE(0);

describe('idempotencyKey', () => {
  it('is the first 8 bytes of SHA-1(source NUL id) as a signed big-endian integer', () => {
    expect(idempotencyKey('/hr', 'e-1')).toBe(-6423115928047853912n);
    expect(idempotencyKey('/hr', 'e-1')).toBe(reference('/hr', 'e-1'));
  });

  it('matches the reference for any source and id, including non-ASCII and surrogate pairs', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (source, id) => {
        const key = idempotencyKey(source, id);
        expect(key).toBe(reference(source, id));
        expect(key >= -(2n ** 63n) && key < 2n ** 63n).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps source and id apart', () => {
    expect(idempotencyKey('/a', 'bc')).not.toBe(idempotencyKey('/ab', 'c'));
  });
});
