/**
 * CloudEvents HTTP protocol binding: reading a request (binary, structured and
 * batch content modes) and writing an event in binary or structured mode.
 * Pure functions, no I/O.
 *
 * Reading, in short:
 * - Mode: Content-Type `application/cloudevents+json` → structured;
 *   `application/cloudevents-batch+json` → batch (a JSON array, at least one
 *   event, all valid or the whole batch is rejected); any other
 *   `application/cloudevents…` format → 415; otherwise a `ce-specversion`
 *   header → binary; otherwise 415.
 * - Binary mode: `ce-*` headers are unquoted and percent-decoded (invalid
 *   escapes or UTF-8 → violation); extension values are therefore strings.
 *   Content-Type becomes `datacontenttype`. The body becomes the data:
 *   - empty body → no data;
 *   - JSON media type (`*\/json`, `*\/*+json`, e.g. `text/json`) → parsed into
 *     `data` (invalid JSON or UTF-8 → 400 at `/data`);
 *   - text (`text/*`, `*\/xml`, `*\/*+xml`, `*\/*+yaml`, `application/yaml`,
 *     `application/x-www-form-urlencoded`, …, see {@link isTextMediaType})
 *     with no charset or a UTF-8/US-ASCII charset, and whose bytes are valid
 *     UTF-8 → a string in `data`;
 *   - anything else (including no Content-Type, other charsets, and text that
 *     is not valid UTF-8) → the exact bytes, base64, in `data_base64`.
 *   Violations point at `/headers/ce-<name>`, `/headers/content-type` and
 *   `/data`; a missing attribute points where its header would be.
 * - Size: every event's compact JSON-format text (what
 *   {@link toStructuredJson} returns; also handed back as `serialized`) must
 *   fit `maxEventBytes`, else 413 with the event's pointer (`''`, or `/<index>`
 *   in a batch). Any body over `maxBatchBytes` is 413 before parsing, and a
 *   batch with more than `maxBatchEvents` events is 413.
 */
import { isUtf8 } from 'node:buffer';
import type { CloudEvent, Violation } from './event.js';
import { CloudEventsError } from './errors.js';
import {
  CE_BATCH_JSON,
  CE_JSON,
  CE_PREFIX,
  declaresJsonData,
  hasUtf8Charset,
  isJsonMediaType,
  isTextMediaType,
  parseMediaType,
  type MediaType,
} from './media-type.js';
import { decodeHeaderValue, percentEncodeHeaderValue } from './percent.js';
import { requestTexts } from './request-text.js';
import { binaryPointers, escapePointerToken, isAttributeName, structuredPointers, validateInto } from './validate.js';

export type HttpHeaders = Record<string, string | string[] | undefined>;
export type HttpMode = 'binary' | 'structured' | 'batch';

export interface HttpLimits {
  /** Largest accepted event, measured as the UTF-8 length of its compact JSON-format text. */
  maxEventBytes: number;
  /** Most events accepted in one batch. */
  maxBatchEvents: number;
  /** Largest accepted request body, in bytes, in any mode. */
  maxBatchBytes: number;
}

export interface ParsedHttpEvents {
  mode: HttpMode;
  /** Valid events, in request order. */
  events: CloudEvent[];
  /**
   * `toStructuredJson(events[i])` for each event, computed anyway for the size
   * check: reuse it rather than stringifying again.
   */
  serialized: string[];
}

/** At most this many violations are listed in one error (the detail gives the total). */
export const MAX_REPORTED_VIOLATIONS = 1000;

const ACCEPTED_MODES =
  'Herold accepts structured mode (Content-Type: application/cloudevents+json), ' +
  'batch mode (Content-Type: application/cloudevents-batch+json), ' +
  'or binary mode (ce-specversion, ce-id, ce-source and ce-type headers; the body is the data)';

const EMPTY = Buffer.alloc(0);

/**
 * Reads the CloudEvents in an HTTP request. `headers` are Node-style (lower-case
 * names; a repeated header may be an array). Throws {@link CloudEventsError}
 * (400, 413 or 415) on any bad input; never returns a partial batch.
 */
export function parseHttpEvents(headers: HttpHeaders, body: Buffer, limits: HttpLimits): ParsedHttpEvents {
  const ctHeader = headers['content-type'];
  let contentType: string | undefined;
  if (Array.isArray(ctHeader)) {
    if (ctHeader.length > 1) {
      throw new CloudEventsError(400, 'Invalid CloudEvent', 'the request has more than one Content-Type header', [
        { pointer: '/headers/content-type', message: 'Content-Type must appear at most once' },
      ]);
    }
    contentType = ctHeader[0];
  } else {
    contentType = ctHeader;
  }
  if (typeof contentType === 'string') {
    contentType = contentType.trim();
    if (contentType === '') contentType = undefined;
  } else {
    contentType = undefined;
  }

  if (contentType !== undefined) {
    const semi = contentType.indexOf(';');
    const essence = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
    if (essence.startsWith(CE_PREFIX)) {
      const structured = essence === CE_JSON;
      if (!structured && essence !== CE_BATCH_JSON) {
        throw new CloudEventsError(415, 'Unsupported Media Type', `the event format ${essence} is not supported. ${ACCEPTED_MODES}.`);
      }
      const mt = parseMediaType(contentType);
      if (mt !== undefined && !hasUtf8Charset(mt)) {
        throw new CloudEventsError(415, 'Unsupported Media Type', `the JSON event format must be UTF-8, not charset=${mt.params['charset']}`);
      }
      checkBodySize(body, limits, '');
      return structured ? readStructured(body, limits) : readBatch(body, limits);
    }
  }
  if (headers['ce-specversion'] === undefined) {
    const hasCe = Object.keys(headers).some((k) => k.length > 3 && k.toLowerCase().startsWith('ce-'));
    const what = contentType === undefined ? 'the request has no Content-Type' : `Content-Type ${contentType} is not a CloudEvents format`;
    throw new CloudEventsError(
      415,
      'Unsupported Media Type',
      hasCe
        ? `${what} and the ce-specversion header that marks a binary-mode event is missing. ${ACCEPTED_MODES}.`
        : `${what} and there are no CloudEvents headers. ${ACCEPTED_MODES}.`,
    );
  }
  checkBodySize(body, limits, '/data');
  return readBinary(headers, body, contentType, limits);
}

function checkBodySize(body: Buffer, limits: HttpLimits, pointer: string): void {
  if (body.length > limits.maxBatchBytes) {
    throw new CloudEventsError(413, 'Request too large', `the body is ${body.length} bytes; the limit is ${limits.maxBatchBytes} bytes`, [
      { pointer, message: `the body is ${body.length} bytes; the limit is ${limits.maxBatchBytes} bytes` },
    ]);
  }
}

function stripBom(body: Buffer): Buffer {
  return body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? body.subarray(3) : body;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Parses a JSON-format body (and hands back its text); 400 at `pointer` if it is not UTF-8 JSON. */
function parseJsonBody(body: Buffer, title: string): { json: unknown; text: string } {
  const b = stripBom(body);
  if (!isUtf8(b)) {
    throw new CloudEventsError(400, title, 'the body is not valid UTF-8', [{ pointer: '', message: 'the body is not valid UTF-8' }]);
  }
  const text = b.toString('utf8');
  try {
    return { json: JSON.parse(text), text };
  } catch (e) {
    const message = `the body is not valid JSON: ${errorMessage(e)}`;
    throw new CloudEventsError(400, title, message, [{ pointer: '', message }]);
  }
}

function rejectInvalid(title: string, errors: Violation[], detail: string): never {
  let shown = errors;
  let suffix = '';
  if (errors.length > MAX_REPORTED_VIOLATIONS) {
    shown = errors.slice(0, MAX_REPORTED_VIOLATIONS);
    suffix = ` (the first ${MAX_REPORTED_VIOLATIONS} are listed)`;
  }
  throw new CloudEventsError(400, title, detail + suffix, shown);
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Serialises each event (or keeps the request's own text of it where that is
 * the same, see request-text.ts) and enforces `maxEventBytes`; 413 listing
 * every event that is too large.
 */
function serializeWithinLimit(
  events: CloudEvent[],
  limit: number,
  pointerOf: (i: number) => string,
  batch: boolean,
  texts?: readonly (string | undefined)[],
): string[] {
  const serialized = new Array<string>(events.length);
  let tooLarge: Violation[] | undefined;
  for (let i = 0; i < events.length; i++) {
    const s = texts?.[i] ?? JSON.stringify(events[i]);
    serialized[i] = s;
    // UTF-8 needs 1..3 bytes per UTF-16 code unit: measure only when in doubt.
    const size = s.length * 3 <= limit ? 0 : s.length > limit ? s.length : Buffer.byteLength(s, 'utf8');
    if (size > limit) {
      (tooLarge ??= []).push({
        pointer: pointerOf(i),
        message: `the event is ${size}${s.length > limit ? '+' : ''} bytes as JSON; the limit is ${limit} bytes`,
      });
    }
  }
  if (tooLarge !== undefined) {
    throw new CloudEventsError(
      413,
      'Event too large',
      batch
        ? `${plural(tooLarge.length, 'event')} of the batch exceed the limit of ${limit} bytes per event; the batch is rejected as a whole`
        : `the event exceeds the limit of ${limit} bytes`,
      tooLarge,
    );
  }
  return serialized;
}

const rootPointer = (): string => '';

function readStructured(body: Buffer, limits: HttpLimits): ParsedHttpEvents {
  const title = 'Invalid CloudEvent';
  const { json, text } = parseJsonBody(body, title);
  const errors: Violation[] = [];
  if (!validateInto(json, structuredPointers(''), errors)) {
    rejectInvalid(title, errors, `${plural(errors.length, 'violation')} in the event`);
  }
  const events = [json as CloudEvent];
  return { mode: 'structured', events, serialized: serializeWithinLimit(events, limits.maxEventBytes, rootPointer, false, requestTexts(text, events, false)) };
}

function readBatch(body: Buffer, limits: HttpLimits): ParsedHttpEvents {
  const title = 'Invalid CloudEvents batch';
  const { json, text } = parseJsonBody(body, title);
  if (!Array.isArray(json)) {
    const message = 'a batch must be a JSON array of CloudEvents';
    throw new CloudEventsError(400, title, message, [{ pointer: '', message }]);
  }
  if (json.length === 0) {
    const message = 'the batch is empty: send at least one event';
    throw new CloudEventsError(400, title, message, [{ pointer: '', message }]);
  }
  if (json.length > limits.maxBatchEvents) {
    const message = `the batch has ${json.length} events; the limit is ${limits.maxBatchEvents}`;
    throw new CloudEventsError(413, 'Batch too large', message, [{ pointer: '', message }]);
  }
  const errors: Violation[] = [];
  let badEvents = 0;
  for (let i = 0; i < json.length; i++) {
    if (!validateInto(json[i], structuredPointers(`/${i}`), errors)) badEvents++;
  }
  if (badEvents > 0) {
    rejectInvalid(
      title,
      errors,
      `the batch is rejected as a whole: ${plural(errors.length, 'violation')} in ${badEvents} of ${plural(json.length, 'event')}`,
    );
  }
  const events = json as CloudEvent[];
  return { mode: 'batch', events, serialized: serializeWithinLimit(events, limits.maxEventBytes, (i) => `/${i}`, true, requestTexts(text, events, true)) };
}

const CORE_ORDER = ['specversion', 'id', 'source', 'type', 'subject', 'time'] as const;

function readBinary(headers: HttpHeaders, body: Buffer, contentType: string | undefined, limits: HttpLimits): ParsedHttpEvents {
  const title = 'Invalid CloudEvent';
  const errors: Violation[] = [];
  const attributes = new Map<string, string>();
  // Headers already reported as unreadable: validation must not add "missing" for them.
  const reported = new Set<string>();

  for (const key of Object.keys(headers)) {
    if (key.length < 3) continue;
    const lk = key.toLowerCase();
    if (!lk.startsWith('ce-')) continue;
    const raw = headers[key];
    if (raw === undefined) continue;
    const pointer = `/headers/${escapePointerToken(lk)}`;
    let value: unknown = raw;
    if (Array.isArray(raw)) {
      if (raw.length === 0) continue;
      if (raw.length > 1) {
        errors.push({ pointer, message: `${lk} appears ${raw.length} times; an attribute must appear at most once` });
        reported.add(pointer);
        continue;
      }
      value = raw[0];
    }
    if (typeof value !== 'string') continue;
    const name = lk.slice(3);
    if (attributes.has(name)) {
      errors.push({ pointer, message: `${lk} appears more than once; an attribute must appear at most once` });
      continue;
    }
    if (name === 'datacontenttype') {
      errors.push({ pointer, message: 'ce-datacontenttype must not be sent in binary mode: the Content-Type header carries datacontenttype' });
      continue;
    }
    if (name === 'data') {
      errors.push({ pointer, message: '"data" is not an attribute name: in binary mode the body is the data' });
      continue;
    }
    if (!isAttributeName(name)) {
      errors.push({
        pointer,
        message: `attribute name ${JSON.stringify(name)} is invalid: names must consist of lower-case letters a-z and digits 0-9 only`,
      });
      continue;
    }
    const decoded = decodeHeaderValue(value);
    if (!decoded.ok) {
      errors.push({ pointer, message: `${lk}: ${decoded.message}` });
      reported.add(pointer);
      continue;
    }
    attributes.set(name, decoded.value);
  }

  // Canonical order: core attributes first, then extensions in header order, data last.
  const event: Record<string, unknown> = {};
  for (const name of CORE_ORDER) {
    const v = attributes.get(name);
    if (v !== undefined) event[name] = v;
  }
  if (contentType !== undefined) event['datacontenttype'] = contentType;
  const schema = attributes.get('dataschema');
  if (schema !== undefined) event['dataschema'] = schema;
  for (const [name, v] of attributes) {
    if (!(name in event)) event[name] = v;
  }

  if (body.length > 0) {
    const mt: MediaType | undefined = contentType === undefined ? undefined : parseMediaType(contentType);
    if (mt !== undefined && isJsonMediaType(mt)) {
      const b = stripBom(body);
      if (!isUtf8(b)) {
        errors.push({ pointer: '/data', message: `the body is not valid UTF-8, but Content-Type ${contentType} declares JSON` });
      } else {
        try {
          event['data'] = JSON.parse(b.toString('utf8'));
        } catch (e) {
          errors.push({ pointer: '/data', message: `the body is not valid JSON, but Content-Type ${contentType} declares JSON: ${errorMessage(e)}` });
        }
      }
    } else {
      // Text or bytes: the JSON form is at least as long as the body.
      if (body.length > limits.maxEventBytes) {
        const message = `the data alone is ${body.length} bytes; the limit is ${limits.maxEventBytes} bytes per event`;
        throw new CloudEventsError(413, 'Event too large', message, [{ pointer: '', message }]);
      }
      if (mt !== undefined && isTextMediaType(mt) && isUtf8(body)) event['data'] = body.toString('utf8');
      else event['data_base64'] = body.toString('base64');
    }
  }

  if (reported.size === 0) validateInto(event, binaryPointers, errors);
  else {
    const more: Violation[] = [];
    validateInto(event, binaryPointers, more);
    for (const v of more) if (!reported.has(v.pointer)) errors.push(v);
  }
  if (errors.length > 0) rejectInvalid(title, errors, `${plural(errors.length, 'violation')} in the event`);
  const events = [event as CloudEvent];
  return { mode: 'binary', events, serialized: serializeWithinLimit(events, limits.maxEventBytes, rootPointer, false) };
}

/**
 * The event as an HTTP binary-mode message: each attribute except
 * `datacontenttype` as a percent-encoded `ce-` header (integers and booleans
 * in their canonical string form); Content-Type from `datacontenttype`
 * (`application/json` when absent and `data` is present, as the JSON format
 * implies; none for `data_base64` without a type); the body is the decoded
 * `data_base64` bytes, a non-JSON string `data` as UTF-8, or JSON `data`
 * serialised.
 */
export function toHttpBinary(event: CloudEvent): { headers: Record<string, string>; body: Buffer } {
  const headers: Record<string, string> = {};
  for (const name of Object.keys(event)) {
    if (name === 'data' || name === 'data_base64' || name === 'datacontenttype') continue;
    const v = event[name];
    if (v === undefined || v === null) continue;
    headers[`ce-${name}`] = percentEncodeHeaderValue(
      typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : (JSON.stringify(v) ?? ''),
    );
  }
  let contentType = typeof event.datacontenttype === 'string' ? event.datacontenttype : undefined;
  let body = EMPTY;
  if (typeof event.data_base64 === 'string') {
    body = Buffer.from(event.data_base64, 'base64');
  } else if (event.data !== undefined) {
    contentType ??= 'application/json';
    body =
      typeof event.data === 'string' && !declaresJsonData(contentType)
        ? Buffer.from(event.data, 'utf8')
        : Buffer.from(JSON.stringify(event.data) ?? '', 'utf8');
  }
  if (contentType !== undefined) headers['content-type'] = contentType;
  return { headers, body };
}

export const STRUCTURED_CONTENT_TYPE = `${CE_JSON}; charset=utf-8`;
export const BATCH_CONTENT_TYPE = `${CE_BATCH_JSON}; charset=utf-8`;

/** The event as an HTTP structured-mode message (JSON event format). */
export function toHttpStructured(event: CloudEvent): { headers: Record<string, string>; body: Buffer } {
  return { headers: { 'content-type': STRUCTURED_CONTENT_TYPE }, body: Buffer.from(JSON.stringify(event), 'utf8') };
}

/** The events as an HTTP batch-mode message (JSON batch format). */
export function toHttpBatch(events: readonly CloudEvent[]): { headers: Record<string, string>; body: Buffer } {
  return { headers: { 'content-type': BATCH_CONTENT_TYPE }, body: Buffer.from(JSON.stringify(events), 'utf8') };
}
