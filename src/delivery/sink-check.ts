import type { SinkChecker } from '../hub/subscriptions/service.js';
import type { SubscriptionSpec } from '../hub/subscriptions/spec.js';
import { type EgressPolicy, validateSinkUrl } from './egress/index.js';
import { generateSecret, webhookHandshake } from './sinks/webhook/index.js';

/**
 * Checks a sink when a subscription is created or its sink changes: the
 * egress policy on every resolved address (before any packet is sent), then
 * the CloudEvents webhook handshake unless `protocolsettings.validate` is false
 * (which `parseSubscriptionSpec` admits from admins only).
 */
export function sinkChecker(policy: EgressPolicy, origin: string, extra: Record<string, (spec: SubscriptionSpec) => Promise<{ ok: true } | { ok: false; reason: string }>> = {}): SinkChecker {
  return {
    async check(spec) {
      if (spec.protocol !== 'HTTP') {
        const check = extra[spec.protocol];
        return check ? check(spec) : { ok: false, reason: `protocol ${spec.protocol} is not available in this hub` };
      }
      const url = await validateSinkUrl(spec.sink, policy);
      if (!url.ok) return url;
      if (spec.protocolsettings.validate === false) return { ok: true };
      const handshake = await webhookHandshake(spec.sink, policy, { origin, timeoutMs: spec.config.timeout * 1000 });
      if (!handshake.ok) {
        return { ok: false, reason: `the webhook validation handshake failed (${handshake.reason}); have the receiver answer OPTIONS with WebHook-Allowed-Origin (only an admin may skip the handshake with protocolsettings.validate: false)` };
      }
      return { ok: true };
    },
    newSecret(spec) {
      return spec.protocol === 'HTTP' ? generateSecret() : undefined;
    },
  };
}
