/**
 * The errors `herold/client` throws. Each says what happened and what to do next;
 * the typed ones carry the facts a program needs to decide (status, problem, seqs).
 */

/** An RFC 9457 problem as the hub sends it. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: { pointer: string; message: string }[];
  [extension: string]: unknown;
}

const NEXT_STEP: Record<number, string> = {
  401: 'Check the API key or token (expired or revoked?) and pass a valid one.',
  403: 'The principal may not do this; ask the list owner or an admin for access.',
  404: 'Check the name; a list or event you may not see answers like one that does not exist.',
  409: 'Events are immutable: publish a change under a new id.',
  413: 'Send smaller events or smaller batches.',
  429: 'Slow down; the hub asked to retry after a while.',
};

/** A non-2xx answer from the hub, with its problem body. */
export class HeroldError extends Error {
  override readonly name = 'HeroldError';
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
    /** Seconds the hub asked to wait (429, 503). */
    readonly retryAfter?: number,
  ) {
    const errors = problem?.errors?.length ? ' ' + problem.errors.map((e) => `[${e.pointer}] ${e.message}`).join('; ') : '';
    super(problem?.detail ? `${status} ${problem.title ?? ''}: ${problem.detail}${errors}` : `HTTP ${status}${errors}`);
  }

  /** What the caller can do about it. */
  get nextStep(): string | undefined {
    return NEXT_STEP[this.status];
  }
}

/** Whether an error is worth retrying as is: the network, a timeout, an overloaded or restarting hub. */
export function isTransient(error: unknown): boolean {
  if (error instanceof HeroldError) return [408, 425, 429, 500, 502, 503, 504].includes(error.status);
  if (error instanceof TransportError) return true;
  const e = error as { name?: string; message?: string; code?: unknown; cause?: { code?: unknown } } | undefined;
  // fetch() rejects with TypeError('fetch failed') for connection errors and a body read that breaks with TypeError('terminated');
  // anything else that is a TypeError is a bug, not the network.
  if (e?.name === 'TypeError') return e.message === 'fetch failed' || e.message === 'terminated';
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' && /^(E[A-Z]+|UND_ERR_\w+)$/.test(code);
}

/** The connection broke, timed out or said something that is not the hub's protocol. Retried by the client. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
}

/**
 * The hub deleted events you had not read yet (the list's `retentionDays`):
 * your `position` is older than the retention, and the hub went on with
 * `received`. Re-sync what the missing events would have told you (from the
 * provider's API), then continue from `received - 1`, or construct the
 * consumer with `onTrimmed: 'continue'`.
 */
export class RetentionTrimmedError extends Error {
  override readonly name = 'RetentionTrimmedError';
  constructor(
    readonly list: string,
    readonly position: string,
    readonly received: string,
    readonly retentionDays: number,
  ) {
    super(
      `List '${list}' keeps ${retentionDays} day(s) of events; your position ${position} is older than that, and the hub went on with event ${received}: ` +
        `events in between that you had not read were deleted. Re-sync from the provider, then continue with from: '${BigInt(received) - 1n}' ` +
        "(or onTrimmed: 'continue').",
    );
  }
}

/**
 * The hub skipped an event you may read: `missing` is readable on its own but
 * the stream went from `position` to `received`. A broken proxy or a hub bug;
 * the consumer stops rather than lose it.
 */
export class SequenceGapError extends Error {
  override readonly name = 'SequenceGapError';
  constructor(
    readonly list: string,
    readonly position: string,
    readonly received: string,
  ) {
    super(
      `List '${list}': the stream went from ${position} to ${received}, but event ${BigInt(position) + 1n} exists and is readable by you. ` +
        'Nothing was handed out past the gap; restart the consumer (it resumes at the position) and report this if it repeats.',
    );
  }
}

/** A handler failed on an event after its retries; the consumer stopped before it (the cursor points before the event). */
export class HandlerError extends Error {
  override readonly name = 'HandlerError';
  constructor(
    readonly event: { heroldseq: string; id: string; source: string },
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    super(
      `The handler failed ${attempts} time(s) on event ${event.heroldseq} (${event.source} ${event.id}): ${(cause as Error)?.message ?? cause}. ` +
        "The cursor stays before it; fix the handler and run again, or run with onFailure: 'park'.",
    );
  }
}

/** Publishing this event would send a consumed event back where it came from. */
export class EchoError extends Error {
  override readonly name = 'EchoError';
  constructor(
    readonly event: { id?: unknown; source?: unknown },
    readonly origin: string,
  ) {
    super(
      `Refused to publish ${String(event.source)} ${String(event.id)}: it was caused by an event that started at '${origin}', this system's own source, ` +
        'so publishing it would loop. Do not republish changes that came from yourself (or pass allowEcho: true if the loop is intended).',
    );
  }
}

/** A webhook request that is not signed by a secret you hold, or is too old or too new. */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
}

/** Events the publisher could not store (a 4xx for them); the others were stored. */
export class PublishError extends Error {
  override readonly name = 'PublishError';
  constructor(readonly failures: { event: Record<string, unknown>; error: unknown }[]) {
    super(
      `${failures.length} event(s) were refused by the hub: ` +
        failures
          .slice(0, 3)
          .map((f) => `${String(f.event.source)} ${String(f.event.id)}: ${(f.error as Error)?.message ?? f.error}`)
          .join('; ') +
        (failures.length > 3 ? '; ...' : '') +
        '. Fix the events and publish them again; retrying them as they are will not help.',
    );
  }
}
