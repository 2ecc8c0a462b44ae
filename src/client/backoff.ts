/** Delays between retries, and a sleep that an AbortSignal ends early. */

export interface BackoffOptions {
  /** First delay in ms (default 250). */
  initialMs?: number;
  /** Largest delay in ms (default 30,000). */
  maxMs?: number;
}

/**
 * Exponential backoff with jitter: attempt n (from 0) waits a random time in
 * [cap/2, cap] where cap = min(maxMs, initialMs·2^n). Half the cap is kept so
 * a restarting hub is not hammered, the random half spreads a crowd of
 * clients that lost it at the same moment.
 */
export function backoffDelay(attempt: number, { initialMs = 250, maxMs = 30_000 }: BackoffOptions = {}): number {
  const cap = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(cap / 2 + Math.random() * (cap / 2));
}

/** Wait `ms`; resolves `false` at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (value: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(value);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A signal that aborts when any of `signals` does (AbortSignal.any, which Node 20.3+ has). */
export function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal {
  return AbortSignal.any(signals.filter((s): s is AbortSignal => s !== undefined));
}
