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
  // Encoded once (the socket would encode a string anyway); bytes may be cut anywhere, the reader reassembles the stream.
  const bytes = typeof chunk === 'string' && chunk.length > rule.streamBufferBytes / 3 ? Buffer.from(chunk) : chunk;
  for (let at = 0; at < bytes.length; ) {
    if (signal.aborted || w.destroyed) return 'aborted';
    const end = Math.min(bytes.length, at + rule.streamBufferBytes);
    // A piece of a larger chunk is copied: a view would keep the whole chunk (a replay page, megabytes)
    // alive in the socket's queue for as long as the connection stays, even after the reader was cut off.
    const piece = at === 0 && end >= bytes.length ? bytes : Buffer.from((bytes as Buffer).subarray(at, end));
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
