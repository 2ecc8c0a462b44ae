/**
 * Egress control (SSRF protection) for every sink the hub connects to.
 *
 * - {@link EgressPolicy} decides on one address: public unicast is allowed;
 *   loopback, private, link-local, multicast, unspecified, broadcast and
 *   reserved/documentation/benchmarking addresses (and IPv6 forms that embed
 *   such an IPv4 address) are refused unless the allow list
 *   (HEROLD_EGRESS_ALLOW, {@link parseEgressAllow}) covers them.
 * - {@link validateSinkUrl} checks a sink URL when a subscription is created:
 *   scheme, no credentials, and every resolved address.
 * - {@link safeLookup} and {@link checkLiteralHost} repeat the check at
 *   connect time, on the addresses actually connected to, so DNS rebinding
 *   cannot slip through; refusals fail with code `EGRESS_REFUSED` before any
 *   packet is sent. The webhook client (`sinks/webhook`) uses both; an AMQP
 *   client passes `lookup: safeLookup(policy)` in its socket options and calls
 *   `checkLiteralHost` first.
 */
export { parseCidr, parseCidrList, parseEgressAllow, cidrContains, type Cidr } from './cidr.js';
export { EgressPolicy, classifyAddress, type AddressKind, type EgressDecision } from './policy.js';
export {
  safeLookup,
  checkLiteralHost,
  resolveChecked,
  systemResolver,
  EgressRefusedError,
  isEgressRefused,
  EGRESS_REFUSED,
  type Resolver,
} from './lookup.js';
export { validateSinkUrl, parseSinkUrl, type SinkUrlOptions, type SinkUrlResult } from './validate.js';
export { parseIp, parseIPv4Loose, parseIPv4Strict, parseIPv6, formatIp, type IpAddress, type IpFamily } from './ip.js';
