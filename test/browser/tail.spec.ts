import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, createList, makeEvent, publishBatch, startTestHub, type TestHub } from '../helpers/hub.js';
import { captureScreen, launchBrowser, openConsole, signIn } from './browser.js';

/** Publish `perSecond` events a second for `seconds`, in ten batches a second, paced by the clock. */
async function publishAtRate(hub: TestHub, list: string, perSecond: number, seconds: number, event: () => Record<string, unknown>): Promise<number> {
  const batch = perSecond / 10;
  const started = Date.now();
  let sent = 0;
  for (let i = 0; i < seconds * 10; i++) {
    const res = await publishBatch(hub, list, Array.from({ length: batch }, event));
    if (res.status !== 201) throw new Error(`publish: ${res.status} ${await res.text()}`);
    sent += batch;
    const due = started + (i + 1) * 100;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
  }
  return sent;
}

describe('console: live tail and event page', () => {
  let hub: TestHub;
  let browser: Browser;
  beforeAll(async () => {
    [hub, browser] = await Promise.all([startTestHub(), launchBrowser()]);
    await createList(hub, 'tail');
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.close();
  });

  const head = async () => ((await (await hub.fetch('/lists/tail')).json()) as { head: string }).head;

  it('follows 1,000 events/s over SSE with the session cookie, counting every one in order', async () => {
    const { page, problems, close } = await openConsole(browser, hub.url);
    await signIn(page, ADMIN_KEY);
    await page.goto(`${hub.url}/console/lists/tail/tail`);
    await page.getByText('Direkte: følger nye hendelser.').waitFor();
    const before = BigInt(await head());
    const sent = await publishAtRate(hub, 'tail', 1000, 10, () => makeEvent());
    const count = page.getByTestId('tail-count');
    await expect.poll(() => count.getAttribute('data-received'), { timeout: 30_000 }).toBe(String(sent));
    // Every seq from the head at the start to the head now, each once and in order (repeats are not counted).
    expect(await count.getAttribute('data-last')).toBe(String(before + BigInt(sent)));
    expect(await head()).toBe(String(before + BigInt(sent)));
    await captureScreen(page, 'live-tail');
    expect(problems).toEqual([]);
    await close();
  });

  it('shows a bad filter at the position the parser reports, then follows only what a good one matches; pause and resume lose nothing', async () => {
    const { page, problems, close } = await openConsole(browser, hub.url, { locale: 'en-GB' });
    await signIn(page, ADMIN_KEY);
    await page.goto(`${hub.url}/console/lists/tail/tail`);
    const filter = page.getByLabel('Filter (CESQL)');
    await filter.fill("type = 'wanted' AND");
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await page.getByText(/^At character \d+:/).waitFor();
    expect(await filter.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.caret').innerText()).toMatch(/\n {19,}\^$/);
    await captureScreen(page, 'live-tail-filter-error');

    await filter.fill("type = 'wanted'");
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await page.getByText('Live: following new events.').waitFor();
    const count = page.getByTestId('tail-count');
    await publishBatch(hub, 'tail', [makeEvent({ type: 'wanted' }), makeEvent({ type: 'other' }), makeEvent({ type: 'wanted' })]);
    await expect.poll(() => count.getAttribute('data-received')).toBe('2');

    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByText(/^Paused\./).waitFor();
    await publishBatch(hub, 'tail', Array.from({ length: 30 }, (_, i) => makeEvent({ type: i % 3 === 0 ? 'wanted' : 'other' })));
    expect(await count.getAttribute('data-received')).toBe('2');
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => count.getAttribute('data-received')).toBe('12');
    expect(await count.getAttribute('data-last')).toBe(String(BigInt(await head()) - 2n)); // the last 'wanted' of the 30
    // The refused filter's 400 is the only failed load.
    expect(problems).toEqual(['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
    await close();
  });

  it("an event's page shows it as served and the earlier events about its subject, as a timeline", async () => {
    const subject = 'person/timeline';
    await publishBatch(hub, 'tail', [makeEvent({ subject, type: 'born' }), makeEvent({ subject: 'someone/else' }), makeEvent({ subject, type: 'moved' }), makeEvent({ subject, type: 'married' })]);
    const last = await head();
    const { page, problems, close } = await openConsole(browser, hub.url, { locale: 'en-GB' });
    await signIn(page, ADMIN_KEY);
    await page.goto(`${hub.url}/console/lists/tail/events/${last}`);
    await page.getByRole('heading', { level: 1, name: `Event ${last} in tail` }).waitFor();
    const served = JSON.parse(await page.locator('pre.json').innerText()) as Record<string, unknown>;
    expect(served).toMatchObject({ type: 'married', subject, heroldseq: last });
    const timeline = page.getByRole('list', { name: `Earlier events about ${subject}` });
    // The timeline loads after the event: wait for both entries before reading them.
    await expect.poll(() => timeline.getByRole('listitem').count(), { timeout: 10_000 }).toBe(2);
    expect(await timeline.getByRole('listitem').allInnerTexts()).toEqual([expect.stringMatching(new RegExp(`^${BigInt(last) - 1n}: moved, `)), expect.stringMatching(new RegExp(`^${BigInt(last) - 3n}: born, `))]);
    await captureScreen(page, 'event');
    // The timeline is links: follow one with the keyboard.
    await timeline.getByRole('link').first().focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: `Event ${BigInt(last) - 1n} in tail` }).waitFor();
    expect(problems).toEqual([]);
    await close();
  });
});
