import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Scope } from '../../access/scope.js';
import type { EventQuery, FollowEnd } from '../../hub/hub.js';
import { streamOwnerOf } from './registry.js';
import { writeWithinNow } from './drain.js';
import { sseFrame } from './sse-frames.js';
import { SseLiveSink } from './sse-live.js';

const END_MESSAGES: Record<Exclude<FollowEnd, 'aborted'>, [string, string]> = {
  expired: ['close', 'Your credential has expired; reconnect with a valid one and Last-Event-ID to resume.'],
  'window-complete': ['end', 'The requested time window is complete.'],
};

/**
 * Server-Sent Events: a thin door over `hub.follow`, which replays from the
 * cursor, then waits for commits, within the caller's scope. This file only
 * writes: one message per event (`id: <seq>`), an id-only message when the
 * cursor moved past events the caller does not get, heartbeats, and a final
 * message saying why the stream ended. The next page is asked for only once
 * the socket drained, so a slow consumer costs one page of memory; one that
 * stalls is cut off (the rule of `writeWithin`, shared with NDJSON). While
 * the stream is caught up, the hub pushes each commit to it from one loop
 * for all streams (`sse-live.ts`); this loop resumes when it falls behind.
 */
export async function serveSse(app: FastifyInstance, reply: FastifyReply, scope: Scope, query: EventQuery): Promise<void> {
  const { hub, config } = app.deps;
  const list = scope.list!;
  const res = reply.raw;
  const abort = new AbortController();
  const stallMs = config.streamStallSeconds * 1000;
  let lastSentId = query.after;
  // While caught up, the hub pushes each commit to this from one loop for all streams (sse-live.ts).
  const live = new SseLiveSink(res, list, config, abort.signal, (id) => (lastSentId = id), () => end('error', stallMessage(config.streamStallSeconds)));
  // Refusals (a filter on a hidden attribute, a list that does not exist) are problems, thrown before any 200.
  const stream = await hub.follow(scope, query, 'sse', { signal: abort.signal, idleMs: config.heartbeatSeconds * 1000, live });
  // Registered before anything is sent: over the principal's cap this is a 429.
  const unregister = app.streams.add({ kind: 'sse', owner: streamOwnerOf(scope), close: (reason) => end('close', reason) });
  reply.hijack();
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.socket?.setNoDelay(true);
  let finalMessage: string | null = null;
  const end = (event: string, reason: string) => {
    if (abort.signal.aborted) return;
    finalMessage = `event: ${event}\ndata: ${JSON.stringify({ reason })}\n\n`;
    abort.abort();
  };
  res.on('close', () => abort.abort());
  res.write(`retry: 2000\n: herold stream of '${list}' after ${query.after}\n\n`);
  try {
    let step = await stream.next();
    while (!step.done) {
      // A push filled the buffer: nothing more is written before it drained (a stall ended the stream).
      if (live.draining && (await live.draining) !== 'drained') break;
      const s = step.value;
      let chunk: string | Buffer = '';
      if (s.kind === 'idle') chunk = ': heartbeat\n\n';
      else {
        // One write per step (all the events of a commit, or a page when the stream is behind).
        chunk = s.next < hub.head(list) ? replayChunk(s.events) : liveChunk(list, s.events);
        if (s.events.length > 0) lastSentId = s.events[s.events.length - 1].seq;
        // Moved past events the caller does not get: an id-only message moves the client's Last-Event-ID too.
        if (s.next > lastSentId) {
          chunk = typeof chunk === 'string' ? chunk + `id: ${s.next}\n\n` : Buffer.concat([chunk, Buffer.from(`id: ${s.next}\n\n`)]);
          lastSentId = s.next;
        }
      }
      // Usually written at once, without a promise; a full buffer waits under the stall rule.
      const pending = chunk.length > 0 ? writeWithinNow(res, chunk, config, abort.signal) : 'written';
      if ((pending === 'written' ? pending : await pending) === 'stalled') {
        end('error', stallMessage(config.streamStallSeconds));
        break;
      }
      if (abort.signal.aborted) break;
      step = await stream.next();
    }
    if (step.done && step.value !== 'aborted' && !finalMessage) {
      const [event, reason] = END_MESSAGES[step.value];
      finalMessage = `event: ${event}\ndata: ${JSON.stringify({ reason })}\n\n`;
    } else if (!step.done) await stream.return('aborted');
  } catch (error) {
    app.log.error({ err: error, list }, 'SSE stream failed');
    finalMessage = `event: error\ndata: ${JSON.stringify({ reason: 'The hub failed while streaming; reconnect with Last-Event-ID.' })}\n\n`;
  } finally {
    unregister();
    if (!res.destroyed) {
      if (finalMessage) res.write(finalMessage);
      res.end();
      // Give a slow reader time to take the final message; one that reads nothing is dropped then.
      setTimeout(() => res.destroy(), Math.max(stallMs, 10_000)).unref();
    }
  }
}

/**
 * A replay page (the stream is behind the head): one string, as NDJSON builds
 * its lines. Nobody else is at these seqs now, so caching their frames would
 * only evict the live ones that thousands of caught-up streams share.
 */
function replayChunk(events: readonly { seq: number; json: string }[]): string {
  let chunk = '';
  for (const e of events) chunk += `id: ${e.seq}\ndata: ${e.json}\n\n`;
  return chunk;
}

/** A caught-up step: frames shared by every stream that sends the same bytes (sse-frames.ts). */
function liveChunk(list: string, events: readonly { seq: number; json: string }[]): Buffer {
  return events.length === 1 ? sseFrame(list, events[0].seq, events[0].json) : Buffer.concat(events.map((e) => sseFrame(list, e.seq, e.json)));
}

function stallMessage(seconds: number): string {
  return `Consumer too slow: nothing was read for ${seconds} s. Reconnect with Last-Event-ID to resume from the last event received.`;
}
