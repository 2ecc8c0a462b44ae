import type { ServedEvent } from './types.js';

const LF = 0x0a;

/**
 * Parse an NDJSON byte stream (the hub's export) into events, one array per
 * chunk from the socket (empty arrays are skipped). Lines are found in the
 * bytes (`indexOf`, native) and only each line is decoded, once; only the
 * unfinished last line of a chunk is carried over. A last line without a
 * line end is parsed too.
 */
export async function* parseNdjsonChunks(body: AsyncIterable<Uint8Array>): AsyncGenerator<ServedEvent[]> {
  let rest: Buffer | undefined;
  for await (const chunk of body) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let pos = 0;
    const out: ServedEvent[] = [];
    if (rest) {
      // Only the unfinished line is joined with the start of this chunk, not the whole chunk.
      const end = buf.indexOf(LF);
      if (end < 0) {
        rest = Buffer.concat([rest, buf]);
        continue;
      }
      const line = Buffer.concat([rest, buf.subarray(0, end)]);
      rest = undefined;
      pushLine(out, line, 0, line.length);
      pos = end + 1;
    }
    for (let end = buf.indexOf(LF, pos); end >= 0; end = buf.indexOf(LF, pos)) {
      pushLine(out, buf, pos, end);
      pos = end + 1;
    }
    if (pos < buf.length) rest = Buffer.from(buf.subarray(pos));
    if (out.length > 0) yield out;
  }
  if (rest) {
    const out: ServedEvent[] = [];
    pushLine(out, rest, 0, rest.length);
    if (out.length > 0) yield out;
  }
}

function pushLine(out: ServedEvent[], buf: Buffer, start: number, end: number): void {
  let last = end;
  if (last > start && buf[last - 1] === 0x0d) last--; // CRLF
  const line = buf.toString('utf8', start, last);
  if (line.trim()) out.push(JSON.parse(line) as ServedEvent);
}
