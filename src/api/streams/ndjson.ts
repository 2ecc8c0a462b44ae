import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Scope } from '../../access/scope.js';
import type { EventQuery } from '../../hub/hub.js';
import { streamOwnerOf } from './registry.js';
import { writeWithin } from './drain.js';

/**
 * NDJSON export of a whole range (after the cursor up to the head at request
 * time), one event per line: a thin door over `hub.scan`, which reads within
 * the caller's scope. The next page is read only once the socket has taken
 * the previous one: bounded memory for any list size. A reader that stalls is
 * cut off (the rule of `writeWithin`, shared with SSE): the response ends
 * without its last chunk, so the client sees an incomplete export.
 */
export async function serveNdjson(app: FastifyInstance, reply: FastifyReply, scope: Scope, query: EventQuery): Promise<void> {
  const { hub } = app.deps;
  const list = scope.list!;
  // Refusals are problems, thrown before any 200.
  const pages = await hub.scan(scope, query, 'ndjson');
  const res = reply.raw;
  // Registered before anything is sent: over the principal's cap this is a 429.
  const unregister = app.streams.add({ kind: 'ndjson', owner: streamOwnerOf(scope), close: () => abort.abort() });
  reply.hijack();
  res.writeHead(200, {
    'content-type': 'application/x-ndjson; charset=utf-8',
    'cache-control': 'no-cache',
    'herold-head': String(hub.head(list)),
  });
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  try {
    for await (const events of pages) {
      if (abort.signal.aborted) break;
      let chunk = '';
      for (const e of events) chunk += e.json + '\n';
      if ((await writeWithin(res, chunk, app.deps.config, abort.signal)) !== 'written') abort.abort();
      if (abort.signal.aborted) break;
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
