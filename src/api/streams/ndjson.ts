import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ReadQuery } from '../../hub/hub.js';
import { renderFor } from '../../hub/render.js';
import type { StreamOwner } from './registry.js';
import { writeWithin } from './drain.js';

/**
 * NDJSON export of a whole range (after the cursor up to the head at request
 * time), one event per line. The next page is read only once the socket has
 * taken the previous one: bounded memory for any list size. A reader that
 * stalls is cut off (the rule of `writeWithin`, shared with SSE): the response
 * ends without its last chunk, so the client sees an incomplete export.
 */
export async function serveNdjson(
  app: FastifyInstance,
  reply: FastifyReply,
  list: string,
  query: Omit<ReadQuery, 'limit'>,
  owner: StreamOwner,
  onDelivered?: (events: { seq: number }[]) => void,
): Promise<void> {
  const { hub } = app.deps;
  const res = reply.raw;
  // Registered before anything is sent: over the principal's cap this is a 429.
  const unregister = app.streams.add({ kind: 'ndjson', owner, close: () => abort.abort() });
  reply.hijack();
  res.writeHead(200, {
    'content-type': 'application/x-ndjson; charset=utf-8',
    'cache-control': 'no-cache',
    'herold-head': String(hub.head(list)),
  });
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  try {
    for await (const events of hub.scan(list, query)) {
      if (abort.signal.aborted) break;
      let chunk = '';
      for (const e of events) chunk += renderFor(e, owner.fields) + '\n';
      if ((await writeWithin(res, chunk, app.deps.config, abort.signal)) !== 'written') abort.abort();
      if (abort.signal.aborted) break;
      onDelivered?.(events);
    }
  } catch (error) {
    app.log.error({ err: error, list }, 'NDJSON export failed');
    res.destroy(error as Error);
    return;
  } finally {
    unregister();
  }
  if (abort.signal.aborted) res.destroy();
  else res.end();
}
