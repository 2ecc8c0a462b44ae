import { invalid } from './errors.js';

/** The largest sequence number: seqs are signed 64-bit values. */
const MAX_SEQ = 9223372036854775807n;

/**
 * Sequence numbers are 64-bit and travel as decimal strings; anything beyond
 * 2^63-1 is a 400. Inside the hub they are JS numbers, which are exact up to
 * 2^53: no list comes near that (a SQLite list holds up to 2^40 events), so
 * a larger cursor is only ever "after everything". It is not clamped: it
 * keeps its order against every real seq, and where it goes back to the
 * caller (`next` of a page that did not move) the caller's own digits are
 * returned (`cursorText`), so a cursor never moves backwards.
 */
export function parseSeq(value: unknown, name: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value !== 'string' || !/^\d{1,19}$/.test(value)) {
    throw invalid(`${name} must be a sequence number: a decimal string of up to 19 digits.`, [
      { pointer: `/${name}`, message: 'expected a non-negative decimal integer' },
    ]);
  }
  const big = BigInt(value);
  if (big > MAX_SEQ) {
    throw invalid(`${name} is larger than a 64-bit sequence number (at most 9223372036854775807).`, [{ pointer: `/${name}`, message: 'out of range' }]);
  }
  return Number(big);
}

/**
 * The `next` cursor of a page read after `after` (parsed from `sent`): where
 * the page got to, or, when it did not move, exactly the cursor sent
 * (canonical digits), which a JS number may not hold above 2^53.
 */
export function cursorText(next: number, after: number, sent: string | undefined): string {
  return next === after && sent !== undefined ? BigInt(sent).toString() : String(next);
}
