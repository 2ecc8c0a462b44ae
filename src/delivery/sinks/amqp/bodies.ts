/**
 * Message bodies shared by the AMQP sinks of every subscription:
 * the hub serves an event that a subscription sees whole as one JSON string
 * shared by all of them (sink.ts `SinkDelivery.json`), so twenty
 * subscriptions on a list parse and encode it once, not twenty times. Only
 * the message id differs per subscription (`withMessageId`).
 *
 * Keyed by list and seq (hashing the text would cost about what it saves),
 * and used only for the very text it was made from: a minimised event is
 * another text and gets its own body. Two generations of at most
 * `MAX_ENTRIES` bodies per list: subscriptions reading the same events a
 * little apart still share, and memory stays bounded.
 */
import { type AmqpBody, type AmqpStyle, toAmqpBinaryBody } from '../../../cloudevents/amqp-encode.js';
import { STRUCTURED_CONTENT_TYPE } from '../../../cloudevents/index.js';

const MAX_ENTRIES = 4096;
/** After this many bodies kept without a single hit, keep none for the next SKIP_AFTER_IDLE_PROBE misses. */
const PROBE = 1024;
const SKIP_AFTER_IDLE_PROBE = 8192;

export interface EventBody extends AmqpBody {
  /** The event's `type` (the default routing key), '' when it has none; undefined until needed (structured mode). */
  type: string | undefined;
}

type Kind = AmqpStyle | 'structured';

interface Entry {
  json: string;
  body: EventBody;
}

/** One list's bodies in one kind, by seq; an entry serves only the very text it was made from. */
class BodyCache {
  private young = new Map<number, Entry>();
  private old = new Map<number, Entry>();
  /** Bodies kept and hits since the last look; misses left that keep nothing (one subscription alone shares with nobody). */
  private kept = 0;
  private hits = 0;
  private skip = 0;

  constructor(private readonly kind: Kind) {}

  /** The body of this served event; throws like `toAmqpBinaryBody` (the caller dead-letters). */
  get(seq: number, json: string, parse: () => Record<string, unknown>): EventBody {
    // Same text: the same object as a rule (compared by reference first), equal text otherwise.
    const hit = this.young.get(seq) ?? this.old.get(seq);
    if (hit !== undefined && hit.json === json) {
      this.hits++;
      return hit.body;
    }
    let body: EventBody;
    if (this.kind === 'structured') {
      // The served JSON as is: no parse unless the routing key needs the type.
      body = { content: Buffer.from(json, 'utf8'), contentType: STRUCTURED_CONTENT_TYPE, headers: undefined, type: undefined };
    } else {
      const event = parse();
      const b = toAmqpBinaryBody(event, this.kind);
      body = { content: b.content, contentType: b.contentType, headers: b.headers, type: typeOf(event) };
    }
    // A minimised event (another text for the same seq) is not kept: the whole one is the shared case.
    // Nothing shared lately: keep none for a while (kept bodies would live into the old generation for nothing).
    if (this.skip > 0) {
      this.skip--;
      return body;
    }
    if (this.kept >= PROBE) {
      if (this.hits === 0) {
        this.skip = SKIP_AFTER_IDLE_PROBE;
        this.young = new Map();
        this.old = new Map();
      }
      this.kept = 0;
      this.hits = 0;
    }
    if (hit === undefined) {
      this.kept++;
      if (this.young.size >= MAX_ENTRIES) {
        this.old = this.young;
        this.young = new Map();
      }
      this.young.set(seq, { json, body });
    }
    return body;
  }
}

export function typeOf(event: Record<string, unknown>): string {
  return typeof event.type === 'string' ? event.type : '';
}

const caches = new Map<string, BodyCache>();

/**
 * The shared body of a served event of a list in this mode (binary: with this
 * header style). The list's caches stay while the process runs: a few
 * thousand bodies for each list with AMQP subscriptions.
 */
export function eventBody(list: string, mode: 'binary' | 'structured', style: AmqpStyle, seq: number, json: string, parse: () => Record<string, unknown>): EventBody {
  const kind: Kind = mode === 'structured' ? 'structured' : style;
  const key = `${kind}\u0000${list}`;
  let cache = caches.get(key);
  if (cache === undefined) caches.set(key, (cache = new BodyCache(kind)));
  return cache.get(seq, json, parse);
}
