import type { Writable } from 'node:stream';
import type { Config } from '../../config.js';

/** Wait for a writable to drain; 'stalled' if it does not within `timeoutMs`. */
export function waitForDrain(w: Writable, timeoutMs: number, signal: AbortSignal): Promise<'drained' | 'stalled' | 'aborted'> {
  return new Promise((resolve) => {
    const done = (result: 'drained' | 'stalled' | 'aborted') => {
      clearTimeout(timer);
      w.off('drain', onDrain);
      w.off('close', onAbort);
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const onDrain = () => done('drained');
    const onAbort = () => done('aborted');
    const timer = setTimeout(() => done('stalled'), timeoutMs);
    w.once('drain', onDrain);
    w.once('close', onAbort);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The one rule for every stream door (SSE, NDJSON, and those to come). */
export type StallRule = Pick<Config, 'streamStallSeconds' | 'streamBufferBytes'>;

/**
 * Write a chunk to a stream's response under the stall rule: at most
 * `streamBufferBytes` are queued beyond what the connection has taken (a
 * larger chunk goes out in pieces as the reader takes them), and a reader whose
 * connection takes nothing of a piece for `streamStallSeconds` is 'stalled':
 * the caller cuts it off. Without this, a reader that never reads holds a page
 * of memory (megabytes for an export) for as long as it keeps the socket open.
 */
export async function writeWithin(w: Writable, chunk: string | Buffer, rule: StallRule, signal: AbortSignal): Promise<'written' | 'stalled' | 'aborted'> {
  const stallMs = rule.streamStallSeconds * 1000;
  for (let at = 0; at < chunk.length; ) {
    if (signal.aborted || w.destroyed) return 'aborted';
    // Bytes may be cut anywhere (the reader reassembles the stream); a string's piece ends on a whole character.
    const end = typeof chunk === 'string' ? pieceEnd(chunk, at, rule.streamBufferBytes) : Math.min(chunk.length, at + rule.streamBufferBytes);
    // A piece of a larger chunk is copied: a slice would keep the whole chunk (a replay page, megabytes)
    // alive in the socket's queue for as long as the connection stays, even after the reader was cut off.
    const piece = at === 0 && end === chunk.length ? chunk : typeof chunk === 'string' ? Buffer.from(chunk.slice(at, end)) : Buffer.from(chunk.subarray(at, end));
    if (!w.write(piece)) {
      const drained = await waitForDrain(w, stallMs, signal);
      if (drained !== 'drained') return drained;
    }
    at = end;
  }
  return 'written';
}

/**
 * writeWithin without waiting when it need not: a chunk that fits the buffer
 * rule in one piece and that the connection takes at once answers
 * 'written' synchronously (a live stream's usual step: no promise per stream
 * and commit); anything else is writeWithin's promise.
 */
export function writeWithinNow(w: Writable, chunk: string | Buffer, rule: StallRule, signal: AbortSignal): 'written' | Promise<'written' | 'stalled' | 'aborted'> {
  const fits = typeof chunk === 'string' ? chunk.length <= rule.streamBufferBytes / 3 : chunk.length <= rule.streamBufferBytes;
  if (!fits || signal.aborted || w.destroyed) return writeWithin(w, chunk, rule, signal);
  if (w.write(chunk)) return 'written';
  return waitForDrain(w, rule.streamStallSeconds * 1000, signal).then((drained) => (drained === 'drained' ? 'written' : drained));
}

/** Where the piece starting at `at` ends so that it is at most `maxBytes` of UTF-8 and never splits a surrogate pair. */
function pieceEnd(s: string, at: number, maxBytes: number): number {
  if (s.length - at <= maxBytes / 3) return s.length; // at most 3 bytes per UTF-16 unit
  let end = Math.min(s.length, at + maxBytes);
  if (Buffer.byteLength(s.slice(at, end)) > maxBytes) end = at + Math.floor(maxBytes / 3);
  const last = s.charCodeAt(end - 1);
  if (end < s.length && last >= 0xd800 && last <= 0xdbff) end--;
  return end;
}
