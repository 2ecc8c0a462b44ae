// The consumer side of the seed flow: a CMS that shows some persons.
//
// - It holds a few persons (by id) and wants to hear only about those.
//   Herold does the filtering: the CMS's subscription (see run.mjs) names the
//   subjects it holds, and Herold pushes matching notifications into the
//   CMS's own RabbitMQ queue.
// - For each notification it fetches the current person from the HR
//   system's API (the notification is thin: it says who changed, not what)
//   and updates its copy; then it acks the message.
// - Delivery is at least once: a repeat (same message-id) is harmless
//   because fetching and storing the current state is idempotent.
//
// Used by run.mjs (the runnable demo) and by test/amqp/seed-flow.test.ts.
import { EventEmitter } from 'node:events';
import amqp from 'amqplib';

/** The subscription the CMS asks Herold for: its queue, only the persons it holds. */
export function cmsSubscription({ amqpUrl, queue = 'cms.persons', holds }) {
  return {
    sink: amqpUrl,
    protocol: 'AMQP',
    types: ['no.example.hr.person.changed'],
    filters: [{ any: holds.map((id) => ({ exact: { subject: `person/${id}` } })) }],
    protocolsettings: { queue, declare: true },
    config: { ordering: 'subject' },
  };
}

/** Start consuming the CMS's queue. `fetchPerson` defaults to GET on the notification's href. */
export async function startCms({ amqpUrl, queue = 'cms.persons', fetchPerson = defaultFetch }) {
  const people = new Map();
  const seen = [];
  const events = new EventEmitter();
  const conn = await amqp.connect(amqpUrl);
  const channel = await conn.createChannel();
  await channel.assertQueue(queue, { durable: true });
  await channel.prefetch(10);
  await channel.consume(queue, async (msg) => {
    if (!msg) return;
    try {
      const h = msg.properties.headers ?? {};
      const notification = JSON.parse(msg.content.toString('utf8'));
      const person = await fetchPerson(notification.href);
      people.set(person.id, person);
      seen.push({ id: h.cloudEvents_id, subject: h.cloudEvents_subject, seq: h.cloudEvents_heroldseq, messageId: msg.properties.messageId });
      channel.ack(msg);
      events.emit('updated', person);
    } catch (error) {
      // The HR API is down or the message is odd: try again later.
      console.error(`cms: could not handle ${msg.properties.messageId}: ${error.message}`);
      setTimeout(() => channel.nack(msg, false, true), 1000);
    }
  });
  return {
    /** The CMS's copies of the persons, by id. */
    people,
    /** Every notification handled: {id, subject, seq, messageId}. */
    seen,
    events,
    async close() {
      await conn.close().catch(() => undefined);
    },
  };
}

async function defaultFetch(href) {
  const res = await fetch(href);
  if (!res.ok) throw new Error(`GET ${href}: ${res.status}`);
  return res.json();
}
