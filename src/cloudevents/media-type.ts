/**
 * Media types (RFC 2046 / RFC 9110 §8.3.1): parsing, and the rules that decide
 * how event data is represented.
 */

export const CE_JSON = 'application/cloudevents+json';
export const CE_BATCH_JSON = 'application/cloudevents-batch+json';
/** Prefix of every CloudEvents event-format media type (structured and batch). */
export const CE_PREFIX = 'application/cloudevents';

export interface MediaType {
  /** Lower-cased top-level type, e.g. `application`. */
  type: string;
  /** Lower-cased subtype, e.g. `cloudevents+json`. */
  subtype: string;
  /** Lower-cased `type/subtype` without parameters. */
  essence: string;
  /** Parameters by lower-cased name; quoted values are unquoted. First occurrence wins. */
  params: Readonly<Record<string, string>>;
}

// RFC 9110 tchar lookup.
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TCHAR[c.charCodeAt(0)] = 1;
}
const isTchar = (c: number): boolean => c < 128 && TCHAR[c] === 1;
const isOws = (c: number): boolean => c === 0x20 || c === 0x09;
// qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
const isQdtext = (c: number): boolean =>
  c === 0x09 || c === 0x20 || c === 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e) || (c >= 0x80 && c <= 0xff);
// quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
const isQuotedPairChar = (c: number): boolean => c === 0x09 || (c >= 0x20 && c <= 0x7e) || (c >= 0x80 && c <= 0xff);

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze(Object.create(null) as Record<string, string>);

// Content types repeat constantly on the ingest path: remember recent parses.
const CACHE_LIMIT = 256;
const cache = new Map<string, MediaType | null>();

/**
 * Parses a media type such as `application/json; charset=utf-8`. Returns
 * `undefined` when the value does not have the RFC 2046 shape
 * `type "/" subtype *( OWS ";" OWS [ name "=" ( token / quoted-string ) ] )`.
 */
export function parseMediaType(input: string): MediaType | undefined {
  const hit = cache.get(input);
  if (hit !== undefined) return hit ?? undefined;
  const parsed = parseUncached(input);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  if (input.length <= 256) cache.set(input, parsed ?? null);
  return parsed;
}

function parseUncached(s: string): MediaType | undefined {
  const n = s.length;
  let i = 0;
  while (i < n && isOws(s.charCodeAt(i))) i++;
  const t0 = i;
  while (i < n && isTchar(s.charCodeAt(i))) i++;
  if (i === t0 || i >= n || s.charCodeAt(i) !== 0x2f /* / */) return undefined;
  const type = s.slice(t0, i).toLowerCase();
  i++;
  const s0 = i;
  while (i < n && isTchar(s.charCodeAt(i))) i++;
  if (i === s0) return undefined;
  const subtype = s.slice(s0, i).toLowerCase();
  let params: Record<string, string> | undefined;
  for (;;) {
    while (i < n && isOws(s.charCodeAt(i))) i++;
    if (i >= n) break;
    if (s.charCodeAt(i) !== 0x3b /* ; */) return undefined;
    i++;
    while (i < n && isOws(s.charCodeAt(i))) i++;
    if (i >= n) break;
    if (s.charCodeAt(i) === 0x3b) continue; // empty parameter, allowed by RFC 9110
    const k0 = i;
    while (i < n && isTchar(s.charCodeAt(i))) i++;
    if (i === k0 || i >= n || s.charCodeAt(i) !== 0x3d /* = */) return undefined;
    const name = s.slice(k0, i).toLowerCase();
    i++;
    let value: string;
    if (i < n && s.charCodeAt(i) === 0x22 /* " */) {
      i++;
      value = '';
      let closed = false;
      while (i < n) {
        const c = s.charCodeAt(i);
        if (c === 0x22) {
          closed = true;
          i++;
          break;
        }
        if (c === 0x5c /* \ */) {
          if (i + 1 >= n || !isQuotedPairChar(s.charCodeAt(i + 1))) return undefined;
          value += s[i + 1];
          i += 2;
          continue;
        }
        if (!isQdtext(c)) return undefined;
        value += s[i];
        i++;
      }
      if (!closed) return undefined;
    } else {
      const v0 = i;
      while (i < n && isTchar(s.charCodeAt(i))) i++;
      if (i === v0) return undefined;
      value = s.slice(v0, i);
    }
    params ??= Object.create(null) as Record<string, string>;
    if (!(name in params)) params[name] = value;
  }
  return { type, subtype, essence: `${type}/${subtype}`, params: params ? Object.freeze(params) : NO_PARAMS };
}

/** `*\/json` or `*\/*+json`: the JSON format stores such data as a JSON value. */
export function isJsonMediaType(mt: MediaType): boolean {
  return mt.subtype === 'json' || mt.subtype.endsWith('+json');
}

/**
 * Whether a `datacontenttype` value declares JSON data. An absent content type
 * implies `application/json` (JSON format §3.1). A value that is not a media
 * type at all declares nothing JSON.
 */
export function declaresJsonData(datacontenttype: string | undefined): boolean {
  if (datacontenttype === undefined) return true;
  if (typeof datacontenttype !== 'string') return false;
  const mt = parseMediaType(datacontenttype);
  return mt !== undefined && isJsonMediaType(mt);
}

/** Non-`text/*` media types whose content is text. */
const TEXT_ESSENCES = new Set([
  'application/xml',
  'application/xml-dtd',
  'application/yaml',
  'application/x-yaml',
  'application/toml',
  'application/javascript',
  'application/ecmascript',
  'application/x-www-form-urlencoded',
  'application/x-ndjson',
  'application/jsonl',
  'application/graphql',
  'application/sql',
  'application/csv',
]);

/** Charsets whose bytes are read as UTF-8 text. Anything else stays binary. */
const UTF8_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii']);

/**
 * Whether binary-mode data with this media type is stored as a text string in
 * `data` (rather than as `data_base64`): `text/*`, `*\/xml`, `*\/*+xml`,
 * `*\/*+yaml` and a few well-known textual `application/*` types, and only when
 * the charset parameter is absent or UTF-8 / US-ASCII. (The caller also
 * requires the bytes to be valid UTF-8.)
 */
export function isTextMediaType(mt: MediaType): boolean {
  const textual =
    mt.type === 'text' ||
    TEXT_ESSENCES.has(mt.essence) ||
    mt.subtype === 'xml' ||
    mt.subtype.endsWith('+xml') ||
    mt.subtype.endsWith('+yaml');
  if (!textual) return false;
  const charset = mt.params['charset'];
  return charset === undefined || UTF8_CHARSETS.has(charset.toLowerCase());
}

/** Whether a media type's charset parameter, if any, names UTF-8. */
export function hasUtf8Charset(mt: MediaType): boolean {
  const charset = mt.params['charset'];
  return charset === undefined || charset.toLowerCase() === 'utf-8' || charset.toLowerCase() === 'utf8';
}
