/**
 * A subscription's AMQP sink: one CloudEvent per message, published with
 * `mandatory` on the broker's shared confirm channel.
 *
 * | what happened                                       | outcome |
 * |-----------------------------------------------------|---------|
 * | publisher confirm (basic.ack), not returned         | success |
 * | returned as unroutable (312 NO_ROUTE)               | retry   |
 * | basic.nack                                          | retry   |
 * | channel or connection closed before the confirm     | retry   |
 * | no confirm within `config.timeout`                  | retry   |
 * | broker unreachable, egress refused at connect time  | retry   |
 * | destination missing (not declaring), access refused | retry, the error names it |
 * | invalid settings, routing key over 255 bytes,       | dead    |
 * | a message the client cannot encode                  |         |
 *
 * Retries follow the subscription's schedule and end in its dead-letter
 * queue, exactly as for webhooks; the position advances only on success.
 */
import type { SubscriptionSpec } from '../../../hub/subscriptions/spec.js';
import type { SubscriptionRecord } from '../../../store/types.js';
import type { DeliveryResult, Sink, SinkDelivery } from '../../sink.js';
import { withMessageId } from '../../../cloudevents/amqp-encode.js';
import { eventBody, typeOf } from './bodies.js';
import { destinationOf, destinationProblem } from './destination.js';
import { type AmqpPool, BrokerUnavailableError } from './pool.js';
import { type AmqpSettings, MAX_SHORTSTR, parseAmqpSettings } from '../../../hub/subscriptions/amqp-settings.js';

/**
 * Messages one subscription keeps published ahead of their confirms (the
 * broker confirms in batches after writing them), whatever its
 * `config.concurrency`, which bounds webhook requests. Ordering 'subject'
 * still sends a subject's events one at a time.
 */
export const AMQP_CONFIRM_WINDOW = 1000;

export function amqpSink(record: SubscriptionRecord, spec: SubscriptionSpec, pool: AmqpPool): Sink {
  let settings: AmqpSettings | undefined;
  let invalid: string | undefined;
  try {
    settings = parseAmqpSettings(spec.protocolsettings);
  } catch (error) {
    invalid = (error as Error).message;
  }
  const mode = spec.config.mode;
  const timeoutMs = spec.config.timeout * 1000;
  const destination = settings && destinationOf(settings);
  // A queue or a routing key from the settings: checked once there (amqp-settings.ts), not per message.
  const fixedKey = settings?.target.kind === 'queue' ? settings.target.queue : settings?.target.routingKey;
  let fixedHeaders: Record<string, string> | undefined;
  const list = record.list;

  return {
    window: AMQP_CONFIRM_WINDOW,
    async deliver(d: SinkDelivery): Promise<DeliveryResult> {
      const started = performance.now();
      const took = () => Math.round(performance.now() - started);
      // The attempt log's "request headers" for AMQP: where the message went, once it was published.
      let requestHeaders: Record<string, string> | undefined;
      const retry = (error: string, errorCode: string): DeliveryResult => ({ outcome: 'retry', latencyMs: took(), error, errorCode, ...(requestHeaders && { requestHeaders }) });
      const dead = (error: string, errorCode: string): DeliveryResult => ({ outcome: 'dead', latencyMs: took(), error, errorCode });
      if (!settings || !destination) return dead(invalid ?? 'invalid AMQP settings', 'EINVALIDSETTINGS');

      const t = settings.target;
      const style = settings.style;
      let message;
      let routingKey: string;
      try {
        // Shared by every subscription that is served the same event (bodies.ts); only the message id is its own.
        const body = eventBody(list, mode, style, d.seq, d.json, () => d.event);
        routingKey = t.kind === 'queue' ? t.queue : (t.routingKey ?? (body.type ??= typeOf(d.event)));
        message = withMessageId(body, d.deliveryId);
      } catch (error) {
        return dead(`the event cannot be encoded as an AMQP message: ${(error as Error).message}`, 'EINVALIDREQUEST');
      }
      const exchange = t.kind === 'queue' ? '' : t.exchange;
      if (routingKey !== fixedKey && Buffer.byteLength(routingKey, 'utf8') > MAX_SHORTSTR) {
        return dead(`the routing key (the event type) is longer than ${MAX_SHORTSTR} bytes; set protocolsettings.routingkey`, 'EINVALIDREQUEST');
      }

      let broker;
      try {
        broker = pool.broker(spec.sink);
      } catch (error) {
        return retry((error as Error).message, 'ECLOSED');
      }
      try {
        if (!broker.verifiedNow(destination)) await broker.ensureDestination(destination, timeoutMs);
      } catch (error) {
        if (error instanceof BrokerUnavailableError) return retry(error.message, error.code);
        const problem = destinationProblem(error, settings, spec.sink);
        return retry(problem.message, problem.code);
      }

      const outcome = await broker.publish(exchange, routingKey, message, Math.max(1, timeoutMs - took()));
      // One object per subscription when the routing key is fixed (the journal writes one per message).
      requestHeaders = routingKey === fixedKey ? (fixedHeaders ??= { exchange, 'routing-key': routingKey }) : { exchange, 'routing-key': routingKey };
      if (outcome.ok) return { outcome: 'success', latencyMs: took(), requestHeaders };
      switch (outcome.kind) {
        case 'returned':
          return retry(
            t.kind === 'queue'
              ? `the broker returned the message as unroutable (${outcome.error}): queue '${t.queue}' does not exist`
              : `the broker returned the message as unroutable (${outcome.error}): no queue is bound to exchange '${t.exchange}' for routing key '${routingKey}'`,
            'NO_ROUTE',
          );
        case 'encode':
          return dead(`the event cannot be sent as an AMQP message: ${outcome.error}`, 'EINVALIDREQUEST');
        case 'nacked':
          return retry(outcome.error, 'NACK');
        case 'timeout':
          return retry(outcome.error, 'ETIMEDOUT');
        case 'closed':
          return retry(outcome.error, 'ECONNCLOSED');
        case 'unavailable':
          return retry(outcome.error, 'EUNAVAILABLE');
      }
    },
  };
}
