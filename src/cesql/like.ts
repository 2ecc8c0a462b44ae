/**
 * LIKE pattern matching (spec §3.4.3): `%` is any run of characters, `_` is
 * exactly one character, `\%` and `\_` are the literal characters; every
 * other character, a backslash before anything else included, matches
 * itself, case-sensitively. "Character" means Unicode code point.
 *
 * The pattern is compiled once. Matching anchors the part before the first
 * `%` and the part after the last one, then finds each part in between at
 * its leftmost position: no backtracking, so no pattern can make matching
 * exponential (a regular expression could).
 */

const ONE = -1; // `_`

interface Segment {
  /** Code points, ONE for `_`. */
  readonly cps: readonly number[];
  /** The segment as a string when it has no `_`. */
  readonly literal: string | null;
  /** Longest `_`-free run and its offset, to search with indexOf. */
  readonly anchor: string;
  readonly anchorOffset: number;
}

const SURROGATE = /[\uD800-\uDFFF]/;

function toCodePoints(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const cp = s.codePointAt(i)!;
    out.push(cp);
    if (cp > 0xffff) i++;
  }
  return out;
}

function fromCodePoints(cps: readonly number[]): string {
  let out = '';
  for (let i = 0; i < cps.length; i += 4096) out += String.fromCodePoint(...cps.slice(i, i + 4096));
  return out;
}

function segment(cps: number[]): Segment {
  let bestStart = 0;
  let bestLen = 0;
  let runStart = 0;
  for (let i = 0; i <= cps.length; i++) {
    if (i === cps.length || cps[i] === ONE) {
      if (i - runStart > bestLen) {
        bestLen = i - runStart;
        bestStart = runStart;
      }
      runStart = i + 1;
    }
  }
  const hasOne = cps.includes(ONE);
  return {
    cps,
    literal: hasOne ? null : fromCodePoints(cps),
    anchor: fromCodePoints(cps.slice(bestStart, bestStart + bestLen)),
    anchorOffset: bestStart,
  };
}

/** Splits a pattern at its unescaped `%` signs. */
function parsePattern(pattern: string): Segment[] {
  const parts: number[][] = [[]];
  const cps = toCodePoints(pattern);
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i]!;
    const current = parts[parts.length - 1]!;
    if (cp === 0x5c /* \ */ && (cps[i + 1] === 0x25 || cps[i + 1] === 0x5f)) {
      current.push(cps[++i]!);
    } else if (cp === 0x25 /* % */) {
      parts.push([]);
    } else if (cp === 0x5f /* _ */) {
      current.push(ONE);
    } else {
      current.push(cp);
    }
  }
  return parts.map(segment);
}

// ---- matching over UTF-16 code units (the subject has no surrogates) ------

function unitsAt(s: string, seg: Segment, at: number): boolean {
  const cps = seg.cps;
  for (let j = 0; j < cps.length; j++) {
    const p = cps[j]!;
    if (p !== ONE && s.charCodeAt(at + j) !== p) return false;
  }
  return true;
}

function unitsFind(s: string, seg: Segment, from: number, limit: number): number {
  const len = seg.cps.length;
  if (seg.literal !== null) {
    const at = s.indexOf(seg.literal, from);
    return at >= 0 && at + len <= limit ? at : -1;
  }
  const { anchor, anchorOffset } = seg;
  let start = from;
  while (start + len <= limit) {
    if (anchor.length > 0) {
      const hit = s.indexOf(anchor, start + anchorOffset);
      if (hit < 0) return -1;
      start = hit - anchorOffset;
      if (start + len > limit) return -1;
    }
    if (unitsAt(s, seg, start)) return start;
    start++;
  }
  return -1;
}

// ---- matching over code points (the subject has surrogates) --------------

function pointsAt(s: number[], seg: Segment, at: number): boolean {
  const cps = seg.cps;
  for (let j = 0; j < cps.length; j++) {
    const p = cps[j]!;
    if (p !== ONE && s[at + j] !== p) return false;
  }
  return true;
}

function pointsFind(s: number[], seg: Segment, from: number, limit: number): number {
  const len = seg.cps.length;
  for (let start = from; start + len <= limit; start++) {
    if (pointsAt(s, seg, start)) return start;
  }
  return -1;
}

function matchSegments(subject: string, segs: readonly Segment[]): boolean {
  const first = segs[0]!;
  const last = segs[segs.length - 1]!;
  if (!SURROGATE.test(subject)) {
    const n = subject.length;
    if (segs.length === 1) return n === first.cps.length && unitsAt(subject, first, 0);
    const tail = n - last.cps.length;
    if (first.cps.length > tail) return false;
    if (!unitsAt(subject, first, 0) || !unitsAt(subject, last, tail)) return false;
    let pos = first.cps.length;
    for (let k = 1; k < segs.length - 1; k++) {
      const seg = segs[k]!;
      if (seg.cps.length === 0) continue;
      const at = unitsFind(subject, seg, pos, tail);
      if (at < 0) return false;
      pos = at + seg.cps.length;
    }
    return true;
  }
  const s = toCodePoints(subject);
  const n = s.length;
  if (segs.length === 1) return n === first.cps.length && pointsAt(s, first, 0);
  const tail = n - last.cps.length;
  if (first.cps.length > tail) return false;
  if (!pointsAt(s, first, 0) || !pointsAt(s, last, tail)) return false;
  let pos = first.cps.length;
  for (let k = 1; k < segs.length - 1; k++) {
    const seg = segs[k]!;
    if (seg.cps.length === 0) continue;
    const at = pointsFind(s, seg, pos, tail);
    if (at < 0) return false;
    pos = at + seg.cps.length;
  }
  return true;
}

/** Compiles a LIKE pattern into a matcher for subject strings. */
export function compileLike(pattern: string): (subject: string) => boolean {
  const segs = parsePattern(pattern);
  const first = segs[0]!;
  const last = segs[segs.length - 1]!;
  const inner = segs.slice(1, -1).filter((s) => s.cps.length > 0);
  const literalOnly = segs.every((s) => s.literal !== null);
  // Fast paths for the shapes the Subscriptions API dialects translate to.
  if (literalOnly) {
    if (segs.length === 1) {
      const lit = first.literal!;
      return (s) => s === lit;
    }
    if (inner.length === 0) {
      const head = first.literal!;
      const tailLit = last.literal!;
      if (tailLit === '') return (s) => s.startsWith(head);
      if (head === '') return (s) => s.endsWith(tailLit);
      const min = head.length + tailLit.length;
      return (s) => s.length >= min && s.startsWith(head) && s.endsWith(tailLit);
    }
    if (inner.length === 1 && first.cps.length === 0 && last.cps.length === 0) {
      const mid = inner[0]!.literal!;
      return (s) => s.includes(mid);
    }
  }
  return (s) => matchSegments(s, segs);
}
