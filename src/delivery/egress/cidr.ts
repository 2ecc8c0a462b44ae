/**
 * CIDR blocks (`127.0.0.0/8`, `::1/128`) for HEROLD_EGRESS_ALLOW and for the
 * special-purpose address tables. Pure functions.
 */
import { formatIp, parseIPv4Strict, parseIPv6, type IpAddress, type IpFamily } from './ip.js';

export interface Cidr {
  family: IpFamily;
  /** Network address (host bits zero). */
  network: bigint;
  /** Prefix length: 0–32 for IPv4, 0–128 for IPv6. */
  prefix: number;
  /** Canonical text, e.g. `127.0.0.0/8`. */
  text: string;
}

const bitsOf = (family: IpFamily): number => (family === 4 ? 32 : 128);

/** Whether the address lies inside the block (same family only). */
export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.family !== ip.family) return false;
  const shift = BigInt(bitsOf(cidr.family) - cidr.prefix);
  return ip.value >> shift === cidr.network >> shift;
}

/**
 * One block, or undefined with the problem. Addresses are plain dotted-quad
 * IPv4 or IPv6 text (no zone); a bare address means a single host (/32 or
 * /128); host bits must be zero (`127.0.0.1/8` is an error, write `127.0.0.0/8`).
 */
export function parseCidr(entry: string): { cidr: Cidr } | { problem: string } {
  const text = entry.trim();
  if (text === '') return { problem: 'is empty' };
  const slash = text.indexOf('/');
  const addrText = slash >= 0 ? text.slice(0, slash) : text;
  const prefixText = slash >= 0 ? text.slice(slash + 1) : undefined;
  let family: IpFamily;
  let value: bigint;
  const v4 = parseIPv4Strict(addrText);
  if (v4 !== undefined) {
    family = 4;
    value = v4;
  } else {
    const v6 = addrText.includes(':') ? parseIPv6(addrText) : undefined;
    if (v6 === undefined || v6.zone !== undefined || addrText.startsWith('[')) {
      return { problem: 'is not an IPv4 (dotted decimal) or IPv6 address, optionally followed by /prefix' };
    }
    family = 6;
    value = v6.value;
  }
  const bits = bitsOf(family);
  let prefix = bits;
  if (prefixText !== undefined) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > bits) {
      return { problem: `has an invalid prefix length (an integer from 0 to ${bits} is expected)` };
    }
    prefix = Number(prefixText);
  }
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  if ((value & hostMask) !== 0n) {
    const network = value & ~hostMask;
    const suggestion = `${formatIp({ family, value: network })}/${prefix}`;
    return { problem: `has host bits set (did you mean ${suggestion}?)` };
  }
  return { cidr: { family, network: value, prefix, text: `${formatIp({ family, value })}/${prefix}` } };
}

/**
 * Parse a list of CIDR blocks. Throws an Error naming the first bad entry,
 * e.g. `invalid egress allow-list entry "10.0.0.1/8": has host bits set (did you mean 10.0.0.0/8?)`.
 */
export function parseCidrList(list: readonly string[]): Cidr[] {
  const out: Cidr[] = [];
  for (const entry of list) {
    const parsed = parseCidr(String(entry));
    if ('problem' in parsed) {
      throw new Error(`invalid egress allow-list entry ${JSON.stringify(entry)}: ${parsed.problem}`);
    }
    out.push(parsed.cidr);
  }
  return out;
}

/**
 * HEROLD_EGRESS_ALLOW as configured: CIDR blocks separated by commas and/or
 * whitespace; unset or blank means none. Throws like {@link parseCidrList}.
 */
export function parseEgressAllow(value: string | undefined): Cidr[] {
  if (value === undefined) return [];
  return parseCidrList(value.split(/[\s,]+/).filter((s) => s !== ''));
}
