import { isUtf8 } from 'node:buffer';
import { isJsonMediaType, isTextMediaType, parseMediaType } from '../../cloudevents/media-type.js';
import { decodeHeaderValue } from '../../cloudevents/percent.js';
import type { ServedEvent } from '../types.js';

/**
 * The CloudEvent of a delivered request: the JSON body in structured mode;
 * in binary mode the `ce-*` headers (percent-decoded as the hub encodes them)
 * with the body as `data` (JSON parsed, text as a string) or `data_base64`,
 * by the same media-type rules the hub reads binary mode with.
 */
export function decodeDelivery(headers: Record<string, string>, body: Buffer): ServedEvent {
  const contentType = headers['content-type'];
  if (contentType?.toLowerCase().startsWith('application/cloudevents+json')) return JSON.parse(body.toString('utf8')) as ServedEvent;
  if (headers['ce-specversion'] === undefined) throw new SyntaxError('neither a structured CloudEvent (application/cloudevents+json) nor binary mode (ce-specversion)');
  const event: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(headers)) {
    if (!name.startsWith('ce-')) continue;
    const decoded = decodeHeaderValue(raw);
    if (!decoded.ok) throw new SyntaxError(`${name}: ${decoded.message}`);
    event[name.slice(3)] = decoded.value;
  }
  if (contentType) event.datacontenttype = contentType;
  if (body.length > 0) {
    const mt = contentType ? parseMediaType(contentType) : undefined;
    if (mt && isJsonMediaType(mt)) event.data = JSON.parse(body.toString('utf8'));
    else if (mt && isTextMediaType(mt) && isUtf8(body)) event.data = body.toString('utf8');
    else event.data_base64 = body.toString('base64');
  }
  return event as ServedEvent;
}
