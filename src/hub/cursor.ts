import { invalid } from './errors.js';

/** The largest sequence number: seqs are signed 64-bit values. */
const MAX_SEQ = 9223372036854775807n;

/**
 * Sequence numbers are 64-bit and travel as decimal strings; anything beyond
 * 2^63-1 is a 400. Inside the hub they are JS numbers, exact up to 2^53: no
 * list comes near that (a SQLite list holds up to 2^40 events), so a larger
 * cursor only ever means "after everything", and it is held as
 * Number.MAX_SAFE_INTEGER, which orders the same against every real seq and
 * binds as an integer in both stores (a rounded 2^63 would overflow
 * PostgreSQL's bigint). The caller never sees that stand-in: where a cursor
 * goes back to the caller (`next` of a page that did not move), its own
 * digits are returned (`cursorText`), so a cursor never moves backwards.
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
  return big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
}

/**
 * The `next` cursor of a page read after `after` (parsed from `sent`): where
 * the page got to, or, when it did not move, exactly the cursor sent
 * (canonical digits), which a JS number may not hold above 2^53.
 */
export function cursorText(next: number, after: number, sent: string | undefined): string {
  return next === after && sent !== undefined ? BigInt(sent).toString() : String(next);
}
