import type { FastifyRequest } from 'fastify';
import type { Access, Action, Principal, Scope } from '../access/access.js';
import { HubError } from '../hub/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** An access denial as the hub's error: its kind, problem slug and title. */
const DENIED = {
  401: ['unauthorized', 'unauthorized', 'Unauthorized'],
  403: ['forbidden', 'forbidden', 'Forbidden'],
  404: ['not-found', 'not-found', 'Not found'],
} as const;

/** Ask the access decision point; throws the matching problem when denied. */
export function authorize(access: Access, request: FastifyRequest, action: Action, list?: string): Scope {
  const decision = access.decide(request.principal, action, list);
  if (decision.allowed) return decision.scope;
  const [kind, slug, title] = DENIED[decision.status];
  throw new HubError(kind, slug, title, decision.detail);
}
