import type { FastifyRequest } from 'fastify';
import type { Access, Action, Principal, Scope } from '../access/access.js';
import { HubError } from '../hub/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const TITLES: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not found' };

/** Ask the access decision point; throws the matching problem when denied. */
export function authorize(access: Access, request: FastifyRequest, action: Action, list?: string): Scope {
  const decision = access.decide(request.principal, action, list);
  if (decision.allowed) return decision.scope;
  const slug = decision.status === 401 ? 'unauthorized' : decision.status === 403 ? 'forbidden' : 'not-found';
  throw new HubError(decision.status, slug, TITLES[decision.status], decision.detail);
}
