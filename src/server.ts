import { pino, type Logger } from 'pino';
import { Access, type AccessChange } from './access/access.js';
import { buildApp } from './api/app.js';
import type { Config } from './config.js';
import { type DeclaredAmqpIngest, readDeclaredConfig } from './hub/declared-lists.js';
import { applyDeclaredCatalogue } from './hub/catalogue/declared.js';
import { Hub } from './hub/hub.js';
import { Dispatcher } from './delivery/dispatcher.js';
import { EgressPolicy, parseCidrList } from './delivery/egress/index.js';
import { sinkChecker } from './delivery/sink-check.js';
import { configurePools } from './delivery/sinks/webhook/index.js';
import { AmqpPool, amqpSink, amqpSinkCheck } from './delivery/sinks/amqp/index.js';
import { type AmqpIngest, startAmqpIngest } from './ingest/amqp/index.js';
import { SubscriptionService } from './hub/subscriptions/service.js';
import { SubscriptionQuota } from './hub/subscriptions/quota.js';
import { ensureSystemList } from './hub/system-events.js';
import { Metrics } from './metrics.js';
import { AuditRecorder } from './access/audit.js';
import { AuditLog } from './access/audit-log.js';
import { ConsoleSessions } from './access/console-sessions.js';
import { parseJwtIssuers } from './access/jwt.js';
import { RateLimiter } from './access/rate-limit.js';
import { Agreements } from './hub/agreements.js';
import { Catalogue } from './hub/catalogue/catalogue.js';
import { type StoreCluster, clusterOf, openStore } from './store/open-store.js';

export interface RunningHub {
  /** The HTTP app (its type comes from api/: nothing outside it imports Fastify). */
  app: Awaited<ReturnType<typeof buildApp>>;
  hub: Hub;
  dispatcher: Dispatcher;
  /** AMQP: the shared delivery connections and the ingest consumers. */
  amqp: { pool: AmqpPool; ingest: AmqpIngest };
  url: string;
  /** Set when the admin key was generated on this start: show it once. */
  generatedAdminKey?: string;
  /** Graceful stop: close streams, finish in-flight publishes, close the store. */
  close(): Promise<void>;
}

export function createLogger(config: Config): Logger {
  return pino({
    level: config.logLevel,
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.secret', '*.key'], censor: '[redacted]' },
  });
}

/** Open the store, apply declared lists, and listen. */
export async function startHub(config: Config, logger: Logger = createLogger(config)): Promise<RunningHub> {
  const jwtIssuers = parseJwtIssuers(config.jwtIssuers); // before anything is opened: a bad issuer stops the start cleanly
  const store = openStore(config, logger);
  const metrics = new Metrics(() => store.sizeBytes());
  const audit = new AuditRecorder(store, config.auditRetentionDays, (error) => logger.error({ err: error }, 'could not write audit records'));
  // Each part gets the narrow store interface it needs; doors get none (they go through the hub).
  const catalogue = new Catalogue(store, (error) => logger.error({ err: error }, 'could not write the counts of event types seen'));
  const hub = new Hub(store, { onAppended: (list, n) => metrics.eventsPublished.inc({ list }, n), audit, catalogue });
  metrics.countPushedStreams(() => hub.pushedReaders);
  await hub.start();
  await catalogue.load();
  catalogue.start();
  const cluster = clusterOf(store);
  const access = new Access(store, { insecure: config.insecure, jwtIssuers, jwtMaxLifetimeSeconds: config.jwtMaxLifetimeSeconds, log: logger });
  const { generatedKey } = await access.bootstrap(config.adminKey);
  access.discoverWith((list) => catalogue.discoverable(list));
  let amqpIngest: DeclaredAmqpIngest[] = [];
  if (config.configFile) {
    const declared = await readDeclaredConfig(config.configFile);
    for (const list of declared.lists) await hub.putList(list);
    for (const c of declared.catalogues) await applyDeclaredCatalogue(catalogue, c);
    amqpIngest = declared.amqpIngest;
  }
  await ensureSystemList(hub);
  const egress = new EgressPolicy(parseCidrList(config.egressAllow));
  configurePools({ connections: config.webhookConnections, pipelining: config.webhookPipelining });
  const amqpName = `herold ${config.origin}`;
  const amqpPool = new AmqpPool({ policy: egress, connectionName: amqpName, log: logger });
  const dispatcher = new Dispatcher(hub, store, access, {
    egress,
    origin: config.origin,
    retry: { baseSeconds: 5, capSeconds: 3600, windowSeconds: config.retryWindowSeconds },
    disableAfterMs: config.disableAfterSeconds * 1000,
    sinkFactories: { AMQP: (record, spec) => amqpSink(record, spec, amqpPool) },
    leases: cluster?.leases,
    metrics,
    log: logger,
  });
  const subscriptions = new SubscriptionService(
    hub,
    store,
    access,
    dispatcher,
    sinkChecker(egress, config.origin, { AMQP: amqpSinkCheck(egress, { connectionName: amqpName }) }),
    new SubscriptionQuota(config.maxSubscriptionsPerPrincipal),
  );
  if (cluster) followCluster(cluster, hub, access, dispatcher, catalogue, logger);
  await dispatcher.start();
  const agreements = new Agreements(hub, access, store);
  const auditLog = new AuditLog(store, hub, access);
  const limits = { publish: new RateLimiter(config.publishRate, config.publishRate * 2), read: new RateLimiter(config.readRate, config.readRate * 2) };
  const consoleSessions = new ConsoleSessions(store, access);
  const app = await buildApp({ hub, access, config, metrics, logger, subscriptions, agreements, audit, auditLog, limits, catalogue, consoleSessions });
  const retention = async () => {
    for (const r of await hub.applyRetention()) logger.info(r, 'retention: deleted old events');
  };
  await retention();
  const retentionTimer = setInterval(() => retention().catch((error) => logger.error({ err: error }, 'retention failed')), 3_600_000);
  retentionTimer.unref();
  // Narrowed access is in force at once: streams close (clients reconnect under the new scope), subscriptions follow.
  access.on('change', (change) => {
    const closed = app.streams.closeWhere(change, 'Your access to this list changed; reconnect with Last-Event-ID to continue under your current access.');
    if (closed > 0) logger.info({ ...change, closed }, 'closed streams after an access change');
    dispatcher.onAccessChange(change).catch((error) => logger.error({ err: error }, 'could not apply an access change to subscriptions'));
  });
  await app.listen({ host: config.host, port: config.port });
  const ingest = startAmqpIngest(amqpIngest, {
    hub,
    authorize(principal, list) {
      const decision = access.decide(access.configuredPrincipal(principal), 'events.publish', list);
      return decision.allowed ? { allowed: true, sources: decision.scope.sources } : { allowed: false, detail: decision.detail };
    },
    maxEventBytes: config.maxEventBytes,
    maxBatchEvents: config.maxBatchEvents,
    log: logger,
    connectionName: amqpName,
  });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | null = null;
  return {
    app,
    hub,
    dispatcher,
    amqp: { pool: amqpPool, ingest },
    url: `http://${host}:${port}`,
    generatedAdminKey: generatedKey,
    close() {
      closing ??= (async () => {
        await ingest.stop();
        access.stop();
        await app.close();
        await dispatcher.stop();
        await amqpPool.close();
        await audit.stop();
        await catalogue.stop();
        await hub.stop();
      })();
      return closing;
    },
  };
}

/**
 * PostgreSQL cluster: what other nodes did reaches this one through the store.
 * Their commits move this node's list heads (the live bus wakes SSE readers
 * and subscription workers exactly as a local commit does); their changes to
 * roles and grants reload this node's access and close or restart what they
 * narrow; their changes to subscriptions restart the ones this node drives.
 */
function followCluster(cluster: StoreCluster, hub: Hub, access: Access, dispatcher: Dispatcher, catalogue: Catalogue, logger: Logger): void {
  // Per list, one after another: the new events go into the live tail once, then readers wake.
  const heads = new Map<string, Promise<void>>();
  cluster.link.on('heads', (pairs) => {
    for (const [list, head] of pairs) {
      const next = (heads.get(list) ?? Promise.resolve()).then(() => hub.remoteCommit(list, head));
      heads.set(list, next);
      void next.then(() => heads.get(list) === next && heads.delete(list));
    }
  });
  // Changes are applied in log order, one at a time.
  let applying: Promise<void> = Promise.resolve();
  let reloadedAt = 0;
  cluster.link.on('change', (change) => {
    applying = applying.then(async () => {
      try {
        // This node's own changes are already in force in memory; reloading for them could
        // overwrite a newer local change with a snapshot read just before it. But a reload for
        // another node's change that ran just now may have read a snapshot from before this
        // node's own change: then read again, now that it is committed.
        const ownAfterReload = change.kind === 'access' && change.own && Date.now() - reloadedAt < 2000;
        if ((change.kind === 'access' && !change.own) || change.kind === 'lost' || ownAfterReload) {
          await access.reload();
          reloadedAt = Date.now();
          // A list deleted on another node: this node's caches of it go too.
          if (!change.own && typeof change.payload.deletedList === 'string') hub.forgetList(change.payload.deletedList);
          const narrowed = change.kind === 'lost' ? {} : (change.payload.change as AccessChange | null);
          if (!change.own && narrowed) access.emit('change', narrowed);
        }
        if (change.kind === 'subscription' && !change.own) await dispatcher.remoteChange(String(change.payload.id));
        if ((change.kind === 'catalogue' && !change.own) || change.kind === 'lost') await catalogue.load();
        if (change.kind === 'lost') await dispatcher.remoteChangeAll();
      } catch (error) {
        logger.error({ err: error, change: change.n }, 'could not apply a change made on another node');
      }
    });
  });
}
