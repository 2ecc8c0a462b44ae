/**
 * Message bodies shared by the AMQP sinks of every subscription:
 * the hub serves an event that a subscription sees whole as one JSON string
 * shared by all of them (sink.ts `SinkDelivery.json`), so twenty
 * subscriptions on a list parse and encode it once, not twenty times. Only
 * the message id differs per subscription (`withMessageId`).
 *
 * Keyed by that string (V8 keeps a string's hash in it, so a lookup with the
 * very string the hub handed out is cheap); a minimised or differently
 * served event is another string and gets its own body. Two generations of
 * at most `MAX_ENTRIES` bodies: subscriptions reading the same events a little
 * apart still share, and memory stays bounded.
 */
import { type AmqpBody, type AmqpStyle, toAmqpBinaryBody } from '../../../cloudevents/amqp-encode.js';
import { STRUCTURED_CONTENT_TYPE } from '../../../cloudevents/index.js';

const MAX_ENTRIES = 4096;

export interface EventBody extends AmqpBody {
  /** The event's `type` (the default routing key), '' when it has none; undefined until needed (structured mode). */
  type: string | undefined;
}

type Kind = AmqpStyle | 'structured';

class BodyCache {
  private young = new Map<string, EventBody>();
  private old = new Map<string, EventBody>();

  constructor(private readonly kind: Kind) {}

  /** The body of this served event; throws like `toAmqpBinaryBody` (the caller dead-letters). */
  get(json: string, parse: () => Record<string, unknown>): EventBody {
    let body = this.young.get(json);
    if (body !== undefined) return body;
    body = this.old.get(json);
    if (body === undefined) {
      if (this.kind === 'structured') {
        // The served JSON as is: no parse unless the routing key needs the type.
        body = { content: Buffer.from(json, 'utf8'), contentType: STRUCTURED_CONTENT_TYPE, headers: undefined, type: undefined };
      } else {
        const event = parse();
        body = { ...toAmqpBinaryBody(event, this.kind), type: typeOf(event) };
      }
    }
    if (this.young.size >= MAX_ENTRIES) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(json, body);
    return body;
  }
}

export function typeOf(event: Record<string, unknown>): string {
  return typeof event.type === 'string' ? event.type : '';
}

const caches: Record<Kind, BodyCache> = { cloudEvents: new BodyCache('cloudEvents'), ce: new BodyCache('ce'), structured: new BodyCache('structured') };

/** The shared body of a served event in this mode (binary: with this header style). */
export function eventBody(mode: 'binary' | 'structured', style: AmqpStyle, json: string, parse: () => Record<string, unknown>): EventBody {
  return caches[mode === 'structured' ? 'structured' : style].get(json, parse);
}
