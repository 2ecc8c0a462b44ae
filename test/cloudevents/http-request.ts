/** Reads a raw HTTP/1.1 request text (as written in feature files) into Node-style headers and a body. */
export interface RawRequest {
  method: string;
  target: string;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

export function parseRawHttpRequest(text: string): RawRequest {
  const normalized = text.replace(/\r\n/g, '\n');
  const blank = normalized.indexOf('\n\n');
  const head = blank < 0 ? normalized : normalized.slice(0, blank);
  let body = Buffer.from(blank < 0 ? '' : normalized.slice(blank + 2), 'utf8');
  const [requestLine, ...headerLines] = head.split('\n');
  const m = /^(\S+) (\S+) HTTP\/\d\.\d$/.exec(requestLine!.trim());
  if (!m) throw new Error(`not an HTTP request line: ${requestLine}`);
  const headers: Record<string, string | string[]> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`malformed header line: ${line}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prev = headers[name];
    headers[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  const cl = headers['content-length'];
  if (typeof cl === 'string') {
    const n = Number(cl);
    if (!Number.isInteger(n) || n < 0) throw new Error(`bad Content-Length ${cl}`);
    if (n > body.length) throw new Error(`Content-Length ${n} exceeds the ${body.length} body bytes given`);
    body = body.subarray(0, n);
  }
  return { method: m[1]!, target: m[2]!, headers, body };
}
