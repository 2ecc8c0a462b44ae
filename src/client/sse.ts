/** One Server-Sent Events message. */
export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

/**
 * Parse a byte stream as Server-Sent Events (WHATWG rules: fields, comments,
 * multi-line data, id-only messages), yielding the messages dispatched by each
 * chunk together (one array per chunk; empty arrays are skipped). Id-only
 * messages are yielded with empty data so callers can track Last-Event-ID.
 * Lines are found with an index that moves forward, so a chunk costs time in
 * proportion to its length.
 */
export async function* parseSseChunks(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseMessage[]> {
  const decoder = new TextDecoder();
  let rest = '';
  let id: string | undefined;
  let event = '';
  let data: string[] = [];
  let touched = false;
  let pendingCR = false;
  for await (const chunk of body) {
    let text = rest + decoder.decode(chunk, { stream: true });
    // A CR at the very end of the previous chunk may be the first half of CRLF.
    if (pendingCR && text.startsWith('\n')) text = text.slice(1);
    pendingCR = false;
    const out: SseMessage[] = [];
    let pos = 0;
    for (;;) {
      let nl = text.indexOf('\n', pos);
      const cr = text.indexOf('\r', pos);
      if (cr >= 0 && (nl < 0 || cr < nl)) nl = cr;
      if (nl < 0) break;
      const line = text.slice(pos, nl);
      if (text.charCodeAt(nl) === 13) {
        if (nl + 1 === text.length) pendingCR = true;
        else if (text.charCodeAt(nl + 1) === 10) nl++;
      }
      pos = nl + 1;
      if (line === '') {
        if (touched) out.push({ id, event: event || 'message', data: data.join('\n') });
        event = '';
        data = [];
        touched = false;
        continue;
      }
      if (line.charCodeAt(0) === 58 /* : */) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.charCodeAt(0) === 32) value = value.slice(1);
      if (field === 'data') data.push(value);
      else if (field === 'event') event = value;
      else if (field === 'id' && !value.includes('\u0000')) id = value;
      else continue;
      touched = true;
    }
    rest = text.slice(pos);
    if (out.length > 0) yield out;
  }
}

/** The messages of a Server-Sent Events byte stream, one at a time (see parseSseChunks). */
export async function* parseSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseMessage> {
  for await (const messages of parseSseChunks(body)) yield* messages;
}
