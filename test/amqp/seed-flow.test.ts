import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cms, cmsSubscription, startCms } from '../../examples/seed-flow/cms-consumer.mjs';
import { type HrSystem, setupHrBroker, startHrSystem } from '../../examples/seed-flow/hr-system.mjs';
import { type TestHub, startTestHub } from '../helpers/hub.js';
import { AMQP_URL, Rabbit, rabbitAvailable, unique, until, wait, teardown } from './rabbit.js';

/**
 * The seed's flow, end to end, with the code of examples/seed-flow: an HR
 * system publishes "person 123 changed" to RabbitMQ; Herold ingests it from
 * the HR system's queue into a list; a CMS receives it in its own queue,
 * filtered to the persons it holds, and fetches the person from the HR
 * system's API.
 */
describe.skipIf(!rabbitAvailable)('seed flow: HR system → RabbitMQ → Herold → CMS', () => {
  let hub: TestHub;
  let rabbit: Rabbit;
  let hr: HrSystem;
  let cms: Cms;
  const dir = mkdtempSync(join(tmpdir(), 'herold-seed-'));
  const names = { exchange: unique('hr.events'), queue: unique('hr.person.changes'), rejected: unique('hr.rejected'), cms: unique('cms.persons') };

  beforeAll(async () => {
    rabbit = await Rabbit.open();
    rabbit.track('exchange', names.exchange);
    rabbit.track('exchange', names.rejected);
    for (const q of [names.queue, names.rejected, names.cms]) rabbit.track('queue', q);
    await setupHrBroker({ amqpUrl: AMQP_URL, exchange: names.exchange, queue: names.queue, rejected: names.rejected });
    // examples/seed-flow/herold.yaml with this test's names.
    const config = join(dir, 'herold.yaml');
    writeFileSync(
      config,
      [
        'lists:',
        '  - name: hr.person',
        '    title: Person changes from the HR system',
        '    amqpIngest:',
        '      url: ${HR_AMQP_URL}',
        `      queue: ${names.queue}`,
        '      principal: hr-system',
        '      prefetch: 100',
        `      deadLetterExchange: ${names.rejected}`,
        '',
      ].join('\n'),
    );
    process.env.HR_AMQP_URL = AMQP_URL;
    hub = await startTestHub({ configFile: config, egressAllow: '127.0.0.0/8', origin: `seed-${randomBytes(3).toString('hex')}.localhost` });
    await hub.running.amqp.ingest.consumers[0].whenConsuming();
    hr = await startHrSystem({ amqpUrl: AMQP_URL, exchange: names.exchange });
  });
  afterAll(async () => {
    await teardown(
      () => cms?.close(),
      () => hr?.close(),
      () => hub?.close(),
      () => rabbit?.cleanup(),
      () => rmSync(dir, { recursive: true, force: true }),
    );
  });

  it('person 123 changed: the CMS holding 123 gets it in its own queue and fetches the person; 999 is filtered out', async () => {
    const pub = await hub.fetch('/lists/hr.person/publishers', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ principal: 'hr-system', source: '/hr/' }) });
    expect(pub.status).toBe(201);
    const sub = await hub.fetch('/lists/hr.person/subscriptions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(cmsSubscription({ amqpUrl: AMQP_URL, queue: names.cms, holds: ['123', '456'] })),
    });
    expect(sub.status, await sub.clone().text()).toBe(201);
    cms = await startCms({ amqpUrl: AMQP_URL, queue: names.cms });

    const id123 = await hr.changePerson('123', { department: 'Analytical Engines' });
    const id999 = await hr.changePerson('999', { department: 'Bletchley Park' });
    await until(() => cms.people.has('123'), 15_000, 'the CMS to fetch person 123');
    expect(cms.people.get('123')).toEqual({ id: '123', name: 'Ada Lovelace', department: 'Analytical Engines' });
    expect(hr.requests).toContain('GET /persons/123');

    // Herold stored both notifications, exactly as the HR system sent them...
    const list = await (await hub.fetch('/lists/hr.person/events')).json();
    expect(list.events.map((e: { id: string }) => e.id)).toEqual([id123, id999]);
    expect(list.events[0]).toMatchObject({ specversion: '1.0', source: '/hr/persons', type: 'no.example.hr.person.changed', subject: 'person/123', datacontenttype: 'application/json', data: { id: '123' } });
    // ...but the CMS, holding 123 and 456, never hears of 999.
    await wait(500);
    expect(cms.seen.map((s) => s.id)).toEqual([id123]);
    expect(cms.seen[0]).toMatchObject({ subject: 'person/123', seq: '1' });
    expect(hr.requests).not.toContain('GET /persons/999');
    expect(cms.people.has('999')).toBe(false);

    // A later change to 456 reaches the CMS too.
    await hr.changePerson('456', { name: 'Grace Brewster Murray Hopper' });
    await until(() => cms.people.get('456')?.name === 'Grace Brewster Murray Hopper', 15_000, 'person 456 updated');
  });
});
