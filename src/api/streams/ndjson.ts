import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ReadQuery } from '../../hub/hub.js';
import { renderFor } from '../../hub/render.js';
import type { StreamOwner } from './registry.js';
import { waitForDrain } from './drain.js';

/**
 * NDJSON export of a whole range (after the cursor up to the head at request
 * time), one event per line. The next page is read only once the socket has
 * taken the previous one: bounded memory for any list size.
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
  reply.hijack();
  res.writeHead(200, {
    'content-type': 'application/x-ndjson; charset=utf-8',
    'cache-control': 'no-cache',
    'herold-head': String(hub.head(list)),
  });
  const abort = new AbortController();
  const unregister = app.streams.add({ kind: 'ndjson', owner, close: () => abort.abort() });
  res.on('close', () => abort.abort());
  try {
    for await (const events of hub.scan(list, query)) {
      if (abort.signal.aborted) break;
      let chunk = '';
      for (const e of events) chunk += renderFor(e, owner.fields) + '\n';
      if (!res.write(chunk)) {
        // No stall limit here: an export may be read slowly on purpose.
        if ((await waitForDrain(res, 2 ** 31 - 1, abort.signal)) !== 'drained') break;
      }
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
