import type { FastifyReply } from 'fastify';
import type { ServerResponse } from 'node:http';
import { writeWithin, type StallRule } from '../streams/drain.js';
import { formatResult } from './errors.js';
import type { Subscription, SubscriptionEnd, SubscriptionMessage } from './subscription.js';

/**
 * One text/event-stream response of the graphql-sse transport. It writes
 * whole messages under the stall rule every stream door shares
 * (`writeWithin`: bounded bytes queued, a reader that takes nothing for
 * HEROLD_STREAM_STALL_SECONDS is cut off with a final error message).
 */
export class EventStreamWriter {
  private readonly res: ServerResponse;
  private readonly abort = new AbortController();
  private ended = false;

  constructor(
    reply: FastifyReply,
    private readonly rule: StallRule,
  ) {
    reply.hijack();
    this.res = reply.raw;
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    this.res.socket?.setNoDelay(true);
    this.res.on('close', () => this.abort.abort());
    this.res.write(': herold graphql-sse\n\n');
  }

  /** Aborts when the client leaves or the stream is ended. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Write a chunk; false when the stream is gone or its reader stalled (the stream is then ended). */
  async send(chunk: string): Promise<boolean> {
    if (this.ended || this.abort.signal.aborted) return false;
    const written = await writeWithin(this.res, chunk, this.rule, this.abort.signal);
    if (written === 'written') return true;
    if (written === 'stalled') {
      const error = { message: `Consumer too slow: nothing was read for ${this.rule.streamStallSeconds} s. Subscribe again after the last eventid you received.`, extensions: { code: 'CONSUMER_TOO_SLOW' } };
      this.end(`event: next\ndata: ${JSON.stringify({ errors: [error] })}\n\n`);
    }
    return false;
  }

  /** End the response (with a last message), leaving a slow reader time to take it. */
  end(last?: string): void {
    if (this.ended) return;
    this.ended = true;
    this.abort.abort();
    if (this.res.destroyed) return;
    if (last) this.res.write(last);
    this.res.end();
    setTimeout(() => this.res.destroy(), Math.max(this.rule.streamStallSeconds * 1000, 10_000)).unref();
  }
}

/** How one operation's messages are framed: distinct connections, or one connection with operation ids. */
export interface Framing {
  next(payload: Record<string, unknown>, eventid?: number): string;
  complete(): string;
}

export const DISTINCT: Framing = {
  next: (payload, eventid) => `${eventid !== undefined ? `id: ${eventid}\n` : ''}event: next\ndata: ${JSON.stringify(payload)}\n\n`,
  complete: () => 'event: complete\ndata:\n\n',
};

export function singleConnection(operationId: string): Framing {
  return {
    next: (payload, eventid) => `${eventid !== undefined ? `id: ${eventid}\n` : ''}event: next\ndata: ${JSON.stringify({ id: operationId, payload })}\n\n`,
    complete: () => `event: complete\ndata: ${JSON.stringify({ id: operationId })}\n\n`,
  };
}

/**
 * Write a subscription's messages (each event's eventid as the SSE id, so
 * Last-Event-ID resumes), heartbeats while idle, and `complete` when it
 * completes. An interrupted one (the hub stopping, the client gone, a
 * stalled reader) ends without `complete`, so the client retries.
 */
export async function pump(writer: EventStreamWriter, sub: Subscription, framing: Framing, log: (error: unknown) => void): Promise<SubscriptionEnd> {
  let step: IteratorResult<SubscriptionMessage, SubscriptionEnd> | undefined;
  try {
    step = await sub.next();
    while (!step.done) {
      const m = step.value;
      const chunk = m.kind === 'heartbeat' ? ':\n\n' : framing.next(formatResult(m.result, log), m.eventid);
      if (!(await writer.send(chunk))) break;
      step = await sub.next();
    }
  } catch (error) {
    log(error);
    await writer.send(framing.next({ errors: [{ message: 'The hub failed while streaming; subscribe again after the last eventid you received.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }));
    return 'interrupted';
  } finally {
    if (!step?.done) await sub.return('interrupted');
  }
  if (step.done && step.value === 'complete') {
    await writer.send(framing.complete());
    return 'complete';
  }
  return 'interrupted';
}
