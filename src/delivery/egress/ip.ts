/**
 * IP address parsing and formatting for the egress policy. Pure functions.
 *
 * Addresses are held as a family plus a bigint (32 bits for IPv4, 128 for
 * IPv6), which makes prefix arithmetic trivial and exact.
 *
 * Two IPv4 readers:
 * - {@link parseIPv4Loose} reads every form the WHATWG URL host parser and
 *   inet_aton(3) accept: one to four parts, each decimal, octal (leading `0`)
 *   or hex (`0x`), the last part filling the remaining bytes — so `127.1`,
 *   `0x7f.1`, `0177.0.0.1` and `2130706433` are all 127.0.0.1. Anything a
 *   resolver or URL parser could turn into an address must be judged by the
 *   address it becomes, so the policy reads addresses this way.
 * - {@link parseIPv4Strict} reads plain dotted-quad decimal only (no leading
 *   zeros), for configuration, where an octal surprise would be a mistake.
 */

export type IpFamily = 4 | 6;

export interface IpAddress {
  family: IpFamily;
  /** The address as an unsigned integer: 32 bits for IPv4, 128 for IPv6. */
  value: bigint;
  /** IPv6 zone (scope) identifier, without the `%`, when one was given. */
  zone?: string;
}

const V4_MAX = 0xffff_ffffn;
const DOTTED_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const DOTTED_QUAD = new RegExp(`^${DOTTED_OCTET}(?:\\.${DOTTED_OCTET}){3}$`);
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
/** Longer host strings are never addresses (the longest IPv6 text is 45 characters plus a zone). */
const MAX_ADDRESS_TEXT = 128;

/** Plain dotted-quad decimal (`192.0.2.1`), no leading zeros; undefined otherwise. */
export function parseIPv4Strict(input: string): bigint | undefined {
  if (!DOTTED_QUAD.test(input)) return undefined;
  let v = 0n;
  for (const part of input.split('.')) v = (v << 8n) | BigInt(Number(part));
  return v;
}

/** One part of a loose IPv4 address (WHATWG "IPv4 number parser"). */
function parseV4Number(part: string): bigint | undefined {
  if (part === '') return undefined;
  let digits = part;
  let radix: 10 | 8 | 16 = 10;
  if (digits.length >= 2 && digits[0] === '0' && (digits[1] === 'x' || digits[1] === 'X')) {
    radix = 16;
    digits = digits.slice(2);
  } else if (digits.length >= 2 && digits[0] === '0') {
    radix = 8;
    digits = digits.slice(1);
  }
  if (digits === '') return 0n;
  const ok = radix === 16 ? /^[0-9a-fA-F]+$/ : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!ok.test(digits)) return undefined;
  // Leading zeros do not change the value; more than 12 significant digits
  // in any radix exceeds 32 bits, so stop before building a huge bigint.
  const significant = digits.replace(/^0+/, '') || '0';
  if (significant.length > 12) return V4_MAX + 1n;
  const prefix = radix === 16 ? '0x' : radix === 8 ? '0o' : '';
  return BigInt(prefix + significant);
}

/**
 * IPv4 in any form the WHATWG URL parser or inet_aton accept (`127.1`,
 * `0x7f.0.0.1`, `0177.0.0.1`, `2130706433`, a trailing dot); undefined when
 * the text is not such an address.
 */
export function parseIPv4Loose(input: string): bigint | undefined {
  if (input.length === 0 || input.length > MAX_ADDRESS_TEXT) return undefined;
  const parts = input.split('.');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length > 4) return undefined;
  const numbers: bigint[] = [];
  for (const part of parts) {
    const n = parseV4Number(part);
    if (n === undefined) return undefined;
    numbers.push(n);
  }
  const last = numbers[numbers.length - 1]!;
  for (let i = 0; i < numbers.length - 1; i++) if (numbers[i]! > 255n) return undefined;
  if (last >= 1n << BigInt(8 * (5 - numbers.length))) return undefined;
  let v = last;
  for (let i = 0; i < numbers.length - 1; i++) v += numbers[i]! << BigInt(8 * (3 - i));
  return v;
}

/**
 * IPv6 text (RFC 4291 section 2.2, with an optional trailing dotted-quad and
 * an optional `%zone`), optionally in brackets; undefined otherwise.
 */
export function parseIPv6(input: string): { value: bigint; zone?: string } | undefined {
  if (input.length === 0 || input.length > MAX_ADDRESS_TEXT) return undefined;
  let s = input;
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  let zone: string | undefined;
  const pct = s.indexOf('%');
  if (pct >= 0) {
    zone = s.slice(pct + 1);
    s = s.slice(0, pct);
    if (zone === '' || !/^[0-9A-Za-z._~-]+$/.test(zone)) return undefined;
  }
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return undefined;
  const head = dbl >= 0 ? s.slice(0, dbl) : s;
  const tail = dbl >= 0 ? s.slice(dbl + 2) : '';
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === '' ? [] : tail.split(':');
  if (dbl < 0 && headParts.length === 0) return undefined;

  const toGroups = (parts: string[], mayEndInV4: boolean): number[] | undefined => {
    const groups: number[] = [];
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (mayEndInV4 && i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4Strict(p);
        if (v4 === undefined) return undefined;
        groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (HEX_GROUP.test(p)) {
        groups.push(parseInt(p, 16));
      } else {
        return undefined;
      }
    }
    return groups;
  };
  const headGroups = toGroups(headParts, dbl < 0);
  const tailGroups = toGroups(tailParts, true);
  if (headGroups === undefined || tailGroups === undefined) return undefined;
  const count = headGroups.length + tailGroups.length;
  if (dbl >= 0 ? count > 7 : count !== 8) return undefined;
  const groups = [...headGroups, ...new Array<number>(8 - count).fill(0), ...tailGroups];
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(g);
  return zone === undefined ? { value } : { value, zone };
}

/**
 * Any IPv4 (loose, see {@link parseIPv4Loose}) or IPv6 address text, with or
 * without brackets; undefined when the text is not an address.
 */
export function parseIp(input: string): IpAddress | undefined {
  if (typeof input !== 'string') return undefined;
  const v4 = parseIPv4Loose(input);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseIPv6(input);
  if (v6 !== undefined) return v6.zone === undefined ? { family: 6, value: v6.value } : { family: 6, ...v6 };
  return undefined;
}

export function formatIPv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** RFC 5952 text; IPv4-mapped addresses keep their dotted tail (`::ffff:127.0.0.1`). */
export function formatIPv6(value: bigint): string {
  if (value >> 32n === 0xffffn) return `::ffff:${formatIPv4(value & V4_MAX)}`;
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLen).join(':');
  return `${left}::${right}`;
}

/** Canonical text of an address (dotted quad, or RFC 5952 IPv6 with its zone). */
export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return formatIPv4(ip.value);
  const text = formatIPv6(ip.value);
  return ip.zone === undefined ? text : `${text}%${ip.zone}`;
}

/** The host part of a URL without IPv6 brackets. */
export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
