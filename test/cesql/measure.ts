/**
 * Time and retained memory of one piece of work, for tests that bound what a
 * hostile input may cost. The garbage collector is reached through V8's flag
 * so that "retained" means what survives a full collection, not garbage.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

export interface Cost<T> {
  result: T | undefined;
  error: unknown;
  ms: number;
  /** Heap bytes still held after the work, with its result kept alive. */
  retainedBytes: number;
}

/** Runs `work` once, catching what it throws, and reports its wall time and retained heap. */
export function measure<T>(work: () => T): Cost<T> {
  collect();
  const before = process.memoryUsage().heapUsed;
  const started = performance.now();
  let result: T | undefined;
  let error: unknown;
  try {
    result = work();
  } catch (e) {
    error = e;
  }
  const ms = performance.now() - started;
  collect();
  const retainedBytes = process.memoryUsage().heapUsed - before;
  return { result, error, ms, retainedBytes };
}

export const MB = 1024 * 1024;
