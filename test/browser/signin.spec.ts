import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, createList, makeEvent, publishBatch, startTestHub, type TestHub } from '../helpers/hub.js';
import { captureScreen, launchBrowser, openConsole, signIn } from './browser.js';

describe('console: sign in, lists, language, sign out', () => {
  let hub: TestHub;
  let browser: Browser;
  beforeAll(async () => {
    [hub, browser] = await Promise.all([startTestHub(), launchBrowser()]);
    await createList(hub, 'folkeregister', { title: 'Folkeregisteret', owner: 'skatteetaten' });
    await createList(hub, 'enhetsregister', { title: 'Enhetsregisteret' });
    await publishBatch(hub, 'folkeregister', Array.from({ length: 7 }, () => makeEvent({ type: 'no.folkeregister.person.changed' })));
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.close();
  });

  it('a wrong key is refused on the page; the right key signs in with the keyboard alone and shows the lists with their heads', async () => {
    const { page, problems, close } = await openConsole(browser, hub.url);
    await expect.poll(() => page.title()).toBe('Logg inn – Herold');
    await captureScreen(page, 'sign-in');
    await page.locator('input[type=password]').fill('wrong-key');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').innerText()).toMatch(/not valid/);

    await page.locator('input[type=password]').fill('');
    await signIn(page, ADMIN_KEY);
    await page.getByRole('heading', { level: 1, name: 'Hendelseslister' }).waitFor();
    await expect.poll(() => page.getByTestId('head-folkeregister').innerText()).toBe('7');
    expect(await page.getByTestId('head-enhetsregister').innerText()).toBe('0');
    // The key is nowhere in the browser: not in storage, not in a script-readable cookie.
    const stored = await page.evaluate(() => [document.cookie, JSON.stringify(localStorage), JSON.stringify(sessionStorage)].join(' '));
    expect(stored).not.toContain(ADMIN_KEY);
    expect(await page.evaluate(() => document.cookie)).toBe('');
    await page.getByRole('img', { name: /7 hendelser siste time/ }).waitFor();
    await captureScreen(page, 'lists');

    // Keyboard, on a fresh load: Tab reaches the skip link first, and it leads to the main content.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Hendelseslister' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Hopp til hovedinnhold');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    expect(problems).toEqual([]);
    await close();
  });

  it('switches language (nb, nn, en): every label, the page language, and the choice is kept', async () => {
    const { page, problems, close } = await openConsole(browser, hub.url);
    await signIn(page, ADMIN_KEY);
    const select = page.getByLabel('Språk');
    await select.selectOption('nn');
    await page.getByRole('heading', { level: 1, name: 'Hendingslister' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('nn');
    await captureScreen(page, 'lists-nn');
    await page.getByLabel('Språk').selectOption('en');
    await page.getByRole('heading', { level: 1, name: 'Event lists' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Event lists' }).waitFor();
    expect(problems).toEqual([]);
    await close();
  });

  it('dates follow the reader: an English reader in the US and one in Britain each see their own format', async () => {
    await hub.fetch('/api-keys', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ principal: 'dates-reader' }) });
    const shown: string[] = [];
    for (const locale of ['en-US', 'en-GB']) {
      const { page, close } = await openConsole(browser, hub.url, { locale });
      await signIn(page, ADMIN_KEY);
      await page.getByRole('link', { name: 'Administration' }).click();
      shown.push(await page.getByRole('row', { name: /dates-reader/ }).getByRole('cell').nth(3).innerText());
      await close();
    }
    expect(shown[0]).toMatch(/^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}:\d{2} [AP]M$/);
    expect(shown[1]).toMatch(/^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}:\d{2}$/);
  });

  it('signs out: the session ends on the hub, and the old cookie no longer works', async () => {
    const { page, context, problems, close } = await openConsole(browser, hub.url);
    await signIn(page, ADMIN_KEY);
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'herold_session', httpOnly: true, sameSite: 'Strict' });
    await page.getByRole('button', { name: 'Logg ut' }).click();
    await page.getByRole('heading', { level: 1, name: 'Logg inn' }).waitFor();
    expect(await context.cookies()).toEqual([]);
    const res = await fetch(`${hub.url}/lists`, { headers: { cookie: `herold_session=${cookie.value}` } });
    expect(res.status).toBe(401);
    expect(problems).toEqual([]);
    await close();
  });

  it('a revoked key ends the open session: the next action shows the sign-in screen', async () => {
    const created = (await (await hub.fetch('/api-keys', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ principal: 'skatteetaten' }) })).json()) as { id: string; key: string };
    const { page, close } = await openConsole(browser, hub.url);
    await signIn(page, created.key);
    await page.getByRole('link', { name: 'folkeregister' }).waitFor();
    await hub.fetch(`/api-keys/${created.id}`, { method: 'DELETE' });
    await page.getByRole('link', { name: 'folkeregister' }).click();
    await page.getByText('Sesjonen din er avsluttet. Logg inn på nytt.').waitFor();
    await close();
  });
});
