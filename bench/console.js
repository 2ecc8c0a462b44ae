#!/usr/bin/env node
// The console's budgets (issue 12), measured against the built hub in a real browser:
//   - the console's JS under 300 KB gzipped (and the CSS, for the record);
//   - the first screen interactive within 1 s on localhost (navigation start to the
//     sign-in field accepting input, and sign-in to the lists table on screen);
//   - the live tail keeps up with 1,000 events/s for 30 s with no event missing,
//     counted in the page.
// `npm run build && node bench/console.js [--quick]` (quick: 5 s of tail). One JSON
// document on stdout. Needs Debian's chromium (HEROLD_CHROMIUM names another binary).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { ADMIN_KEY, Hub } from './lib/hub.js';
import { log } from './lib/util.js';

const quick = process.argv.includes('--quick');
const SECONDS = quick ? 5 : 30;
const RATE = 1000;
const assets = new URL('../dist/console/assets/', import.meta.url);

function bundleSizes() {
  const out = { jsBytes: 0, jsGzipBytes: 0, cssGzipBytes: 0 };
  for (const name of readdirSync(assets)) {
    const body = readFileSync(join(assets.pathname, name));
    if (name.endsWith('.js')) {
      out.jsBytes += body.length;
      out.jsGzipBytes += gzipSync(body, { level: 9 }).length;
    } else if (name.endsWith('.css')) out.cssGzipBytes += gzipSync(body, { level: 9 }).length;
  }
  return out;
}

async function post(hub, path, body, contentType = 'application/json') {
  const res = await fetch(hub.url + path, { method: path.endsWith('/events') ? 'POST' : 'PUT', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': contentType }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
}

let n = 0;
const event = () => ({ specversion: '1.0', id: `bench-${++n}`, source: '/bench/console', type: 'bench.tail', subject: `person/${n % 1000}`, time: new Date().toISOString(), datacontenttype: 'application/json', data: { n } });

const sizes = bundleSizes();
log(`console: JS ${sizes.jsGzipBytes} B gzipped`);
const hub = await Hub.start({ sync: 'normal', label: 'console' });
const browser = await chromium.launch({
  executablePath: process.env.HEROLD_CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  await post(hub, '/lists/bench', {});
  const page = await (await browser.newContext({ locale: 'en-GB' })).newPage();

  // First screen: from navigation start until the sign-in screen is on the page and takes input
  // (the app marks it), on a cold load and on a load with the assets cached.
  const firstScreen = async () => {
    await page.locator('input[type=password]').waitFor();
    return page.evaluate(() => performance.getEntriesByName('herold:first-screen')[0].startTime);
  };
  await page.goto(`${hub.url}/console/`);
  const coldMs = await firstScreen();
  await page.reload();
  const firstScreenMs = await firstScreen();
  const t0 = Date.now();
  await page.locator('input[type=password]').fill(ADMIN_KEY);
  await page.keyboard.press('Enter');
  await page.getByRole('link', { name: 'bench' }).waitFor();
  const signInToListsMs = Date.now() - t0;
  log(`console: first screen ${Math.round(coldMs)} ms cold, ${Math.round(firstScreenMs)} ms cached, sign-in to lists ${signInToListsMs} ms`);

  await page.goto(`${hub.url}/console/lists/bench/tail`);
  await page.getByText('Live: following new events.').waitFor();
  const started = Date.now();
  let sent = 0;
  for (let i = 0; i < SECONDS * 10; i++) {
    await post(hub, '/lists/bench/events', Array.from({ length: RATE / 10 }, event), 'application/cloudevents-batch+json');
    sent += RATE / 10;
    const due = started + (i + 1) * 100;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
  }
  const publishSeconds = (Date.now() - started) / 1000;
  const count = page.getByTestId('tail-count');
  const deadline = Date.now() + 30_000;
  let received = 0;
  while (Date.now() < deadline && (received = Number(await count.getAttribute('data-received'))) < sent) await new Promise((r) => setTimeout(r, 100));
  const caughtUpMs = Date.now() - started - publishSeconds * 1000;
  const last = await count.getAttribute('data-last');
  log(`console: tail received ${received} of ${sent} (last seq ${last}) ${caughtUpMs} ms after the last publish`);

  const result = {
    scenario: 'console',
    quick,
    bundle: { ...sizes, budgetJsGzipBytes: 300 * 1024, withinBudget: sizes.jsGzipBytes < 300 * 1024 },
    firstScreen: { coldMs: Math.round(coldMs), interactiveMs: Math.round(firstScreenMs), signInToListsMs, budgetMs: 1000, withinBudget: coldMs < 1000 },
    liveTail: { eventsPerSecond: RATE, seconds: SECONDS, publishSeconds: Math.round(publishSeconds * 10) / 10, sent, received, lastSeq: last, missing: sent - received, caughtUpMsAfterLastPublish: caughtUpMs, withinBudget: received === sent && last === String(sent) },
    peakHubRssMiB: Math.round(hub.peakRssKb / 1024),
  };
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  process.exitCode = result.bundle.withinBudget && result.firstScreen.withinBudget && result.liveTail.withinBudget ? 0 : 1;
} finally {
  await browser.close();
  await hub.stop();
}
