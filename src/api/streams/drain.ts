import type { Writable } from 'node:stream';

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
