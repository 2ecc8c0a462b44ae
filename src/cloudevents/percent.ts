/**
 * Header value encoding of the CloudEvents HTTP binding (§3.1.3.2):
 * percent-encoding on the way out, quoted-string unescaping plus one round of
 * percent-decoding on the way in.
 */
import { isUtf8 } from 'node:buffer';

const HEX = '0123456789ABCDEF';

function pct(out: string, byte: number): string {
  return out + '%' + HEX[byte >> 4] + HEX[byte & 15];
}

/**
 * Percent-encodes an attribute value for a `ce-` header. Exactly the
 * characters the binding requires are encoded — space, `"`, `%`, and
 * everything outside printable ASCII U+0021..U+007E (control characters
 * included) — as upper-case `%XY` of their UTF-8 bytes. A surrogate pair is
 * one character; an unpaired surrogate is encoded as U+FFFD.
 */
export function percentEncodeHeaderValue(value: string): string {
  const n = value.length;
  let i = 0;
  for (; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x22 || c === 0x25) break;
  }
  if (i === n) return value;
  let out = value.slice(0, i);
  for (; i < n; i++) {
    let c = value.charCodeAt(i);
    if (c > 0x20 && c < 0x7f && c !== 0x22 && c !== 0x25) {
      out += value[i];
    } else if (c < 0x80) {
      out = pct(out, c);
    } else if (c < 0x800) {
      out = pct(out, 0xc0 | (c >> 6));
      out = pct(out, 0x80 | (c & 0x3f));
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < n ? value.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
          out = pct(out, 0xf0 | (cp >> 18));
          out = pct(out, 0x80 | ((cp >> 12) & 0x3f));
          out = pct(out, 0x80 | ((cp >> 6) & 0x3f));
          out = pct(out, 0x80 | (cp & 0x3f));
          continue;
        }
        c = 0xfffd; // unpaired surrogate
      }
      out = pct(out, 0xe0 | (c >> 12));
      out = pct(out, 0x80 | ((c >> 6) & 0x3f));
      out = pct(out, 0x80 | (c & 0x3f));
    }
  }
  return out;
}

export type DecodedHeaderValue = { ok: true; value: string } | { ok: false; message: string };

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Decodes a `ce-` header value: trims surrounding whitespace, unescapes an
 * RFC 7230 quoted-string (supported for older senders), then performs one
 * round of percent-decoding and requires the bytes to be valid UTF-8
 * (overlong forms and encoded surrogates are rejected). Lower-case hex and
 * unnecessarily encoded characters are accepted.
 *
 * Raw non-ASCII characters U+0080..U+00FF (obs-text; Node hands header bytes
 * over as latin1 characters) are taken as the UTF-8 bytes they were on the
 * wire, so a sender that forgot to percent-encode UTF-8 is still understood.
 * Characters above U+00FF cannot come from an HTTP header and are rejected.
 */
export function decodeHeaderValue(raw: string): DecodedHeaderValue {
  let start = 0;
  let end = raw.length;
  while (start < end && (raw.charCodeAt(start) === 0x20 || raw.charCodeAt(start) === 0x09)) start++;
  while (end > start && (raw.charCodeAt(end - 1) === 0x20 || raw.charCodeAt(end - 1) === 0x09)) end--;
  let s = start === 0 && end === raw.length ? raw : raw.slice(start, end);

  if (s.charCodeAt(0) === 0x22 /* " */) {
    const unq = unquote(s);
    if (unq === undefined) return { ok: false, message: 'malformed quoted-string in header value' };
    s = unq;
  }

  const n = s.length;
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 || c >= 0x80) break;
  }
  if (i === n) return { ok: true, value: s };

  const bytes = Buffer.allocUnsafe(n);
  let len = 0;
  for (let j = 0; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x25) {
      const hi = j + 2 < n ? hexValue(s.charCodeAt(j + 1)) : -1;
      const lo = hi >= 0 ? hexValue(s.charCodeAt(j + 2)) : -1;
      if (lo < 0) {
        return { ok: false, message: `malformed percent-encoding at offset ${j}: "%" must be followed by two hex digits` };
      }
      bytes[len++] = (hi << 4) | lo;
      j += 2;
    } else if (c <= 0xff) {
      bytes[len++] = c;
    } else {
      return {
        ok: false,
        message: `character U+${c.toString(16).toUpperCase().padStart(4, '0')} cannot appear in an HTTP header; percent-encode its UTF-8 bytes`,
      };
    }
  }
  const view = bytes.subarray(0, len);
  if (!isUtf8(view)) return { ok: false, message: 'percent-decoded value is not valid UTF-8' };
  return { ok: true, value: view.toString('utf8') };
}

/** Unescapes a complete RFC 7230 quoted-string; undefined if malformed. */
function unquote(s: string): string | undefined {
  const n = s.length;
  if (n < 2 || s.charCodeAt(n - 1) !== 0x22) return undefined;
  let out = '';
  for (let i = 1; i < n - 1; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c /* \ */) {
      if (i + 1 >= n - 1) return undefined;
      out += s[++i];
    } else if (c === 0x22) {
      return undefined;
    } else {
      out += s[i];
    }
  }
  return out;
}
