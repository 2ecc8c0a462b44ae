import { describe, expect, it } from 'vitest';
import { requestTexts } from '../../src/cloudevents/request-text.js';

/** Kept texts must be exactly JSON.stringify of the parsed event; otherwise none is kept. */
function check(text: string, batch: boolean): (string | undefined)[] {
  const parsed = JSON.parse(text) as unknown;
  const events = batch ? (parsed as unknown[]) : [parsed];
  const texts = requestTexts(text, events, batch);
  texts.forEach((t, i) => {
    if (t !== undefined) expect(t).toBe(JSON.stringify(events[i]));
  });
  return texts;
}

const ev = (extra = ''): string => `{"specversion":"1.0","id":"a-1","source":"/s","type":"t"${extra}}`;

describe('requestTexts: the request text of each event, where it equals the serialised event', () => {
  it('keeps compact events of a batch, with whitespace between them', () => {
    const text = ` [ ${ev(',"data":{"n":42,"x":[1,-2,true,false,null,{"y":"z"}]}')} ,\n${ev(',"subject":"b/1"')} ] `;
    expect(check(text, true).every((t) => t !== undefined)).toBe(true);
    expect(check(`  ${ev()}\n`, false)[0]).toBe(ev());
  });

  it('serialises every event of a request with an escape anywhere', () => {
    for (const escaped of ['"a\\u0041"', '"a\\"b"', '"a\\\\"']) {
      expect(check(ev(`,"data":${escaped}`), false)).toEqual([undefined]);
      expect(check(`[${ev()},${ev(`,"data":${escaped}`)}]`, true)).toEqual([undefined, undefined]);
    }
  });

  it.each([
    ['whitespace inside', '{"specversion": "1.0","id":"a","source":"/s","type":"t"}'],
    ['a fraction', ev(',"data":{"n":1.0}')],
    ['an exponent', ev(',"data":{"n":1e3}')],
    ['minus zero', ev(',"data":-0')],
    ['a long integer', ev(',"data":12345678901234567890')],
    ['a duplicate key', '{"specversion":"1.0","id":"a","id":"b","source":"/s","type":"t"}'],
    ['a nested duplicate key', ev(',"data":{"x":1,"x":2}')],
    ['an index-like key', ev(',"data":{"b":1,"1":2}')],
  ])('serialises again when the text has %s', (_why, text) => {
    expect(check(text, false)[0]).toBeUndefined();
    expect(check(`[${ev()},${text}]`, true)).toEqual([ev(), undefined]);
  });

  it('keeps nothing when the events do not line up with the text', () => {
    const text = `[${ev()},${ev()}]`;
    expect(requestTexts(text, [JSON.parse(ev())], true)).toEqual([undefined]);
  });

  it('agrees with JSON.stringify on random events', () => {
    const atoms = ['0', '7', '-3', '123456789012345', '1234567890123456', '1.5', '-0', '2e2', 'true', 'false', 'null', '"x"', '"é😀"', '"a\\nb"', '"\\u00e9"', '""', '"1"'];
    const keys = ['"a"', '"b"', '"1"', '"__proto__"', '"é"', '"a b"', '"a"'];
    const ws = ['', '', '', ' ', '\n'];
    let seed = 7;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const value = (depth: number): string => {
      const r = rnd(depth > 2 ? 1 : 4);
      if (r === 0 || r === 1) return atoms[rnd(atoms.length)];
      if (r === 2) return `[${Array.from({ length: rnd(3) }, () => value(depth + 1)).join(`,${ws[rnd(ws.length)]}`)}]`;
      return `{${Array.from({ length: rnd(3) }, () => `${keys[rnd(keys.length)]}:${ws[rnd(ws.length)]}${value(depth + 1)}`).join(',')}}`;
    };
    let kept = 0;
    for (let n = 0; n < 2000; n++) {
      const text = `[${Array.from({ length: 3 }, () => ev(`,"data":${value(0)}`)).join(',')}]`;
      kept += check(text, true).filter((t) => t !== undefined).length;
    }
    expect(kept).toBeGreaterThan(500);
  });
});
