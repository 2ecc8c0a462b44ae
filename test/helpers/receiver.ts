import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import { once } from 'node:events';

export interface Received {
  method: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export type Responder = (req: Received, index: number) => { status: number; headers?: Record<string, string>; body?: string; delayMs?: number } | 'hang';

/**
 * A webhook receiver on 127.0.0.1 that records every request and answers as
 * scripted. It passes the CloudEvents webhook handshake unless told not to.
 */
export class Receiver {
  readonly received: Received[] = [];
  respond: Responder = () => ({ status: 200 });
  handshake: 'allow' | 'refuse' = 'allow';
  private server!: Server;
  private waiters: (() => void)[] = [];
  url = '';

  static async start(): Promise<Receiver> {
    const r = new Receiver();
    r.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        if (req.method === 'OPTIONS') {
          if (r.handshake === 'allow') res.writeHead(200, { 'webhook-allowed-origin': String(req.headers['webhook-request-origin'] ?? '*') });
          else res.writeHead(403);
          res.end();
          return;
        }
        const rec: Received = { method: req.method!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
        r.received.push(rec);
        const answer = r.respond(rec, r.received.length - 1);
        r.waiters.splice(0).forEach((w) => w());
        if (answer === 'hang') return;
        const send = () => {
          res.writeHead(answer.status, answer.headers);
          res.end(answer.body ?? '');
        };
        if (answer.delayMs) setTimeout(send, answer.delayMs);
        else send();
      });
    });
    r.server.listen(0, '127.0.0.1');
    await once(r.server, 'listening');
    r.url = `http://127.0.0.1:${(r.server.address() as { port: number }).port}/hook`;
    return r;
  }

  /** Posted events (parsed structured bodies). */
  events(): Record<string, unknown>[] {
    return this.received.map((r) => JSON.parse(r.body));
  }

  async waitFor(pred: (r: Receiver) => boolean, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred(this)) {
      if (Date.now() > deadline) throw new Error(`receiver: timed out with ${this.received.length} requests`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
  }
}
