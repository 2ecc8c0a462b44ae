/**
 * Reading CloudEvents from AMQP 0-9-1 messages (RabbitMQ), after the
 * CloudEvents AMQP protocol binding. Pure functions, no I/O.
 *
 * Mode, from the `content-type` property (case-insensitive):
 * - `application/cloudevents+json` → structured: the body is one JSON-format
 *   event; `application/cloudevents-batch+json` → a batch (a Herold
 *   extension: all events are stored atomically or none); any other
 *   `application/cloudevents…` format is refused;
 * - anything else → binary: the attributes are headers (application
 *   properties) named `cloudEvents_<attr>` or `cloudEvents:<attr>` (the
 *   binding) or `ce-<attr>` (Knative style); `content-type` is
 *   `datacontenttype`; the body is the data.
 *
 * Binary-mode header values: strings as they are; booleans; integers (any
 * AMQP integer type; the CloudEvents Integer range applies); an AMQP
 * timestamp becomes its RFC 3339 text (whole seconds, UTC); a byte array
 * becomes base64 text (CloudEvents Binary). Other AMQP types (floats,
 * decimals, arrays, tables, void) are violations. Other headers (`x-death`,
 * application headers without a CloudEvents prefix) are ignored.
 *
 * Data, in binary mode, exactly as over HTTP: empty body → no data; a JSON
 * media type → parsed into `data`; UTF-8 text media types → a string in
 * `data`; anything else, including no content-type → `data_base64`.
 *
 * The same validation as every other door applies (`validateInto`), and the
 * same size limit per event (its JSON-format text). A `content-encoding`
 * (e.g. gzip) is refused: the body would not be the data.
 */
import { isUtf8 } from 'node:buffer';
import { type CloudEvent, type Violation, isCloudEventsError, parseHttpEvents } from './index.js';
import { CE_PREFIX, isJsonMediaType, isTextMediaType, parseMediaType } from './media-type.js';
import { escapePointerToken, isAttributeName, validateInto } from './validate.js';

export interface AmqpIngestMessage {
  content: Buffer;
  properties: { contentType?: unknown; contentEncoding?: unknown; headers?: Record<string, unknown> | undefined };
}

export interface DecodeLimits {
  maxEventBytes: number;
  /** Most events in one batch message. */
  maxBatchEvents?: number;
}

export type Decoded =
  | { ok: true; mode: 'binary' | 'structured' | 'batch'; events: CloudEvent[] }
  | { ok: false; reason: string; violations: Violation[] };

/** Header prefixes that carry CloudEvents attributes, matched case-insensitively. */
const PREFIXES = ['cloudevents_', 'cloudevents:', 'ce-'];
const CORE_ORDER = ['specversion', 'id', 'source', 'type', 'subject', 'time'] as const;
/** Violations listed in a reason text; the rest are counted. */
const REASON_VIOLATIONS = 10;

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** One line naming every problem (the first few in full), for logs and the `x-herold-error` header. */
export function reasonText(summary: string, violations: readonly Violation[]): string {
  if (violations.length === 0) return summary;
  const shown = violations.slice(0, REASON_VIOLATIONS).map((v) => `${v.pointer || '/'}: ${v.message}`);
  const more = violations.length > REASON_VIOLATIONS ? `; and ${violations.length - REASON_VIOLATIONS} more` : '';
  return `${summary}: ${shown.join('; ')}${more}`;
}

function invalid(summary: string, violations: Violation[]): Decoded {
  return { ok: false, reason: reasonText(summary, violations), violations };
}

export function decodeAmqpMessage(msg: AmqpIngestMessage, limits: DecodeLimits): Decoded {
  const props = msg.properties ?? {};
  if (props.contentEncoding !== undefined && props.contentEncoding !== null && props.contentEncoding !== '' && props.contentEncoding !== 'identity') {
    const message = `content-encoding ${JSON.stringify(String(props.contentEncoding)).slice(0, 80)} is not supported: send the event uncompressed`;
    return invalid('not a readable CloudEvent', [{ pointer: '/properties/content-encoding', message }]);
  }
  const contentType = typeof props.contentType === 'string' && props.contentType.trim() !== '' ? props.contentType.trim() : undefined;
  const essence = contentType?.split(';')[0]!.trim().toLowerCase();
  if (essence !== undefined && essence.startsWith(CE_PREFIX)) return decodeStructured(msg.content, contentType!, limits);
  return decodeBinary(msg.content, props.headers ?? {}, contentType, limits);
}

function decodeStructured(body: Buffer, contentType: string, limits: DecodeLimits): Decoded {
  try {
    const parsed = parseHttpEvents({ 'content-type': contentType }, body, {
      maxEventBytes: limits.maxEventBytes,
      maxBatchEvents: limits.maxBatchEvents ?? 1000,
      maxBatchBytes: Math.max(body.length, 1),
    });
    return { ok: true, mode: parsed.mode, events: parsed.events };
  } catch (error) {
    if (!isCloudEventsError(error)) throw error;
    if (error.status === 415) {
      const message = `the event format ${JSON.stringify(contentType)} is not supported: use application/cloudevents+json (structured) or binary mode (cloudEvents_* application properties)`;
      return invalid('unsupported event format', [{ pointer: '/properties/content-type', message }]);
    }
    const violations = error.errors.map((v) => ({ pointer: `/body${v.pointer}`, message: v.message }));
    return invalid(`invalid CloudEvent (structured mode): ${error.detail}`, violations.length > 0 ? violations : [{ pointer: '/body', message: error.detail }]);
  }
}

function prefixOf(key: string): string | undefined {
  const lower = key.slice(0, 12).toLowerCase();
  for (const p of PREFIXES) if (lower.startsWith(p) && key.length > p.length) return key.slice(0, p.length);
  return undefined;
}

function headerPointer(key: string): string {
  return `/headers/${escapePointerToken(key)}`;
}

/** A header value as a CloudEvents attribute value, or a problem. */
function attributeValue(v: unknown): { value: string | number | boolean } | { problem: string } {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return { value: v };
    case 'number':
      return Number.isInteger(v) ? { value: v } : { problem: 'is a floating-point number; CloudEvents attributes are strings, booleans or integers' };
    case 'bigint':
      return { problem: 'is an integer outside the CloudEvents Integer range' };
  }
  if (Buffer.isBuffer(v)) return { value: v.toString('base64') };
  if (v && typeof v === 'object' && (v as { '!'?: unknown })['!'] === 'timestamp') {
    const seconds = Number((v as { value?: unknown }).value);
    const d = new Date(seconds * 1000);
    if (Number.isFinite(seconds) && !Number.isNaN(d.getTime())) return { value: d.toISOString().replace('.000Z', 'Z') };
    return { problem: 'is an AMQP timestamp out of range' };
  }
  const what = v === null || v === undefined ? 'void' : Array.isArray(v) ? 'an array' : (v as { '!'?: unknown })['!'] === 'decimal' ? 'a decimal' : 'a table';
  return { problem: `is ${what}; CloudEvents attributes are strings, booleans, integers, timestamps or binary` };
}

function decodeBinary(body: Buffer, headers: Record<string, unknown>, contentType: string | undefined, limits: DecodeLimits): Decoded {
  const violations: Violation[] = [];
  const attributes = new Map<string, string | number | boolean>();
  const where = new Map<string, string>();
  // Pointers of headers already reported: validation must not add "missing" for them.
  const reported = new Set<string>();
  let headerContentType: string | undefined;

  for (const key of Object.keys(headers)) {
    const prefix = prefixOf(key);
    if (prefix === undefined) continue;
    const name = key.slice(prefix.length);
    const pointer = headerPointer(key);
    if (name === 'data') {
      violations.push({ pointer, message: '"data" is not an attribute name: in binary mode the body is the data' });
      continue;
    }
    if (!isAttributeName(name)) {
      violations.push({ pointer, message: `attribute name ${JSON.stringify(name)} is invalid: names must consist of lower-case letters a-z and digits 0-9 only` });
      continue;
    }
    if (attributes.has(name) || (name === 'datacontenttype' && headerContentType !== undefined)) {
      violations.push({ pointer, message: `the attribute ${name} appears more than once (also as ${where.get(name)})` });
      continue;
    }
    const converted = attributeValue(headers[key]);
    if ('problem' in converted) {
      violations.push({ pointer, message: `${key} ${converted.problem}` });
      reported.add(pointer);
      continue;
    }
    where.set(name, key);
    if (name === 'datacontenttype') {
      if (typeof converted.value !== 'string') violations.push({ pointer, message: `${key} must be a media type string` });
      else headerContentType = converted.value;
      continue;
    }
    attributes.set(name, converted.value);
  }

  if (attributes.size === 0 && headerContentType === undefined) {
    const summary = 'not a CloudEvent: no cloudEvents_* (or ce-*) application properties and no application/cloudevents+json content-type';
    return invalid(summary, [{ pointer: '/headers', message: 'binary mode needs cloudEvents_specversion, cloudEvents_id, cloudEvents_source and cloudEvents_type' }]);
  }
  if (headerContentType !== undefined && contentType !== undefined && headerContentType !== contentType) {
    violations.push({ pointer: headerPointer(where.get('datacontenttype')!), message: `conflicts with the content-type property ${JSON.stringify(contentType)}` });
  }
  const datacontenttype = contentType ?? headerContentType;

  const event: Record<string, unknown> = {};
  for (const name of CORE_ORDER) {
    const v = attributes.get(name);
    if (v !== undefined) event[name] = v;
  }
  if (datacontenttype !== undefined) event['datacontenttype'] = datacontenttype;
  const schema = attributes.get('dataschema');
  if (schema !== undefined) event['dataschema'] = schema;
  for (const [name, v] of attributes) if (!(name in event)) event[name] = v;

  if (body.length > 0) {
    const mt = datacontenttype === undefined ? undefined : parseMediaType(datacontenttype);
    if (mt !== undefined && isJsonMediaType(mt)) {
      const b = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? body.subarray(3) : body;
      if (!isUtf8(b)) violations.push({ pointer: '/body', message: `the body is not valid UTF-8, but content-type ${datacontenttype} declares JSON` });
      else {
        try {
          event['data'] = JSON.parse(b.toString('utf8'));
        } catch (e) {
          violations.push({ pointer: '/body', message: `the body is not valid JSON, but content-type ${datacontenttype} declares JSON: ${(e as Error).message}` });
        }
      }
    } else if (body.length > limits.maxEventBytes) {
      const message = `the data alone is ${body.length} bytes; the limit is ${limits.maxEventBytes} bytes per event`;
      return invalid('event too large', [{ pointer: '/body', message }]);
    } else if (mt !== undefined && isTextMediaType(mt) && isUtf8(body)) event['data'] = body.toString('utf8');
    else event['data_base64'] = body.toString('base64');
  }

  const pointerOf = (member: string | undefined): string => {
    if (member === undefined) return '/headers';
    if (member === 'datacontenttype') return where.has('datacontenttype') && contentType === undefined ? headerPointer(where.get('datacontenttype')!) : '/properties/content-type';
    if (member === 'data' || member === 'data_base64') return '/body';
    return headerPointer(where.get(member) ?? `cloudEvents_${member}`);
  };
  const more: Violation[] = [];
  validateInto(event, pointerOf, more);
  for (const v of more) if (!reported.has(v.pointer)) violations.push(v);
  if (violations.length > 0) return invalid(`invalid CloudEvent (binary mode): ${plural(violations.length, 'violation')}`, violations);

  const text = JSON.stringify(event);
  const size = text.length * 3 <= limits.maxEventBytes ? 0 : Buffer.byteLength(text, 'utf8');
  if (size > limits.maxEventBytes) {
    return invalid('event too large', [{ pointer: '', message: `the event is ${size} bytes as JSON; the limit is ${limits.maxEventBytes} bytes` }]);
  }
  return { ok: true, mode: 'binary', events: [event as CloudEvent] };
}
