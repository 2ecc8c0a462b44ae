import { join } from 'node:path';
import { DEFAULT_JWT_MAX_LIFETIME_SECONDS, parseJwtIssuers } from './access/jwt-config.js';
import { parseConsoleOidc } from './api/console/oidc-config.js';

/** Every setting of a running hub. Each has a HEROLD_* variable and a `herold serve` flag. */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl?: string;
  adminKey?: string;
  egressAllow: string[];
  logLevel: string;
  /** SQLite durability: 'full' fsyncs each (group) commit; 'normal' may lose the last commits on power loss. */
  sync: 'full' | 'normal';
  /** Where SQLite writes events: 'thread' (the main thread) or 'worker' (a worker thread on its own connection; docs/operations.md). */
  sqliteWriter: 'thread' | 'worker';
  /** A JSON or YAML file declaring lists, applied at start. */
  configFile?: string;
  maxEventBytes: number;
  maxBatchEvents: number;
  maxBatchBytes: number;
  heartbeatSeconds: number;
  /**
   * A stalled reader (SSE or NDJSON) is cut off when its connection has not
   * taken the bytes queued for it within this many seconds.
   */
  streamStallSeconds: number;
  /** The most bytes queued for one stream beyond what its connection has taken; larger pages are written in pieces. */
  streamBufferBytes: number;
  /** Open streams (SSE, NDJSON, any streaming door) one principal may hold on one hub process. */
  maxStreamsPerPrincipal: number;
  /** Subscriptions one principal may own, across all lists. */
  maxSubscriptionsPerPrincipal: number;
  shutdownSeconds: number;
  /** Names this hub to webhook receivers (WebHook-Request-Origin). */
  origin: string;
  /** Default retry window for push deliveries (a failing event is dead-lettered after it). */
  retryWindowSeconds: number;
  /** Disable a subscription that has failed continuously for this long. */
  disableAfterSeconds: number;
  /** Webhook delivery: connections per receiver origin. */
  webhookConnections: number;
  /** Webhook delivery: requests in flight per connection (HTTP/1.1 pipelining; 1 = none). */
  webhookPipelining: number;
  /** Local demos only: requests without credentials act as admin. */
  insecure: boolean;
  /** Trusted JWT issuers (JSON array), checked at start; see access/jwt-config.ts. */
  jwtIssuers?: string;
  /** The longest a JWT may be valid (exp - iat, and exp - now); tokens without exp are refused. */
  jwtMaxLifetimeSeconds: number;
  /** Per-principal rate limits (requests per second; 0 turns a limit off). Admins are not limited. */
  publishRate: number;
  readRate: number;
  auditRetentionDays: number;
  /** The console's OpenID Connect sign-in (JSON); see api/console/oidc-config.ts. */
  consoleOidc?: string;
  /** GraphQL door limits (api/graphql/limits.ts): each refused with a clear error. */
  graphqlMaxDepth: number;
  graphqlMaxAliases: number;
  /** Lexical tokens in one GraphQL document (parse stops beyond it). */
  graphqlMaxTokens: number;
  /** Largest `first` of an events page. */
  graphqlMaxFirst: number;
  /** Open GraphQL subscriptions per principal, over both transports. */
  graphqlMaxSubscriptions: number;
  /** A query that has not finished after this long is answered with an error. */
  graphqlTimeoutSeconds: number;
  /** Schema introspection for authenticated callers (anonymous callers never reach the schema). */
  graphqlIntrospection: boolean;
}

export const DEFAULTS: Config = {
  host: '127.0.0.1',
  port: 8080,
  dataDir: './data',
  egressAllow: [],
  logLevel: 'info',
  sync: 'full',
  sqliteWriter: 'thread',
  maxEventBytes: 64 * 1024,
  maxBatchEvents: 10_000,
  maxBatchBytes: 32 * 1024 * 1024,
  heartbeatSeconds: 15,
  streamStallSeconds: 30,
  streamBufferBytes: 256 * 1024,
  maxStreamsPerPrincipal: 100,
  maxSubscriptionsPerPrincipal: 100,
  shutdownSeconds: 10,
  origin: 'herold.localhost',
  retryWindowSeconds: 86_400,
  disableAfterSeconds: 5 * 86_400,
  webhookConnections: 64,
  webhookPipelining: 1,
  insecure: false,
  jwtMaxLifetimeSeconds: DEFAULT_JWT_MAX_LIFETIME_SECONDS,
  publishRate: 1000,
  readRate: 100,
  auditRetentionDays: 365,
  graphqlMaxDepth: 8,
  graphqlMaxAliases: 15,
  graphqlMaxTokens: 2000,
  graphqlMaxFirst: 1000,
  graphqlMaxSubscriptions: 20,
  graphqlTimeoutSeconds: 10,
  graphqlIntrospection: true,
};

/** The environment variable for each setting. */
export const ENV_NAMES: Record<keyof Config, string> = {
  host: 'HEROLD_HOST',
  port: 'HEROLD_PORT',
  dataDir: 'HEROLD_DATA_DIR',
  databaseUrl: 'HEROLD_DATABASE_URL',
  adminKey: 'HEROLD_ADMIN_KEY',
  egressAllow: 'HEROLD_EGRESS_ALLOW',
  logLevel: 'HEROLD_LOG_LEVEL',
  sync: 'HEROLD_SYNC',
  sqliteWriter: 'HEROLD_SQLITE_WRITER',
  configFile: 'HEROLD_CONFIG',
  maxEventBytes: 'HEROLD_MAX_EVENT_BYTES',
  maxBatchEvents: 'HEROLD_MAX_BATCH_EVENTS',
  maxBatchBytes: 'HEROLD_MAX_BATCH_BYTES',
  heartbeatSeconds: 'HEROLD_HEARTBEAT_SECONDS',
  streamStallSeconds: 'HEROLD_STREAM_STALL_SECONDS',
  streamBufferBytes: 'HEROLD_STREAM_BUFFER_BYTES',
  maxStreamsPerPrincipal: 'HEROLD_MAX_STREAMS_PER_PRINCIPAL',
  maxSubscriptionsPerPrincipal: 'HEROLD_MAX_SUBSCRIPTIONS_PER_PRINCIPAL',
  shutdownSeconds: 'HEROLD_SHUTDOWN_SECONDS',
  origin: 'HEROLD_ORIGIN',
  retryWindowSeconds: 'HEROLD_RETRY_WINDOW_SECONDS',
  disableAfterSeconds: 'HEROLD_DISABLE_AFTER_SECONDS',
  webhookConnections: 'HEROLD_WEBHOOK_CONNECTIONS',
  webhookPipelining: 'HEROLD_WEBHOOK_PIPELINING',
  insecure: 'HEROLD_INSECURE',
  jwtIssuers: 'HEROLD_JWT_ISSUERS',
  jwtMaxLifetimeSeconds: 'HEROLD_JWT_MAX_LIFETIME_SECONDS',
  publishRate: 'HEROLD_PUBLISH_RATE',
  readRate: 'HEROLD_READ_RATE',
  auditRetentionDays: 'HEROLD_AUDIT_RETENTION_DAYS',
  consoleOidc: 'HEROLD_CONSOLE_OIDC',
  graphqlMaxDepth: 'HEROLD_GRAPHQL_MAX_DEPTH',
  graphqlMaxAliases: 'HEROLD_GRAPHQL_MAX_ALIASES',
  graphqlMaxTokens: 'HEROLD_GRAPHQL_MAX_TOKENS',
  graphqlMaxFirst: 'HEROLD_GRAPHQL_MAX_FIRST',
  graphqlMaxSubscriptions: 'HEROLD_GRAPHQL_MAX_SUBSCRIPTIONS',
  graphqlTimeoutSeconds: 'HEROLD_GRAPHQL_TIMEOUT_SECONDS',
  graphqlIntrospection: 'HEROLD_GRAPHQL_INTROSPECTION',
};

/** Earlier names that still work when the current one is not set. */
export const ENV_ALIASES: Partial<Record<keyof Config, string>> = {
  streamStallSeconds: 'HEROLD_SSE_STALL_SECONDS',
};

/** A setting's value in the environment, under its name or its earlier name. */
export function envValue(env: NodeJS.ProcessEnv, key: keyof Config): string | undefined {
  const alias = ENV_ALIASES[key];
  return env[ENV_NAMES[key]] ?? (alias === undefined ? undefined : env[alias]);
}

export class ConfigError extends Error {}

/** Turn raw strings (from env or flags) into a checked Config. */
export function resolveConfig(raw: Partial<Record<keyof Config, string | undefined>>): Config {
  const c: Config = { ...DEFAULTS, egressAllow: [] };
  const int = (key: keyof Config, min: number, max: number): number | undefined => {
    const v = raw[key];
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(`${ENV_NAMES[key]} must be an integer from ${min} to ${max}, got '${v}'.`);
    }
    return n;
  };
  if (raw.host) c.host = raw.host;
  c.port = int('port', 0, 65535) ?? c.port;
  if (raw.dataDir) c.dataDir = raw.dataDir;
  if (raw.databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(raw.databaseUrl)) {
      throw new ConfigError(`${ENV_NAMES.databaseUrl} must be a postgres:// URL; leave it unset for the embedded SQLite store.`);
    }
    c.databaseUrl = raw.databaseUrl;
  }
  if (raw.adminKey !== undefined && raw.adminKey !== '') c.adminKey = raw.adminKey;
  if (raw.egressAllow) c.egressAllow = raw.egressAllow.split(',').map((s) => s.trim()).filter(Boolean);
  if (raw.logLevel) c.logLevel = raw.logLevel;
  if (raw.sync) {
    if (raw.sync !== 'full' && raw.sync !== 'normal') throw new ConfigError(`${ENV_NAMES.sync} must be 'full' or 'normal'.`);
    c.sync = raw.sync;
  }
  if (raw.sqliteWriter) {
    if (raw.sqliteWriter !== 'thread' && raw.sqliteWriter !== 'worker') throw new ConfigError(`${ENV_NAMES.sqliteWriter} must be 'thread' or 'worker'.`);
    c.sqliteWriter = raw.sqliteWriter;
  }
  if (raw.configFile) c.configFile = raw.configFile;
  c.maxEventBytes = int('maxEventBytes', 256, 16 * 1024 * 1024) ?? c.maxEventBytes;
  c.maxBatchEvents = int('maxBatchEvents', 1, 1_000_000) ?? c.maxBatchEvents;
  c.maxBatchBytes = int('maxBatchBytes', 1024, 1024 * 1024 * 1024) ?? c.maxBatchBytes;
  c.heartbeatSeconds = int('heartbeatSeconds', 1, 3600) ?? c.heartbeatSeconds;
  c.streamStallSeconds = int('streamStallSeconds', 1, 3600) ?? c.streamStallSeconds;
  c.streamBufferBytes = int('streamBufferBytes', 16 * 1024, 64 * 1024 * 1024) ?? c.streamBufferBytes;
  c.maxStreamsPerPrincipal = int('maxStreamsPerPrincipal', 1, 1_000_000) ?? c.maxStreamsPerPrincipal;
  c.webhookConnections = int('webhookConnections', 1, 4096) ?? c.webhookConnections;
  c.webhookPipelining = int('webhookPipelining', 1, 64) ?? c.webhookPipelining;
  c.maxSubscriptionsPerPrincipal = int('maxSubscriptionsPerPrincipal', 1, 1_000_000) ?? c.maxSubscriptionsPerPrincipal;
  c.shutdownSeconds = int('shutdownSeconds', 1, 3600) ?? c.shutdownSeconds;
  if (raw.origin) c.origin = raw.origin;
  c.retryWindowSeconds = int('retryWindowSeconds', 1, 30 * 86_400) ?? c.retryWindowSeconds;
  c.disableAfterSeconds = int('disableAfterSeconds', 1, 365 * 86_400) ?? c.disableAfterSeconds;
  const bool = (key: keyof Config): boolean | undefined => {
    const v = raw[key];
    if (v === undefined || v === '') return undefined;
    if (!['true', 'false', '1', '0'].includes(v)) throw new ConfigError(`${ENV_NAMES[key]} must be true or false.`);
    return v === 'true' || v === '1';
  };
  c.insecure = bool('insecure') ?? c.insecure;
  if (raw.jwtIssuers) {
    try {
      parseJwtIssuers(raw.jwtIssuers);
    } catch (error) {
      throw new ConfigError((error as Error).message);
    }
    c.jwtIssuers = raw.jwtIssuers;
  }
  c.jwtMaxLifetimeSeconds = int('jwtMaxLifetimeSeconds', 60, 30 * 86_400) ?? c.jwtMaxLifetimeSeconds;
  c.publishRate = int('publishRate', 0, 1_000_000) ?? c.publishRate;
  c.readRate = int('readRate', 0, 1_000_000) ?? c.readRate;
  c.auditRetentionDays = int('auditRetentionDays', 1, 36_500) ?? c.auditRetentionDays;
  if (raw.consoleOidc) {
    try {
      parseConsoleOidc(raw.consoleOidc);
    } catch (error) {
      throw new ConfigError((error as Error).message);
    }
    c.consoleOidc = raw.consoleOidc;
  }
  c.graphqlMaxDepth = int('graphqlMaxDepth', 2, 64) ?? c.graphqlMaxDepth;
  c.graphqlMaxAliases = int('graphqlMaxAliases', 0, 1000) ?? c.graphqlMaxAliases;
  c.graphqlMaxTokens = int('graphqlMaxTokens', 50, 100_000) ?? c.graphqlMaxTokens;
  c.graphqlMaxFirst = int('graphqlMaxFirst', 1, 10_000) ?? c.graphqlMaxFirst;
  c.graphqlMaxSubscriptions = int('graphqlMaxSubscriptions', 1, 100_000) ?? c.graphqlMaxSubscriptions;
  c.graphqlTimeoutSeconds = int('graphqlTimeoutSeconds', 1, 3600) ?? c.graphqlTimeoutSeconds;
  c.graphqlIntrospection = bool('graphqlIntrospection') ?? c.graphqlIntrospection;
  return c;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Partial<Record<keyof Config, string>> = {};
  for (const key of Object.keys(ENV_NAMES) as (keyof Config)[]) {
    const value = envValue(env, key);
    if (value !== undefined) raw[key] = value;
  }
  return resolveConfig(raw);
}

export function sqliteFile(config: Config): string {
  return join(config.dataDir, 'herold.db');
}
