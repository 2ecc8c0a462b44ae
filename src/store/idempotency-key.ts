import { createHash } from 'node:crypto';

/**
 * A compact 64-bit key for (source, id). A text index on providers' random ids
 * is the ingest bottleneck as a list grows; an 8-byte integer keeps the index
 * small enough to stay in the page cache. Collisions are possible in theory,
 * so stores compare the stored event's source and id before calling it a match.
 */
export function idempotencyKey(source: string, id: string): bigint {
  return createHash('sha1').update(source).update('\u0000').update(id).digest().readBigInt64BE(0);
}
