import type { Metrics } from '../../metrics.js';

export type StreamKind = 'sse' | 'ndjson';

export interface OpenStream {
  kind: StreamKind;
  /** Ends the stream with a final message that says why. */
  close(reason: string): void;
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
    for (const stream of [...this.open]) stream.close(reason);
  }

  get size(): number {
    return this.open.size;
  }
}
