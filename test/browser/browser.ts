import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** Debian's Chromium (never a downloaded browser); HEROLD_CHROMIUM names another binary. */
export const CHROMIUM = process.env.HEROLD_CHROMIUM ?? '/usr/bin/chromium';
/** Screenshots of every screen, for the test output (docs/console.md describes them). */
export const SCREENSHOTS = join(process.cwd(), '.tmp', 'console-screens');

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export interface ConsolePage {
  page: Page;
  context: BrowserContext;
  /** Console errors and failed loads, among them every Content-Security-Policy violation. */
  problems: string[];
  close(): Promise<void>;
}

/**
 * A fresh browser profile on the hub's console (its own cookies), in a
 * locale, with the CSP enforced as served. Anything the page logs as an error
 * is kept, so a test can assert that nothing was refused.
 */
export async function openConsole(browser: Browser, hubUrl: string, options: { locale?: string; path?: string } = {}): Promise<ConsolePage> {
  const context = await browser.newContext({ locale: options.locale ?? 'nb-NO', viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    // A 401 while checking the session is how the app learns it must show the sign-in screen.
    if (m.type() === 'error' && !/status of 40[13]/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(hubUrl + (options.path ?? '/console/'));
  return { page, context, problems, close: () => context.close() };
}

/** Sign in through the form, with the keyboard only. */
export async function signIn(page: Page, key: string): Promise<void> {
  const field = page.locator('input[type=password]');
  await field.waitFor();
  await field.focus();
  await page.keyboard.type(key);
  await page.keyboard.press('Enter');
  await page.locator('nav').waitFor();
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Wait for transitions to end (a spinner's endless animation excepted): a
 * dialog fading in would be judged by axe, and pictured, at part opacity.
 */
async function settled(page: Page): Promise<void> {
  const moving = () => page.evaluate(() => document.getAnimations().filter((a) => a.playState === 'running' && a.effect?.getTiming().iterations !== Infinity).length);
  await expect.poll(moving, { timeout: 10_000, interval: 50 }).toBe(0);
}

/**
 * axe-core on the current screen, WCAG 2.0/2.1 A and AA rules: no serious or
 * critical violation. axe is evaluated through the DevTools protocol, so the
 * page's own CSP stays as strict as served.
 */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  await settled(page);
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious, `${screen}: ${JSON.stringify(serious, null, 2)}`).toEqual([]);
}

/** Write the screen to the test output; check it with axe too. */
export async function captureScreen(page: Page, name: string): Promise<void> {
  await settled(page);
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  await expectAccessible(page, name);
}
