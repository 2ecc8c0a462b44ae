import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { HubError } from '../../hub/errors.js';

/** The built app: `npm run build` writes it here (src/ and dist/ are both three levels below the package). */
export const CONSOLE_ASSETS = fileURLToPath(new URL('../../../dist/console/', import.meta.url));

/**
 * Everything the console loads comes from this hub: no inline script or
 * style, no other origin, no framing. `connect-src 'self'` is the API and
 * its live streams. Images may also be `data:` URLs: the design system draws
 * its icons as SVG data in its CSS (an image cannot run script).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('cross-origin-resource-policy', 'same-origin');
}

/** A file the app has (with an extension), rather than a screen's address that the app routes itself. */
const isAsset = (path: string) => /\.[a-z0-9]+$/i.test(path);

/** Serve the built console at /console: its files, and index.html for every screen's address. */
export async function consoleStatic(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, { root: CONSOLE_ASSETS, serve: false, decorateReply: true, index: false });
  const built = () => existsSync(`${CONSOLE_ASSETS}index.html`);
  const notBuilt = () => new HubError('unavailable', 'console-not-built', 'Console not built', 'The console has not been built: run npm run build.');
  const index = (reply: FastifyReply) => {
    if (!built()) throw notBuilt();
    // Screens change with every build; hashed assets never do.
    return secure(reply).header('cache-control', 'no-store').sendFile('index.html', { cacheControl: false });
  };
  const schema = { hide: true };
  app.get('/console', { schema }, (_request, reply) => index(reply));
  app.get<{ Params: { '*': string } }>('/console/*', { schema }, (request, reply) => {
    const path = request.params['*'];
    if (!isAsset(path)) return index(reply);
    if (!built()) throw notBuilt();
    const hashed = path.startsWith('assets/');
    return secure(reply).sendFile(path, { cacheControl: true, immutable: hashed, maxAge: hashed ? '365d' : 0 });
  });
}
