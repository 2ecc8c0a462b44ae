import type { ServerResponse } from 'node:http';
import type { LiveSink, LiveStep } from '../../hub/hub.js';
import { waitForDrain, type StallRule } from './drain.js';
import { sseFrame } from './sse-frames.js';

const HEARTBEAT = Buffer.from(': heartbeat\n\n');

/**
 * An SSE stream's side of the hub's fast set (hub/live-fanout.ts): while it is
 * caught up, the hub pushes each commit here synchronously and this only
 * writes. Every stream of a view is pushed the same step object, so its bytes
 * (the shared frames of sse-frames.ts, and an id-only message when the cursor
 * moved past events the stream does not get) are made once per view and
 * commit. A write the socket does not take at once sends the stream back to
 * its follow loop, which waits for the drain here under the stall rule first.
 */
export class SseLiveSink implements LiveSink {
  /** The drain a push that filled the buffer waits for; the door's loop waits for it before it writes. */
  draining: Promise<'drained' | 'stalled' | 'aborted'> | null = null;

  constructor(
    private readonly res: ServerResponse,
    private readonly list: string,
    private readonly rule: StallRule,
    private readonly signal: AbortSignal,
    /** The last id the stream was sent, for the door's own steps. */
    private readonly sent: (id: number) => void,
    /** Nothing was read for the stall interval: the door ends the stream. */
    private readonly stalled: () => void,
  ) {}

  ready(): boolean {
    return this.draining === null && !this.res.writableNeedDrain && !this.res.destroyed && !this.signal.aborted;
  }

  push(step: LiveStep): 'taken' | 'full' | 'declined' {
    if (!this.ready()) return 'declined';
    const chunk = step.kind === 'idle' ? HEARTBEAT : chunkOf(this.list, step);
    // Larger than the buffer rule lets go at once: the follow loop writes it in pieces.
    if (chunk.length > this.rule.streamBufferBytes) return 'declined';
    if (step.kind === 'events') this.sent(step.next);
    if (this.res.write(chunk)) return 'taken';
    this.draining = waitForDrain(this.res, this.rule.streamStallSeconds * 1000, this.signal).then((result) => {
      this.draining = null;
      if (result === 'stalled') this.stalled();
      return result;
    });
    return 'full';
  }
}

const chunks = new WeakMap<LiveStep, Buffer>();

/** A pushed step's bytes, made once for every stream pushed the same step. */
function chunkOf(list: string, step: LiveStep & { kind: 'events' }): Buffer {
  let chunk = chunks.get(step);
  if (chunk) return chunk;
  const parts = step.events.map((e) => sseFrame(list, e.seq, e.json));
  // Moved past events the stream does not get: an id-only message moves the client's Last-Event-ID too.
  const last = step.events.at(-1)?.seq ?? -1;
  if (step.next > last) parts.push(Buffer.from(`id: ${step.next}\n\n`));
  chunk = parts.length === 1 ? parts[0] : Buffer.concat(parts);
  chunks.set(step, chunk);
  return chunk;
}
