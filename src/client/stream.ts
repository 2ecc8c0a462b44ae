import { anySignal, sleep } from './backoff.js';
import { TransportError } from './errors.js';
import { errorOf, type Query, type Transport } from './http.js';
import { parseNdjsonChunks } from './ndjson.js';
import { parseSseChunks } from './sse.js';
import type { EventFilters, EventPage, ServedEvent } from './types.js';

/**
 * What a read session tells the consumer, in order: an event, the hub moving
 * the cursor past events this reader does not get (an id-only SSE message or
 * a page's `next`), or the hub ending the stream with a reason.
 */
export type StreamItem =
  | { kind: 'event'; seq: bigint; event: ServedEvent }
  | { kind: 'position'; seq: bigint }
  | { kind: 'end'; event: 'close' | 'end' | 'error' | string; reason: string };

/** The hub (or a proxy in front of it) did not answer with an event stream: read pages instead. */
export class SseUnavailable extends Error {}

export interface SessionOptions {
  signal?: AbortSignal;
  /** SSE: reconnect when nothing (not even a heartbeat) arrived for this long, ms. */
  idleTimeoutMs: number;
  /** Pull: wait this long between polls once caught up, ms. */
  pollMs: number;
  /** Pull: page size. */
  pageSize: number;
  /** Pull: catch up with an export ('export') or page by page ('pages'). */
  catchUp?: 'export' | 'pages';
}

export function filterQuery(f: EventFilters): Query {
  return { filter: f.filter, type: asArray(f.type), subject: asArray(f.subject), source: asArray(f.source) };
}
const asArray = (v: string | string[] | undefined) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);
export const eventsPath = (list: string) => `/lists/${encodeURIComponent(list)}/events`;

/**
 * One Server-Sent Events connection from `after`, in batches (the messages
 * of one chunk from the socket). Ends after the hub's final
 * message (`close`, `end`, `error`); a connection that breaks or goes silent
 * throws, so the caller reconnects from where it is.
 */
export async function* sseSession(t: Transport, list: string, filters: EventFilters, after: bigint, o: SessionOptions): AsyncGenerator<StreamItem[]> {
  const own = new AbortController();
  const signal = anySignal(o.signal, own.signal);
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => own.abort(new TransportError(`nothing from the hub for ${o.idleTimeoutMs} ms (not even a heartbeat)`)), o.idleTimeoutMs);
  };
  try {
    arm();
    const res = await t.stream(eventsPath(list), {
      query: { ...filterQuery(filters), after: after.toString() },
      headers: { accept: 'text/event-stream' },
      signal,
    });
    if ([406, 415, 501].includes(res.status)) {
      await res.cancel();
      throw new SseUnavailable(`the hub answered ${res.status} to Accept: text/event-stream`);
    }
    if (!res.ok) throw await errorOf(res);
    if (!res.headers.get('content-type')?.startsWith('text/event-stream')) {
      await res.cancel();
      throw new SseUnavailable(`the answer to Accept: text/event-stream was ${res.headers.get('content-type')}`);
    }
    async function* bytes(body: AsyncIterable<Uint8Array>) {
      for await (const chunk of body) {
        arm();
        yield chunk;
      }
    }
    try {
      for await (const messages of parseSseChunks(bytes(res.body))) {
        const items: StreamItem[] = [];
        for (let i = 0; i < messages.length; i++) {
          const m = messages[i];
          if (m.event === 'message') {
            if (m.data) {
              const event = JSON.parse(m.data) as ServedEvent;
              items.push({ kind: 'event', seq: BigInt(m.id ?? event.heroldseq), event });
            } else if (m.id) items.push({ kind: 'position', seq: BigInt(m.id) });
          } else {
            let reason = m.data;
            try {
              reason = (JSON.parse(m.data) as { reason?: string }).reason ?? m.data;
            } catch {
              // a reason that is plain text
            }
            items.push({ kind: 'end', event: m.event, reason });
            yield items;
            return;
          }
        }
        if (items.length > 0) yield items;
      }
    } catch (error) {
      // Our own idle timer aborted the read: say so, not "This operation was aborted".
      if (own.signal.aborted && !o.signal?.aborted) throw own.signal.reason;
      throw error;
    }
    // Our own idle timer closed the connection.
    if (own.signal.aborted && !o.signal?.aborted) throw own.signal.reason;
    throw new TransportError('the event stream ended without a final message (connection dropped)');
  } finally {
    clearTimeout(timer);
    own.abort();
  }
}

/**
 * Pages from `after` (one batch per page), polling once caught up (`If-None-Match`, so an idle
 * poll costs the hub a 304). Runs until `signal` aborts or a request fails. While behind, the
 * request for the next page goes out as soon as this page's headers name its cursor
 * (`Herold-Next`, `Herold-Head`): the hub builds the next page while this one is read and handed
 * on. One request ahead, never more; a hub that sends no such headers is asked once this page's
 * body is read.
 */
export async function* pullSession(t: Transport, list: string, filters: EventFilters, after: bigint, o: SessionOptions): AsyncGenerator<StreamItem[]> {
  let position = after;
  // The ETag of the last answer and the cursor it was for: it is only sent when asking for that cursor again.
  let etag: { after: bigint; value: string } | undefined;
  const own = new AbortController();
  const signal = anySignal(o.signal, own.signal);
  /** A page's request, up to its headers; the body is read by the loop. */
  const ask = async (requested: bigint): Promise<{ requested: bigint; res?: Response; ahead?: bigint }> => {
    const res = await t.request('GET', eventsPath(list), {
      query: { ...filterQuery(filters), after: requested.toString(), limit: o.pageSize },
      headers: { accept: 'application/json', ...(etag?.after === requested ? { 'if-none-match': etag.value } : {}) },
      signal,
      raw: true,
    });
    if (res.status === 304) {
      await res.body?.cancel();
      return { requested };
    }
    if (!res.ok) throw await errorOf(res);
    const next = cursorHeader(res, 'herold-next');
    const head = cursorHeader(res, 'herold-head');
    return { requested, res, ahead: next !== undefined && head !== undefined && next > requested && next < head ? next : undefined };
  };
  const early = (requested: bigint) => {
    const asked = ask(requested);
    // Its failure is seen when it is awaited (next turn), not as an unhandled rejection now.
    asked.catch(() => {});
    return asked;
  };
  // Behind (at the start, and after a full page): catch up with one export instead of a page per request.
  let exports = o.catchUp !== 'pages';
  let exportFrom: bigint | undefined = exports ? position : undefined;
  let asking: ReturnType<typeof ask> | undefined = exports ? undefined : ask(position);
  try {
    for (;;) {
      if (exportFrom !== undefined) {
        const head = yield* exportSession(t, list, filters, exportFrom, signal);
        exportFrom = undefined;
        if (head === undefined) exports = false;
        if (head !== undefined && head > position) position = head;
        asking = ask(position);
      }
      const { requested, res, ahead } = await asking!;
      if (!res) {
        if (!(await sleep(o.pollMs, o.signal))) return;
        asking = ask(position);
        continue;
      }
      let following = ahead !== undefined ? early(ahead) : undefined;
      const page = (await res.json()) as EventPage;
      etag = res.headers.get('etag') ? { after: requested, value: res.headers.get('etag')! } : undefined;
      const items: StreamItem[] = page.events.map((event) => ({ kind: 'event', seq: BigInt(event.heroldseq), event }));
      const next = BigInt(page.next);
      if (next > requested) {
        position = next;
        items.push({ kind: 'position', seq: next });
      }
      const caughtUp = next >= BigInt(page.head) || next === requested;
      if (!caughtUp) following ??= early(position);
      if (items.length > 0) yield items;
      if (following && page.events.length >= o.pageSize && exports) {
        // A full page: far behind again (a burst); the page asked ahead is dropped for an export.
        await following.then((a) => a.res?.body?.cancel(), () => {});
        exportFrom = position;
      } else if (following) asking = following;
      else {
        if (!(await sleep(o.pollMs, o.signal))) return;
        asking = ask(position);
      }
    }
  } finally {
    // A reader that stopped (or failed) does not leave the request ahead running.
    own.abort();
  }
}

/**
 * The range (after, head at the time of the request] as one NDJSON export:
 * how a pull reader catches up (one response read a line at a time, instead
 * of a request and a parse of a whole page per thousand events). Returns the
 * head the export read to (the position to go on from), or undefined when the
 * hub does not offer exports (the caller reads pages). A cut-off export
 * throws, like a broken stream, and the caller resumes from the last event.
 */
async function* exportSession(t: Transport, list: string, filters: EventFilters, after: bigint, signal: AbortSignal): AsyncGenerator<StreamItem[], bigint | undefined> {
  const res = await t.stream(eventsPath(list), { query: { ...filterQuery(filters), after: after.toString() }, headers: { accept: 'application/x-ndjson' }, signal });
  if (!res.ok && ![406, 415, 501].includes(res.status)) throw await errorOf(res);
  const head = cursorValue(res.headers.get('herold-head'));
  if (!res.ok || !res.headers.get('content-type')?.startsWith('application/x-ndjson') || head === undefined) {
    await res.cancel();
    return undefined;
  }
  let last = after;
  try {
    for await (const events of parseNdjsonChunks(res.body)) {
      const items = events.map((event): StreamItem => ({ kind: 'event', seq: BigInt(event.heroldseq), event }));
      if (items.length > 0) last = (items[items.length - 1] as { seq: bigint }).seq;
      yield items;
    }
  } finally {
    await res.cancel();
  }
  // Past the last event this reader gets, up to the head the export was made to.
  if (head > last) yield [{ kind: 'position', seq: head }];
  return head > last ? head : last;
}

const cursorValue = (value: string | null): bigint | undefined => (value !== null && /^\d{1,19}$/.test(value) ? BigInt(value) : undefined);

const cursorHeader = (res: Response, name: string): bigint | undefined => cursorValue(res.headers.get(name));
