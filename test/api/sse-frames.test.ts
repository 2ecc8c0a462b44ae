import { describe, expect, it } from 'vitest';
import { sseFrame } from '../../src/api/streams/sse-frames.js';

describe('SSE frames shared across streams', () => {
  it('one Buffer per event and rendering; another projection of the same event gets its own bytes', () => {
    const whole = '{"id":"1","type":"t","subject":"person/1","fnr":"x","heroldseq":"7"}';
    const minimised = '{"id":"1","type":"t","heroldseq":"7"}';
    const a = sseFrame('frames-l', 7, whole);
    expect(a.toString()).toBe(`id: 7\ndata: ${whole}\n\n`);
    // Equal text (even another string object) shares the frame.
    expect(sseFrame('frames-l', 7, `${whole.slice(0, 10)}${whole.slice(10)}`)).toBe(a);
    const b = sseFrame('frames-l', 7, minimised);
    expect(b).not.toBe(a);
    expect(b.toString()).toBe(`id: 7\ndata: ${minimised}\n\n`);
    // Another list with the same seq never gets this list's frame.
    const other = sseFrame('frames-m', 7, minimised);
    expect(other).not.toBe(b);
    expect(other.toString()).toBe(b.toString());
  });

  it('stays within its byte budget: old frames are made again, with the same bytes', () => {
    const big = `{"data":"${'x'.repeat(200_000)}"}`;
    const first = sseFrame('frames-big', 1, big);
    for (let seq = 2; seq < 200; seq++) sseFrame('frames-big', seq, big);
    const again = sseFrame('frames-big', 1, big);
    expect(again).not.toBe(first);
    expect(again.equals(first)).toBe(true);
  });
});
