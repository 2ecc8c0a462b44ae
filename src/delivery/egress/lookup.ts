/**
 * Name resolution that enforces the egress policy, for connect time.
 *
 * {@link safeLookup} is a drop-in `lookup` for `net.connect`, `tls.connect`
 * and `http(s).request`: it resolves the name, judges every address it gets,
 * and hands back only policy-approved addresses — or fails with
 * `EGRESS_REFUSED` before the socket exists. Because the addresses checked are
 * the very ones the socket connects to, a name that answered with a public
 * address when the sink was validated and with 127.0.0.1 now (DNS rebinding)
 * cannot get through.
 *
 * Node does not call `lookup` when the host is already an IP literal, so a
 * client must also run {@link checkLiteralHost} itself before connecting.
 */
import { promises as dns, type LookupAddress, type LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { formatIp, parseIp, unbracket } from './ip.js';
import type { EgressDecision, EgressPolicy } from './policy.js';

/** Resolves a host name to all of its addresses (A and AAAA). */
export type Resolver = (hostname: string) => Promise<ReadonlyArray<{ address: string; family?: number }>>;

/** The system resolver (getaddrinfo through `dns.promises.lookup`, all records, in resolver order). */
export const systemResolver: Resolver = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

export const EGRESS_REFUSED = 'EGRESS_REFUSED';

/** The error a refused connection fails with; `code` is `EGRESS_REFUSED`. */
export class EgressRefusedError extends Error {
  readonly code = EGRESS_REFUSED;
  constructor(
    readonly host: string,
    readonly reason: string,
  ) {
    super(`egress refused for ${host}: ${reason}`);
    this.name = 'EgressRefusedError';
  }
}

export function isEgressRefused(e: unknown): e is EgressRefusedError {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === EGRESS_REFUSED;
}

/**
 * For a host that is an IP literal (bare or bracketed IPv6, or any IPv4 form),
 * the policy's decision; `null` for a name, which must go through
 * {@link safeLookup}.
 */
export function checkLiteralHost(host: string, policy: EgressPolicy): EgressDecision | null {
  const ip = parseIp(unbracket(host));
  return ip === undefined ? null : policy.checkIp(ip);
}

/**
 * Resolve a host and judge every address: refused when there are none or when
 * ANY of them is refused (a name with one private answer is not a sink). An IP
 * literal is judged as itself without asking the resolver. Returns the
 * addresses in canonical text.
 */
export async function resolveChecked(
  host: string,
  policy: EgressPolicy,
  resolve: Resolver = systemResolver,
): Promise<{ ok: true; addresses: LookupAddress[] } | { ok: false; reason: string; code: string }> {
  const bare = unbracket(host);
  const literal = parseIp(bare);
  let answers: ReadonlyArray<{ address: string; family?: number }>;
  if (literal !== undefined) {
    answers = [{ address: bare }];
  } else {
    try {
      answers = await resolve(bare);
    } catch (e) {
      const code = typeof (e as { code?: unknown })?.code === 'string' ? (e as { code: string }).code : 'ERESOLVE';
      return { ok: false, code, reason: `cannot resolve ${bare}: ${(e as Error)?.message ?? String(e)}` };
    }
  }
  if (!Array.isArray(answers) || answers.length === 0) {
    return { ok: false, code: 'ENOTFOUND', reason: `${bare} has no addresses` };
  }
  const addresses: LookupAddress[] = [];
  for (const answer of answers) {
    const text = typeof answer?.address === 'string' ? answer.address : String(answer?.address);
    const ip = parseIp(text);
    const decision = ip === undefined ? policy.check(text) : policy.checkIp(ip);
    if (!decision.allowed) {
      const via = literal !== undefined ? '' : `${bare} resolves to a refused address: `;
      return { ok: false, code: EGRESS_REFUSED, reason: `${via}${decision.reason}` };
    }
    addresses.push({ address: formatIp(ip!), family: ip!.family });
  }
  return { ok: true, addresses };
}

function requestedFamily(options: LookupOptions | number | undefined): 0 | 4 | 6 {
  const f = typeof options === 'number' ? options : options?.family;
  if (f === 4 || f === 'IPv4') return 4;
  if (f === 6 || f === 'IPv6') return 6;
  return 0;
}

/**
 * A `lookup` for `net.connect` / `http.request` that refuses (error code
 * `EGRESS_REFUSED`) unless every address of the host passes the policy.
 * Honours `options.family` and `options.all` like `dns.lookup`.
 */
export function safeLookup(policy: EgressPolicy, resolve: Resolver = systemResolver): LookupFunction {
  const lookup = (
    hostname: string,
    options: LookupOptions,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    // Node passes (hostname, callback) through some paths; be tolerant.
    if (typeof options === 'function') {
      callback = options as unknown as typeof callback;
      options = {};
    }
    const family = requestedFamily(options);
    resolveChecked(hostname, policy, resolve).then(
      (result) => {
        if (!result.ok) {
          const err: NodeJS.ErrnoException =
            result.code === EGRESS_REFUSED
              ? new EgressRefusedError(hostname, result.reason)
              : Object.assign(new Error(result.reason), { code: result.code, hostname });
          callback(err, options?.all ? [] : '', undefined);
          return;
        }
        const usable = family === 0 ? result.addresses : result.addresses.filter((a) => a.family === family);
        if (usable.length === 0) {
          const err = Object.assign(new Error(`${hostname} has no IPv${family} address`), { code: 'ENOTFOUND', hostname });
          callback(err, options?.all ? [] : '', undefined);
          return;
        }
        if (options?.all) callback(null, usable);
        else callback(null, usable[0]!.address, usable[0]!.family);
      },
      (e: unknown) => callback(e instanceof Error ? e : new Error(String(e)), '', undefined),
    );
  };
  return lookup as LookupFunction;
}
