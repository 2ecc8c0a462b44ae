/**
 * Checking an AMQP sink when a subscription is created or its sink changes:
 *
 * 1. the URL (`amqp://` or `amqps://`, a host) and the settings;
 * 2. the egress policy on the host: an IP literal is judged as is, a name on
 *    every address it resolves to (all must pass), before any packet is sent;
 * 3. a short-lived connection through the same policy (credentials, vhost);
 * 4. unless `declare` is set, a passive declare of the exchange or queue on a
 *    throwaway channel: a missing one is refused with its name. With
 *    `declare`, the declaration itself is made, so a refused one surfaces now.
 */
import type { SubscriptionSpec } from '../../../hub/subscriptions/spec.js';
import { type EgressPolicy, EGRESS_REFUSED, type Resolver, checkLiteralHost, resolveChecked, systemResolver } from '../../egress/index.js';
import { AmqpUrlError, connectAmqp, describeAmqpError, parseAmqpUrl } from './connect.js';
import { destinationOf, destinationProblem } from './destination.js';
import { amqpSettingsProblems, parseAmqpSettings } from '../../../hub/subscriptions/amqp-settings.js';

export interface AmqpCheckOptions {
  resolve?: Resolver;
  connectionName?: string;
  /** Upper bound for the whole check (default: the subscription's timeout). */
  timeoutMs?: number;
}

export type SinkCheckResult = { ok: true } | { ok: false; reason: string };

export function amqpSinkCheck(policy: EgressPolicy, options: AmqpCheckOptions = {}): (spec: SubscriptionSpec) => Promise<SinkCheckResult> {
  return async (spec) => {
    try {
      return await check(spec, policy, options);
    } catch (error) {
      return { ok: false, reason: `the AMQP sink could not be checked: ${describeAmqpError(error, spec.sink)}` };
    }
  };
}

async function check(spec: SubscriptionSpec, policy: EgressPolicy, options: AmqpCheckOptions): Promise<SinkCheckResult> {
  let url: URL;
  try {
    url = parseAmqpUrl(spec.sink);
  } catch (error) {
    if (error instanceof AmqpUrlError) return { ok: false, reason: error.message };
    throw error;
  }
  const problems = amqpSettingsProblems(spec.protocolsettings);
  if (problems.length > 0) return { ok: false, reason: problems.map(([p, m]) => `${p} ${m}`).join('; ') };
  const settings = parseAmqpSettings(spec.protocolsettings);

  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = checkLiteralHost(host, policy);
  if (literal !== null) {
    if (!literal.allowed) return { ok: false, reason: `the sink address is not allowed: ${literal.reason}` };
  } else {
    const resolved = await resolveChecked(host, policy, options.resolve ?? systemResolver);
    if (!resolved.ok) {
      const what = resolved.code === EGRESS_REFUSED ? 'the sink host is not allowed' : 'the sink host cannot be used';
      return { ok: false, reason: `${what}: ${resolved.reason}` };
    }
  }

  const timeoutMs = options.timeoutMs ?? spec.config.timeout * 1000;
  let model;
  try {
    model = await connectAmqp(spec.sink, {
      policy,
      resolve: options.resolve,
      connectionName: `${options.connectionName ?? 'herold'} sink check`,
      timeoutMs,
    });
  } catch (error) {
    return { ok: false, reason: `cannot connect to the broker at ${url.host}: ${describeAmqpError(error, spec.sink)}` };
  }
  model.on('error', () => undefined);
  try {
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    try {
      await withTimeout(destinationOf(settings).ensure(channel), timeoutMs);
    } catch (error) {
      return { ok: false, reason: destinationProblem(error, settings, spec.sink).message };
    }
    return { ok: true };
  } finally {
    await model.close().catch(() => undefined);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the broker did not answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
