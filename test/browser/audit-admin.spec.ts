import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, createList, makeEvent, publishBatch, startTestHub, type TestHub } from '../helpers/hub.js';
import { captureScreen, launchBrowser, openConsole, signIn } from './browser.js';

describe('console: audit per subject, and API keys for admins', () => {
  let hub: TestHub;
  let browser: Browser;
  const keys: Record<string, string> = {};
  const post = (path: string, body: unknown) => hub.fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    [hub, browser] = await Promise.all([startTestHub(), launchBrowser()]);
    await createList(hub, 'folk', { owner: 'skatteetaten' });
    await post('/lists/folk/grants', { principal: 'nav' });
    for (const p of ['skatteetaten', 'nav']) keys[p] = ((await (await post('/api-keys', { principal: p })).json()) as { key: string }).key;
    await publishBatch(hub, 'folk', [makeEvent({ subject: 'person/ola', type: 'moved' }), makeEvent({ subject: 'person/kari', type: 'moved' }), makeEvent({ subject: 'person/ola', type: 'married' })]);
    // nav reads everything once: two events about person/ola reach it.
    expect((await hub.fetch('/lists/folk/events', { headers: { authorization: `Bearer ${keys.nav}` } })).status).toBe(200);
    // The audit writes its rows in batches (within a second): written before the console searches them.
    await hub.running.app.deps.audit.flush();
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.close();
  });

  it('the owner finds who received events about a subject, and exports it as CSV', async () => {
    const { page, problems, close } = await openConsole(browser, hub.url, { locale: 'en-GB' });
    await signIn(page, keys.skatteetaten);
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByLabel('Subject').fill('person/ola');
    await page.getByRole('button', { name: 'Search' }).click();
    const table = page.getByTestId('audit-table');
    await expect.poll(() => table.getByRole('row').count(), { timeout: 10_000 }).toBe(3);
    const rows = await Promise.all([1, 2].map(async (i) => (await table.getByRole('row').nth(i).getByRole('cell').allInnerTexts()).filter((_, c) => c !== 2)));
    expect(rows.sort((a, b) => Number(a[2]) - Number(b[2]))).toEqual([
      ['nav', 'pull', '1', 'moved'],
      ['nav', 'pull', '3', 'married'],
    ]);
    await captureScreen(page, 'audit');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export as CSV' }).click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.split('\r\n')[0]).toBe('"principal","channel","at","seq","type","list","subject"');
    expect(csv.split('\r\n').filter((l) => l.startsWith('"nav","pull"'))).toHaveLength(2);
    expect(problems).toEqual([]);
    await close();
  });

  it("an admin sees who searched the audit log for whom (the owner's search above, then its own)", async () => {
    const { page, problems, close } = await openConsole(browser, hub.url, { locale: 'en-GB' });
    await signIn(page, ADMIN_KEY);
    await page.getByRole('link', { name: 'Audit' }).click();
    const searches = page.getByTestId('audit-searches');
    const cells = async (i: number) => (await searches.getByRole('row').nth(i).getByRole('cell').allInnerTexts()).slice(1);
    // Row 0 is the header; the owner's search for person/ola found 2 deliveries.
    await expect.poll(() => searches.getByRole('row').count(), { timeout: 10_000 }).toBe(2);
    expect(await cells(1)).toEqual(['skatteetaten', 'folk', 'person/ola', 'Any time', '2']);
    await page.getByLabel('Subject').fill('person/kari');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => searches.getByRole('row').count(), { timeout: 10_000 }).toBe(3);
    // As many deliveries as the search showed (the console's own reads may be among them by now).
    const found = (await page.getByRole('heading', { name: /deliveries of events about person\/kari/ }).innerText()).split(' ')[0];
    expect(Number(found)).toBeGreaterThanOrEqual(1);
    expect(await cells(1)).toEqual(['admin', 'folk', 'person/kari', 'Any time', found]);
    expect(await cells(2)).toEqual(['skatteetaten', 'folk', 'person/ola', 'Any time', '2']);
    await captureScreen(page, 'audit-searches');
    expect(problems).toEqual([]);
    await close();
  });

  it('an owner does not see the record of searches', async () => {
    const { page, problems, close } = await openConsole(browser, hub.url, { locale: 'en-GB' });
    await signIn(page, keys.skatteetaten);
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByLabel('Subject').waitFor();
    expect(await page.getByRole('heading', { name: 'Audit searches' }).count()).toBe(0);
    expect(problems).toEqual([]);
    await close();
  });

  it('a consumer sees no audit or approvals in the menu', async () => {
    const { page, close } = await openConsole(browser, hub.url, { locale: 'en-GB' });
    await signIn(page, keys.nav);
    const menu = page.getByRole('navigation', { name: 'Main menu' });
    expect(await menu.getByRole('link').allInnerTexts()).toEqual(['Event lists', 'Subscriptions', 'My access']);
    await close();
  });

  it('an admin sees usage per consumer, creates a key (shown once, and it signs in), then revokes it', async () => {
    const { page, problems, close } = await openConsole(browser, hub.url, { locale: 'en-GB' });
    await hub.running.app.deps.audit.flush();
    await signIn(page, ADMIN_KEY);
    await page.getByRole('link', { name: 'Administration' }).click();
    // Usage per consumer: nav's reads of folk, by day, list and channel, as the hub counts them.
    const usage = ((await (await hub.fetch('/usage?principal=nav')).json()) as { usage: { day: string; list: string; channel: string; events: number }[] }).usage;
    const pulls = usage.find((u) => u.list === 'folk' && u.channel === 'pull')!;
    expect(pulls.events).toBeGreaterThanOrEqual(3);
    await page.getByTestId('usage').getByRole('row', { name: `${pulls.day} nav folk pull ${pulls.events}`, exact: true }).waitFor();
    await page.getByLabel('Principal', { exact: true }).fill('0192:987654321');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByLabel('New API key for 0192:987654321');
    const key = await shown.inputValue();
    expect(key.length).toBeGreaterThan(30);
    await captureScreen(page, 'admin-keys');
    await page.getByRole('button', { name: 'I have stored it' }).click();
    expect(await page.getByLabel('New API key for 0192:987654321').count()).toBe(0);
    expect((await hub.fetch('/lists', { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);

    await page.getByRole('button', { name: /^Revoke the key .* of 0192:987654321$/ }).click();
    await page.getByRole('row', { name: /0192:987654321/ }).getByText('Revoked').waitFor();
    expect((await hub.fetch('/lists', { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
    expect(problems).toEqual([]);
    await close();
  });
});
