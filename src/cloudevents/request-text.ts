/**
 * Keeping the request's own text of each event as its stored JSON, so that
 * the hot path does not parse an event and then serialise it again
 * (`JSON.stringify` was about a twentieth of a batched event's cost).
 *
 * The text is kept only where it is exactly what `JSON.stringify` makes of
 * the parsed event, so nothing downstream can tell the difference (stored
 * body, size limit, served text, idempotency). That holds when, inside the
 * event's text:
 * - there is no whitespace outside strings and no backslash in the whole
 *   request (no escapes to normalise; JSON.parse has already refused raw control
 *   characters, and UTF-8 decoding never yields a lone surrogate);
 * - every number is an integer of at most 15 digits and not `-0` (JSON.stringify
 *   writes those back unchanged; fractions and exponents may change);
 * - no key starts with a digit (V8 puts array-index keys first);
 * - no key appears twice in one object: the parsed event then has as many
 *   members, counted through every nested object, as the text has `:`
 *   outside strings.
 * Otherwise the caller stringifies that event as before.
 *
 * Memory: a kept text is a slice of the request's text (V8 shares the
 * characters), so the request's text lives as long as any of its events'
 * bodies. The live tail holds whole commits, so that is about the memory the
 * bodies took before; the ingest bench's peak RSS did not change.
 */

/** Where an event's text is in the request, and what the scan counted. */
interface Span {
  start: number;
  end: number;
  members: number;
  exact: boolean;
}

/**
 * The text of each event of a parsed body, or undefined where it must be
 * serialised: `batch` means the body is an array of events, else it is one
 * event. `events` are the parsed events, in order.
 */
export function requestTexts(text: string, events: readonly unknown[], batch: boolean): (string | undefined)[] {
  const out = new Array<string | undefined>(events.length);
  // An escape anywhere: serialise every event (rare, and the scan then needs no escape handling).
  if (text.includes('\\')) return out;
  const spans = scan(text, batch ? 1 : 0);
  const usable = spans.length === events.length;
  for (let i = 0; i < events.length; i++) {
    const s = spans[i];
    out[i] = usable && s.exact && s.members === countMembers(events[i]) ? text.slice(s.start, s.end) : undefined;
  }
  return out;
}

const QUOTE = 0x22;
const COLON = 0x3a;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

/** The objects at `depth` (0: the body itself; 1: the elements of an array body), in order. */
function scan(text: string, depth: number): Span[] {
  const spans: Span[] = [];
  let level = 0;
  let span: Span | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // No backslash in the text (checked above): the string ends at the next quote.
      const j = text.indexOf('"', i + 1);
      if (span && text.charCodeAt(j + 1) === COLON) {
        const first = text.charCodeAt(i + 1);
        if (first >= ZERO && first <= NINE) span.exact = false;
      }
      i = j;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (level === depth && c === 0x7b) span = { start: i, end: i, members: 0, exact: true };
      level++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      level--;
      if (level === depth && span) {
        span.end = i + 1;
        spans.push(span);
        span = undefined;
      }
    } else if (!span) {
      // Between events: whitespace and commas are not part of any event's text.
    } else if (c === COLON) {
      span.members++;
    } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
      let j = c === MINUS ? i + 1 : i;
      const first = j;
      while (j < text.length && text.charCodeAt(j) >= ZERO && text.charCodeAt(j) <= NINE) j++;
      const next = text.charCodeAt(j);
      const minusZero = c === MINUS && text.charCodeAt(first) === ZERO;
      if (minusZero || j - first > 15 || next === 0x2e /* . */ || next === 0x65 /* e */ || next === 0x45 /* E */) span.exact = false;
      i = j - 1;
    } else if (c === 0x74 /* true */ || c === 0x6e /* null */) {
      i += 3;
    } else if (c === 0x66 /* false */) {
      i += 4;
    } else if (c !== 0x2c /* , */) {
      // Whitespace (or anything else) inside an event: JSON.stringify would not write it.
      span.exact = false;
    }
  }
  return spans;
}

/** Members of every object in a parsed JSON value, however deep. */
function countMembers(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (const item of value) n += countMembers(item);
    return n;
  }
  for (const key in value) n += 1 + countMembers((value as Record<string, unknown>)[key]);
  return n;
}
