/**
 * Validation of one CloudEvent in its JSON-format shape (CloudEvents 1.0 core
 * + JSON format). Every violation is collected, each with a JSON pointer.
 *
 * Rules beyond the letter of the spec, on purpose:
 * - `null` attribute values (and `null` `data_base64`) are violations. The
 *   JSON format says null means "unset"; Herold asks the provider to omit the
 *   member instead so that what is stored is exactly what was meant.
 *   (`data: null` is a JSON null payload and is accepted.)
 * - Attribute names beginning with `herold` are reserved for hub metadata.
 * - Names longer than 20 characters are accepted (the limit is a SHOULD).
 * - When `datacontenttype` does not declare JSON, `data` must be a string.
 * - `datacontenttype` must not be a CloudEvents format
 *   (`application/cloudevents…`): sent in HTTP binary mode, such data would
 *   be read as a structured event, so a provider could forge events at a
 *   receiver. Nested events can be declared as `application/json`.
 * - Duplicate JSON member names cannot be seen after `JSON.parse` (last wins).
 * - `data` nests at most MAX_JSON_DEPTH (64) arrays and objects deep
 *   (json-depth.ts): deeper values overflow the stack of whatever walks them.
 */
import type { CloudEvent, Violation } from './event.js';
import { tooDeepAt, tooDeepMessage } from './json-depth.js';
import { CE_PREFIX, isJsonMediaType, parseMediaType } from './media-type.js';
import { escapePointerToken } from './pointer.js';
import { rfc3339Problem } from './rfc3339.js';
import { absoluteUriProblem, uriReferenceProblem } from './uri.js';

/**
 * Maps an event member (attribute name, `data` or `data_base64`) to the JSON
 * pointer reported in a violation; `undefined` stands for the event itself.
 */
export type PointerOf = (member: string | undefined) => string;

export { escapePointerToken };

/** Pointers into a JSON-format event found at `prefix` (`''` for a whole body, `/3` for a batch element). */
export function structuredPointers(prefix: string): PointerOf {
  return (member) => (member === undefined ? prefix : `${prefix}/${escapePointerToken(member)}`);
}

/**
 * Pointers for HTTP binary mode: attributes are headers, so `time` is
 * `/headers/ce-time`, `datacontenttype` is `/headers/content-type`, the body
 * (`data`) is `/data`, and the event as a whole is `/headers`.
 */
export const binaryPointers: PointerOf = (member) => {
  if (member === undefined) return '/headers';
  if (member === 'datacontenttype') return '/headers/content-type';
  if (member === 'data' || member === 'data_base64') return '/data';
  return `/headers/ce-${escapePointerToken(member)}`;
};

export const SPEC_VERSION = '1.0';
export const RESERVED_PREFIX = 'herold';
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

// CloudEvents `String`: no control characters (U+0000-001F, U+007F-009F), no
// noncharacters, no unpaired surrogates.
const DISALLOWED_CHAR = /[\p{Cc}\p{Cs}\p{Noncharacter_Code_Point}]/u;
// RFC 4648 §4 base64, padded, no whitespace.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** `[a-z0-9]+`: the only attribute names CloudEvents allows. */
export function isAttributeName(name: string): boolean {
  const n = name.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39))) return false;
  }
  return true;
}

/** Undefined if `s` is a valid CloudEvents `String`, else a reason. */
export function stringProblem(s: string): string | undefined {
  const m = DISALLOWED_CHAR.exec(s);
  if (m === null) return undefined;
  const cp = m[0].codePointAt(0)!;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  if (cp >= 0xd800 && cp <= 0xdfff) return `contains an unpaired surrogate (${hex})`;
  if (cp <= 0x9f) return `contains the control character ${hex}`;
  return `contains the Unicode noncharacter ${hex}`;
}

export function isBase64(s: string): boolean {
  return BASE64.test(s);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a non-integer number';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

const NULL_MESSAGE = 'is null; Herold does not accept null attribute values: omit the attribute instead';

// Small memo of the last values that passed the costlier checks: within a
// batch, source and datacontenttype usually repeat.
let lastGoodSource = '';
let lastGoodSchema = '';

/**
 * Validates `candidate` as a JSON-format CloudEvent, pushing every violation
 * onto `out`. Returns true if none was found.
 */
export function validateInto(candidate: unknown, pointerOf: PointerOf, out: Violation[]): boolean {
  const before = out.length;
  if (candidate === null || typeof candidate !== 'object' || Array.isArray(candidate)) {
    out.push({ pointer: pointerOf(undefined), message: `a CloudEvent must be a JSON object, not ${describe(candidate)}` });
    return false;
  }
  const ev = candidate as Record<string, unknown>;
  const push = (member: string, message: string): void => {
    out.push({ pointer: pointerOf(member), message });
  };
  let specversion = false;
  let id = false;
  let source = false;
  let type = false;
  let hasData = false;
  let hasBase64 = false;
  let contentType: string | undefined;

  for (const name of Object.keys(ev)) {
    const v = ev[name];
    switch (name) {
      case 'data': {
        hasData = true;
        const at = tooDeepAt(v);
        if (at !== undefined) out.push({ pointer: pointerOf(name) + at, message: tooDeepMessage('data') });
        continue;
      }
      case 'data_base64':
        hasBase64 = true;
        if (typeof v !== 'string') push(name, v === null ? `data_base64 ${NULL_MESSAGE}` : `data_base64 must be a base64 string, not ${describe(v)}`);
        else if (!BASE64.test(v)) push(name, 'data_base64 is not valid base64 (RFC 4648 §4, padded, no whitespace)');
        continue;
    }
    if (v === null) {
      push(name, `${name} ${NULL_MESSAGE}`);
      if (name === 'specversion') specversion = true;
      else if (name === 'id') id = true;
      else if (name === 'source') source = true;
      else if (name === 'type') type = true;
      continue;
    }
    switch (name) {
      case 'specversion':
        specversion = true;
        if (v !== SPEC_VERSION) {
          push(name, typeof v === 'string'
            ? `unsupported specversion ${JSON.stringify(v)}: Herold accepts CloudEvents 1.0 ("1.0")`
            : `specversion must be the string "1.0", not ${describe(v)}`);
        }
        continue;
      case 'id':
      case 'type':
      case 'subject':
        if (name === 'id') id = true;
        else if (name === 'type') type = true;
        requireString(name, v, push);
        continue;
      case 'source':
        source = true;
        if (requireString(name, v, push) && v !== lastGoodSource) {
          const p = uriReferenceProblem(v as string);
          if (p !== undefined) push(name, `source must be a URI-reference (RFC 3986): ${p}`);
          else lastGoodSource = v as string;
        }
        continue;
      case 'dataschema':
        if (requireString(name, v, push) && v !== lastGoodSchema) {
          const p = absoluteUriProblem(v as string);
          if (p !== undefined) push(name, `dataschema must be an absolute URI (RFC 3986): ${p}`);
          else lastGoodSchema = v as string;
        }
        continue;
      case 'time':
        if (typeof v !== 'string') push(name, `time must be an RFC 3339 timestamp string, not ${describe(v)}`);
        else {
          const p = rfc3339Problem(v);
          if (p !== undefined) push(name, `time ${JSON.stringify(v)} is not an RFC 3339 timestamp: ${p}`);
        }
        continue;
      case 'datacontenttype': {
        if (typeof v !== 'string') {
          push(name, `datacontenttype must be a media type string, not ${describe(v)}`);
          continue;
        }
        const mt = parseMediaType(v);
        if (mt === undefined) {
          push(name, `datacontenttype ${JSON.stringify(v)} is not a media type (RFC 2046: type/subtype followed by optional ;name=value parameters)`);
        } else if (mt.essence.startsWith(CE_PREFIX)) {
          push(name, `datacontenttype ${JSON.stringify(v)} is a CloudEvents event format: in HTTP binary mode the data would be taken for a structured event; declare nested events as application/json`);
        } else contentType = v;
        continue;
      }
    }
    // Extension attribute.
    if (!isAttributeName(name)) {
      push(name, `attribute name ${JSON.stringify(name)} is invalid: names must consist of lower-case letters a-z and digits 0-9 only`);
      continue;
    }
    if (name.startsWith(RESERVED_PREFIX)) {
      push(name, `attribute name ${JSON.stringify(name)} is reserved for the hub: names beginning with "herold" carry hub metadata`);
      continue;
    }
    switch (typeof v) {
      case 'string': {
        const p = stringProblem(v);
        if (p !== undefined) push(name, `${name} ${p}`);
        break;
      }
      case 'boolean':
        break;
      case 'number':
        if (!Number.isInteger(v)) push(name, `${name} must be a string, boolean or integer; non-integer numbers are not allowed`);
        else if (v < INT32_MIN || v > INT32_MAX) push(name, `${name} is outside the 32-bit signed Integer range -2147483648..2147483647`);
        break;
      default:
        push(name, `${name} must be a string, boolean or integer, not ${describe(v)}`);
    }
  }

  if (!specversion) push('specversion', 'required attribute specversion is missing (must be "1.0")');
  if (!id) push('id', 'required attribute id is missing');
  if (!source) push('source', 'required attribute source is missing');
  if (!type) push('type', 'required attribute type is missing');
  if (hasData && hasBase64) push('data_base64', 'data and data_base64 are mutually exclusive');
  if (hasData && contentType !== undefined && typeof ev['data'] !== 'string' && !isJsonMediaType(parseMediaType(contentType)!)) {
    push('data', `datacontenttype ${JSON.stringify(contentType)} does not declare JSON, so data must be a string (use data_base64 for binary data), not ${describe(ev['data'])}`);
  }
  return out.length === before;
}

/** Checks a required-or-optional string attribute; returns true if it is a valid non-empty String. */
function requireString(name: string, v: unknown, push: (member: string, message: string) => void): boolean {
  if (typeof v !== 'string') {
    push(name, `${name} must be a non-empty string, not ${describe(v)}`);
    return false;
  }
  if (v.length === 0) {
    push(name, `${name} must be a non-empty string`);
    return false;
  }
  const p = stringProblem(v);
  if (p !== undefined) {
    push(name, `${name} ${p}`);
    return false;
  }
  return true;
}

/**
 * Validates a JSON-format CloudEvent and returns every violation (empty when
 * valid). `pointer` is either a prefix (`''` for a whole body, `/3` for the
 * fourth element of a batch) or a function mapping member names to pointers
 * (see {@link binaryPointers}; an AMQP binding can supply its own).
 */
export function validateCloudEvent(candidate: unknown, pointer: string | PointerOf = ''): Violation[] {
  const out: Violation[] = [];
  validateInto(candidate, typeof pointer === 'string' ? structuredPointers(pointer) : pointer, out);
  return out;
}

/**
 * Reads one JSON-format event (already `JSON.parse`d). When valid, `event` is
 * the input object itself (not a copy: attribute order and values are
 * untouched); otherwise `event` is absent and `errors` lists every violation,
 * with pointers below `pointerPrefix`.
 */
export function parseStructuredEvent(json: unknown, pointerPrefix: string): { event?: CloudEvent; errors: Violation[] } {
  const errors: Violation[] = [];
  if (validateInto(json, structuredPointers(pointerPrefix), errors)) return { event: json as CloudEvent, errors };
  return { errors };
}
