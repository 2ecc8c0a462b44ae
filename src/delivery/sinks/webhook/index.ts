/**
 * The HTTP webhook sink: Standard Webhooks signing, delivery of one CloudEvent
 * with outcome classification, and the CloudEvents webhook validation
 * handshake. All network access goes through the egress checks of
 * `delivery/egress` (IP literals judged before connecting, names through the
 * safe lookup at connect time); redirects are never followed.
 */
export { signWebhook, generateSecret, secretKey, SECRET_PREFIX } from './signature.js';
export {
  deliverWebhook,
  classifyStatus,
  buildWebhookRequest,
  USER_AGENT,
  DEFAULT_MAX_RETRY_AFTER_MS,
  type DeliveryResult,
  type DeliveryOutcome,
  type WebhookDelivery,
} from './deliver.js';
export { webhookHandshake, type HandshakeOptions, type HandshakeResult } from './handshake.js';
export { parseRetryAfter, parseHttpDate } from './retry-after.js';
export { closeIdleConnections, configurePools, SNIPPET_BYTES } from './exchange.js';
