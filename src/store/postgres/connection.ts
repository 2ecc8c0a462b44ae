import pg from 'pg';

/**
 * Connection settings from a postgres:// URL. Besides everything libpq-style
 * URLs carry (user, password, host, port, database, sslmode, application_name,
 * `options=-c search_path=...`), Herold reads two parameters of its own and
 * removes them before connecting:
 *   pool_max      connections per node (default 10)
 *   lease_seconds how long a node's subscription leases last (default 15)
 */
export interface PgSettings {
  connectionString: string;
  poolMax: number;
  leaseSeconds: number;
}

export function parsePgUrl(url: string): PgSettings {
  const u = new URL(url);
  const take = (name: string, fallback: number, min: number, max: number): number => {
    const raw = u.searchParams.get(name) ?? process.env[`HEROLD_PG_${name.toUpperCase()}`];
    u.searchParams.delete(name);
    if (raw === undefined || raw === null || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`PostgreSQL URL: ${name} must be an integer from ${min} to ${max}, got '${raw}'.`);
    return n;
  };
  const poolMax = take('pool_max', 10, 2, 1000);
  const leaseSeconds = take('lease_seconds', 15, 2, 3600);
  if (!u.searchParams.has('application_name')) u.searchParams.set('application_name', 'herold');
  return { connectionString: u.toString(), poolMax, leaseSeconds };
}

/** int8 as a JS number (seqs and epoch ms fit in 2^53); everything else as pg parses it. */
export const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (v: string) => Number(v);
    return (pg.types.getTypeParser as (oid: number, format?: string) => unknown)(oid, format);
  },
} as unknown as pg.CustomTypesConfig;

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN', '57P01', '57P02', '57P03', '53300', '08000', '08003', '08006', '08001', '08004']);

/** Whether an error means "the database cannot be reached right now" (as opposed to a bad statement). */
export function isUnavailable(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | null;
  if (!e) return false;
  if (e.code && (UNAVAILABLE_CODES.has(e.code) || e.code.startsWith('08'))) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable|Connection ended/i.test(e.message ?? '');
}

/** The database cannot be reached: the API answers 503 and nothing was stored. */
export class DatabaseUnavailableError extends Error {
  readonly code = 'ECONNREFUSED';
  constructor(cause: unknown) {
    super(`PostgreSQL database unavailable: ${(cause as Error)?.message ?? String(cause)}`);
    this.cause = cause;
  }
}

export function wrapError(error: unknown): unknown {
  return isUnavailable(error) && !(error instanceof DatabaseUnavailableError) ? new DatabaseUnavailableError(error) : error;
}

/** A text-array literal's elements as pg sends them: bigint keys travel as decimal strings. */
export const str = (v: bigint | number): string => v.toString();
