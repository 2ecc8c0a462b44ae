import type { ServedEvent } from '../types.js';
import type { CursorStore } from './types.js';

/** Positions in memory: for tests and for consumers that start from the head each time. */
export class MemoryCursorStore implements CursorStore {
  readonly positions = new Map<string, string>();
  readonly parked: { name: string; event: ServedEvent; error: unknown }[] = [];

  async load(name: string): Promise<string | undefined> {
    return this.positions.get(name);
  }

  async save(name: string, seq: string): Promise<void> {
    this.positions.set(name, seq);
  }

  async park(name: string, event: ServedEvent, error: unknown): Promise<void> {
    this.parked.push({ name, event, error });
  }
}
