/**
 * When to try a failed delivery again.
 *
 * - An explicit schedule (`config.retry`, seconds between attempts) is used
 *   as given: predictable for the subscriber and for tests.
 * - The default is exponential backoff with full jitter (AWS architecture
 *   blog): the n-th delay is uniform in [1 s, min(cap, base·2^n)], and retries
 *   go on until `windowSeconds` (24 h by default) have passed since the first
 *   failure. The span is at least the window by construction.
 */
export interface RetryPolicy {
  explicit?: number[];
  baseSeconds: number;
  capSeconds: number;
  windowSeconds: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseSeconds: 5, capSeconds: 3600, windowSeconds: 86_400 };

/**
 * The delay before attempt `failures + 1`, in ms, or null when the event is
 * to be dead-lettered. `failures` counts failed attempts so far (≥ 1);
 * `firstFailureAt` is when the first one failed.
 */
export function nextRetryDelayMs(policy: RetryPolicy, failures: number, firstFailureAt: number, now: number, random = Math.random): number | null {
  if (policy.explicit) {
    const d = policy.explicit[failures - 1];
    return d === undefined ? null : Math.round(d * 1000);
  }
  if (now - firstFailureAt >= policy.windowSeconds * 1000) return null;
  const ceiling = Math.min(policy.capSeconds, policy.baseSeconds * 2 ** Math.min(failures - 1, 30)) * 1000;
  return Math.max(1000, Math.floor(random() * ceiling));
}
