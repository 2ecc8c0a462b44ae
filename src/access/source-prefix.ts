/**
 * A publisher's source prefix, the one rule for every door (HTTP publish, AMQP
 * ingest): a prefix admits the source itself, or a source that continues it
 * after a boundary, `/`, `?`, `#` or `:` (the prefix may end with one, or the
 * source continue with one). `/folkeregister` admits `/folkeregister` and
 * `/folkeregister/x`, not `/folkeregisterEVIL`. The path past the prefix must
 * not climb out of it: `/hr/` does not admit `/hr/../finance` (nor `%2e%2e`,
 * which RFC 3986 treats as the same dot segment).
 */
const BOUNDARIES = '/?#:';

export function sourceWithinPrefix(source: string, prefix: string): boolean {
  if (!source.startsWith(prefix)) return false;
  if (source.length === prefix.length) return true;
  const atBoundary = prefix === '' || BOUNDARIES.includes(prefix[prefix.length - 1]) || BOUNDARIES.includes(source[prefix.length]);
  return atBoundary && !climbsOut(prefix, source.slice(prefix.length));
}

/** Whether any of the publisher's prefixes admits the source. */
export function sourceAllowed(source: string, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => sourceWithinPrefix(source, prefix));
}

/** The rule in words, for problems and dead-letter reasons. */
export function describePrefixes(prefixes: readonly string[]): string {
  return `${prefixes.map((p) => `'${p}'`).join(' or ')}, or continue it after a /, ?, # or : (no '..' segments)`;
}

/** A `..` segment in the path part of what follows the prefix (a query or fragment has no segments). */
function climbsOut(prefix: string, rest: string): boolean {
  if (prefix.includes('?') || prefix.includes('#')) return false;
  const path = rest.split(/[?#]/, 1)[0];
  return path.split('/').some((segment) => segment.length >= 2 && segment.replace(/%2e/gi, '.') === '..');
}
