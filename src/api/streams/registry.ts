import type { Scope } from '../../access/scope.js';
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

/** Every open long-lived response, so shutdown (and later revocation) can end them at once. */
export class StreamRegistry {
  private readonly open = new Set<OpenStream>();

  constructor(private readonly metrics: Metrics) {}

  add(stream: OpenStream): () => void {
    this.open.add(stream);
    this.metrics.openStreams.inc({ kind: stream.kind });
    return () => {
      if (this.open.delete(stream)) this.metrics.openStreams.dec({ kind: stream.kind });
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
