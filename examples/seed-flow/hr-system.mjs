// The provider side of the seed flow: a small HR system.
//
// - It owns the person data and serves it at GET /persons/{id} (JSON).
// - When a person changes it publishes a thin notification to RabbitMQ, in
//   CloudEvents AMQP binary mode: the attributes are `cloudEvents_*`
//   application properties (headers), the body only says which person and
//   where to fetch it. Herold ingests these messages from the queue.
//
// Used by run.mjs (the runnable demo) and by test/amqp/seed-flow.test.ts.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import amqp from 'amqplib';

/**
 * Declare the HR system's own broker objects: a topic exchange for its
 * events, the queue Herold consumes (bound for person events), and where
 * Herold puts messages it cannot accept (with the reason in x-herold-error).
 */
export async function setupHrBroker({ amqpUrl, exchange = 'hr.events', queue = 'hr.person.changes', rejected = 'hr.rejected' }) {
  const conn = await amqp.connect(amqpUrl);
  try {
    const ch = await conn.createChannel();
    await ch.assertExchange(exchange, 'topic', { durable: true });
    await ch.assertQueue(queue, { durable: true });
    await ch.bindQueue(queue, exchange, 'person.#');
    await ch.assertExchange(rejected, 'fanout', { durable: true });
    await ch.assertQueue(rejected, { durable: true });
    await ch.bindQueue(rejected, rejected, '');
    await ch.close();
  } finally {
    await conn.close();
  }
}

/** Start the HR system: its HTTP API and its publisher. */
export async function startHrSystem({ amqpUrl, exchange = 'hr.events', port = 0, host = '127.0.0.1', source = '/hr/persons' }) {
  const persons = new Map([
    ['123', { id: '123', name: 'Ada Lovelace', department: 'Engineering' }],
    ['456', { id: '456', name: 'Grace Hopper', department: 'Research' }],
    ['999', { id: '999', name: 'Alan Turing', department: 'Cryptography' }],
  ]);
  const requests = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const m = /^\/persons\/([^/]+)$/.exec(req.url ?? '');
    const person = m && req.method === 'GET' ? persons.get(decodeURIComponent(m[1])) : undefined;
    if (!person) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(person));
  });
  server.listen(port, host);
  await once(server, 'listening');
  const baseUrl = `http://${host}:${server.address().port}`;

  const conn = await amqp.connect(amqpUrl);
  const channel = await conn.createConfirmChannel();

  return {
    baseUrl,
    persons,
    /** Every HTTP request the API served ("GET /persons/123"). */
    requests,
    /** Change a person and publish "person <id> changed"; resolves when RabbitMQ confirmed it. */
    async changePerson(id, changes) {
      const person = { ...persons.get(id), ...changes, id };
      persons.set(id, person);
      const headers = {
        cloudEvents_specversion: '1.0',
        cloudEvents_id: randomUUID(),
        cloudEvents_source: source,
        cloudEvents_type: 'no.example.hr.person.changed',
        cloudEvents_subject: `person/${id}`,
        cloudEvents_time: new Date().toISOString(),
      };
      const body = Buffer.from(JSON.stringify({ id, href: `${baseUrl}/persons/${id}` }));
      await new Promise((resolve, reject) =>
        channel.publish(exchange, 'person.changed', body, { persistent: true, contentType: 'application/json', headers }, (err) => (err ? reject(err) : resolve())),
      );
      return headers.cloudEvents_id;
    },
    async close() {
      await conn.close().catch(() => undefined);
      server.closeAllConnections();
      server.close();
    },
  };
}
