import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createList, makeEvent, publishBatch, startTestHub, type TestHub } from '../helpers/hub.js';
import { captureScreen, launchBrowser, openConsole, signIn } from './browser.js';

describe('console: a consumer asks, the owner narrows and approves, the consumer receives exactly that', () => {
  let hub: TestHub;
  let browser: Browser;
  const keys: Record<string, string> = {};
  const post = (path: string, body: unknown) => hub.fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    [hub, browser] = await Promise.all([startTestHub(), launchBrowser()]);
    await createList(hub, 'skatt', { title: 'Skatteoppgjør', owner: 'skatteetaten' });
    // A consumer asks only about lists it can see: here nav also publishes its own events to the list.
    await post('/lists/skatt/publishers', { principal: 'nav', source: '/nav' });
    for (const p of ['skatteetaten', 'nav']) keys[p] = ((await (await post('/api-keys', { principal: p })).json()) as { key: string }).key;
    await publishBatch(hub, 'skatt', [
      makeEvent({ type: 'income.changed', subject: 'person/1', data: { income: 500_000 } }),
      makeEvent({ type: 'income.changed', subject: 'person/2', data: { income: 400_000 } }),
      makeEvent({ type: 'address.changed', subject: 'person/1', data: { street: 'Storgata 1' } }),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.close();
  });

  it('request, preview, narrowed approval, and a live tail of only the granted, minimised events', async () => {
    const consumer = await openConsole(browser, hub.url, { locale: 'en-GB' });
    await signIn(consumer.page, keys.nav);
    await consumer.page.getByRole('link', { name: 'skatt' }).click();
    await consumer.page.getByRole('link', { name: 'Ask for access' }).click();
    await consumer.page.getByLabel('Purpose').fill('Benefits are computed from income (folketrygdloven § 21-4).');
    await consumer.page.getByLabel('Legal basis (hjemmel)').fill('Personopplysningsloven art. 6 nr. 1 bokstav e');
    await consumer.page.getByLabel('Events wanted (CESQL filter)').fill("type = 'income.changed'");
    // A wished end date: approval makes it the grant's end, which the hub enforces.
    const end = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
    await consumer.page.getByLabel('Access until').fill(end);
    await consumer.page.getByRole('button', { name: 'Send request' }).click();
    await consumer.page.getByTestId('request-sent').waitFor();
    await consumer.page.getByRole('cell', { name: 'Waiting' }).waitFor();
    await captureScreen(consumer.page, 'access-consumer');

    const owner = await openConsole(browser, hub.url, { locale: 'en-GB' });
    await signIn(owner.page, keys.skatteetaten);
    await owner.page.getByRole('link', { name: 'Approvals' }).click();
    const review = owner.page.getByTestId('review');
    await review.getByRole('heading', { name: 'nav asks for skatt' }).waitFor();
    expect(await review.getByText('folketrygdloven § 21-4').count()).toBe(1);
    expect(await review.getByText('Personopplysningsloven art. 6 nr. 1 bokstav e').count()).toBe(1);
    expect(await review.getByLabel('Access ends').inputValue()).toBe(end);
    // Approving needs a preview first.
    expect(await review.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
    // Narrowed: one subject only, and the subject but not the data.
    await review.getByLabel('Events granted (CESQL filter)').fill("type = 'income.changed' AND subject = 'person/1'");
    await review.getByLabel('Attributes granted').fill('subject');
    await review.getByRole('button', { name: 'Preview' }).click();
    const preview = review.getByTestId('preview');
    await preview.waitFor();
    const previewed = (await preview.locator('pre').innerText()).split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(previewed).toHaveLength(1);
    expect(previewed[0]).toMatchObject({ type: 'income.changed', subject: 'person/1' });
    expect(previewed[0]).not.toHaveProperty('data');
    expect(previewed[0]).not.toHaveProperty('time');
    await captureScreen(owner.page, 'approvals-preview');
    await review.getByRole('button', { name: 'Approve' }).click();
    await owner.page.getByText('No requests are waiting.').waitFor();
    await owner.page.getByRole('table', { name: 'Grants' }).getByRole('cell', { name: 'nav', exact: true }).waitFor();
    await captureScreen(owner.page, 'approvals');

    // Served exactly as previewed, on every read of the consumer's.
    const grants = (await (await hub.fetch('/grants')).json()) as { grants: { principal: string; filter: unknown; fields: string[]; expiresAt: string }[] };
    expect(grants.grants).toEqual([expect.objectContaining({ principal: 'nav', filter: "type = 'income.changed' AND subject = 'person/1'", fields: ['subject'] })]);
    // The end as asked: the start of that day in the owner's time zone.
    expect(Math.abs(Date.parse(grants.grants[0].expiresAt) - Date.parse(`${end}T00:00:00Z`))).toBeLessThanOrEqual(14 * 3_600_000);

    await consumer.page.reload();
    await consumer.page.getByRole('cell', { name: 'Approved' }).waitFor();
    await consumer.page.getByRole('table', { name: 'My grants' }).getByRole('cell', { name: 'subject', exact: true }).waitFor();
    await consumer.page.goto(`${hub.url}/console/lists/skatt/tail`);
    await consumer.page.getByText('Live: following new events.').waitFor();
    await publishBatch(hub, 'skatt', [
      makeEvent({ type: 'income.changed', subject: 'person/1', data: { income: 510_000 } }),
      makeEvent({ type: 'income.changed', subject: 'person/2', data: { income: 410_000 } }),
      makeEvent({ type: 'address.changed', subject: 'person/1', data: { street: 'Lillegata 2' } }),
      makeEvent({ type: 'income.changed', subject: 'person/1', data: { income: 520_000 } }),
    ]);
    const count = consumer.page.getByTestId('tail-count');
    await expect.poll(() => count.getAttribute('data-received')).toBe('2');
    const rows = consumer.page.locator('.tail-row');
    expect(await rows.count()).toBe(2);
    await captureScreen(consumer.page, 'access-consumer-tail');
    await rows.last().click();
    const served = JSON.parse(await consumer.page.locator('pre.json').innerText()) as Record<string, unknown>;
    expect(Object.keys(served).sort()).toEqual(['heroldprevseq', 'heroldseq', 'heroldtime', 'id', 'source', 'specversion', 'subject', 'type']);
    expect(served.subject).toBe('person/1');
    expect(consumer.problems).toEqual([]);
    expect(owner.problems).toEqual([]);
    await consumer.close();
    await owner.close();
  });

  it('the owner denies with a reason, and the consumer sees it', async () => {
    const consumer = await openConsole(browser, hub.url, { locale: 'en-GB', path: '/console/access?list=skatt' });
    await signIn(consumer.page, keys.nav);
    await consumer.page.getByLabel('Purpose').fill('All addresses, please.');
    await consumer.page.getByRole('button', { name: 'Send request' }).click();
    await consumer.page.getByTestId('request-sent').waitFor();

    const owner = await openConsole(browser, hub.url, { locale: 'en-GB', path: '/console/approvals' });
    await signIn(owner.page, keys.skatteetaten);
    const review = owner.page.getByTestId('review');
    await review.getByLabel('Reason for denying').fill('No legal basis for addresses.');
    await review.getByRole('button', { name: 'Deny' }).click();
    await owner.page.getByText('No requests are waiting.').waitFor();

    await consumer.page.reload();
    await consumer.page.getByRole('cell', { name: 'Denied' }).waitFor();
    await consumer.page.getByRole('cell', { name: 'No legal basis for addresses.' }).waitFor();
    await consumer.close();
    await owner.close();
  });
});
