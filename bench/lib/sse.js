// Reading an SSE response: calls `onMessage(text, arrivedAt)` for each complete
// message (the text between blank lines), with the time its chunk arrived.
export function onSseMessages(res, onMessage) {
  res.setEncoding('utf8');
  let buf = '';
  res.on('data', (chunk) => {
    const now = performance.now();
    buf += chunk;
    let cut;
    while ((cut = buf.indexOf('\n\n')) >= 0) {
      const msg = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      onMessage(msg, now);
    }
  });
}
