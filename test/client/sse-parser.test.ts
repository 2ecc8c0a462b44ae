import { describe, expect, it } from 'vitest';
import { type SseMessage, parseSse, parseSseChunks } from '../../src/client/sse.js';

async function* chunks(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield typeof p === 'string' ? new TextEncoder().encode(p) : p;
}
const all = async (body: AsyncIterable<Uint8Array>) => {
  const out: SseMessage[] = [];
  for await (const m of parseSse(body)) out.push(m);
  return out;
};

/** A stream like the hub's: retry, a comment, events with ids, a heartbeat, an id-only message, a final message. */
const STREAM =
  'retry: 2000\n: herold stream of \'people\' after 0\n\n' +
  'id: 1\ndata: {"id":"a","data":{"name":"Kari Nordmann æøå 🙂"},"heroldseq":"1"}\n\n' +
  ': heartbeat\n\n' +
  'id: 2\ndata: {"id":"b","heroldseq":"2"}\n\n' +
  'id: 7\n\n' +
  'event: close\ndata: {"reason":"shutting down"}\n\n';
const EXPECTED: SseMessage[] = [
  { id: '1', event: 'message', data: '{"id":"a","data":{"name":"Kari Nordmann æøå 🙂"},"heroldseq":"1"}' },
  { id: '2', event: 'message', data: '{"id":"b","heroldseq":"2"}' },
  { id: '7', event: 'message', data: '' },
  { id: '7', event: 'close', data: '{"reason":"shutting down"}' },
];

describe('parseSse (the client\'s SSE parser, on bytes)', () => {
  it('reads the hub\'s messages in one chunk', async () => {
    expect(await all(chunks(STREAM))).toEqual(EXPECTED);
  });

  it('gives the same messages however the bytes are cut, also inside a multi-byte character', async () => {
    const bytes = new TextEncoder().encode(STREAM);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(await all(chunks(bytes.subarray(0, cut), bytes.subarray(cut)))).toEqual(EXPECTED);
    }
    // One byte at a time.
    expect(await all(chunks(...Array.from(bytes, (b) => Uint8Array.of(b))))).toEqual(EXPECTED);
  });

  it('takes CRLF and CR line ends, also a CRLF cut between two chunks', async () => {
    const crlf = STREAM.replaceAll('\n', '\r\n');
    const cr = STREAM.replaceAll('\n', '\r');
    expect(await all(chunks(crlf))).toEqual(EXPECTED);
    expect(await all(chunks(cr))).toEqual(EXPECTED);
    const at = crlf.indexOf('\r\n') + 1;
    expect(await all(chunks(crlf.slice(0, at), crlf.slice(at)))).toEqual(EXPECTED);
    // An empty chunk between the CR and the LF changes nothing.
    expect(await all(chunks(crlf.slice(0, at), new Uint8Array(0), crlf.slice(at)))).toEqual(EXPECTED);
  });

  it('joins multi-line data, takes a field without a colon or a space, ignores unknown fields and ids with NUL', async () => {
    const text = 'data: line 1\ndata:line 2\ndata\nfoo: bar\nid: 3\u0000\nevent: note\n\n';
    expect(await all(chunks(text))).toEqual([{ id: undefined, event: 'note', data: 'line 1\nline 2\n' }]);
  });

  it('yields the messages of a chunk together, and nothing for a chunk without a complete message', async () => {
    const batches: SseMessage[][] = [];
    for await (const b of parseSseChunks(chunks('id: 1\ndata: {}\n\nid: 2\ndata: {}\n\nid: 3\nda', 'ta: {}\n\n'))) batches.push(b);
    expect(batches.map((b) => b.map((m) => m.id))).toEqual([['1', '2'], ['3']]);
  });
});
