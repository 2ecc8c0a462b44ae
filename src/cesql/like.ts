/**
 * LIKE pattern matching (spec §3.4.3): `%` is any run of characters, `_` is
 * exactly one character, `\%` and `\_` are the literal characters; every
 * other character, a backslash before anything else included, matches
 * itself, case-sensitively. "Character" means Unicode code point.
 *
 * The pattern is compiled once. Matching anchors the part before the first
 * `%` and the part after the last one, then finds each part in between at
 * its leftmost position: no backtracking, so no pattern can make matching
 * exponential (a regular expression could). A part without `_` is found with
 * indexOf, in time linear in the subject; a part with `_` is tried at each
 * candidate position, which costs up to its length per position. That work
 * is charged to the evaluation budget (budget.ts) as it is done, so a long
 * subject and a long `_` part end in an evaluation error, not a stall.
 */
import { charge } from './budget.js';
import type { Ctx } from './values.js';

/** Matches `subject`; charges `ctx` for the work and returns false with an error raised when it runs out. */
export type LikeMatcher = (subject: string, ctx: Ctx, pos: number) => boolean;

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

/**
 * Budget units of trying one candidate position of a part with `_`, besides
 * the characters compared: the indexOf call that finds it costs about as much
 * as scanning this many characters (measured), so that a unit of LIKE work
 * takes about as long as a unit of string building.
 */
const CANDIDATE_UNITS = 16;

/** How many characters of `seg` match `s` from `at` (the segment's length when all do). */
function unitsMatched(s: string, seg: Segment, at: number): number {
  const cps = seg.cps;
  for (let j = 0; j < cps.length; j++) {
    const p = cps[j]!;
    if (p !== ONE && s.charCodeAt(at + j) !== p) return j;
  }
  return cps.length;
}

function unitsAt(s: string, seg: Segment, at: number): boolean {
  return unitsMatched(s, seg, at) === seg.cps.length;
}

/** Leftmost position in [from, limit) where `seg` matches; -1 when none; OUT_OF_BUDGET when the budget ran out. */
function unitsFind(s: string, seg: Segment, from: number, limit: number, ctx: Ctx, pos: number): number {
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
    const matched = unitsMatched(s, seg, start);
    if (matched === len) return start;
    if (!charge(ctx, CANDIDATE_UNITS + matched + anchor.length, 'LIKE', pos)) return OUT_OF_BUDGET;
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

function pointsFind(s: number[], seg: Segment, from: number, limit: number, ctx: Ctx, pos: number): number {
  const len = seg.cps.length;
  for (let start = from; start + len <= limit; start++) {
    if (pointsAt(s, seg, start)) return start;
    // Charged as if the whole segment was compared: rare (a subject with surrogates) and simpler.
    if (!charge(ctx, CANDIDATE_UNITS + len, 'LIKE', pos)) return OUT_OF_BUDGET;
  }
  return -1;
}

const OUT_OF_BUDGET = -2;

function matchSegments(subject: string, segs: readonly Segment[], ctx: Ctx, pos: number): boolean {
  const first = segs[0]!;
  const last = segs[segs.length - 1]!;
  // Scanning the subject (for surrogates, with indexOf): one unit per character.
  if (!charge(ctx, subject.length, 'LIKE', pos)) return false;
  if (!SURROGATE.test(subject)) {
    const n = subject.length;
    if (segs.length === 1) return n === first.cps.length && unitsAt(subject, first, 0);
    const tail = n - last.cps.length;
    if (first.cps.length > tail) return false;
    if (!unitsAt(subject, first, 0) || !unitsAt(subject, last, tail)) return false;
    let from = first.cps.length;
    for (let k = 1; k < segs.length - 1; k++) {
      const seg = segs[k]!;
      if (seg.cps.length === 0) continue;
      const at = unitsFind(subject, seg, from, tail, ctx, pos);
      if (at < 0) return false;
      from = at + seg.cps.length;
    }
    return true;
  }
  const s = toCodePoints(subject);
  const n = s.length;
  if (segs.length === 1) return n === first.cps.length && pointsAt(s, first, 0);
  const tail = n - last.cps.length;
  if (first.cps.length > tail) return false;
  if (!pointsAt(s, first, 0) || !pointsAt(s, last, tail)) return false;
  let from = first.cps.length;
  for (let k = 1; k < segs.length - 1; k++) {
    const seg = segs[k]!;
    if (seg.cps.length === 0) continue;
    const at = pointsFind(s, seg, from, tail, ctx, pos);
    if (at < 0) return false;
    from = at + seg.cps.length;
  }
  return true;
}

export interface CompiledLike {
  readonly match: LikeMatcher;
  /** Upper bound of the budget units one character of the subject costs (for the compile-time budget). */
  readonly unitsPerCharacter: number;
}

/** Compiles a LIKE pattern into a matcher for subject strings. */
export function compileLike(pattern: string): CompiledLike {
  const segs = parsePattern(pattern);
  const first = segs[0]!;
  const last = segs[segs.length - 1]!;
  const inner = segs.slice(1, -1).filter((s) => s.cps.length > 0);
  const literalOnly = segs.every((s) => s.literal !== null);
  // Fast paths for the shapes the Subscriptions API dialects translate to: they cost
  // nothing per character (equality, prefix, suffix) or one scan (contains).
  if (literalOnly) {
    if (segs.length === 1) {
      const lit = first.literal!;
      return { match: (s) => s === lit, unitsPerCharacter: 0 };
    }
    if (inner.length === 0) {
      const head = first.literal!;
      const tailLit = last.literal!;
      if (tailLit === '') return { match: (s) => s.startsWith(head), unitsPerCharacter: 0 };
      if (head === '') return { match: (s) => s.endsWith(tailLit), unitsPerCharacter: 0 };
      const min = head.length + tailLit.length;
      return { match: (s) => s.length >= min && s.startsWith(head) && s.endsWith(tailLit), unitsPerCharacter: 0 };
    }
    if (inner.length === 1 && first.cps.length === 0 && last.cps.length === 0) {
      const mid = inner[0]!.literal!;
      return { match: (s, ctx, pos) => charge(ctx, s.length, 'LIKE', pos) && s.includes(mid), unitsPerCharacter: 1 };
    }
  }
  // The inner parts search consecutive stretches of the subject, so a character is tried
  // by one part at most: the scan plus that part's cost per candidate position.
  let perCandidate = 0;
  for (const seg of inner) if (seg.literal === null) perCandidate = Math.max(perCandidate, CANDIDATE_UNITS + seg.cps.length + seg.anchor.length);
  return { match: (s, ctx, pos) => matchSegments(s, segs, ctx, pos), unitsPerCharacter: 1 + perCandidate };
}
