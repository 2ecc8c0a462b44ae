import { EchoError } from './errors.js';

/**
 * Causation across systems, against the seed's "evige meldingsløkker": HR
 * publishes a change, the CMS updates its copy and publishes its own change,
 * HR takes that as news and publishes again, forever. Events that one system
 * publishes because of another carry where the chain started:
 *   causationid, causationsource  the event that caused this one
 *   originsource                  the source of the first event in the chain
 *   correlationid                 the id of the first event in the chain
 * (CloudEvents extension attributes, kept by the hub like any other.)
 */
export type CausedBy = {
  causationid: string;
  causationsource: string;
  originsource: string;
  correlationid: string;
};

/** `outgoing`, stamped as caused by `cause` (an event you consumed). */
export function causedBy<T extends Record<string, unknown>>(outgoing: T, cause: { id: unknown; source: unknown; originsource?: unknown; correlationid?: unknown }): T & CausedBy {
  return {
    ...outgoing,
    causationid: String(cause.id),
    causationsource: String(cause.source),
    originsource: typeof cause.originsource === 'string' ? cause.originsource : String(cause.source),
    correlationid: typeof cause.correlationid === 'string' ? cause.correlationid : String(cause.id),
  };
}

/** Whether `source` is `own` or under it (a prefix that ends at '/', '?', '#' or ':', as the hub's publisher prefixes). */
export function sourceWithin(source: string, own: string): boolean {
  if (source === own) return true;
  if (!source.startsWith(own)) return false;
  return /[/?#:]$/.test(own) || /^[/?#:]/.test(source.slice(own.length));
}

/**
 * This system's sources. `isEcho(event)`: the event's chain started here
 * (do not act on your own change coming back). `check(outgoing)` throws
 * EchoError for an event whose chain started here: publishing it would loop.
 */
export class EchoGuard {
  private readonly own: string[];

  constructor(ownSources: string | string[]) {
    this.own = Array.isArray(ownSources) ? ownSources : [ownSources];
    if (this.own.length === 0 || this.own.some((s) => typeof s !== 'string' || s === '')) throw new TypeError('EchoGuard needs this system’s source (or sources)');
  }

  isEcho(event: { originsource?: unknown }): boolean {
    return typeof event.originsource === 'string' && this.own.some((o) => sourceWithin(event.originsource as string, o));
  }

  check<T extends { originsource?: unknown; id?: unknown; source?: unknown }>(outgoing: T): T {
    if (this.isEcho(outgoing)) throw new EchoError(outgoing, outgoing.originsource as string);
    return outgoing;
  }
}
