/** JSON event format output. */
import type { CloudEvent } from './event.js';

/** The event as JSON-format text (RFC 8259), attributes in their stored order. */
export function toStructuredJson(event: CloudEvent): string {
  return JSON.stringify(event);
}

/** A JSON batch (`application/cloudevents-batch+json`) of the events. */
export function toBatchJson(events: readonly CloudEvent[]): string {
  return JSON.stringify(events);
}
