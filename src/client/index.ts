/**
 * `herold/client`: talk to a Herold hub over its public HTTP API.
 * Consumer (read every event once, in order, across restarts), Publisher
 * (batched, retried, backpressured), cursor stores, webhook verification and
 * a receiver, typed admin methods. See docs/client.md.
 */
export { HeroldClient, ROUTES, type ReadOptions, type RouteName } from './client.js';
export type * from './api-types.js';
export { Consumer, type ConsumerOptions, type EventsOptions, type HandlerContext, type RunOptions } from './consumer.js';
export { Deduper } from './dedupe.js';
export {
  EchoError,
  HandlerError,
  HeroldError,
  PublishError,
  RetentionTrimmedError,
  SequenceGapError,
  TransportError,
  WebhookVerificationError,
  isTransient,
  type Problem,
} from './errors.js';
export { Transport, type ConnectionOptions, type Credential } from './http.js';
export { parseSse, type SseMessage } from './sse.js';
export { FileCursorStore } from './stores/file.js';
export { MemoryCursorStore } from './stores/memory.js';
export { PostgresCursorStore, type PgClient, type PgPool, type PostgresCursorStoreOptions } from './stores/postgres.js';
export { SqliteCursorStore, type SqliteCursorStoreOptions, type SqliteDatabase } from './stores/sqlite.js';
export type { CursorStore, TransactionalCursorStore } from './stores/types.js';
export type { EventFilters, EventPage, OutgoingEvent, ServedEvent } from './types.js';
export { EchoGuard, causedBy, sourceWithin, type CausedBy } from './causation.js';
export { SupplementaryError, SupplementaryFetcher, fetchSupplementary, type Supplementary, type SupplementaryOptions } from './supplementary.js';
export { verifyWebhook, type VerifyOptions } from './webhook/verify.js';
export { webhookHandler, webhookPlugin, webhookReceiver, type WebhookAnswer, type WebhookOptions, type WebhookRequest } from './webhook/handler.js';
export { decodeDelivery } from './webhook/decode.js';
export { Publisher, type PublisherOptions, type Receipt } from './publisher.js';
export { PostgresOutbox, type PostgresOutboxOptions, type RelayOptions } from './outbox.js';
