#!/usr/bin/env node
// A webhook receiver made with herold/client: answers the validation handshake, verifies the
// signature, decodes binary or structured mode, drops repeats, prints each event.
// Run: WEBHOOK_SECRET_FILE=secret.txt node receiver.mjs --port 8095   (the secret is read on each request)
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { webhookHandler } from 'herold/client';

const port = Number(process.argv[process.argv.indexOf('--port') + 1] || 8095);
const receive = webhookHandler({
  secret: () => readFileSync(process.env.WEBHOOK_SECRET_FILE, 'utf8').trim().split(/\s+/),
  handler: async (event, { webhookId }) => console.log(`${webhookId} #${event.heroldseq} ${event.type} ${event.subject}`),
});
const server = createServer((req, res) => (req.url === '/readyz' ? res.end('ok') : receive(req, res)));
server.listen(port, '127.0.0.1', () => console.log(`receiver on http://127.0.0.1:${port}/`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
