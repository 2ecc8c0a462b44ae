import { Type } from '@sinclair/typebox';
import { fastifyCookie as cookie } from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../../access/access.js';
import { HubError } from '../../hub/errors.js';
import { authorize } from '../authorize.js';
import { problems } from '../schemas.js';
import { clearSessionCookie, ownOrigin, sameOrigin, sessionIdOf, setSessionCookie } from './credentials.js';
import { OidcError, type OidcSignIn } from './oidc.js';
import type { ConsoleSessions } from '../../access/console-sessions.js';

const STATE_COOKIE = 'herold_oidc_state';
const tags = ['console'];

/** A sign-in that changes which session this browser has must come from a page of this hub, when it says where from. */
function refuseCrossOrigin(request: FastifyRequest): void {
  if (request.headers.origin !== undefined && !sameOrigin(request)) {
    throw new HubError('forbidden', 'forbidden', 'Forbidden', 'Console sign-in and sign-out are accepted only from pages of this hub (Origin).');
  }
}

/** The session routes: sign in with a key (or OIDC), who am I, sign out. */
export async function consoleSessionRoutes(app: FastifyInstance, options: { sessions: ConsoleSessions; oidc?: OidcSignIn }): Promise<void> {
  const { access } = app.deps;
  const { sessions, oidc } = options;

  const startSession = async (request: FastifyRequest, reply: FastifyReply, principal: Principal, via: 'key' | 'oidc') => {
    const old = sessionIdOf(request);
    if (old !== undefined) await sessions.end(old);
    const { id, session } = await sessions.create(principal, via);
    setSessionCookie(request, reply, id, session.endsAt);
  };

  app.get('/console/config', { schema: { tags, summary: 'What the sign-in screen offers (public).' } }, async () => ({ oidc: oidc !== undefined }));

  app.post<{ Body: { key: string } }>(
    '/console/session',
    {
      schema: {
        tags,
        summary: 'Sign in to the console with an API key (or a token): 204 with an HttpOnly, SameSite=Strict session cookie. The key stays on the hub.',
        body: Type.Object({ key: Type.String({ minLength: 1, maxLength: 8192 }) }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...problems(400, 401, 403) },
      },
    },
    async (request, reply) => {
      refuseCrossOrigin(request);
      const authorization = `Bearer ${request.body.key}`;
      const principal = await access.authenticate(authorization);
      if (principal === null || 'error' in principal) throw new HubError('unauthorized', 'unauthorized', 'Unauthorized', principal === null ? 'Give an API key.' : principal.error);
      await startSession(request, reply, principal, 'key');
      return reply.code(204).send();
    },
  );

  app.get(
    '/console/session',
    { schema: { tags, summary: 'Who the caller is: principal, admin, how it signed in and when the session ends.', response: problems(401) } },
    async (request) => {
      authorize(access, request, 'lists.list');
      const p = request.principal!;
      const id = request.headers.authorization === undefined ? sessionIdOf(request) : undefined;
      const found = id === undefined ? undefined : await sessions.get(id);
      const session = found && !('ended' in found) ? found.session : undefined;
      return {
        principal: p.id,
        admin: p.admin,
        via: session?.via ?? 'header',
        endsAt: session ? new Date(session.endsAt).toISOString() : p.expiresAt === undefined ? null : new Date(p.expiresAt).toISOString(),
      };
    },
  );

  app.delete('/console/session', { schema: { tags, summary: 'Sign out: the session ends at once and the cookie is cleared.', response: { 204: Type.Null(), ...problems(403) } } }, async (request, reply) => {
    refuseCrossOrigin(request);
    const id = sessionIdOf(request);
    if (id !== undefined) await sessions.end(id);
    clearSessionCookie(request, reply);
    return reply.code(204).send();
  });

  if (!oidc) {
    // Not the app's screens either: say plainly that this hub offers no such sign-in.
    const none = async () => {
      throw new HubError('not-found', 'not-found', 'Not found', 'This hub has no OpenID Connect sign-in configured (HEROLD_CONSOLE_OIDC); sign in with an API key.');
    };
    app.get('/console/login', { schema: { hide: true } }, none);
    app.get('/console/callback', { schema: { hide: true } }, none);
    return;
  }

  app.get('/console/login', { schema: { tags, summary: 'Start an OpenID Connect sign-in (authorization code with PKCE).' } }, async (request, reply) => {
    const { url, state } = await oidc.start(`${ownOrigin(request)}/console/callback`);
    // Lax, not Strict: it must come back on the provider's top-level redirect to the callback.
    reply.header('set-cookie', cookie.serialize(STATE_COOKIE, state, { path: '/console/callback', httpOnly: true, sameSite: 'lax', secure: request.protocol === 'https', maxAge: 600 }));
    return reply.redirect(url, 302);
  });

  app.get<{ Querystring: { state?: string; code?: string; error?: string } }>(
    '/console/callback',
    {
      schema: {
        tags,
        summary: 'End an OpenID Connect sign-in: exchanges the code, starts the session and returns to the console.',
        querystring: Type.Object({ state: Type.Optional(Type.String()), code: Type.Optional(Type.String()), error: Type.Optional(Type.String()) }, { additionalProperties: true }),
      },
    },
    async (request, reply) => {
      const bound = request.headers.cookie ? cookie.parse(request.headers.cookie)[STATE_COOKIE] : undefined;
      reply.header('set-cookie', cookie.serialize(STATE_COOKIE, '', { path: '/console/callback', httpOnly: true, sameSite: 'lax', secure: request.protocol === 'https', maxAge: 0 }));
      try {
        const tokens = await oidc.finish(request.query, bound);
        let failure = 'The token was not accepted.';
        for (const token of tokens) {
          const principal = await access.authenticate(`Bearer ${token}`);
          if (principal !== null && !('error' in principal)) {
            await startSession(request, reply, principal, 'oidc');
            return reply.redirect('/console/', 302);
          }
          if (principal !== null) failure = principal.error;
        }
        throw new OidcError('token', failure);
      } catch (error) {
        if (!(error instanceof OidcError)) throw error;
        request.log.warn({ code: error.code, reason: error.message }, 'console OIDC sign-in failed');
        return reply.redirect(`/console/?signin=${error.code}`, 302);
      }
    },
  );
}
