import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { TestOidcProvider } from '../console/oidc-provider.js';
import { captureScreen, launchBrowser, openConsole } from './browser.js';

describe('console: sign in with OpenID Connect in the browser', () => {
  let idp: TestOidcProvider;
  let hub: TestHub;
  let browser: Browser;
  beforeAll(async () => {
    [idp, browser] = await Promise.all([TestOidcProvider.start(), launchBrowser()]);
    hub = await startTestHub({
      jwtIssuers: JSON.stringify([{ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: 'herold', name: 'idp' }]),
      consoleOidc: JSON.stringify({ issuer: idp.issuer, clientId: idp.clientId }),
    });
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    idp?.close();
  });

  it('the button goes through the provider and back, signed in; the tokens never reach the page', async () => {
    const { page, context, problems, close } = await openConsole(browser, hub.url, { locale: 'en-GB' });
    const button = page.getByRole('link', { name: 'Sign in with your organisation' });
    await button.waitFor();
    await captureScreen(page, 'sign-in-oidc');
    await button.click();
    await page.getByText('Signed in as idp:alice').waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/');
    expect((await context.cookies()).map((c) => c.name)).toEqual(['herold_session']);
    expect(await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie)).not.toMatch(/eyJ/);
    expect(problems).toEqual([]);
    await close();
  });

  it('a refused sign-in comes back to the sign-in screen with the reason', async () => {
    idp.misbehave = 'wrong-audience';
    const { page, close } = await openConsole(browser, hub.url, { locale: 'en-GB' });
    await page.getByRole('link', { name: 'Sign in with your organisation' }).click();
    await page.getByRole('alert').getByText('The identity provider signed you in, but the hub does not accept the token it gave.').waitFor();
    idp.misbehave = 'none';
    await close();
  });
});
