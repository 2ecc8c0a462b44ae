#!/usr/bin/env node
// A minimal Herold webhook receiver: plain Node.js, no dependencies.
//
// - Answers the CloudEvents webhook validation handshake (OPTIONS).
// - Verifies Standard Webhooks signatures: base64 HMAC-SHA256 over
//   "<webhook-id>.<webhook-timestamp>.<raw body>" with the key that is the
//   base64 part of "whsec_...", compared in constant time; the timestamp must
//   be within 5 minutes of the receiver's clock.
// - Drops repeats by webhook-id (the hub delivers at least once).
// - Prints each verified event as one line and answers 204.
//
// Settings (environment):
//   PORT                 port to listen on (default 8787; 0 picks a free one)
//   HOST                 address to listen on (default 127.0.0.1)
//   WEBHOOK_SECRET       the subscription's signing secret (whsec_...); several
//                        may be given, separated by spaces or commas
//   WEBHOOK_SECRET_FILE  or: a file holding the secret(s), read on every request,
//                        so it can be written after the subscription is created
//   WEBHOOK_TOKEN        optional: require "Authorization: Bearer <token>"
//                        (the subscription's protocolsettings.token)
//   ALLOWED_ORIGINS      optional: hub origins to grant in the handshake,
//                        comma-separated (default: grant whoever asks)
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const PORT = Number(process.env.PORT ?? 8787);
const HOST = process.env.HOST ?? '127.0.0.1';
const TOLERANCE_SECONDS = 5 * 60;
const MAX_BODY_BYTES = 1024 * 1024;
const REMEMBER_IDS = 100_000;

/** The HMAC keys of the configured secrets (re-read each time, so a secret file may change). */
function signingKeys() {
  let text = process.env.WEBHOOK_SECRET ?? '';
  if (process.env.WEBHOOK_SECRET_FILE) {
    try {
      text += ' ' + readFileSync(process.env.WEBHOOK_SECRET_FILE, 'utf8');
    } catch {
      // not written yet
    }
  }
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((s) => Buffer.from(s.startsWith('whsec_') ? s.slice('whsec_'.length) : s, 'base64'))
    .filter((key) => key.length > 0);
}

/** Standard Webhooks verification; returns null when valid, else the reason. */
function verify(headers, body, keys) {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !timestamp || !signatures) return 'missing webhook-id, webhook-timestamp or webhook-signature';
  if (!/^\d+$/.test(timestamp)) return 'webhook-timestamp is not a number of seconds';
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > TOLERANCE_SECONDS) return 'webhook-timestamp is more than 5 minutes away';
  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), body]);
  for (const key of keys) {
    const expected = Buffer.from(createHmac('sha256', key).update(signed).digest('base64'));
    // The header holds one "v1,<signature>" per secret the hub signs with (several while rotating).
    for (const entry of signatures.split(' ')) {
      const [version, signature] = entry.split(',', 2);
      if (version !== 'v1' || !signature) continue;
      const given = Buffer.from(signature);
      if (given.length === expected.length && timingSafeEqual(given, expected)) return null;
    }
  }
  return 'no signature matches';
}

/** The CloudEvent of a request: the body in structured mode, ce-* headers plus data in binary mode. */
function toEvent(headers, body) {
  const type = headers['content-type'] ?? '';
  if (type.startsWith('application/cloudevents+json')) return JSON.parse(body.toString('utf8'));
  const event = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('ce-')) event[name.slice(3)] = decodeURIComponent(value);
  }
  if (type) event.datacontenttype = type;
  if (body.length > 0) event.data = /[/+]json\b/.test(type) ? JSON.parse(body.toString('utf8')) : body.toString('utf8');
  return event;
}

/** webhook-ids already processed, oldest first (a real receiver keeps them in its database). */
const seen = new Set();
function remember(id) {
  seen.add(id);
  if (seen.size > REMEMBER_IDS) seen.delete(seen.values().next().value);
}

function answer(res, status, text, headers = {}) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(text === undefined ? undefined : text + '\n');
}

const server = createServer((req, res) => {
  // 1. The validation handshake: the hub asks once, when the subscription is created.
  if (req.method === 'OPTIONS') {
    const origin = req.headers['webhook-request-origin'];
    const allowed = (process.env.ALLOWED_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (!origin || (allowed.length > 0 && !allowed.includes(origin))) return answer(res, 403, 'origin not allowed');
    const grant = { 'webhook-allowed-origin': origin };
    if (req.headers['webhook-request-rate']) grant['webhook-allowed-rate'] = '*';
    console.log(`handshake: granted ${origin}`);
    return answer(res, 200, undefined, { ...grant, allow: 'OPTIONS, POST' });
  }
  if (req.method !== 'POST') return answer(res, 405, 'POST only', { allow: 'OPTIONS, POST' });

  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) req.destroy();
    else chunks.push(chunk);
  });
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const token = process.env.WEBHOOK_TOKEN;
    if (token && req.headers.authorization !== `Bearer ${token}`) {
      console.error('rejected: wrong or missing bearer token');
      return answer(res, 401, 'wrong bearer token');
    }
    const keys = signingKeys();
    // No secret yet: ask the hub to come back later (503 + Retry-After is retried).
    if (keys.length === 0) return answer(res, 503, 'no signing secret configured yet', { 'retry-after': '5' });
    const problem = verify(req.headers, body, keys);
    if (problem) {
      console.error(`rejected: ${problem}`);
      // 401 is a 4xx: the hub dead-letters the event instead of retrying it.
      return answer(res, 401, problem);
    }
    const id = req.headers['webhook-id'];
    if (seen.has(id)) {
      console.log(`duplicate ${id} (already processed)`);
      return answer(res, 204);
    }
    let event;
    try {
      event = toEvent(req.headers, body);
    } catch (error) {
      console.error(`rejected: unreadable event: ${error.message}`);
      return answer(res, 400, 'unreadable event');
    }
    // Your work goes here. A thin notification says what changed; fetch the
    // current data from the provider's API, then remember the webhook-id.
    console.log(`event ${id} ${JSON.stringify(event)}`);
    remember(id);
    answer(res, 204);
  });
});

server.listen(PORT, HOST, () => {
  const { port } = server.address();
  const host = HOST.includes(':') ? `[${HOST}]` : HOST;
  console.log(`receiver listening on http://${host}:${port}/`);
});

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
