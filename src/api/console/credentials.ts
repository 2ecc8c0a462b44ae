import { fastifyCookie as cookie } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HubError } from '../../hub/errors.js';
import type { Principal } from '../../access/access.js';
import type { ConsoleSession, ConsoleSessions } from '../../access/console-sessions.js';

export const SESSION_COOKIE = 'herold_session';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The request's own origin, as a browser would write it in `Origin`. */
export function ownOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`.toLowerCase();
}

/** Whether the request says it comes from a page of this hub. */
export function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  return typeof origin === 'string' && origin.toLowerCase() === ownOrigin(request);
}

/** The session id in the request's cookie, if it sent one. */
export function sessionIdOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  return cookie.parse(header)[SESSION_COOKIE] || undefined;
}

/**
 * The console session a request without an Authorization header stands for.
 * A browser sends the cookie with every request to this hub, also those a
 * page of another site makes it send (a form post, an image): a request that
 * changes state must therefore name this hub in `Origin`, or it is refused
 * before anything else happens (SameSite=Strict already keeps the cookie off
 * such requests in current browsers; this holds where it does not).
 */
export async function consoleSessionOf(
  request: FastifyRequest,
  sessions: ConsoleSessions,
): Promise<{ session: ConsoleSession; principal: Principal } | { ended: string } | undefined> {
  const id = sessionIdOf(request);
  if (id === undefined) return undefined;
  const found = await sessions.get(id);
  if (!found || 'ended' in found) return found;
  if (!SAFE_METHODS.has(request.method) && !sameOrigin(request)) {
    throw new HubError('forbidden', 'forbidden', 'Forbidden', 'A request with console session credentials that changes something must come from a console page of this hub (its Origin header must be this hub).');
  }
  return found;
}

/** Set the session cookie: HttpOnly, SameSite=Strict, Secure when the request came over TLS. */
export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, id: string, endsAt: number): void {
  reply.header(
    'set-cookie',
    cookie.serialize(SESSION_COOKIE, id, { path: '/', httpOnly: true, sameSite: 'strict', secure: request.protocol === 'https', expires: new Date(endsAt) }),
  );
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('set-cookie', cookie.serialize(SESSION_COOKIE, '', { path: '/', httpOnly: true, sameSite: 'strict', secure: request.protocol === 'https', maxAge: 0 }));
}
