// Minimal keep-alive HTTP client for the load workers (node:http, no dependencies).
import { Agent, request } from 'node:http';

export function agent(maxSockets = 64) {
  return new Agent({ keepAlive: true, maxSockets, scheduling: 'fifo' });
}

/** POST a string body; resolves {status, text}. */
export function post(ag, url, path, headers, body) {
  return new Promise((resolve, reject) => {
    const u = new URL(path, url);
    const req = request(
      { agent: ag, hostname: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
