import type { IncomingMessage, ServerResponse } from 'node:http';
import { Deduper } from '../dedupe.js';
import { WebhookVerificationError } from '../errors.js';
import type { ServedEvent } from '../types.js';
import { decodeDelivery } from './decode.js';
import { headerOf, headerRecord } from './headers.js';
import { verifyWebhook } from './verify.js';

export interface WebhookOptions {
  /** The subscription's signing secret(s); a function is asked on every request (rotation without a restart). */
  secret: string | string[] | (() => string | string[]);
  /** Called once per verified event; throw to make the hub retry. */
  handler: (event: ServedEvent, info: { webhookId: string }) => unknown | Promise<unknown>;
  /** Hub origins to grant in the validation handshake (default: whoever asks). */
  allowedOrigins?: string[];
  /** Require `Authorization: Bearer <token>` (the subscription's protocolsettings.token). */
  token?: string;
  toleranceSeconds?: number;
  /** Largest body accepted, bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Skip an event whose (source, id) was handled among the last N (default 10,000; false: off). */
  dedupe?: number | false;
}

export interface WebhookRequest {
  method: string;
  headers: Record<string, string | string[] | undefined> | Headers;
  body: Buffer;
}
export interface WebhookAnswer {
  status: number;
  headers: Record<string, string>;
  body?: string;
}

const text = (status: number, body: string, headers: Record<string, string> = {}): WebhookAnswer => ({
  status,
  headers: { 'content-type': 'text/plain; charset=utf-8', ...headers },
  body: body + '\n',
});

/**
 * The receiver, without a framework: answers the CloudEvents validation
 * handshake (OPTIONS), checks the token and the signature, decodes binary or
 * structured mode, drops repeats, calls the handler. 204 when handled, 401 for
 * a request not signed by you, 500 when the handler threw (the hub retries).
 */
export function webhookReceiver(options: WebhookOptions): (request: WebhookRequest) => Promise<WebhookAnswer> {
  if (!options?.secret || typeof options.handler !== 'function') throw new TypeError('webhook receiver needs { secret, handler }');
  const dedupe = options.dedupe === false ? undefined : new Deduper(options.dedupe ?? 10_000);
  return async ({ method, headers, body }) => {
    if (method === 'OPTIONS') {
      const origin = headerOf(headers, 'webhook-request-origin');
      if (!origin) return text(400, 'a validation handshake needs WebHook-Request-Origin');
      if (options.allowedOrigins && !options.allowedOrigins.includes(origin)) return text(403, `origin ${origin} is not allowed`);
      const grant: Record<string, string> = { 'webhook-allowed-origin': origin, allow: 'OPTIONS, POST' };
      if (headerOf(headers, 'webhook-request-rate')) grant['webhook-allowed-rate'] = '*';
      return { status: 200, headers: grant };
    }
    if (method !== 'POST') return text(405, 'POST or OPTIONS only', { allow: 'OPTIONS, POST' });
    if (options.token !== undefined && headerOf(headers, 'authorization') !== `Bearer ${options.token}`) return text(401, 'missing or wrong bearer token');
    let webhookId: string;
    try {
      const secrets = typeof options.secret === 'function' ? options.secret() : options.secret;
      ({ id: webhookId } = verifyWebhook(headers, body, secrets, { toleranceSeconds: options.toleranceSeconds }));
    } catch (error) {
      if (error instanceof WebhookVerificationError) return text(401, error.message);
      throw error;
    }
    let event: ServedEvent;
    try {
      event = decodeDelivery(headerRecord(headers), body);
    } catch (error) {
      return text(400, `not a CloudEvent: ${(error as Error).message}`);
    }
    if (dedupe?.has(event)) return { status: 204, headers: {} };
    try {
      await options.handler(event, { webhookId });
    } catch (error) {
      return text(500, `the handler failed: ${(error as Error).message}`);
    }
    dedupe?.add(event);
    return { status: 204, headers: {} };
  };
}

/**
 * A `(req, res)` handler for node:http and Express. Mount it before any body
 * parser, or with `express.raw({ type: '*\/*' })`: the signature is over the
 * raw bytes, which a JSON parser has thrown away.
 */
export function webhookHandler(options: WebhookOptions): (req: IncomingMessage & { body?: unknown }, res: ServerResponse) => Promise<void> {
  const receive = webhookReceiver(options);
  const limit = options.maxBodyBytes ?? 1024 * 1024;
  return async (req, res) => {
    let answer: WebhookAnswer;
    try {
      const body = await rawBody(req, limit);
      answer = body === 'too-large' ? text(413, `the body is over ${limit} bytes`) : await receive({ method: req.method ?? 'GET', headers: req.headers, body });
    } catch (error) {
      answer = text(500, (error as Error).message);
    }
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  };
}

async function rawBody(req: IncomingMessage & { body?: unknown }, limit: number): Promise<Buffer | 'too-large'> {
  if (Buffer.isBuffer(req.body)) return req.body;
  if (typeof req.body === 'string') return Buffer.from(req.body, 'utf8');
  // A body parser before us consumed the stream: the raw bytes the signature is over are gone.
  if (req.readableEnded) {
    throw new Error('the body was already read (express.json?): mount the webhook handler before body parsers, or use express.raw({ type: "*/*" })');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The parts of a Fastify instance the plugin uses (no import of fastify here). */
interface FastifyLike {
  removeAllContentTypeParsers(): void;
  addContentTypeParser(type: string, opts: { parseAs: 'buffer'; bodyLimit?: number }, parser: (req: unknown, body: Buffer, done: (err: Error | null, body?: Buffer) => void) => void): void;
  route(opts: { method: string[]; url: string; handler: (req: { method: string; headers: Record<string, string | string[] | undefined>; body?: unknown }, reply: FastifyReplyLike) => Promise<unknown> }): void;
}
interface FastifyReplyLike {
  code(status: number): FastifyReplyLike;
  headers(values: Record<string, string>): FastifyReplyLike;
  send(payload?: string): unknown;
}

/**
 * A Fastify plugin that receives at `path` (default '/'): register it with
 * `app.register(webhookPlugin({ ... }), { prefix: '/hooks' })`. It reads
 * bodies as raw bytes inside its own encapsulated context only.
 */
export function webhookPlugin(options: WebhookOptions & { path?: string }): (app: FastifyLike) => Promise<void> {
  const receive = webhookReceiver(options);
  const plugin = async (app: FastifyLike) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.maxBodyBytes ?? 1024 * 1024 }, (_req, body, done) => done(null, body));
    app.route({
      method: ['OPTIONS', 'POST'],
      url: options.path ?? '/',
      handler: async (req, reply) => {
        const answer = await receive({ method: req.method, headers: req.headers, body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0) });
        return reply.code(answer.status).headers(answer.headers).send(answer.body);
      },
    });
  };
  return plugin;
}
