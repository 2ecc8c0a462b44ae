import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { EventWriter } from './event-writer.js';
import { type WriterCalls, type WriterReply, type WriterRequest, type WriterThreadOptions, unpackGroup } from './writer-thread.js';

/**
 * The writer thread (see writer-thread.ts): one connection to the store's
 * database file, the EventWriter on it, and one reply per request, sent after
 * the request's transaction committed. The main thread ran the migrations
 * before starting it.
 */
const options = workerData as WriterThreadOptions;
const db = new Database(options.file);
db.pragma('journal_mode = WAL');
db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
db.pragma(`cache_size = -${Math.round(options.cacheMiB * 1024)}`);
db.pragma('temp_store = MEMORY');
db.pragma('busy_timeout = 5000');
const writer = new EventWriter(db);

const handlers: { [Op in keyof WriterCalls]: (...args: WriterCalls[Op]) => unknown } = {
  open: () => writer.open(),
  append: (group) => writer.appendGroup(unpackGroup(group)),
  import: (list, events) => writer.importEvents(list, events),
  trim: (listId, seq) => writer.trimThrough(listId, seq),
  delete: (name) => writer.deleteList(name),
  subjectHead: (listId, subject) => writer.subjectHead(listId, subject),
  close: async () => {
    await writer.close();
    db.close();
  },
};

parentPort!.on('message', async ({ id, op, args }: WriterRequest) => {
  let reply: WriterReply;
  try {
    const handler = handlers[op] as (...a: unknown[]) => unknown;
    reply = { id, value: await handler(...args) };
  } catch (e) {
    const error = e as Error & { code?: unknown };
    reply = { id, error: { message: error.message, code: typeof error.code === 'string' ? error.code : undefined } };
  }
  parentPort!.postMessage(reply);
});
