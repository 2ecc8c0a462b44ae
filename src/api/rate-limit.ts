import type { FastifyReply } from 'fastify';
import type { Principal } from '../access/access.js';
import type { RateLimiter } from '../access/rate-limit.js';
import { HubError } from '../hub/errors.js';

/** Take one request from the principal's bucket, or answer 429 with Retry-After. Admins are not limited. */
export function limitRate(limiter: RateLimiter, principal: Principal, reply: FastifyReply): void {
  if (principal.admin) return;
  const r = limiter.take(principal.id);
  if (r.ok) return;
  reply.header('retry-after', String(r.retryAfterSeconds));
  throw new HubError('rate-limited', 'rate-limited', 'Too many requests', `You are over your request rate. Retry after ${r.retryAfterSeconds} s, or ask an admin for a higher limit.`);
}
