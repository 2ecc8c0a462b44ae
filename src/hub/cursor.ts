import { invalid } from './errors.js';

/**
 * Sequence numbers are 64-bit and travel as decimal strings. Inside the hub
 * they are JS numbers: 2^53 events per list is beyond any real list, and a
 * cursor past that is simply "after everything".
 */
export function parseSeq(value: unknown, name: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value !== 'string' || !/^\d{1,19}$/.test(value)) {
    throw invalid(`${name} must be a sequence number: a decimal string of up to 19 digits.`, [
      { pointer: `/${name}`, message: 'expected a non-negative decimal integer' },
    ]);
  }
  const big = BigInt(value);
  if (big > 9223372036854775807n) {
    throw invalid(`${name} is larger than a 64-bit sequence number.`, [{ pointer: `/${name}`, message: 'out of range' }]);
  }
  return big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
}
