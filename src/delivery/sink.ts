import type { DeliveryResult } from './sinks/webhook/index.js';

export type { DeliveryResult };

/** One delivery to hand to a sink: the event already filtered and minimised for the subscriber. */
export interface SinkDelivery {
  subscriptionId: string;
  seq: number;
  /** Stable for this (subscription, event) across retries and redeliveries. */
  deliveryId: string;
  event: Record<string, unknown>;
}

/** A door out of the hub (webhook, AMQP): it delivers one event and says how it went. */
export interface Sink {
  deliver(delivery: SinkDelivery): Promise<DeliveryResult>;
  close?(): Promise<void>;
}
