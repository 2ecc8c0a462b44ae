import type { Scope } from '../../access/scope.js';
import { HubError } from '../../hub/errors.js';
import type { Metrics } from '../../metrics.js';

export type StreamKind = 'sse' | 'ndjson' | 'graphql-sse' | 'graphql-ws';

/** Why the registry closes a stream: the hub stops (clients should resume), or the owner's access changed. */
export type CloseCause = 'shutdown' | 'access';

/** Whose stream it is: revoking their access closes it. */
export interface StreamOwner {
  principal: string;
  keyId?: string;
  list: string;
}

/** The owner of a stream read under a scope. */
export function streamOwnerOf(scope: Scope): StreamOwner {
  return { principal: scope.principal.id, keyId: scope.principal.keyId, list: scope.list! };
}

export interface OpenStream {
  kind: StreamKind;
  owner?: StreamOwner;
  /** Ends the stream with a final message that says why. */
  close(reason: string, cause: CloseCause): void;
}

/**
 * Every open long-lived response of every streaming door, so shutdown and
 * revocation can end them at once, and so one principal's streams are
 * counted together against its cap whichever door they came through.
 */
export class StreamRegistry {
  private readonly open = new Set<OpenStream>();
  private readonly perPrincipal = new Map<string, number>();

  constructor(
    private readonly metrics: Metrics,
    private readonly maxPerPrincipal = Number.MAX_SAFE_INTEGER,
  ) {}

  /**
   * Register a stream before its response starts; the returned function frees
   * its slot when it ends. A principal at its cap gets a 429 instead.
   */
  add(stream: OpenStream): () => void {
    const principal = stream.owner?.principal;
    if (principal !== undefined) {
      const held = this.perPrincipal.get(principal) ?? 0;
      if (held >= this.maxPerPrincipal) throw tooManyStreams(held, this.maxPerPrincipal);
      this.perPrincipal.set(principal, held + 1);
    }
    this.open.add(stream);
    this.metrics.openStreams.inc({ kind: stream.kind });
    return () => {
      if (!this.open.delete(stream)) return;
      this.metrics.openStreams.dec({ kind: stream.kind });
      if (principal === undefined) return;
      const held = (this.perPrincipal.get(principal) ?? 1) - 1;
      if (held > 0) this.perPrincipal.set(principal, held);
      else this.perPrincipal.delete(principal);
    };
  }

  closeAll(reason: string): void {
    for (const stream of [...this.open]) stream.close(reason, 'shutdown');
  }

  /** Close the streams an access change touches (a principal, a list, a key). */
  closeWhere(change: { principal?: string; list?: string; keyId?: string }, reason: string): number {
    let n = 0;
    for (const stream of [...this.open]) {
      const o = stream.owner;
      if (!o) continue;
      if (change.keyId !== undefined && o.keyId !== change.keyId) continue;
      if (change.keyId === undefined && change.principal !== undefined && o.principal !== change.principal) continue;
      if (change.list !== undefined && o.list !== change.list) continue;
      stream.close(reason, 'access');
      n++;
    }
    return n;
  }

  /** How many streams of these kinds a principal holds open (per-principal caps). */
  countOf(principal: string, kinds: readonly StreamKind[]): number {
    let n = 0;
    for (const stream of this.open) if (stream.owner?.principal === principal && kinds.includes(stream.kind)) n++;
    return n;
  }

  get size(): number {
    return this.open.size;
  }
}

function tooManyStreams(held: number, max: number): HubError {
  return new HubError(
    'rate-limited',
    'too-many-streams',
    'Too many open streams',
    `You have ${held} streams open on this hub, the most one principal may hold (HEROLD_MAX_STREAMS_PER_PRINCIPAL = ${max}). ` +
      'Close streams you no longer read before opening another, or ask an admin to raise HEROLD_MAX_STREAMS_PER_PRINCIPAL.',
    [],
    { limit: max, open: held },
  );
}
