import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ReadQuery } from '../../hub/hub.js';
import { renderFor, renderShared } from '../../hub/render.js';
import type { StreamOwner } from './registry.js';
import { writeWithin } from './drain.js';

const PAGE = 200;

/**
 * Server-Sent Events: replay from the cursor, then wait for the in-process
 * wake-up and send what committed. Pages are read only as fast as the socket
 * drains, so a slow consumer costs one page of memory; one that stalls is cut
 * off (the rule of `writeWithin`, shared with NDJSON) with a final message saying so.
 */
export async function serveSse(
  app: FastifyInstance,
  reply: FastifyReply,
  list: string,
  query: Omit<ReadQuery, 'limit'>,
  owner: StreamOwner,
  onDelivered?: (events: { seq: number }[]) => void,
): Promise<void> {
  const { hub, config } = app.deps;
  const res = reply.raw;
  // Registered before anything is sent: over the principal's cap this is a 429.
  const unregister = app.streams.add({ kind: 'sse', owner, close: (reason) => end('close', reason) });
  reply.hijack();
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.socket?.setNoDelay(true);
  const abort = new AbortController();
  let finalMessage: string | null = null;
  const end = (event: string, reason: string) => {
    if (abort.signal.aborted) return;
    finalMessage = `event: ${event}\ndata: ${JSON.stringify({ reason })}\n\n`;
    abort.abort();
  };
  res.on('close', () => abort.abort());
  // One abort listener for the stream's life, not one per wait: with 10,000
  // streams, every commit starts 10,000 waits.
  let wakeNow: (() => void) | null = null;
  abort.signal.addEventListener('abort', () => wakeNow?.(), { once: true });
  const waitForCommit = (seen: number, ms: number) =>
    new Promise<void>((resolve) => {
      if (abort.signal.aborted) return resolve();
      let cancel: (() => void) | undefined;
      const done = () => {
        clearTimeout(timer);
        wakeNow = null;
        cancel?.();
        resolve();
      };
      const timer = setTimeout(done, ms);
      wakeNow = done;
      cancel = hub.bus.onceBeyond(list, seen, done);
    });

  const heartbeatMs = config.heartbeatSeconds * 1000;
  const stallMs = config.streamStallSeconds * 1000;
  let cursor = query.after;
  let lastSentId = query.after;
  res.write(`retry: 2000\n: herold stream of '${list}' after ${cursor}\n\n`);
  let lastWrite = Date.now();
  try {
    while (!abort.signal.aborted) {
      const before = cursor;
      const page = await hub.read(list, { ...query, after: cursor, limit: PAGE });
      if (abort.signal.aborted) break;
      let chunk = '';
      for (const e of page.events) chunk += `id: ${e.seq}\ndata: ${owner.fields ? renderFor(e, owner.fields) : renderShared(e)}\n\n`;
      if (page.events.length > 0) lastSentId = page.events[page.events.length - 1].seq;
      // Moved past filtered-out events: an id-only message moves the client's Last-Event-ID too.
      if (page.next > lastSentId && page.events.length < PAGE) {
        chunk += `id: ${page.next}\n\n`;
        lastSentId = page.next;
      }
      cursor = page.next;
      if (chunk) {
        lastWrite = Date.now();
        if ((await writeWithin(res, chunk, config, abort.signal)) === 'stalled') {
          end('error', `Consumer too slow: nothing was read for ${config.streamStallSeconds} s. Reconnect with Last-Event-ID to resume from the last event received.`);
          break;
        }
        onDelivered?.(page.events);
      }
      // More to read at once only while reads make progress; a time window (`until`) stops short of the head.
      if (page.events.length === PAGE || (cursor > before && cursor < hub.head(list))) continue;
      if (query.until !== undefined && query.until <= Date.now()) {
        end('end', 'The requested time window is complete.');
        break;
      }
      const wait = Math.max(1, heartbeatMs - (Date.now() - lastWrite));
      const seen = Math.max(cursor, hub.head(list));
      await waitForCommit(seen, wait);
      if (!abort.signal.aborted && hub.head(list) <= seen && Date.now() - lastWrite >= heartbeatMs - 5) {
        res.write(': heartbeat\n\n');
        lastWrite = Date.now();
      }
    }
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
