import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ServedEvent } from '../types.js';
import { type CursorStore, describeError } from './types.js';

/**
 * Positions in one JSON file, `{"positions": {"<name>": "<seq>"}}`. A save
 * writes a temporary file, fsyncs it, renames it over the old one and fsyncs
 * the directory: after a crash the file holds the old or the new positions,
 * never a torn mix. Parked events are appended to `<path>.parked.ndjson`.
 */
export class FileCursorStore implements CursorStore {
  private positions: Record<string, string> | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {
    if (!path) throw new TypeError('FileCursorStore needs a file path');
  }

  private async read(): Promise<Record<string, string>> {
    if (this.positions) return this.positions;
    try {
      const parsed = JSON.parse(await readFile(this.path, 'utf8')) as { positions?: Record<string, string> };
      this.positions = { ...parsed.positions };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(`FileCursorStore: cannot read ${this.path}: ${(error as Error).message}. Fix or remove the file (removing it starts from the beginning).`);
      }
      this.positions = {};
    }
    return this.positions;
  }

  async load(name: string): Promise<string | undefined> {
    return (await this.read())[name];
  }

  save(name: string, seq: string): Promise<void> {
    // Saves are serialised: each writes every position, so the last one wins whole.
    const next = this.chain.catch(() => undefined).then(async () => {
      const positions = { ...(await this.read()), [name]: seq };
      const tmp = `${this.path}.${process.pid}.tmp`;
      const file = await open(tmp, 'w');
      try {
        await file.writeFile(JSON.stringify({ positions }) + '\n');
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(tmp, this.path);
      await fsyncDir(dirname(this.path));
      this.positions = positions;
    });
    this.chain = next;
    return next;
  }

  async park(name: string, event: ServedEvent, error: unknown): Promise<void> {
    const file = await open(`${this.path}.parked.ndjson`, 'a');
    try {
      await file.writeFile(JSON.stringify({ name, at: new Date().toISOString(), error: describeError(error), event }) + '\n');
      await file.sync();
    } finally {
      await file.close();
    }
  }
}

/** Make a rename durable: fsync the directory that holds the file (a no-op where directories cannot be opened). */
async function fsyncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows cannot open directories; its rename is durable once the file is flushed.
  } finally {
    await handle?.close();
  }
}
