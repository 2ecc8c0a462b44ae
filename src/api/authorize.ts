import type { FastifyRequest } from 'fastify';
import { type Access, type Action, type Principal, type Scope, denialError } from '../access/access.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** Ask the access decision point; throws the matching problem when denied. */
export function authorize(access: Access, request: FastifyRequest, action: Action, list?: string): Scope {
  const decision = access.decide(request.principal, action, list);
  if (decision.allowed) return decision.scope;
  throw denialError(decision);
}
