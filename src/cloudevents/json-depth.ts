/**
 * How deep JSON may nest. `JSON.parse` copes with any depth, but everything
 * after it that walks a value recursively (`JSON.stringify` for the size
 * check and the stored body, idempotency equality, filters, consumers in
 * other languages) overflows its stack somewhere around ten thousand levels.
 * So the hub bounds depth once, right after parsing, with one limit: `data`
 * (counted from `data` itself) and every JSON request body (counted from the
 * top) may nest at most this many arrays and objects.
 */
import { escapePointerToken } from './pointer.js';

export const MAX_JSON_DEPTH = 64;

/**
 * Undefined when `value` nests at most `max` arrays and objects deep (a
 * scalar is depth 0, `{}` and `[]` depth 1); otherwise the RFC 6901 pointer,
 * relative to `value`, of the first array or object that is one too deep.
 * The walk stops descending at `max`, so it never recurses deeper than that.
 */
export function tooDeepAt(value: unknown, max: number = MAX_JSON_DEPTH): string | undefined {
  return walk(value, max);
}

function walk(value: unknown, left: number): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (left === 0) return '';
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const at = walk(value[i], left - 1);
      if (at !== undefined) return `/${i}${at}`;
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    const at = walk((value as Record<string, unknown>)[key], left - 1);
    if (at !== undefined) return `/${escapePointerToken(key)}${at}`;
  }
  return undefined;
}

/** The message for a value nested too deep, naming the limit. */
export function tooDeepMessage(what: string): string {
  return `${what} nests more than ${MAX_JSON_DEPTH} levels of arrays and objects, the most Herold accepts`;
}
