import type { ServedEvent } from '../types.js';

/**
 * Where a consumer keeps its position: the last sequence number whose event
 * is done. Implement these two methods to keep it anywhere else.
 */
export interface CursorStore {
  /** The saved position of consumer `name`, or undefined when it has none yet. */
  load(name: string): Promise<string | undefined>;
  /** Save the position; must be durable when it resolves. */
  save(name: string, seq: string): Promise<void>;
  /** Keep an event the handler failed on (onFailure: 'park'); optional. */
  park?(name: string, event: ServedEvent, error: unknown): Promise<void>;
  close?(): Promise<void>;
}

/** A store that saves the position inside the handler's own transaction. */
export interface TransactionalCursorStore<Tx> extends CursorStore {
  /** Run `work` in a transaction that also saves `seq` as the position of `name`; both commit or neither does. */
  transaction<T>(name: string, seq: string, work: (tx: Tx) => Promise<T>): Promise<T>;
}

export function isTransactional<Tx>(store: CursorStore): store is TransactionalCursorStore<Tx> {
  return typeof (store as Partial<TransactionalCursorStore<Tx>>).transaction === 'function';
}

/** What a parked event records about the failure. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
