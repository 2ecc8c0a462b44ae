/** One Server-Sent Events message. */
export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;

/** `buf[at..at+4)` is `data` / `buf[at..at+2)` is `id`, compared as bytes (no string for the field name). */
const isData = (b: Buffer, at: number, len: number) => len === 4 && b[at] === 0x64 && b[at + 1] === 0x61 && b[at + 2] === 0x74 && b[at + 3] === 0x61;
const isId = (b: Buffer, at: number, len: number) => len === 2 && b[at] === 0x69 && b[at + 1] === 0x64;

/**
 * Parse a byte stream as Server-Sent Events (WHATWG rules: fields, comments,
 * multi-line data, id-only messages, LF, CRLF or CR line ends), yielding the
 * messages dispatched by each chunk together (one array per chunk; empty
 * arrays are skipped). Id-only messages are yielded with empty data so
 * callers can track Last-Event-ID.
 *
 * It works on the bytes: lines are found with `Buffer.indexOf` (native), the
 * field name is compared as bytes, and only a field's value is decoded, once.
 * A line end is a byte that never occurs inside a UTF-8 sequence, so a value
 * is never split in the middle of a character; only the unfinished last line
 * of a chunk is carried over, as bytes.
 */
export async function* parseSseChunks(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseMessage[]> {
  let rest: Buffer | undefined;
  let id: string | undefined;
  let event = '';
  let data: string | undefined;
  let touched = false;
  let pendingCR = false;
  for await (const chunk of body) {
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (rest) {
      buf = Buffer.concat([rest, buf]);
      rest = undefined;
    }
    if (buf.length === 0) continue;
    let pos = 0;
    // A CR at the very end of the previous chunk may be the first half of CRLF.
    if (pendingCR && buf[0] === LF) pos = 1;
    pendingCR = false;
    const out: SseMessage[] = [];
    // The next CR at or after pos (-1: none left in this chunk): CR line ends are rare, so this is
    // usually one scan per chunk rather than one per line.
    let cr = buf.indexOf(CR, pos);
    for (;;) {
      let end = buf.indexOf(LF, pos);
      if (cr >= 0 && cr < pos) cr = buf.indexOf(CR, pos);
      if (cr >= 0 && (end < 0 || cr < end)) end = cr;
      if (end < 0) break;
      let next = end + 1;
      if (buf[end] === CR) {
        if (next === buf.length) pendingCR = true;
        else if (buf[next] === LF) next++;
      }
      const start = pos;
      pos = next;
      if (end === start) {
        // A blank line dispatches the message.
        if (touched) out.push({ id, event: event || 'message', data: data ?? '' });
        event = '';
        data = undefined;
        touched = false;
        continue;
      }
      if (buf[start] === COLON) continue; // a comment (the hub's heartbeat)
      let colon = buf.indexOf(COLON, start);
      if (colon < 0 || colon > end) colon = end;
      let from = colon + 1;
      if (from < end && buf[from] === SPACE) from++;
      const value = from < end ? buf.toString('utf8', from, end) : '';
      const nameLength = colon - start;
      if (isData(buf, start, nameLength)) data = data === undefined ? value : data + '\n' + value;
      else if (isId(buf, start, nameLength)) {
        if (value.includes('\u0000')) continue;
        id = value;
      } else if (buf.toString('utf8', start, colon) === 'event') event = value;
      else continue;
      touched = true;
    }
    if (pos < buf.length) rest = Buffer.from(buf.subarray(pos));
    if (out.length > 0) yield out;
  }
}

/** The messages of a Server-Sent Events byte stream, one at a time (see parseSseChunks). */
export async function* parseSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseMessage> {
  for await (const messages of parseSseChunks(body)) yield* messages;
}
