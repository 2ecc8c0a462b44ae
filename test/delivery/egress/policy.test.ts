/**
 * The egress policy on its own: which addresses are refused and why, odd
 * encodings, embedded IPv4, the allow list, CIDR parsing. No I/O.
 */
import fc from 'fast-check';
import { BlockList } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  EgressPolicy,
  cidrContains,
  formatIp,
  parseCidrList,
  parseEgressAllow,
  parseIp,
  parseIPv4Loose,
  type AddressKind,
} from '../../../src/delivery/egress/index.js';

const strict = new EgressPolicy([]);

type Row = [address: string, expected: 'allowed' | AddressKind, reasonIncludes?: string];

const TABLE: Row[] = [
  // Public IPv4
  ['8.8.8.8', 'allowed'],
  ['1.1.1.1', 'allowed'],
  ['93.184.216.34', 'allowed'],
  ['172.15.255.255', 'allowed'],
  ['172.32.0.0', 'allowed'],
  ['100.63.255.255', 'allowed'],
  ['100.128.0.0', 'allowed'],
  ['192.167.255.255', 'allowed'],
  ['223.255.255.255', 'allowed'],
  // Loopback, unspecified, "this network"
  ['127.0.0.1', 'loopback', '127.0.0.1 is a loopback address (127.0.0.0/8)'],
  ['127.255.255.254', 'loopback'],
  ['0.0.0.0', 'unspecified', 'the unspecified address'],
  ['0.1.2.3', 'unspecified', '"this network"'],
  // Private and shared
  ['10.0.0.1', 'private', '10.0.0.0/8'],
  ['172.16.0.1', 'private', '172.16.0.0/12'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private', '192.168.0.0/16'],
  ['100.64.0.1', 'private', 'carrier-grade NAT'],
  ['100.127.255.255', 'private'],
  // Link-local (cloud metadata lives here)
  ['169.254.169.254', 'link-local', '169.254.0.0/16'],
  // Multicast, broadcast, reserved, documentation, benchmarking
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['255.255.255.255', 'broadcast'],
  ['240.0.0.1', 'reserved'],
  ['192.0.0.8', 'reserved', 'IETF protocol assignment'],
  ['192.88.99.1', 'reserved', '6to4 relay'],
  ['192.0.2.1', 'documentation', 'TEST-NET-1'],
  ['198.51.100.7', 'documentation', 'TEST-NET-2'],
  ['203.0.113.200', 'documentation', 'TEST-NET-3'],
  ['198.18.0.1', 'benchmarking'],
  ['198.19.255.255', 'benchmarking'],
  // Odd IPv4 encodings, read as WHATWG URL / inet_aton do
  ['127.1', 'loopback', '127.0.0.1 is a loopback'],
  ['127.0.1', 'loopback', '127.0.0.1 is'],
  ['2130706433', 'loopback', '127.0.0.1 is'],
  ['0x7f000001', 'loopback', '127.0.0.1 is'],
  ['0x7f.1', 'loopback', '127.0.0.1 is'],
  ['0X7F.0.0.1', 'loopback', '127.0.0.1 is'],
  ['0177.0.0.1', 'loopback', '127.0.0.1 is'],
  ['017700000001', 'loopback', '127.0.0.1 is'],
  ['127.0.0.1.', 'loopback', '127.0.0.1 is'],
  ['0', 'unspecified', '0.0.0.0 is'],
  ['0x0', 'unspecified'],
  ['3232235777', 'private', '192.168.1.1 is'],
  ['0xa9.0xfe.0xa9.0xfe', 'link-local', '169.254.169.254 is'],
  ['134744072', 'allowed'], // 8.8.8.8
  // IPv6
  ['2606:4700:4700::1111', 'allowed'],
  ['2001:4860:4860::8888', 'allowed'],
  ['::1', 'loopback', '::1 is the loopback address'],
  ['0:0:0:0:0:0:0:1', 'loopback', '::1 is'],
  ['[::1]', 'loopback'],
  ['::', 'unspecified'],
  ['fc00::1', 'private', 'fc00::/7'],
  ['fd12:3456:789a::1', 'private', 'unique local'],
  ['fe80::1', 'link-local', 'fe80::/10'],
  ['fe80::1%eth0', 'link-local'],
  ['febf::1', 'link-local'],
  ['fec0::1', 'private', 'site-local'],
  ['ff02::1', 'multicast'],
  ['ff0e::1', 'multicast'],
  ['2001:db8::1', 'documentation'],
  ['3fff::1', 'documentation'],
  ['2001:2::1', 'benchmarking'],
  ['2001:10::1', 'reserved', 'IETF protocol assignment'],
  ['100::1', 'reserved', 'discard-only'],
  ['5f00::1', 'reserved', 'SRv6'],
  ['1::1', 'reserved', 'outside global unicast'],
  ['4000::1', 'reserved', 'outside global unicast'],
  // IPv4-mapped: judged as the IPv4 address, in every spelling
  ['::ffff:127.0.0.1', 'loopback', '::ffff:127.0.0.1 is an IPv4-mapped IPv6 address embedding 127.0.0.1'],
  ['::ffff:7f00:1', 'loopback', 'embedding 127.0.0.1'],
  ['0:0:0:0:0:ffff:7f00:0001', 'loopback'],
  ['::FFFF:10.1.2.3', 'private'],
  ['::ffff:a9fe:a9fe', 'link-local'],
  ['::ffff:0.0.0.0', 'unspecified'],
  ['::ffff:8.8.8.8', 'allowed'],
  ['[::ffff:808:808]', 'allowed'],
  // IPv4-compatible (deprecated): never allowed
  ['::127.0.0.1', 'loopback', 'IPv4-compatible'],
  ['::7f00:1', 'loopback'],
  ['::8.8.8.8', 'reserved', 'IPv4-compatible'],
  // NAT64 well-known prefix: judged by the embedded IPv4 address
  ['64:ff9b::127.0.0.1', 'loopback', 'NAT64 address embedding 127.0.0.1'],
  ['64:ff9b::a00:1', 'private', 'NAT64'],
  ['64:ff9b::a9fe:a9fe', 'link-local'],
  ['64:ff9b::8.8.8.8', 'allowed'],
  ['64:ff9b:1::1', 'private', 'local-use NAT64'],
  // 6to4: embedded IPv4 in bits 16–47
  ['2002:7f00:1::1', 'loopback', '6to4 address embedding 127.0.0.1'],
  ['2002:c0a8:101::', 'private', '192.168.1.1'],
  ['2002:a9fe:a9fe::1', 'link-local'],
  ['2002:808:808::1', 'allowed'],
  // Teredo: refused outright
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'tunnel', 'Teredo'],
  ['2001::1', 'tunnel', 'Teredo'],
  // Not addresses
  ['localhost', 'invalid', 'is not an IP address'],
  ['', 'invalid'],
  ['127.0.0.1:80', 'invalid'],
  ['256.0.0.1', 'invalid'],
  ['1.2.3.4.5', 'invalid'],
  ['08.0.0.1', 'invalid'],
  ['0x', 'unspecified'], // WHATWG: "0x" alone is 0
  ['4294967296', 'invalid'],
  [':::1', 'invalid'],
  ['1:2:3:4:5:6:7:8:9', 'invalid'],
  ['::1::', 'invalid'],
  ['fe80::1%', 'invalid'],
  ['::ffff:127.1', 'invalid'],
  ['12345::1', 'invalid'],
];

describe('EgressPolicy.check without an allow list', () => {
  it.each(TABLE)('%s → %s', (address, expected, reasonIncludes) => {
    const d = strict.check(address);
    if (expected === 'allowed') {
      expect(d).toEqual({ allowed: true });
      return;
    }
    expect(d.allowed).toBe(false);
    if (d.allowed) return;
    expect(d.kind).toBe(expected);
    expect(d.reason.length).toBeGreaterThan(10);
    if (reasonIncludes !== undefined) expect(d.reason).toContain(reasonIncludes);
  });

  it('names the address in canonical form and points at HEROLD_EGRESS_ALLOW', () => {
    const d = strict.check('0x7f.1');
    expect(d).toMatchObject({ allowed: false, kind: 'loopback' });
    if (!d.allowed) {
      expect(d.reason.startsWith('127.0.0.1 ')).toBe(true);
      expect(d.reason).toContain('HEROLD_EGRESS_ALLOW');
    }
  });

  it('reads the same odd encodings as the WHATWG URL parser', () => {
    for (const host of ['127.1', '0x7f.1', '2130706433', '0177.0.0.1', '0x7f.0.0.1', '127.0.0.1.', '0300.0250.1.1', '10.1', '0xA9FEA9FE']) {
      const viaUrl = new URL(`http://${host}/`).hostname;
      const ours = parseIp(host);
      expect(ours && formatIp(ours)).toBe(viaUrl);
    }
  });
});

describe('allow list (HEROLD_EGRESS_ALLOW)', () => {
  const open = new EgressPolicy(parseCidrList(['127.0.0.0/8', '::1/128']));

  it.each([
    ['127.0.0.1', true],
    ['127.1', true],
    ['2130706433', true],
    ['127.255.0.9', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true], // mapped: also matched by its IPv4 form
    ['::ffff:7f00:2', true],
    ['8.8.8.8', true], // public stays allowed
    ['10.0.0.1', false],
    ['::2', false],
    ['0.0.0.0', false], // connecting to 0.0.0.0 reaches localhost on Linux, but 127/8 does not cover it
    ['::', false],
    ['64:ff9b::7f00:1', false], // a NAT64 translator's loopback is not ours
    ['2002:7f00:1::', false],
    ['::127.0.0.1', false],
    ['169.254.169.254', false],
  ])('%s → allowed %s', (address, allowed) => {
    expect(open.check(address).allowed).toBe(allowed);
  });

  it('IPv6 blocks open IPv6 ranges, a mapped block opens IPv4 too', () => {
    const p = new EgressPolicy(parseCidrList(['fd00::/8', '::ffff:10.0.0.0/104', '169.254.169.254']));
    expect(p.check('fd12::1').allowed).toBe(true);
    expect(p.check('fc00::1').allowed).toBe(false);
    expect(p.check('::ffff:10.9.9.9').allowed).toBe(true);
    expect(p.check('10.9.9.9').allowed).toBe(false); // the v6 block matches v6 addresses only
    expect(p.check('169.254.169.254').allowed).toBe(true);
    expect(p.check('169.254.169.253').allowed).toBe(false);
  });

  it('0.0.0.0/0 and ::/0 open everything', () => {
    const p = new EgressPolicy(parseCidrList(['0.0.0.0/0', '::/0']));
    for (const [a] of TABLE) if (parseIp(a) !== undefined) expect(p.check(a).allowed).toBe(true);
    expect(p.check('localhost').allowed).toBe(false);
  });
});

describe('parseCidrList', () => {
  it('parses IPv4 and IPv6 blocks and bare addresses', () => {
    expect(parseCidrList(['127.0.0.0/8', ' ::1/128 ', '10.1.2.3', 'fd00::', '0.0.0.0/0', 'FE80::/10']).map((c) => c.text)).toEqual([
      '127.0.0.0/8',
      '::1/128',
      '10.1.2.3/32',
      'fd00::/128',
      '0.0.0.0/0',
      'fe80::/10',
    ]);
  });

  it.each([
    ['127.0.0.1/8', 'has host bits set (did you mean 127.0.0.0/8?)'],
    ['10.0.0.0/33', 'has an invalid prefix length'],
    ['::/129', 'has an invalid prefix length'],
    ['10.0.0.0/', 'has an invalid prefix length'],
    ['10.0.0.0/08', 'has an invalid prefix length'],
    ['10.0.0.0/-1', 'has an invalid prefix length'],
    ['localhost', 'is not an IPv4'],
    ['127.1/8', 'is not an IPv4'],
    ['010.0.0.0/8', 'is not an IPv4'],
    ['[::1]/128', 'is not an IPv4'],
    ['fe80::%eth0/64', 'is not an IPv4'],
    ['', 'is empty'],
  ])('rejects %j naming the entry', (entry, problem) => {
    expect(() => parseCidrList(['10.0.0.0/8', entry])).toThrowError(`invalid egress allow-list entry ${JSON.stringify(entry)}: ${problem}`);
  });

  it('parseEgressAllow splits on commas and whitespace; unset or blank is empty', () => {
    expect(parseEgressAllow(undefined)).toEqual([]);
    expect(parseEgressAllow('  ')).toEqual([]);
    expect(parseEgressAllow('127.0.0.0/8, ::1/128\n10.0.0.0/8,,').map((c) => c.text)).toEqual(['127.0.0.0/8', '::1/128', '10.0.0.0/8']);
    expect(() => parseEgressAllow('127.0.0.0/8,nope')).toThrowError(/"nope"/);
  });
});

describe('properties (fast-check)', () => {
  const policies = [strict, new EgressPolicy(parseCidrList(['127.0.0.0/8', '::1/128', '10.0.0.0/8']))];

  it('check never throws and always answers a well-formed decision', () => {
    const input = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.ipV4(),
      fc.ipV4Extended(),
      fc.ipV6(),
      fc.stringMatching(/^[0-9a-fA-FxX.:%[\]]{0,50}$/),
    );
    fc.assert(
      fc.property(input, (s) => {
        for (const p of policies) {
          const d = p.check(s);
          expect(typeof d.allowed).toBe('boolean');
          if (!d.allowed) {
            expect(typeof d.reason).toBe('string');
            expect(d.reason.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('check tolerates non-strings handed in by untyped callers', () => {
    for (const v of [undefined, null, 42, {}, [], Symbol('x')]) {
      expect(strict.check(v as unknown as string)).toMatchObject({ allowed: false, kind: 'invalid' });
    }
  });

  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const dotted = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

  it('every encoding of an IPv4 address gets the same decision as its dotted form', () => {
    fc.assert(
      fc.property(u32, (n) => {
        const expected = strict.check(dotted(n));
        const hex = (n >>> 0).toString(16);
        const forms = [
          String(n),
          `0x${hex}`,
          `0${n.toString(8)}`,
          `${n >>> 24}.${n & 0xffffff}`,
          `${n >>> 24}.${(n >>> 16) & 255}.${n & 0xffff}`,
          `0x${(n >>> 24).toString(16)}.0${((n >>> 16) & 255).toString(8)}.${(n >>> 8) & 255}.${n & 255}`,
          `${dotted(n)}.`,
          `::ffff:${dotted(n)}`,
          `::ffff:${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`,
        ];
        for (const f of forms) {
          const got = strict.check(f);
          expect(got.allowed, f).toBe(expected.allowed);
          if (!got.allowed && !expected.allowed) expect(got.kind, f).toBe(expected.kind);
        }
        // And the URL parser agrees on what the odd forms mean.
        expect(new URL(`http://${String(n)}/`).hostname).toBe(dotted(n));
        expect(parseIPv4Loose(`0x${hex}`)).toBe(BigInt(n));
      }),
      { numRuns: 2000 },
    );
  });

  it('CIDR membership agrees with node:net BlockList', () => {
    const v4cidr = fc.tuple(u32, fc.integer({ min: 0, max: 32 })).map(([n, p]) => {
      const mask = p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0;
      return `${dotted((n & mask) >>> 0)}/${p}`;
    });
    fc.assert(
      fc.property(v4cidr, u32, (block, n) => {
        const [cidr] = parseCidrList([block]);
        const [net, prefix] = block.split('/');
        const list = new BlockList();
        list.addSubnet(net!, Number(prefix), 'ipv4');
        const ip = parseIp(dotted(n))!;
        expect(cidrContains(cidr!, ip)).toBe(list.check(dotted(n), 'ipv4'));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.ipV6(), fc.integer({ min: 0, max: 128 }), fc.ipV6(), (base, prefix, probe) => {
        const ip = parseIp(base)!;
        const hostBits = (1n << BigInt(128 - prefix)) - 1n;
        const network = formatIp({ family: 6, value: ip.value & ~hostBits });
        const [cidr] = parseCidrList([`${network}/${prefix}`]);
        const list = new BlockList();
        list.addSubnet(network, prefix, 'ipv6');
        const probeIp = parseIp(probe)!;
        // BlockList treats IPv4-mapped probes specially; compare on plain IPv6 probes only.
        fc.pre(probeIp.value >> 32n !== 0xffffn);
        expect(cidrContains(cidr!, probeIp)).toBe(list.check(formatIp(probeIp), 'ipv6'));
      }),
      { numRuns: 2000 },
    );
  });

  it('parseCidrList either parses or throws an Error naming the entry', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9a-f.:/]{0,45}$/)), (entry) => {
        try {
          const [c] = parseCidrList([entry]);
          expect(c!.prefix).toBeGreaterThanOrEqual(0);
        } catch (e) {
          expect(e).toBeInstanceOf(Error);
          expect((e as Error).message).toContain(JSON.stringify(entry));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('parse and format round-trip IPv6 (canonical text re-parses to the same value)', () => {
    fc.assert(
      fc.property(fc.ipV6(), (s) => {
        const ip = parseIp(s);
        expect(ip).toBeDefined();
        expect(parseIp(formatIp(ip!))!.value).toBe(ip!.value);
      }),
      { numRuns: 2000 },
    );
  });
});
