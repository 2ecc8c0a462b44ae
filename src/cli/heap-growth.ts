import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what survived the last full
 * GC before it collects again, in percent. V8's own factor (up to 4x while a
 * program allocates fast) let a hub whose live heap is ~70 MiB sit at 260 MiB
 * of heap during batched ingest: the events of a group live until its commit,
 * get promoted, and die there. 30 % kept the heap near 120 MiB in the ingest
 * benchmark (docs/benchmarks.md, issue 15). V8 reads this flag at each limit
 * computation, so setting it at start-up takes effect.
 */
const HEAP_GROWING_PERCENT = 30;

/**
 * Bound heap growth unless the operator chose their own heap flags (NODE_OPTIONS or node arguments).
 * Returns whether it did.
 */
export function boundHeapGrowth(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): boolean {
  const chosen = [...execArgv, nodeOptions].join(' ');
  if (/--heap[-_]growing[-_]percent|--max[-_]old[-_]space[-_]size|--max[-_]heap[-_]size/.test(chosen)) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
