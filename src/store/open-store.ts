import { type Config, sqliteFile } from '../config.js';
import type { ClusterLink, ClusterLog } from './postgres/cluster.js';
import type { LeaseHandlers } from './postgres/leases.js';
import { PostgresStore } from './postgres/pg-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { EventStore } from './types.js';

/** The store a configuration asks for: embedded SQLite unless a PostgreSQL URL is set. */
export function openStore(config: Config, log?: ClusterLog): EventStore {
  if (config.databaseUrl) return new PostgresStore({ url: config.databaseUrl, log });
  return new SqliteStore({ file: sqliteFile(config), synchronous: config.sync, writer: config.sqliteWriter });
}

/**
 * What a shared store offers a node beyond the EventStore interface: the other
 * nodes' commits and changes, and leases on subscriptions. Undefined for the
 * embedded store (one process; nothing to coordinate). Call after open().
 */
export interface StoreCluster {
  nodeId: string;
  link: ClusterLink;
  leases: {
    start(handlers: LeaseHandlers): Promise<void>;
    stop(): Promise<void>;
    holds(id: string): boolean;
    claim(id: string): Promise<boolean>;
    release(id: string): Promise<void>;
    poke(id: string): Promise<void>;
  };
}

export function clusterOf(store: EventStore): StoreCluster | undefined {
  if (!(store instanceof PostgresStore)) return undefined;
  return { nodeId: store.nodeId, link: store.cluster, leases: store.subscriptionLeases };
}
