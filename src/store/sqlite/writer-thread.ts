import { Worker } from 'node:worker_threads';
import type { AppendRequest, StoredEvent } from '../types.js';
import type { EventWriter, GroupCommit, ListHead } from './event-writer.js';

/**
 * How the SQLite store reaches its event writer (event-writer.ts): in a
 * worker thread with its own connection (WorkerWriter), so that the group
 * transaction, the index flush and the fsync run on the second core while the
 * main thread parses, validates and answers; or in the same thread on the
 * store's connection (LocalWriter), for ':memory:' databases, which a second
 * connection cannot open.
 */
export interface WriterPort {
  open(): Promise<void>;
  appendGroup(requests: AppendRequest[]): Promise<GroupCommit>;
  importEvents(list: string, events: StoredEvent[]): Promise<ListHead>;
  trimThrough(listId: number, seq: number): Promise<number>;
  deleteList(name: string): Promise<boolean>;
  subjectHead(listId: number, subject: string): Promise<number | undefined>;
  /** Flush the index overlay and stop; nothing is accepted afterwards. */
  close(): Promise<void>;
  /** False once the writer stopped (closed, or its thread died). */
  readonly alive: boolean;
}

export class LocalWriter implements WriterPort {
  alive = true;
  constructor(private readonly writer: EventWriter) {}
  async open() {
    this.writer.open();
  }
  async appendGroup(requests: AppendRequest[]) {
    return this.writer.appendGroup(requests);
  }
  async importEvents(list: string, events: StoredEvent[]) {
    return this.writer.importEvents(list, events);
  }
  async trimThrough(listId: number, seq: number) {
    return this.writer.trimThrough(listId, seq);
  }
  deleteList(name: string) {
    return this.writer.deleteList(name);
  }
  async subjectHead(listId: number, subject: string) {
    return this.writer.subjectHead(listId, subject);
  }
  async close() {
    this.alive = false;
    await this.writer.close();
  }
}

/** Where the writer thread opens the database (the worker's workerData). */
export interface WriterThreadOptions {
  file: string;
  synchronous: 'full' | 'normal';
  cacheMiB: number;
}

/**
 * A group's requests as columns: one message per group commit, and fewer
 * objects for the structured clone to walk than one per event.
 */
export interface PackedGroup {
  lists: string[];
  /** Events per request. */
  counts: number[];
  source: string[];
  id: string[];
  type: string[];
  subject: (string | null)[];
  body: string[];
}

export function packGroup(requests: AppendRequest[]): PackedGroup {
  const g: PackedGroup = { lists: [], counts: [], source: [], id: [], type: [], subject: [], body: [] };
  for (const r of requests) {
    g.lists.push(r.list);
    g.counts.push(r.events.length);
    for (const e of r.events) {
      g.source.push(e.source);
      g.id.push(e.id);
      g.type.push(e.type);
      g.subject.push(e.subject);
      g.body.push(e.body);
    }
  }
  return g;
}

export function unpackGroup(g: PackedGroup): AppendRequest[] {
  const requests: AppendRequest[] = [];
  let at = 0;
  for (let r = 0; r < g.lists.length; r++) {
    const events = [];
    for (const end = at + g.counts[r]; at < end; at++) {
      events.push({ source: g.source[at], id: g.id[at], type: g.type[at], subject: g.subject[at], body: g.body[at] });
    }
    requests.push({ list: g.lists[r], events });
  }
  return requests;
}

/** The operations the writer thread answers, with their arguments (writer-worker.ts). */
export interface WriterCalls {
  open: [];
  append: [PackedGroup];
  import: [string, StoredEvent[]];
  trim: [number, number];
  delete: [string];
  subjectHead: [number, string];
  close: [];
}

export interface WriterRequest {
  id: number;
  op: keyof WriterCalls;
  args: unknown[];
}

export type WriterReply = { id: number; value: unknown } | { id: number; error: { message: string; code?: string } };

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * The main thread's side of the writer thread. Each call is one message and
 * one reply; a reply comes only after the writer's transaction committed, so a
 * publish is acknowledged only for durable events. If the thread dies, every
 * pending and later call fails with an error the API answers with 503
 * (nothing was acknowledged that the thread had not committed).
 */
export class WorkerWriter implements WriterPort {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | null = null;
  private closed = false;

  constructor(options: WriterThreadOptions) {
    this.worker = import.meta.url.endsWith('.ts')
      ? // Run from the sources (the tests): the worker is TypeScript, loaded through tsx (a dev dependency).
        new Worker(
          `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})` +
            `.then(({ tsImport }) => tsImport(${JSON.stringify(new URL('./writer-worker.ts', import.meta.url).href)}, ${JSON.stringify(import.meta.url)}))`,
          { eval: true, workerData: options },
        )
      : new Worker(new URL('./writer-worker.js', import.meta.url), { workerData: options });
    this.worker.unref();
    this.worker.on('message', (reply: WriterReply) => this.settle(reply));
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`it exited with code ${code}`)));
  }

  get alive(): boolean {
    return !this.failure && !this.closed;
  }

  open() {
    return this.call('open') as Promise<void>;
  }
  appendGroup(requests: AppendRequest[]) {
    return this.call('append', packGroup(requests)) as Promise<GroupCommit>;
  }
  importEvents(list: string, events: StoredEvent[]) {
    return this.call('import', list, events) as Promise<ListHead>;
  }
  trimThrough(listId: number, seq: number) {
    return this.call('trim', listId, seq) as Promise<number>;
  }
  deleteList(name: string) {
    return this.call('delete', name) as Promise<boolean>;
  }
  subjectHead(listId: number, subject: string) {
    return this.call('subjectHead', listId, subject) as Promise<number | undefined>;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (!this.failure) await this.call('close');
    } finally {
      this.closed = true;
      await this.worker.terminate();
    }
  }

  private call<Op extends keyof WriterCalls>(op: Op, ...args: WriterCalls[Op]): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(unavailable('the store is closed'));
    const id = this.nextId++;
    // Referenced only while a call waits, so an idle store does not keep the process alive.
    if (this.pending.size === 0) this.worker.ref();
    const message: WriterRequest = { id, op, args };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(message);
    });
  }

  private settle(reply: WriterReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if ('error' in reply) p.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
    else p.resolve(reply.value);
  }

  private fail(cause: Error): void {
    if (this.failure || this.closed) return;
    this.failure = unavailable(`the database writer thread stopped: ${cause.message}`);
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }
}

/** An error the API answers with 503 (its message names the database). */
function unavailable(message: string): Error {
  return Object.assign(new Error(message), { code: 'HEROLD_STORE_UNAVAILABLE' });
}
