import type { SubscriptionSpec } from '../../hub/subscriptions/spec.js';
import type { SubscriptionRecord } from '../../store/types.js';
import type { EgressPolicy } from '../egress/index.js';
import type { Sink, SinkDelivery } from '../sink.js';
import { type DeliveryResult, deliverWebhook } from './webhook/index.js';

/** A subscription's webhook as a Sink: signs with every current secret, checks egress on each connect. */
export function httpSink(record: SubscriptionRecord, spec: SubscriptionSpec, policy: EgressPolicy, origin: string): Sink {
  const token = typeof spec.protocolsettings.token === 'string' ? spec.protocolsettings.token : undefined;
  const extraHeaders = spec.protocolsettings.headers as Record<string, string> | undefined;
  const method = spec.protocolsettings.method as 'POST' | 'PUT' | undefined;
  // The current secrets, picked again only when one of them expires (a rotation makes a new record, and a new sink).
  let secrets: string[] = [];
  let secretsUntil = -Infinity;
  const currentSecrets = (now: number): string[] => {
    if (now < secretsUntil) return secrets;
    const live = record.secrets.filter((s) => s.expiresAt === null || s.expiresAt > now);
    secrets = live.map((s) => s.secret);
    secretsUntil = Math.min(Infinity, ...live.map((s) => s.expiresAt ?? Infinity));
    return secrets;
  };
  return {
    deliver(d: SinkDelivery): Promise<DeliveryResult> {
      const secrets = currentSecrets(Date.now());
      return deliverWebhook({
        url: spec.sink,
        // Parsed only when binary mode needs the attributes; structured mode sends `json` as is.
        get event() {
          return d.event as never;
        },
        json: d.json,
        mode: spec.config.mode,
        webhookId: d.deliveryId,
        secrets,
        bearerToken: token,
        timeoutMs: spec.config.timeout * 1000,
        policy,
        origin,
        extraHeaders,
        method,
      });
    },
  };
}
