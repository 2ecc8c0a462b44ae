/**
 * Where an AMQP subscription publishes, and how its existence is checked (or
 * it is declared) before publishing.
 *
 * Declaring (`protocolsettings.declare: true`): a durable `topic` exchange, a
 * durable queue, and with both the queue bound to the exchange with
 * `routingkey` (else `#`, everything). Declaring what already exists with the
 * same properties is harmless; with different properties the broker refuses
 * (406 PRECONDITION_FAILED) and the error says so.
 */
import type { Channel } from 'amqplib';
import { amqpReplyCode, describeAmqpError } from './connect.js';
import type { Destination } from './pool.js';
import type { AmqpSettings } from '../../../hub/subscriptions/amqp-settings.js';

export function destinationOf(settings: AmqpSettings): Destination {
  const t = settings.target;
  if (settings.declare) {
    if (t.kind === 'queue') {
      return {
        key: `declare:queue:${t.queue}`,
        async ensure(ch: Channel) {
          await ch.assertQueue(t.queue, { durable: true });
        },
      };
    }
    const binding = t.routingKey ?? '#';
    return {
      key: `declare:exchange:${t.exchange}:${t.bindQueue ?? ''}:${binding}`,
      async ensure(ch: Channel) {
        await ch.assertExchange(t.exchange, 'topic', { durable: true });
        if (t.bindQueue !== undefined) {
          await ch.assertQueue(t.bindQueue, { durable: true });
          await ch.bindQueue(t.bindQueue, t.exchange, binding);
        }
      },
    };
  }
  if (t.kind === 'queue') {
    return {
      key: `queue:${t.queue}`,
      async ensure(ch: Channel) {
        await ch.checkQueue(t.queue);
      },
    };
  }
  return {
    key: `exchange:${t.exchange}`,
    async ensure(ch: Channel) {
      await ch.checkExchange(t.exchange);
    },
  };
}

/** The target in words: `exchange 'orders'` or `queue 'cms'`. */
export function describeTarget(settings: AmqpSettings): string {
  const t = settings.target;
  return t.kind === 'queue' ? `queue '${t.queue}'` : `exchange '${t.exchange}'`;
}

function vhostOf(sink: string): string {
  try {
    const path = new URL(sink).pathname;
    return path.length > 1 ? decodeURIComponent(path.slice(1)) : '/';
  } catch {
    return '/';
  }
}

/** Why checking or declaring the destination failed, for the subscriber. */
export function destinationProblem(error: unknown, settings: AmqpSettings, sink: string): { code: string; message: string } {
  const code = amqpReplyCode(error);
  const target = describeTarget(settings);
  const vhost = vhostOf(sink);
  const text = describeAmqpError(error, sink);
  if (code === 404 && !settings.declare) {
    return { code: 'NOT_FOUND', message: `the ${target} does not exist on the broker (vhost '${vhost}'); create it, or set protocolsettings.declare to true` };
  }
  if (code === 406) return { code: 'PRECONDITION_FAILED', message: `the broker refused to declare the ${target}: it exists with other properties (${text})` };
  if (code === 403) return { code: 'ACCESS_REFUSED', message: `the broker refused access to the ${target} in vhost '${vhost}' (${text})` };
  return { code: code !== undefined ? `AMQP_${code}` : 'EUNAVAILABLE', message: `the ${target} could not be checked: ${text}` };
}
