/**
 * CESQL v1 lexer (spec §2). Produces the whole token list up front; the
 * expression length is bounded by the parser before lexing.
 */
import { CesqlParseError } from './errors.js';

export type TokenKind =
  | 'integer' // run of ASCII digits; `text` holds the digits
  | 'string' // quoted string literal; `value` holds the unescaped contents
  | 'word' // keyword, identifier or function name: [A-Za-z0-9_]+ that is not all digits
  | 'op' // = != <> < <= > >= + - * / %
  | '('
  | ')'
  | ','
  | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** Source text of the token (for `eof`, the empty string). */
  readonly text: string;
  /** For strings, the unescaped value; otherwise equal to `text`. */
  readonly value: string;
  readonly pos: number;
}

function isWordChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x5f // _
  );
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}

/** Renders one source character for an error message, making invisible ones visible. */
export function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp >= 0x21 && cp <= 0x7e) return `'${ch}'`;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  if (/[\p{C}\p{Z}]/u.test(ch)) return hex;
  return `'${ch}' (${hex})`;
}

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  const n = src.length;
  let i = 0;
  while (i < n) {
    const c = src.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    if (isWordChar(c)) {
      let allDigits = true;
      while (i < n) {
        const d = src.charCodeAt(i);
        if (!isWordChar(d)) break;
        if (d < 0x30 || d > 0x39) allDigits = false;
        i++;
      }
      const text = src.slice(start, i);
      tokens.push({ kind: allDigits ? 'integer' : 'word', text, value: text, pos: start });
      continue;
    }
    if (c === 0x27 /* ' */ || c === 0x22 /* " */) {
      const token = lexString(src, start, c);
      tokens.push(token);
      i = start + token.text.length;
      continue;
    }
    switch (c) {
      case 0x28:
        tokens.push({ kind: '(', text: '(', value: '(', pos: start });
        i++;
        continue;
      case 0x29:
        tokens.push({ kind: ')', text: ')', value: ')', pos: start });
        i++;
        continue;
      case 0x2c:
        tokens.push({ kind: ',', text: ',', value: ',', pos: start });
        i++;
        continue;
      case 0x3d: // =
      case 0x2b: // +
      case 0x2d: // -
      case 0x2a: // *
      case 0x2f: // /
      case 0x25: // %
        tokens.push(op(src[i]!, start));
        i++;
        continue;
      case 0x21: // !
        if (src.charCodeAt(i + 1) === 0x3d) {
          tokens.push(op('!=', start));
          i += 2;
          continue;
        }
        break;
      case 0x3c: {
        // <  <=  <>
        const d = src.charCodeAt(i + 1);
        if (d === 0x3d || d === 0x3e) {
          tokens.push(op(src.slice(i, i + 2), start));
          i += 2;
        } else {
          tokens.push(op('<', start));
          i++;
        }
        continue;
      }
      case 0x3e: // >  >=
        if (src.charCodeAt(i + 1) === 0x3d) {
          tokens.push(op('>=', start));
          i += 2;
        } else {
          tokens.push(op('>', start));
          i++;
        }
        continue;
    }
    const ch = String.fromCodePoint(src.codePointAt(i) ?? c);
    throw new CesqlParseError(`unexpected character ${describeChar(ch)}`, start);
  }
  tokens.push({ kind: 'eof', text: '', value: '', pos: n });
  return tokens;
}

function op(text: string, pos: number): Token {
  return { kind: 'op', text, value: text, pos };
}

/**
 * String literal (spec §2.2): `'...'` or `"..."`. A backslash and the character
 * after it always form one unit, so a backslash before the delimiter does not
 * end the literal. `\'` in a single-quoted literal (and `\"` in a double-quoted
 * one) stands for the quote; every other backslash pair is kept verbatim, as
 * the grammar `( [^'] | "\'" )*` reads.
 */
function lexString(src: string, start: number, quote: number): Token {
  const n = src.length;
  let i = start + 1;
  let value = '';
  let chunk = i;
  for (;;) {
    if (i >= n) throw new CesqlParseError('unterminated string literal', start);
    const c = src.charCodeAt(i);
    if (c === quote) break;
    if (c === 0x5c /* \ */) {
      if (i + 1 >= n) throw new CesqlParseError('unterminated string literal', start);
      if (src.charCodeAt(i + 1) === quote) {
        value += src.slice(chunk, i);
        chunk = i + 1; // keep the quote, drop the backslash
      }
      i += 2;
      continue;
    }
    i++;
  }
  value += src.slice(chunk, i);
  return { kind: 'string', text: src.slice(start, i + 1), value, pos: start };
}
