import { type Config, sqliteFile } from '../config.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { EventStore } from './types.js';

/** The store a configuration asks for: embedded SQLite unless a PostgreSQL URL is set. */
export function openStore(config: Config): EventStore {
  if (config.databaseUrl) {
    throw new Error('HEROLD_DATABASE_URL is set, but this build has no PostgreSQL store yet. Unset it to use the embedded SQLite store.');
  }
  return new SqliteStore({ file: sqliteFile(config), synchronous: config.sync });
}
