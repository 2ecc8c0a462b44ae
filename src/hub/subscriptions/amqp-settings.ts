/**
 * The `protocolsettings` of an AMQP subscription, checked and normalised.
 *
 * | setting      | meaning                                                                 |
 * |--------------|-------------------------------------------------------------------------|
 * | `exchange`   | publish into this exchange                                              |
 * | `routingkey` | routing key for `exchange` (default: the event's `type`)                |
 * | `queue`      | publish straight into this queue (through the default exchange)         |
 * | `declare`    | declare what is named (durable topic exchange, durable queue) and, with |
 * |              | both `exchange` and `queue`, bind the queue (`routingkey`, else `#`)     |
 * | `style`      | `cloudEvents` (default: `cloudEvents_<attr>` application properties) or |
 * |              | `ce` (`ce-<attr>` headers, for Knative-style consumers)                 |
 * | `mode`       | `binary` (default for AMQP) or `structured`; same as `config.mode`      |
 *
 * Without `declare` nothing is declared: a missing exchange or queue is a
 * delivery failure (retried) with an error that names it.
 */

import type { AmqpStyle } from '../../cloudevents/amqp-encode.js';

export type { AmqpStyle };

export type AmqpTarget =
  | { kind: 'exchange'; exchange: string; routingKey?: string; bindQueue?: string }
  | { kind: 'queue'; queue: string };

export interface AmqpSettings {
  target: AmqpTarget;
  declare: boolean;
  style: AmqpStyle;
}

/** AMQP 0-9-1 short strings (exchange, queue, routing key) are at most 255 bytes. */
export const MAX_SHORTSTR = 255;

/** Every problem with the settings, as [pointer, message] pairs (empty when valid). */
export function amqpSettingsProblems(ps: Record<string, unknown>): [string, string][] {
  const problems: [string, string][] = [];
  const name = (key: 'exchange' | 'queue' | 'routingkey') => {
    const v = ps[key];
    if (v === undefined) return;
    if (typeof v !== 'string' || (key !== 'routingkey' && v === '')) problems.push([`/protocolsettings/${key}`, 'must be a non-empty string']);
    else if (Buffer.byteLength(v, 'utf8') > MAX_SHORTSTR) problems.push([`/protocolsettings/${key}`, `must be at most ${MAX_SHORTSTR} bytes`]);
    else if (/[\u0000-\u001f\u007f]/.test(v)) problems.push([`/protocolsettings/${key}`, 'must not contain control characters']);
  };
  name('exchange');
  name('queue');
  name('routingkey');
  if (ps.declare !== undefined && typeof ps.declare !== 'boolean') problems.push(['/protocolsettings/declare', 'must be a boolean']);
  if (ps.style !== undefined && ps.style !== 'cloudEvents' && ps.style !== 'ce') {
    problems.push(['/protocolsettings/style', "must be 'cloudEvents' (cloudEvents_<attr> properties) or 'ce' (ce-<attr> headers)"]);
  }
  if (ps.mode !== undefined && ps.mode !== 'binary' && ps.mode !== 'structured') problems.push(['/protocolsettings/mode', "must be 'binary' or 'structured'"]);
  const hasExchange = ps.exchange !== undefined;
  const hasQueue = ps.queue !== undefined;
  if (!hasExchange && !hasQueue) problems.push(['/protocolsettings', 'needs exchange (with an optional routingkey) or queue: where to deliver']);
  if (hasExchange && hasQueue && ps.declare !== true) {
    problems.push(['/protocolsettings/queue', 'give either exchange or queue; both together only with declare: true (the queue is then bound to the exchange)']);
  }
  if (!hasExchange && ps.routingkey !== undefined) problems.push(['/protocolsettings/routingkey', 'applies only with exchange']);
  if (ps.declare === true) {
    for (const key of ['exchange', 'queue'] as const) {
      const v = ps[key];
      if (typeof v === 'string' && v.startsWith('amq.')) problems.push([`/protocolsettings/${key}`, "names starting with 'amq.' are reserved by the broker and cannot be declared"]);
    }
  }
  return problems;
}

/** The settings of a stored (already validated) subscription; throws on what validation should have caught. */
export function parseAmqpSettings(ps: Record<string, unknown>): AmqpSettings {
  const problems = amqpSettingsProblems(ps);
  if (problems.length > 0) throw new Error(`invalid AMQP settings: ${problems.map(([p, m]) => `${p} ${m}`).join('; ')}`);
  const style: AmqpStyle = ps.style === 'ce' ? 'ce' : 'cloudEvents';
  const declare = ps.declare === true;
  if (typeof ps.exchange === 'string') {
    const target: AmqpTarget = { kind: 'exchange', exchange: ps.exchange };
    if (typeof ps.routingkey === 'string') target.routingKey = ps.routingkey;
    if (typeof ps.queue === 'string') target.bindQueue = ps.queue;
    return { target, declare, style };
  }
  return { target: { kind: 'queue', queue: ps.queue as string }, declare, style };
}

/**
 * The sink URL with its password replaced by `***`, for views and logs.
 * Anything that does not parse as a URL is cut to its scheme.
 */
export function maskSinkUrl(sink: string): string {
  let url: URL;
  try {
    url = new URL(sink);
  } catch {
    const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(sink);
    return scheme ? `${scheme[0]}//***` : '***';
  }
  if (url.password === '') return sink;
  url.password = '***';
  return url.toString();
}

/** Whether `candidate` is `original` with its password masked (a view sent back unchanged). */
export function isMaskedSinkOf(candidate: string, original: string): boolean {
  return candidate !== original && maskSinkUrl(original) === candidate;
}
