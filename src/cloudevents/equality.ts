/**
 * Whether two stored event bodies carry the same event. Used by idempotent
 * ingest: a republish is a duplicate only if its content is the same, whatever
 * the order of its attributes or the HTTP mode it came in.
 */
export function sameEventContent(a: string, b: string): boolean {
  if (a === b) return true;
  return deepEqual(JSON.parse(a), JSON.parse(b));
}

function deepEqual(x: unknown, y: unknown): boolean {
  if (x === y) return true;
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
  if (Array.isArray(x) !== Array.isArray(y)) return false;
  if (Array.isArray(x)) {
    const ya = y as unknown[];
    return x.length === ya.length && x.every((v, i) => deepEqual(v, ya[i]));
  }
  const xo = x as Record<string, unknown>;
  const yo = y as Record<string, unknown>;
  const xk = Object.keys(xo);
  if (xk.length !== Object.keys(yo).length) return false;
  return xk.every((k) => Object.prototype.hasOwnProperty.call(yo, k) && deepEqual(xo[k], yo[k]));
}
