/**
 * AMQP ingest: per configured list, Herold consumes the provider's queue and
 * appends each CloudEvent (binary or structured) to the list, acknowledging
 * only after the commit. Configured in the declared-lists file
 * (`lists[].amqpIngest`); see docs/amqp.md.
 */
import { AmqpIngestConsumer, type AmqpIngestConfig, type AmqpIngestDeps } from './consumer.js';

export { AmqpIngestConsumer, type AmqpIngestConfig, type AmqpIngestDeps, type IngestDecision, type IngestLog, type IngestStats } from './consumer.js';
export { decodeAmqpMessage, reasonText, type AmqpIngestMessage, type Decoded, type DecodeLimits } from '../../cloudevents/amqp-decode.js';

export interface AmqpIngest {
  consumers: AmqpIngestConsumer[];
  /** Graceful: every consumer stops consuming, finishes what it holds, and closes. */
  stop(): Promise<void>;
}

/** Start one consumer per configured list (in the background; each reconnects by itself). */
export function startAmqpIngest(configs: readonly AmqpIngestConfig[], deps: AmqpIngestDeps): AmqpIngest {
  const consumers = configs.map((c) => new AmqpIngestConsumer(c, deps));
  for (const c of consumers) c.start();
  return {
    consumers,
    async stop() {
      await Promise.all(consumers.map((c) => c.stop()));
    },
  };
}
