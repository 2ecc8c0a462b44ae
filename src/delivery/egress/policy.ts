/**
 * Which addresses the hub may open connections to (SSRF protection).
 *
 * An address is refused when it is not a public unicast address — loopback,
 * private (RFC 1918, shared/CGNAT 100.64.0.0/10, IPv6 ULA fc00::/7, deprecated
 * site-local), link-local, multicast, unspecified, broadcast, or one of the
 * reserved, documentation and benchmarking ranges of the IANA special-purpose
 * registries; for IPv6 anything outside global unicast 2000::/3 is refused too
 * — unless the allow list (HEROLD_EGRESS_ALLOW) covers it.
 *
 * Addresses that carry an IPv4 address inside IPv6 are judged by what they
 * carry:
 * - IPv4-mapped `::ffff:a.b.c.d` IS that IPv4 address (a dual-stack socket
 *   connects to it), so it is classified, and matched against the allow list,
 *   exactly as the IPv4 address (and also as itself);
 * - IPv4-compatible `::a.b.c.d` (deprecated), NAT64 `64:ff9b::/96` and 6to4
 *   `2002::/16` are refused when the embedded IPv4 address is special; NAT64
 *   and 6to4 with a public embedded address are allowed, `::a.b.c.d` never is;
 *   the allow list matches these only by their IPv6 form (127.0.0.0/8 does not
 *   open 64:ff9b::7f00:1, which a translator would deliver to its own loopback);
 * - Teredo `2001::/32` and the local-use NAT64 prefix `64:ff9b:1::/48` are
 *   refused outright.
 *
 * Text that is not an address is refused; odd IPv4 encodings (`127.1`,
 * `2130706433`, `0x7f.1`, `0177.0.0.1`) are read as the address they denote.
 */
import { cidrContains, parseCidr, type Cidr } from './cidr.js';
import { formatIp, formatIPv4, parseIp, type IpAddress } from './ip.js';

export type AddressKind =
  | 'invalid'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'documentation'
  | 'benchmarking'
  | 'tunnel';

export type EgressDecision =
  | { allowed: true }
  | {
      allowed: false;
      /** Human-readable, names the address and why, e.g. `127.0.0.1 is a loopback address (127.0.0.0/8)`. */
      reason: string;
      kind: AddressKind;
    };

interface SpecialRange {
  cidr: Cidr;
  kind: AddressKind;
  what: string;
}

function range(text: string, kind: AddressKind, what: string): SpecialRange {
  const parsed = parseCidr(text);
  if ('problem' in parsed) throw new Error(`bad built-in range ${text}: ${parsed.problem}`);
  return { cidr: parsed.cidr, kind, what };
}

/** IANA IPv4 special-purpose ranges that are not globally reachable unicast. Most specific first. */
const V4_SPECIAL: readonly SpecialRange[] = [
  range('255.255.255.255/32', 'broadcast', 'the limited broadcast address'),
  range('0.0.0.0/32', 'unspecified', 'the unspecified address'),
  range('0.0.0.0/8', 'unspecified', 'a "this network" address'),
  range('10.0.0.0/8', 'private', 'a private address'),
  range('100.64.0.0/10', 'private', 'a shared (carrier-grade NAT) address'),
  range('127.0.0.0/8', 'loopback', 'a loopback address'),
  range('169.254.0.0/16', 'link-local', 'a link-local address'),
  range('172.16.0.0/12', 'private', 'a private address'),
  range('192.0.0.0/24', 'reserved', 'an IETF protocol assignment'),
  range('192.0.2.0/24', 'documentation', 'a documentation address (TEST-NET-1)'),
  range('192.88.99.0/24', 'reserved', 'a deprecated 6to4 relay anycast address'),
  range('192.168.0.0/16', 'private', 'a private address'),
  range('198.18.0.0/15', 'benchmarking', 'a benchmarking address'),
  range('198.51.100.0/24', 'documentation', 'a documentation address (TEST-NET-2)'),
  range('203.0.113.0/24', 'documentation', 'a documentation address (TEST-NET-3)'),
  range('224.0.0.0/4', 'multicast', 'a multicast address'),
  range('240.0.0.0/4', 'reserved', 'a reserved address'),
];

/** IPv6 special ranges inside or beside global unicast, checked after the embedding prefixes. */
const V6_SPECIAL: readonly SpecialRange[] = [
  range('::/128', 'unspecified', 'the unspecified address'),
  range('::1/128', 'loopback', 'the loopback address'),
  range('64:ff9b:1::/48', 'private', 'a local-use NAT64 address'),
  range('100::/64', 'reserved', 'a discard-only address'),
  range('2001:2::/48', 'benchmarking', 'a benchmarking address'),
  range('2001:db8::/32', 'documentation', 'a documentation address'),
  range('2001::/23', 'reserved', 'an IETF protocol assignment'),
  range('3fff::/20', 'documentation', 'a documentation address'),
  range('5f00::/16', 'reserved', 'a segment-routing (SRv6) SID'),
  range('fc00::/7', 'private', 'a unique local (private) address'),
  range('fe80::/10', 'link-local', 'a link-local address'),
  range('fec0::/10', 'private', 'a deprecated site-local (private) address'),
  range('ff00::/8', 'multicast', 'a multicast address'),
];

const MAPPED = range('::ffff:0:0/96', 'reserved', 'IPv4-mapped');
const COMPATIBLE = range('::/96', 'reserved', 'a deprecated IPv4-compatible address');
const NAT64 = range('64:ff9b::/96', 'reserved', 'NAT64');
const SIX_TO_FOUR = range('2002::/16', 'reserved', '6to4');
const TEREDO = range('2001::/32', 'tunnel', 'a Teredo tunnel address');
const GLOBAL_UNICAST = range('2000::/3', 'reserved', 'global unicast');

const V4_MASK = 0xffff_ffffn;

interface Refusal {
  kind: AddressKind;
  /** Why, without the address itself: "is a loopback address (127.0.0.0/8)". */
  why: string;
}

function classifyV4(value: bigint): Refusal | undefined {
  const ip: IpAddress = { family: 4, value };
  for (const r of V4_SPECIAL) if (cidrContains(r.cidr, ip)) return { kind: r.kind, why: `is ${r.what} (${r.cidr.text})` };
  return undefined;
}

function embedded(what: string, v4: bigint): Refusal | undefined {
  const inner = classifyV4(v4);
  if (inner === undefined) return undefined;
  return { kind: inner.kind, why: `is ${what} embedding ${formatIPv4(v4)}, which ${inner.why}` };
}

function classifyV6(value: bigint): Refusal | undefined {
  const ip: IpAddress = { family: 6, value };
  if (cidrContains(MAPPED.cidr, ip)) return embedded('an IPv4-mapped IPv6 address', value & V4_MASK);
  if (value === 0n || value === 1n) {
    const r = V6_SPECIAL[value === 0n ? 0 : 1]!;
    return { kind: r.kind, why: `is ${r.what} (${r.cidr.text})` };
  }
  if (cidrContains(COMPATIBLE.cidr, ip)) {
    return (
      embedded('a deprecated IPv4-compatible IPv6 address', value & V4_MASK) ?? {
        kind: 'reserved',
        why: `is ${COMPATIBLE.what} (${COMPATIBLE.cidr.text})`,
      }
    );
  }
  if (cidrContains(NAT64.cidr, ip)) return embedded('a NAT64 address', value & V4_MASK);
  if (cidrContains(SIX_TO_FOUR.cidr, ip)) return embedded('a 6to4 address', (value >> 80n) & V4_MASK);
  if (cidrContains(TEREDO.cidr, ip)) {
    const server = formatIPv4((value >> 64n) & V4_MASK);
    const client = formatIPv4(~value & V4_MASK);
    return { kind: 'tunnel', why: `is ${TEREDO.what} (${TEREDO.cidr.text}; server ${server}, client ${client})` };
  }
  for (const r of V6_SPECIAL) if (cidrContains(r.cidr, ip)) return { kind: r.kind, why: `is ${r.what} (${r.cidr.text})` };
  if (!cidrContains(GLOBAL_UNICAST.cidr, ip)) {
    return { kind: 'reserved', why: `is a reserved address (outside global unicast ${GLOBAL_UNICAST.cidr.text})` };
  }
  return undefined;
}

/** Why an address is special, or undefined for a public unicast address. Ignores any allow list. */
export function classifyAddress(ip: IpAddress): Refusal | undefined {
  return ip.family === 4 ? classifyV4(ip.value) : classifyV6(ip.value);
}

export class EgressPolicy {
  readonly allow: readonly Cidr[];

  /** @param allow blocks the hub may reach although they are special (HEROLD_EGRESS_ALLOW). */
  constructor(allow: readonly Cidr[] = []) {
    this.allow = Object.freeze([...allow]);
  }

  /** Whether the allow list covers the address (an IPv4-mapped address also by its IPv4 form). */
  allows(ip: IpAddress): boolean {
    if (this.allow.some((c) => cidrContains(c, ip))) return true;
    if (ip.family === 6 && cidrContains(MAPPED.cidr, ip)) {
      const v4: IpAddress = { family: 4, value: ip.value & V4_MASK };
      return this.allow.some((c) => cidrContains(c, v4));
    }
    return false;
  }

  /** Decide on one address (any text; never throws). */
  check(address: string): EgressDecision {
    const ip = typeof address === 'string' ? parseIp(address) : undefined;
    if (ip === undefined) {
      const shown = typeof address === 'string' ? JSON.stringify(address.slice(0, 100)) : String(typeof address);
      return { allowed: false, kind: 'invalid', reason: `${shown} is not an IP address` };
    }
    return this.checkIp(ip);
  }

  /** Decide on a parsed address. */
  checkIp(ip: IpAddress): EgressDecision {
    const refusal = classifyAddress(ip);
    if (refusal === undefined || this.allows(ip)) return { allowed: true };
    return {
      allowed: false,
      kind: refusal.kind,
      reason: `${formatIp(ip)} ${refusal.why} and HEROLD_EGRESS_ALLOW does not cover it`,
    };
  }
}
