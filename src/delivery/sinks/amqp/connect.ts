/**
 * Opening an AMQP connection to a subscriber's broker under the egress policy:
 * an IP-literal host is judged before any packet is sent, and a name is
 * resolved through `safeLookup`, which hands the socket only addresses the
 * policy allows (so DNS rebinding cannot reach a refused address).
 */
import { type ChannelModel, connect } from 'amqplib';
import { EgressRefusedError, type EgressPolicy, type Resolver, checkLiteralHost, safeLookup } from '../../egress/index.js';
import { maskSinkUrl } from '../../../hub/subscriptions/amqp-settings.js';

export interface ConnectOptions {
  /** Egress policy; omit only for connections an operator configured (ingest), never for subscribers' sinks. */
  policy?: EgressPolicy;
  resolve?: Resolver;
  /** Shown by the broker (`connection_name` client property), e.g. in `rabbitmqctl list_connections`. */
  connectionName: string;
  /** Bound on TCP connect plus the AMQP handshake. */
  timeoutMs: number;
  /** AMQP heartbeat in seconds unless the URL sets `?heartbeat=` (detects dead TCP connections). */
  heartbeatSeconds?: number;
}

export class AmqpUrlError extends Error {}

/** The URL checked for AMQP use: `amqp:` or `amqps:` with a host. Throws {@link AmqpUrlError}. */
export function parseAmqpUrl(sink: string): URL {
  let url: URL;
  try {
    url = new URL(sink);
  } catch {
    throw new AmqpUrlError('the sink is not a valid URL');
  }
  if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') throw new AmqpUrlError('the sink must be an amqp:// or amqps:// URL');
  if (url.hostname === '') throw new AmqpUrlError('the sink URL has no host');
  return url;
}

/** Open a connection (no channel yet). Rejects with `EGRESS_REFUSED` before connecting to a refused address. */
export async function connectAmqp(sink: string, options: ConnectOptions): Promise<ChannelModel> {
  const url = parseAmqpUrl(sink);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (options.policy) {
    const literal = checkLiteralHost(host, options.policy);
    if (literal !== null && !literal.allowed) throw new EgressRefusedError(host, literal.reason);
  }
  if (!url.searchParams.has('heartbeat') && options.heartbeatSeconds !== undefined) url.searchParams.set('heartbeat', String(options.heartbeatSeconds));
  const socketOptions: Record<string, unknown> = {
    timeout: options.timeoutMs,
    noDelay: true,
    clientProperties: { connection_name: options.connectionName },
  };
  if (options.policy) socketOptions.lookup = safeLookup(options.policy, options.resolve);
  let timer: NodeJS.Timeout | undefined;
  const opening = connect(url.toString(), socketOptions);
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no AMQP connection within ${options.timeoutMs} ms`)), options.timeoutMs + 1000);
  });
  try {
    return await Promise.race([opening, deadline]);
  } catch (error) {
    // A connection that opens after the deadline is closed at once.
    opening.then((m) => m.close().catch(() => undefined), () => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** An error as one line without secrets (amqplib never puts the URL in messages; we mask it anyway). */
export function describeAmqpError(error: unknown, sink?: string): string {
  let text = error instanceof Error ? error.message : String(error);
  if (sink) {
    try {
      const password = new URL(sink).password;
      if (password.length >= 4) {
        text = text.split(password).join('***');
        const decoded = decodeURIComponent(password);
        if (decoded.length >= 4) text = text.split(decoded).join('***');
      }
    } catch {
      // not a URL: nothing to mask
    }
    text = text.split(sink).join(maskSinkUrl(sink));
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, 500);
}

/** The AMQP reply code on an amqplib error (404 NOT_FOUND, 403 ACCESS_REFUSED, 320 CONNECTION_FORCED …), if any. */
export function amqpReplyCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}
