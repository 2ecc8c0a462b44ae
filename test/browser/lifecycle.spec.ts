import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createList, makeEvent, publishBatch, startTestHub, type TestHub } from '../helpers/hub.js';
import { Receiver } from '../helpers/receiver.js';
import { captureScreen, launchBrowser, openConsole, signIn } from './browser.js';

/** The lifecycle screens: discoverable lists, changing a grant, deleting a list. */
describe('console: discover a list, change a grant, delete a list', () => {
  let hub: TestHub;
  let browser: Browser;
  let receiver: Receiver;
  const keys: Record<string, string> = {};
  const json = { 'content-type': 'application/json' };
  const post = (path: string, body: unknown) => hub.fetch(path, { method: 'POST', headers: json, body: JSON.stringify(body) });
  const as = (who: string, path: string) => hub.fetch(path, { headers: { authorization: `Bearer ${keys[who]}` } });

  beforeAll(async () => {
    [hub, browser, receiver] = await Promise.all([startTestHub({ egressAllow: '127.0.0.0/8' }), launchBrowser(), Receiver.start()]);
    for (const p of ['skatteetaten', 'nav', 'kommune']) keys[p] = ((await (await post('/api-keys', { principal: p })).json()) as { key: string }).key;
    await createList(hub, 'folkeregister', { title: 'Folkeregisteret', description: 'Changes to persons in the population register.', owner: 'skatteetaten', discoverable: true });
    const declared = await hub.fetch('/lists/folkeregister/types/person.moved', { method: 'PUT', headers: json, body: JSON.stringify({ title: 'A person moved' }) });
    expect(declared.status).toBeLessThan(300);
    await createList(hub, 'hidden', { title: 'Not for strangers', owner: 'skatteetaten' });
    await createList(hub, 'inntekt', { title: 'Inntekt', owner: 'skatteetaten' });
    await post('/lists/inntekt/grants', { principal: 'nav' });
    await publishBatch(hub, 'inntekt', [
      makeEvent({ type: 'income.changed', subject: 'person/1', data: { income: 1 } }),
      makeEvent({ type: 'income.changed', subject: 'org/2', data: { income: 2 } }),
    ]);
    await createList(hub, 'old', { owner: 'skatteetaten' });
    await createList(hub, 'older', { owner: 'skatteetaten' });
    const sub = await post('/lists/older/subscriptions', { sink: receiver.url, protocol: 'HTTP' });
    expect(sub.status).toBe(201);
  });
  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
    await hub?.close();
  });

  it('a consumer finds a discoverable list it may not read, sees what it is, and asks for access', async () => {
    const { page, problems, close } = await openConsole(browser, hub.url, { locale: 'en-GB' });
    await signIn(page, keys.kommune);
    const table = page.getByTestId('discoverable');
    await table.waitFor();
    const rows = table.getByRole('row');
    // Only the discoverable list: its name, title, description and declared types, never its head or owner.
    expect(await rows.count()).toBe(2);
    expect((await rows.nth(1).getByRole('cell').allInnerTexts()).slice(0, 4)).toEqual(['folkeregister', 'Folkeregisteret', 'Changes to persons in the population register.', 'person.moved']);
    expect(await page.getByText('Not for strangers').count()).toBe(0);
    expect(await page.getByText('You may not see any event list yet', { exact: false }).count()).toBe(1);
    await captureScreen(page, 'lists-discoverable');

    await page.getByRole('link', { name: 'folkeregister', exact: true }).click();
    await page.getByTestId('discovered-note').waitFor();
    expect(await page.getByRole('link', { name: 'Follow live' }).count()).toBe(0);
    await page.getByText('person.moved').waitFor();
    await captureScreen(page, 'list-discovered');

    await page.getByRole('link', { name: 'Ask for access' }).click();
    expect(await page.getByRole('textbox', { name: 'Event list' }).inputValue()).toBe('folkeregister');
    await page.getByLabel('Purpose').fill('Addresses for school places (opplæringslova § 8-1).');
    await page.getByRole('button', { name: 'Send request' }).click();
    await page.getByTestId('request-sent').waitFor();
    const requests = ((await (await hub.fetch('/access-requests?list=folkeregister')).json()) as { requests: { principal: string; status: string }[] }).requests;
    expect(requests.map((r) => [r.principal, r.status])).toEqual([['kommune', 'pending']]);
    expect(problems).toEqual([]);
    await close();
  });

  it('the owner narrows a grant: filter, attributes and an end date, in force at once', async () => {
    const { page, problems, close } = await openConsole(browser, hub.url, { locale: 'en-GB', path: '/console/lists/inntekt' });
    await signIn(page, keys.skatteetaten);
    await page.getByRole('button', { name: 'Change the grant of nav' }).click();
    const form = page.getByRole('form', { name: 'Change the grant of nav' });
    // A filter the hub refuses is shown at the place it points to; nothing changes.
    await form.getByLabel('Filter').fill("subject LIKE 'person/%' AND");
    await form.getByRole('button', { name: 'Save the grant' }).click();
    await form.getByText(/^At character \d+:/).waitFor();
    const end = new Date(Date.now() + 30 * 86_400_000);
    const day = `${end.getFullYear()}-${String(end.getMonth() + 1).padStart(2, '0')}-${String(end.getDate()).padStart(2, '0')}`;
    await form.getByLabel('Filter').fill("subject LIKE 'person/%'");
    await form.getByLabel('Attributes').fill('subject, type');
    await form.getByLabel('Access ends').fill(day);
    await captureScreen(page, 'grant-change');
    await form.getByRole('button', { name: 'Save the grant' }).click();
    await form.waitFor({ state: 'detached' });
    const row = page.getByRole('row', { name: /^nav / });
    await row.getByText("subject LIKE 'person/%'").waitFor();
    expect(await row.getByRole('cell').nth(2).innerText()).toBe('subject, type');

    const grants = ((await (await hub.fetch('/lists/inntekt/grants')).json()) as { grants: { filter: unknown; fields: string[]; expiresAt: string }[] }).grants;
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({ filter: "subject LIKE 'person/%'", fields: ['subject', 'type'] });
    // The end is the start of the chosen day in the reader's time zone.
    const ends = new Date(grants[0].expiresAt);
    expect([ends.getFullYear(), ends.getMonth(), ends.getDate(), ends.getHours(), ends.getMinutes()]).toEqual([end.getFullYear(), end.getMonth(), end.getDate(), 0, 0]);
    // nav now reads only persons, without data.
    const page1 = (await (await as('nav', '/lists/inntekt/events')).json()) as { events: Record<string, unknown>[] };
    expect(page1.events.map((e) => [e.subject, e.data])).toEqual([['person/1', undefined]]);
    expect(problems).toEqual(['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
    await close();
  });

  it('the owner deletes a list after confirming; with subscriptions, only when told to delete them too', async () => {
    const { page, problems, close } = await openConsole(browser, hub.url, { locale: 'en-GB', path: '/console/lists/old' });
    await signIn(page, keys.skatteetaten);
    await page.getByRole('button', { name: 'Delete list' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete old?' });
    await dialog.waitFor();
    await captureScreen(page, 'list-delete-confirm');
    // Cancel changes nothing.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await hub.fetch('/lists/old')).status).toBe(200);
    await page.getByRole('button', { name: 'Delete list' }).click();
    await dialog.getByRole('button', { name: 'Delete old' }).click();
    await page.getByRole('heading', { level: 1, name: 'Event lists' }).waitFor();
    expect((await hub.fetch('/lists/old')).status).toBe(404);

    // A list with a subscription: the hub refuses (409), the dialog says why and offers to delete both.
    await page.goto(`${hub.url}/console/lists/older`);
    await page.getByRole('button', { name: 'Delete list' }).click();
    const again = page.getByRole('dialog', { name: 'Delete older?' });
    await again.getByRole('button', { name: 'Delete older' }).click();
    const blocked = again.getByTestId('delete-blocked');
    await blocked.waitFor();
    expect(await blocked.innerText()).toMatch(/^The list has 1 subscriptions./);
    expect((await hub.fetch('/lists/older')).status).toBe(200);
    await captureScreen(page, 'list-delete-blocked');
    await again.getByRole('button', { name: 'Delete the list and its subscriptions' }).click();
    await page.getByRole('heading', { level: 1, name: 'Event lists' }).waitFor();
    expect((await hub.fetch('/lists/older')).status).toBe(404);
    expect(((await (await hub.fetch('/subscriptions')).json()) as { subscriptions: unknown[] }).subscriptions).toEqual([]);
    expect(problems).toEqual(['Failed to load resource: the server responded with a status of 409 (Conflict)']);
    await close();
  });

  it('a consumer has no delete or change controls', async () => {
    const { page, close } = await openConsole(browser, hub.url, { locale: 'en-GB', path: '/console/lists/inntekt' });
    await signIn(page, keys.nav);
    await page.getByRole('link', { name: 'Follow live' }).waitFor();
    expect(await page.getByRole('button', { name: 'Delete list' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Change the grant/ }).count()).toBe(0);
    await close();
  });
});
