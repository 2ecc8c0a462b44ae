import type { DeliveryResult } from './sinks/webhook/index.js';

export type { DeliveryResult };

/**
 * One delivery to hand to a sink: the event already filtered and minimised for
 * the subscriber. `json` is the structured CloudEvent exactly as a pull reader
 * of the same scope gets it (one string shared by every subscription that sees
 * the event whole); `event` parses it on first use, for sinks that need its
 * attributes (binary mode, AMQP routing keys).
 */
export class SinkDelivery {
  private parsed: Record<string, unknown> | undefined;

  constructor(
    readonly subscriptionId: string,
    readonly seq: number,
    /** Stable for this (subscription, event) across retries and redeliveries. */
    readonly deliveryId: string,
    readonly json: string,
  ) {}

  get event(): Record<string, unknown> {
    return (this.parsed ??= JSON.parse(this.json) as Record<string, unknown>);
  }
}

/** A door out of the hub (webhook, AMQP): it delivers one event and says how it went. */
export interface Sink {
  deliver(delivery: SinkDelivery): Promise<DeliveryResult>;
  /**
   * Deliveries one subscription may keep in flight on this sink when that is
   * more than its `concurrency`: AMQP publishes on a shared channel and the
   * broker confirms many messages at once, so waiting for each confirm before
   * the next publish would cost a round trip per message.
   */
  readonly window?: number;
  close?(): Promise<void>;
}
