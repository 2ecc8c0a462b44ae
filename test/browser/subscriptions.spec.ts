import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, createList, makeEvent, publishBatch, startTestHub, type TestHub } from '../helpers/hub.js';
import { Receiver } from '../helpers/receiver.js';
import { captureScreen, launchBrowser, openConsole, signIn } from './browser.js';

describe('console: subscriptions, attempts, dead letters and redelivery', () => {
  let hub: TestHub;
  let browser: Browser;
  let receiver: Receiver;
  beforeAll(async () => {
    [hub, browser, receiver] = await Promise.all([startTestHub({ egressAllow: '127.0.0.0/8' }), launchBrowser(), Receiver.start()]);
    await createList(hub, 'orders');
    await publishBatch(hub, 'orders', [
      makeEvent({ type: 'order.created', subject: 'order/1' }),
      makeEvent({ type: 'order.created', subject: 'invoice/1' }),
      makeEvent({ type: 'order.cancelled', subject: 'order/2' }),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
    await hub?.close();
  });

  it('an operator creates a webhook subscription after testing its filter, finds a dead letter and redelivers it to the fixed receiver', async () => {
    const { page, problems, close } = await openConsole(browser, hub.url, { locale: 'en-GB' });
    await signIn(page, ADMIN_KEY);
    await page.getByRole('link', { name: 'Subscriptions' }).click();
    await page.getByLabel('Event list').selectOption('orders');
    await page.getByLabel('Receiver (sink)').fill(receiver.url);
    await page.getByLabel('Event types').fill('order.created');
    const filter = page.getByLabel('Filter (CESQL)');
    await filter.fill("subject LIKE 'order/%' AND");
    await page.getByRole('button', { name: 'Test filter' }).click();
    await page.getByText(/^At character \d+:/).waitFor();
    await filter.fill("subject LIKE 'order/%'");
    await page.getByRole('button', { name: 'Test filter' }).click();
    expect(await page.getByTestId('filter-tested').innerText()).toBe('1 of the last 3 events match.');
    await captureScreen(page, 'subscriptions-new');

    // The receiver refuses: a 400 is dead-lettered at once.
    receiver.respond = () => ({ status: 400, body: 'unknown order format' });
    await page.getByRole('button', { name: 'Create subscription' }).click();
    const secret = page.getByLabel(/^Signing secret of sub_/);
    await secret.waitFor();
    expect(await secret.inputValue()).toMatch(/^whsec_/);
    await captureScreen(page, 'subscriptions-secret');
    await page.getByRole('button', { name: 'I have stored it' }).click();
    const link = page.getByRole('link', { name: /^sub_/ });
    const id = await link.innerText();

    const [event] = [makeEvent({ type: 'order.created', subject: 'order/42', id: 'order-42-created' })];
    await publishBatch(hub, 'orders', [event, makeEvent({ type: 'order.created', subject: 'invoice/9' })]);
    await receiver.waitFor((r) => r.received.length === 1);
    const webhookId = receiver.received[0].headers['webhook-id'];
    await expect.poll(async () => ((await (await hub.fetch(`/subscriptions/${id}/deadletters`)).json()) as { deadletters: unknown[] }).deadletters.length).toBe(1);

    await link.click();
    await page.getByRole('heading', { level: 1, name: `Subscription ${id}` }).waitFor();
    const dead = page.getByRole('table', { name: 'Dead letters' });
    const row = dead.getByRole('row', { name: /order-42-created/ });
    // The dead letters load after the heading: wait for the row before reading it.
    await row.waitFor();
    expect(await row.getByRole('cell').allInnerTexts()).toEqual(['', '4', 'order-42-created', 'order.created', 'order/42', expect.stringMatching(/400/), expect.any(String)]);
    const attempts = page.getByRole('table', { name: 'Delivery attempts' });
    await attempts.getByRole('cell', { name: 'unknown order format' }).waitFor();
    await captureScreen(page, 'subscription-dead-letter');
    // The attempt names its event and shows the request headers it sent, as the receiver got them.
    const attempt = page.getByTestId('attempt').first();
    expect(await attempt.getByRole('cell').nth(2).innerText()).toMatch(/^order\.created · order\/42\s+order-42-created$/);
    await attempt.getByText('headers').click();
    const sent = await attempt.locator('pre.headers').innerText();
    expect(sent).toContain(`webhook-id: ${webhookId}`);
    expect(sent).toContain(`webhook-signature: ${receiver.received[0].headers['webhook-signature']}`);
    expect(sent).toContain('content-type: application/cloudevents+json');
    await captureScreen(page, 'subscription-attempt-headers');

    receiver.respond = () => ({ status: 204 });
    await row.getByRole('checkbox', { name: 'Select event 4' }).check();
    await page.getByRole('button', { name: 'Redeliver selected (1)' }).click();
    expect(await page.getByTestId('redelivered').innerText()).toBe('Redelivering 1 events.');
    await receiver.waitFor((r) => r.received.length === 2);
    expect(receiver.received[1].headers['webhook-id']).toBe(webhookId);
    expect(JSON.parse(receiver.received[1].body)).toMatchObject({ id: 'order-42-created', subject: 'order/42' });
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => page.getByText('No dead letters.').count()).toBe(1);

    // Pause and resume; rotate the secret (shown once).
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByText('Paused', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByText('Active', { exact: true }).waitFor();
    // Send a test event: it reaches the receiver, and the attempt is shown.
    const before = receiver.received.length;
    await page.getByRole('button', { name: 'Send test event' }).click();
    const tested = page.getByTestId('test-result');
    await tested.waitFor();
    expect(await tested.innerText()).toMatch(/Test event: success, status 2\d\d/);
    expect(receiver.received.slice(before).map((r) => JSON.parse(r.body).type)).toEqual(['herold.test']);
    await captureScreen(page, 'subscription-test-event');
    await page.getByRole('button', { name: 'Rotate signing secret' }).click();
    expect(await page.getByLabel('New signing secret').inputValue()).toMatch(/^whsec_/);
    // The refused filter's 400 is the only failed load.
    expect(problems).toEqual(['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
    await close();
  });

  it('redelivers a range by seq', async () => {
    const subs = (await (await hub.fetch('/subscriptions')).json()) as { subscriptions: { id: string }[] };
    const id = subs.subscriptions[0].id;
    const before = receiver.received.length;
    const { page, close } = await openConsole(browser, hub.url, { locale: 'en-GB', path: `/console/subscriptions/${id}` });
    await signIn(page, ADMIN_KEY);
    await page.getByLabel('From seq').fill('3');
    await page.getByLabel('To seq (optional)').fill('4');
    await page.getByRole('form', { name: 'Redeliver a range' }).getByRole('button', { name: 'Redeliver', exact: true }).click();
    await page.getByTestId('redelivered').waitFor();
    // Only the matching event in the range (seq 4) goes out again.
    await receiver.waitFor((r) => r.received.length === before + 1);
    expect(JSON.parse(receiver.received.at(-1)!.body)).toMatchObject({ subject: 'order/42' });
    await close();
  });

  it('redelivers by commit time, entered in the reader\'s local time', async () => {
    const subs = (await (await hub.fetch('/subscriptions')).json()) as { subscriptions: { id: string }[] };
    const id = subs.subscriptions[0].id;
    const before = receiver.received.length;
    const { page, problems, close } = await openConsole(browser, hub.url, { locale: 'en-GB', path: `/console/subscriptions/${id}` });
    await signIn(page, ADMIN_KEY);
    // datetime-local values in the page's own time zone: from an hour ago, and (first) until an hour ago: nothing.
    const local = (offsetMs: number) =>
      page.evaluate((offset) => {
        const d = new Date(Date.now() + offset);
        const p = (n: number) => String(n).padStart(2, '0');
        return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
      }, offsetMs);
    const form = page.getByRole('form', { name: 'Redeliver by commit time' });
    await form.getByLabel('Committed from (your local time)').fill(await local(-2 * 3600_000));
    await form.getByLabel('Committed before (optional)').fill(await local(-3600_000));
    await form.getByRole('button', { name: 'Redeliver', exact: true }).click();
    await expect.poll(() => page.getByTestId('redelivered').textContent()).toBe('Redelivering 0 events.');
    // From an hour ago, open-ended: every matching event (order/1 and order/42) goes out again.
    await form.getByLabel('Committed before (optional)').fill('');
    await form.getByLabel('Committed from (your local time)').fill(await local(-3600_000));
    await form.getByRole('button', { name: 'Redeliver', exact: true }).click();
    await expect.poll(() => page.getByTestId('redelivered').textContent()).toBe('Redelivering 2 events.');
    await receiver.waitFor((r) => r.received.length === before + 2);
    expect(receiver.received.slice(before).map((r) => JSON.parse(r.body).subject).sort()).toEqual(['order/1', 'order/42']);
    await captureScreen(page, 'subscription-redeliver-time');
    expect(problems).toEqual([]);
    await close();
  });
});
