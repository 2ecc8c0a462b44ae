import type pg from 'pg';
import { isUnavailable, wrapError } from './connection.js';

/** Queries and transactions on the pool, with connection failures turned into DatabaseUnavailableError. */
export class Db {
  constructor(readonly pool: pg.Pool) {}

  async query<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[], name?: string): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(name ? { name, text, values } : { text, values });
    } catch (error) {
      throw wrapError(error);
    }
  }

  async rows<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[], name?: string): Promise<R[]> {
    return (await this.query<R>(text, values, name)).rows;
  }

  /** Run `fn` on one connection, each statement in its own transaction. */
  async withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw wrapError(error);
    }
    let broken: Error | undefined;
    const onError = (error: Error) => (broken = error);
    client.on('error', onError);
    try {
      return await fn(client);
    } catch (error) {
      if (isUnavailable(error)) broken = error as Error;
      throw wrapError(error);
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  /** Run `fn` in one transaction on one connection; roll back on any error. */
  async tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw wrapError(error);
    }
    let broken: Error | undefined;
    // A connection that dies between two statements emits 'error' on the client: without a
    // listener that would end the process. The failing statement reports it instead.
    const onError = (error: Error) => (broken = error);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      if (isUnavailable(error)) broken = error as Error;
      else await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw wrapError(error);
    } finally {
      // A connection that failed mid-transaction is not given back to the pool.
      client.off('error', onError);
      client.release(broken);
    }
  }
}
