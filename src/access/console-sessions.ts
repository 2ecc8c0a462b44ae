import { createHash, randomBytes } from 'node:crypto';
import type { ConsoleSessionStore } from '../store/types.js';
import type { Access, Principal } from './access.js';

/** What a console session is, as the door shows it (`GET /console/session`). */
export interface ConsoleSession {
  principal: string;
  /** How the holder signed in. */
  via: 'key' | 'oidc';
  createdAt: number;
  /** The session ends then at the latest: its absolute lifetime, or the credential's expiry if earlier. */
  endsAt: number;
}

/** A session may live this long at most, whatever the credential allows. */
export const SESSION_LIFETIME_MS = 12 * 3_600_000;
/** How often ended sessions are swept from the store (on sign-in). */
const PRUNE_EVERY_MS = 60_000;

/**
 * Web console sessions, kept in the store so that every node of a cluster
 * serves every browser (no sticky sessions). The browser holds only the
 * session id (an HttpOnly cookie); the store keeps its SHA-256 and a
 * reference to the credential it was made with (`Access.sessionBinding`:
 * an API key's id, a token's issuer and expiry), never a key or a token. On
 * every request `access` decides again who the session stands for, from its
 * own view of keys (which every node keeps current), so a session ends at
 * the next request, on any node, when its key is revoked or expires, and
 * sign-out on one node ends it on all (nothing is cached).
 */
export class ConsoleSessions {
  private lastPrune = 0;

  constructor(
    private readonly store: ConsoleSessionStore,
    private readonly access: Pick<Access, 'sessionBinding' | 'sessionPrincipal'>,
  ) {}

  /** Start a session for a principal just authenticated; returns the id to put in the cookie. */
  async create(principal: Principal, via: 'key' | 'oidc', now = Date.now()): Promise<{ id: string; session: ConsoleSession }> {
    const binding = this.access.sessionBinding(principal);
    if (!binding) throw new Error(`A console session cannot be made with a ${principal.credential.kind} credential.`);
    if (now - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now;
      await this.store.pruneConsoleSessions(now);
    }
    const id = randomBytes(32).toString('base64url');
    const session: ConsoleSession = { principal: principal.id, via, createdAt: now, endsAt: Math.min(now + SESSION_LIFETIME_MS, principal.expiresAt ?? Infinity) };
    await this.store.putConsoleSession({ idHash: hashId(id), ...session, credential: JSON.stringify(binding) });
    return { id, session };
  }

  /**
   * The session with this id and the principal it stands for now; `ended`
   * (and the session is gone) when its credential no longer works; undefined
   * when there is no such session (never was, signed out, or past its end).
   */
  async get(id: string, now = Date.now()): Promise<{ session: ConsoleSession; principal: Principal } | { ended: string } | undefined> {
    const hash = hashId(id);
    const row = await this.store.getConsoleSession(hash);
    if (!row) return undefined;
    if (row.endsAt <= now) {
      await this.store.deleteConsoleSession(hash);
      return undefined;
    }
    const principal = this.access.sessionPrincipal(row.principal, JSON.parse(row.credential) as unknown, now);
    if ('ended' in principal) {
      await this.store.deleteConsoleSession(hash);
      return principal;
    }
    const session: ConsoleSession = { principal: row.principal, via: row.via === 'oidc' ? 'oidc' : 'key', createdAt: row.createdAt, endsAt: row.endsAt };
    return { session, principal };
  }

  async end(id: string): Promise<void> {
    await this.store.deleteConsoleSession(hashId(id));
  }
}

const hashId = (id: string) => createHash('sha256').update(id).digest('base64url');
