import { join } from 'node:path';
import { PostgresStore } from '../../store/postgres/pg-store.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import type { EventStore, StoredEvent } from '../../store/types.js';

/** Where a hub keeps its data: a data directory (SQLite) or a postgres:// URL. */
export type Location = { kind: 'sqlite'; dataDir: string } | { kind: 'postgres'; url: string };

export function parseLocation(value: string): Location {
  if (/^postgres(ql)?:\/\//.test(value)) return { kind: 'postgres', url: value };
  return { kind: 'sqlite', dataDir: value };
}

export function describeLocation(loc: Location): string {
  if (loc.kind === 'sqlite') return `SQLite in ${loc.dataDir}`;
  const u = new URL(loc.url);
  if (u.password) u.password = '***';
  return `PostgreSQL ${u.toString()}`;
}

export function openLocation(loc: Location): EventStore {
  if (loc.kind === 'postgres') return new PostgresStore({ url: loc.url });
  // Durable writes for a migration: every commit fsynced.
  return new SqliteStore({ file: join(loc.dataDir, 'herold.db'), synchronous: 'full' });
}

/** An event as it travels in an export: the stored body, and the hub's metadata beside it. */
export interface ExportedEvent extends StoredEvent {
  list: string;
}
