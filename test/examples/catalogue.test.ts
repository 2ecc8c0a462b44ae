import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, publishBatch, startTestHub } from '../helpers/hub.js';
import { asyncApiErrors } from '../catalogue/asyncapi-validate.js';

const dir = (name: string) => fileURLToPath(new URL(`../../examples/catalogue/${name}`, import.meta.url));
const json = { 'content-type': 'application/json' };

/**
 * examples/catalogue as its README runs it: the BBR-like and CPR-like lists
 * from herold.yaml, the grant for municipality 0301, and the AsyncAPI
 * document that municipality gets (committed as asyncapi-kommune-0301.json;
 * UPDATE_EXAMPLES=1 rewrites it).
 */
describe('examples/catalogue', () => {
  let hub: TestHub;
  let kommune: string;
  const as = (key: string, path: string, init: RequestInit = {}) => hub.fetch(path, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${key}` } });

  beforeAll(async () => {
    hub = await startTestHub({ configFile: dir('herold.yaml'), readRate: '0', publishRate: '0' });
    for (const [list, owner] of [['bbr.bygning', 'bbr'], ['cpr.person', 'cpr']]) {
      expect((await hub.fetch(`/lists/${list}`, { method: 'PUT', headers: json, body: JSON.stringify({ owner }) })).status).toBe(200);
    }
    const grant = await hub.fetch('/lists/cpr.person/grants', { method: 'POST', headers: json, body: readFileSync(dir('grant-municipality-0301.json'), 'utf8') });
    expect(grant.status).toBe(201);
    kommune = (await (await hub.fetch('/api-keys', { method: 'POST', headers: json, body: JSON.stringify({ principal: 'kommune:0301' }) })).json()).key;
  });
  afterAll(() => hub.close());

  const moved = (id: string, to: string, from: string) => ({
    specversion: '1.0',
    id,
    source: '/cpr',
    type: 'cpr.person.moved.v1',
    subject: `person/${id}`,
    time: '2026-03-02T08:00:00Z',
    kommunekode: to,
    kommunekodetidligere: from,
    datacontenttype: 'application/json',
    data: { flyttedato: '2026-03-01' },
  });

  it('municipality 0301 receives only moves into or out of 0301, minimised to id, type, subject and time', async () => {
    expect((await publishBatch(hub, 'cpr.person', [moved('p1', '0301', '4601'), moved('p2', '1103', '4601'), moved('p3', '4601', '0301')])).status).toBe(201);
    const page = await (await as(kommune, '/lists/cpr.person/events')).json();
    expect(page.events.map((e: { subject: string }) => e.subject)).toEqual(['person/p1', 'person/p3']);
    for (const e of page.events) expect(Object.keys(e).sort()).toEqual(['heroldseq', 'heroldtime', 'id', 'source', 'specversion', 'subject', 'time', 'type']);
    // The BBR list is discoverable: the municipality finds it and may ask for access.
    expect(await (await as(kommune, '/lists/bbr.bygning')).json()).toMatchObject({ access: 'none', types: ['bbr.bygning.changed.v1'] });
  });

  it('both lists enforce their catalogue', async () => {
    const bad = await publishBatch(hub, 'bbr.bygning', [
      { specversion: '1.0', id: 'b1', source: '/bbr', type: 'bbr.bygning.changed.v1', eventaction: 'u', entityname: 'Bygning', registreringfra: 'yesterday', datacontenttype: 'application/json', data: { id_lokalId: 'x', kommunekode: '301', status: 'opfoert' } },
    ]);
    expect(bad.status).toBe(400);
    // id_lokalId is declared with format: uuid, which is checked.
    expect((await bad.json()).errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/0/data/id_lokalId', '/0/data/kommunekode', '/0/registreringfra']);
    expect((await publishBatch(hub, 'cpr.person', [{ ...moved('p4', '0301', '4601'), kommunekode: 301 }])).status).toBe(400);
  });

  it('the AsyncAPI document municipality 0301 gets is the one in the example, and valid', async () => {
    const doc = await (await as(kommune, '/lists/cpr.person/asyncapi.json')).json();
    expect(await asyncApiErrors(doc)).toEqual([]);
    const text = JSON.stringify(doc, null, 2).replaceAll(new URL(hub.url).host, '127.0.0.1:8080') + '\n';
    const file = dir('asyncapi-kommune-0301.json');
    if (process.env.UPDATE_EXAMPLES === '1') writeFileSync(file, text);
    expect(text).toBe(readFileSync(file, 'utf8'));
    expect(text).not.toContain('kommunekode');
    expect(text).not.toContain('flyttedato');
  });
});
