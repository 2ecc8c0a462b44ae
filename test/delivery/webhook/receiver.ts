/** A real HTTP receiver on 127.0.0.1 for webhook tests, recording what it got. */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;

export interface Receiver {
  url: (path?: string) => string;
  port: number;
  /** TCP connections accepted so far. */
  connections: () => number;
  received: Received[];
  /** Replace the handler. */
  handle: (h: Handler) => void;
  close: () => Promise<void>;
}

export async function startReceiver(initial: Handler = (_q, res) => res.writeHead(204).end()): Promise<Receiver> {
  let handler = initial;
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  server.on('connection', (s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    connections: () => connections,
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    received,
    handle: (h) => {
      handler = h;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
