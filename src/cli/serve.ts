import type { Command } from 'commander';
import { ConfigError, type Config, ENV_NAMES, envValue, resolveConfig } from '../config.js';
import { createLogger, startHub } from '../server.js';
import { boundHeapGrowth } from './heap-growth.js';

const FLAGS: [keyof Config, string, string][] = [
  ['host', '--host <host>', 'address to listen on'],
  ['port', '--port <port>', 'port to listen on'],
  ['dataDir', '--data-dir <dir>', 'where the embedded SQLite database lives'],
  ['databaseUrl', '--database-url <url>', 'postgres:// URL (switches from SQLite to PostgreSQL)'],
  ['adminKey', '--admin-key <key>', 'bootstrap admin API key (32+ characters)'],
  ['egressAllow', '--egress-allow <cidrs>', 'comma-separated CIDRs that push sinks may reach though private'],
  ['logLevel', '--log-level <level>', 'trace, debug, info, warn, error'],
  ['sync', '--sync <mode>', "SQLite durability: 'full' (fsync each commit) or 'normal'"],
  ['sqliteWriter', '--sqlite-writer <where>', "SQLite's write path: 'thread' (main thread) or 'worker' (a second thread)"],
  ['configFile', '--config <file>', 'JSON or YAML file declaring lists'],
  ['maxEventBytes', '--max-event-bytes <n>', 'largest accepted event'],
  ['maxBatchEvents', '--max-batch-events <n>', 'most events in one batch'],
  ['maxBatchBytes', '--max-batch-bytes <n>', 'largest accepted request body'],
  ['heartbeatSeconds', '--heartbeat-seconds <n>', 'SSE heartbeat interval'],
  ['streamStallSeconds', '--stream-stall-seconds <n>', 'cut off an SSE or NDJSON reader whose connection takes nothing for this long'],
  ['streamBufferBytes', '--stream-buffer-bytes <n>', 'most bytes queued for one stream beyond what its connection has taken'],
  ['maxStreamsPerPrincipal', '--max-streams-per-principal <n>', 'open streams one principal may hold (100)'],
  ['maxSubscriptionsPerPrincipal', '--max-subscriptions-per-principal <n>', 'subscriptions one principal may own (100)'],
  ['shutdownSeconds', '--shutdown-seconds <n>', 'longest graceful shutdown before exit'],
  ['origin', '--origin <name>', 'this hub\'s name for webhook receivers (WebHook-Request-Origin)'],
  ['retryWindowSeconds', '--retry-window-seconds <n>', 'how long failed deliveries are retried by default (86400)'],
  ['jwtIssuers', '--jwt-issuers <json>', 'trusted JWT issuers: [{issuer, jwksUri, audience, scope?, principalClaim?, name?, sharedNamespace?}]'],
  ['consoleOidc', '--console-oidc <json>', 'console sign-in with OpenID Connect: {issuer, clientId, clientSecret?, scope?, redirectUri?}'],
  ['jwtMaxLifetimeSeconds', '--jwt-max-lifetime-seconds <n>', 'longest JWT lifetime accepted (86400)'],
  ['publishRate', '--publish-rate <n>', 'publish requests per second per principal (0 = no limit)'],
  ['readRate', '--read-rate <n>', 'read requests per second per principal (0 = no limit)'],
  ['auditRetentionDays', '--audit-retention-days <n>', 'how long audit records are kept'],
  ['disableAfterSeconds', '--disable-after-seconds <n>', 'disable a subscription failing continuously this long (432000)'],
  ['graphqlMaxDepth', '--graphql-max-depth <n>', 'deepest GraphQL selection (8)'],
  ['graphqlMaxAliases', '--graphql-max-aliases <n>', 'most aliases in one GraphQL document (15)'],
  ['graphqlMaxTokens', '--graphql-max-tokens <n>', 'most lexical tokens in one GraphQL document (2000)'],
  ['graphqlMaxFirst', '--graphql-max-first <n>', 'largest `first` of a GraphQL events page (1000)'],
  ['graphqlMaxSubscriptions', '--graphql-max-subscriptions <n>', 'open GraphQL subscriptions per principal (20)'],
  ['graphqlTimeoutSeconds', '--graphql-timeout-seconds <n>', 'longest a GraphQL query may run (10)'],
  ['graphqlIntrospection', '--graphql-introspection <bool>', 'schema introspection for authenticated callers (true)'],
  ['webhookConnections', '--webhook-connections <n>', 'webhook delivery: connections per receiver origin (64)'],
  ['webhookPipelining', '--webhook-pipelining <n>', 'webhook delivery: requests in flight per connection, HTTP/1.1 pipelining (1 = none)'],
];

export function registerServe(program: Command): void {
  const cmd = program.command('serve').description('Run the hub (embedded SQLite under ./data unless --database-url is given).');
  for (const [key, flag, help] of FLAGS) cmd.option(flag, `${help} [${ENV_NAMES[key]}]`);
  cmd.option('--sse-stall-seconds <n>', 'earlier name of --stream-stall-seconds [HEROLD_SSE_STALL_SECONDS]');
  cmd.option('--insecure', 'LOCAL DEMOS ONLY: requests without credentials act as admin [HEROLD_INSECURE]');
  cmd.action(async (opts: Record<string, string | boolean>) => {
    let config: Config;
    try {
      const raw: Partial<Record<keyof Config, string>> = {};
      for (const [key] of FLAGS) {
        const fromEnv = envValue(process.env, key);
        if (fromEnv !== undefined) raw[key] = fromEnv;
        const flagValue = opts[key === 'configFile' ? 'config' : key] ?? (key === 'streamStallSeconds' ? opts.sseStallSeconds : undefined);
        if (flagValue !== undefined) raw[key] = String(flagValue);
      }
      if (process.env.HEROLD_INSECURE !== undefined) raw.insecure = process.env.HEROLD_INSECURE;
      if (opts.insecure === true) raw.insecure = 'true';
      config = resolveConfig(raw);
    } catch (error) {
      if (error instanceof ConfigError) {
        console.error(`herold: ${error.message}`);
        process.exit(2);
      }
      throw error;
    }
    const logger = createLogger(config);
    boundHeapGrowth();
    let running;
    try {
      running = await startHub(config, logger);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      const hint = e.code === 'EADDRINUSE' ? ` Port ${config.port} is taken: stop the other process or pass --port.` : '';
      console.error(`herold: cannot start: ${e.message}.${hint}`);
      process.exit(1);
    }
    if (config.insecure) {
      const bar = '!'.repeat(78);
      process.stderr.write(`\n${bar}\n  INSECURE MODE: every request without credentials acts as ADMIN.\n  Anyone who can reach ${running.url} can read and change everything.\n  Use this for local demos only; never expose this hub.\n${bar}\n\n`);
      logger.warn('insecure mode: unauthenticated requests act as admin');
    }
    if (running.generatedAdminKey) {
      process.stderr.write(
        `\n  Admin API key (shown once, store it now):\n\n    ${running.generatedAdminKey}\n\n` +
          `  Use it as: Authorization: Bearer <key>. To choose your own, set HEROLD_ADMIN_KEY.\n\n`,
      );
    }
    logger.info({ url: running.url, store: running.hub.storeKind, sync: config.sync }, `herold listening on ${running.url}`);
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down: closing streams, finishing in-flight publishes');
      const force = setTimeout(() => {
        // Exit even when the log cannot be written (a closed pipe after the parent shell died).
        try {
          logger.error('graceful shutdown took too long; exiting');
        } finally {
          process.exit(1);
        }
      }, config.shutdownSeconds * 1000);
      force.unref();
      running.close().then(
        () => {
          logger.info('stopped');
          process.exit(0);
        },
        (error) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}
