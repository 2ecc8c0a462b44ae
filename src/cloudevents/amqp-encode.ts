/**
 * A CloudEvent as an AMQP 0-9-1 message (RabbitMQ), after the CloudEvents
 * AMQP protocol binding. RabbitMQ maps AMQP 1.0 application-properties to
 * 0-9-1 headers and back, so "application property" below means a header.
 *
 * Binary mode:
 * - every attribute except `datacontenttype` is a header: `cloudEvents_<attr>`
 *   (style `cloudEvents`, the binding's JMS-friendly separator) or `ce-<attr>`
 *   (style `ce`, what Knative-style consumers read);
 * - values keep their CloudEvents type where AMQP has one: String → string,
 *   Boolean → boolean, Integer → long; with style `ce` every value is its
 *   canonical string, as in HTTP headers (but not percent-encoded). `time` is
 *   always sent as its RFC 3339 string: the 0-9-1 timestamp has whole seconds
 *   only, and events are served exactly as published;
 * - `content-type` is `datacontenttype` (`application/json` when it is absent
 *   and `data` is present, as the JSON format implies);
 * - the body is the data: decoded `data_base64`, a non-JSON string as UTF-8,
 *   or JSON data serialised.
 *
 * Structured mode: the JSON event format, `content-type:
 * application/cloudevents+json; charset=utf-8`.
 *
 * Both: `delivery-mode` 2 (persistent), `message-id` = the delivery id
 * (stable for this event and subscription across retries, like `webhook-id`),
 * `app-id` `herold`.
 */
import type { Options } from 'amqplib';
import { STRUCTURED_CONTENT_TYPE, declaresJsonData } from './index.js';
/** Application-property prefix: `cloudEvents_` (the AMQP binding) or `ce-` (Knative-style consumers). */
export type AmqpStyle = 'cloudEvents' | 'ce';

export interface AmqpMessage {
  content: Buffer;
  options: Options.Publish;
}

export const APP_ID = 'herold';
const EMPTY = Buffer.alloc(0);

export function headerPrefix(style: AmqpStyle): string {
  return style === 'ce' ? 'ce-' : 'cloudEvents_';
}

/** A structured-mode message from the event's JSON text (what the hub serves; no re-serialising). */
export function toAmqpStructured(json: string, messageId: string): AmqpMessage {
  return { content: Buffer.from(json, 'utf8'), options: { persistent: true, messageId, appId: APP_ID, contentType: STRUCTURED_CONTENT_TYPE } };
}

/** The event as an AMQP message in the given mode; throws only for values no CloudEvent can hold. */
export function toAmqpMessage(event: Record<string, unknown>, mode: 'binary' | 'structured', style: AmqpStyle, messageId: string): AmqpMessage {
  if (mode === 'structured') return toAmqpStructured(JSON.stringify(event), messageId);
  return withMessageId(toAmqpBinaryBody(event, style), messageId);
}

/**
 * What a binary-mode message of the event is, whoever it goes to: body,
 * content type and headers. Everything but the message id, so one body
 * serves every subscription that sees the event whole (`withMessageId`).
 */
export interface AmqpBody {
  content: Buffer;
  contentType: string | undefined;
  headers: Record<string, unknown> | undefined;
}

export function toAmqpBinaryBody(event: Record<string, unknown>, style: AmqpStyle): AmqpBody {
  const prefix = headerPrefix(style);
  const headers: Record<string, unknown> = {};
  for (const name of Object.keys(event)) {
    if (name === 'data' || name === 'data_base64' || name === 'datacontenttype') continue;
    const v = event[name];
    if (v === undefined || v === null) continue;
    headers[prefix + name] = headerValue(v, style);
  }
  let contentType = typeof event.datacontenttype === 'string' ? event.datacontenttype : undefined;
  let content = EMPTY;
  if (typeof event.data_base64 === 'string') {
    content = Buffer.from(event.data_base64, 'base64');
  } else if (event.data !== undefined) {
    contentType ??= 'application/json';
    content =
      typeof event.data === 'string' && !declaresJsonData(contentType)
        ? Buffer.from(event.data, 'utf8')
        : Buffer.from(JSON.stringify(event.data) ?? '', 'utf8');
  }
  return { content, contentType, headers };
}

/** The message of a body for one delivery. The body's buffer and headers are shared, never changed (amqplib only reads them). */
export function withMessageId(body: AmqpBody, messageId: string): AmqpMessage {
  const options: Options.Publish = { persistent: true, messageId, appId: APP_ID };
  if (body.headers !== undefined) options.headers = body.headers;
  if (body.contentType !== undefined) options.contentType = body.contentType;
  return { content: body.content, options };
}

function headerValue(v: unknown, style: AmqpStyle): unknown {
  if (typeof v === 'string') return v;
  if (style === 'ce') return typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return { '!': 'long', value: v };
  // Not a CloudEvents type (stored events are validated); send its JSON text rather than fail.
  return JSON.stringify(v) ?? '';
}
