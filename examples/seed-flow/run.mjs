#!/usr/bin/env node
// The seed flow, end to end, against a running Herold and RabbitMQ:
//
//   HR system ──AMQP──▶ hr.person.changes ──▶ Herold (list hr.person)
//        ▲                                        │ subscription: only the persons the CMS holds
//        │ GET /persons/123                       ▼
//        └──────────────────── CMS ◀── cms.persons (its own queue)
//
// 1. node examples/seed-flow/run.mjs setup      # declares the HR system's exchange and queues
// 2. start Herold with the config (see README.md)
// 3. node examples/seed-flow/run.mjs            # the demo
//
// Environment: HEROLD_URL (http://127.0.0.1:8080), HEROLD_ADMIN_KEY (required),
// AMQP_URL (amqp://guest:guest@127.0.0.1:5672).
import { cmsSubscription, startCms } from './cms-consumer.mjs';
import { setupHrBroker, startHrSystem } from './hr-system.mjs';

const HEROLD = process.env.HEROLD_URL ?? 'http://127.0.0.1:8080';
const KEY = process.env.HEROLD_ADMIN_KEY;
const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

if (process.argv[2] === 'setup') {
  await setupHrBroker({ amqpUrl: AMQP_URL });
  console.log('HR broker objects declared: exchange hr.events, queues hr.person.changes and hr.rejected');
  process.exit(0);
}
if (!KEY) {
  console.error('Set HEROLD_ADMIN_KEY to the hub\'s admin key.');
  process.exit(2);
}

async function herold(method, path, body) {
  const res = await fetch(HEROLD + path, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

// The HR system may publish to hr.person, only events from its own source.
const pub = await herold('POST', '/lists/hr.person/publishers', { principal: 'hr-system', source: '/hr/' });
if (pub.status !== 201 && pub.status !== 200 && pub.status !== 409) throw new Error(`adding the publisher: ${pub.status} ${JSON.stringify(pub.body)}`);

const hr = await startHrSystem({ amqpUrl: AMQP_URL });
console.log(`HR system API on ${hr.baseUrl}`);

// The CMS holds persons 123 and 456: it subscribes to just those, into its own queue.
const sub = await herold('POST', '/lists/hr.person/subscriptions', cmsSubscription({ amqpUrl: AMQP_URL, holds: ['123', '456'] }));
if (sub.status !== 201) throw new Error(`creating the subscription: ${sub.status} ${JSON.stringify(sub.body)}`);
console.log(`CMS subscription ${sub.body.id}: sink ${sub.body.sink} (password masked), queue cms.persons`);
const cms = await startCms({ amqpUrl: AMQP_URL });
cms.events.on('updated', (p) => console.log(`CMS fetched person ${p.id} from the HR API: ${JSON.stringify(p)}`));

await hr.changePerson('123', { department: 'Analytical Engines' });
console.log('HR: person 123 changed (published to RabbitMQ)');
await hr.changePerson('999', { department: 'Bletchley Park' });
console.log('HR: person 999 changed (the CMS does not hold 999: Herold filters it out)');

await new Promise((resolve) => cms.events.once('updated', resolve));
await new Promise((r) => setTimeout(r, 1500));
console.log(`CMS now holds: ${JSON.stringify([...cms.people.values()])}`);
console.log(`HR API requests: ${JSON.stringify(hr.requests)}`);

await herold('DELETE', `/subscriptions/${sub.body.id}`);
await cms.close();
await hr.close();
