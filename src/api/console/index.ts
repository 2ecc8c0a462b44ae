import type { FastifyInstance, FastifyRequest } from 'fastify';
import { OidcSignIn } from './oidc.js';
import { parseConsoleOidc } from './oidc-config.js';
import { consoleSessionRoutes } from './routes.js';
import type { ConsoleSessions } from '../../access/console-sessions.js';
import { consoleStatic } from './static.js';

export { consoleSessionOf } from './credentials.js';

/**
 * Console routes that answer without credentials: the app's files, what the
 * sign-in screen offers, and signing in or out. Everything else the console
 * does goes through the public API with the session cookie as credentials.
 */
const PUBLIC = new Set(['GET /console', 'GET /console/*', 'HEAD /console', 'HEAD /console/*', 'GET /console/config', 'POST /console/session', 'DELETE /console/session', 'GET /console/login', 'GET /console/callback']);

export function isPublicConsoleRoute(request: FastifyRequest): boolean {
  return PUBLIC.has(`${request.method} ${request.routeOptions.url}`);
}

/** The web console: its files at /console and its session routes. */
export async function consoleDoor(app: FastifyInstance, options: { sessions: ConsoleSessions }): Promise<void> {
  const oidcConfig = parseConsoleOidc(app.deps.config.consoleOidc);
  await app.register(consoleStatic);
  await app.register(consoleSessionRoutes, { sessions: options.sessions, oidc: oidcConfig && new OidcSignIn(oidcConfig) });
}
