import { createHash, randomBytes } from 'node:crypto';

/** What the hub keeps for one console session: the credential, never handed back to the browser. */
export interface ConsoleSession {
  /** The Authorization header value this session stands for (an API key or a token). */
  authorization: string;
  principal: string;
  /** How the holder signed in. */
  via: 'key' | 'oidc';
  createdAt: number;
  /** The session ends then at the latest: its absolute lifetime, or the credential's expiry if earlier. */
  endsAt: number;
}

/** A session may live this long at most, whatever the credential allows. */
export const SESSION_LIFETIME_MS = 12 * 3_600_000;
/** Sessions kept at once; signing in beyond this ends the oldest. */
const MAX_SESSIONS = 10_000;

/**
 * Console sessions in memory: session id → the credential it stands for.
 * The browser holds only the session id (an HttpOnly cookie); the store
 * keeps only a hash of it, so a heap dump does not hand out live cookies.
 * Every request with the cookie authenticates the stored credential again,
 * so a session ends by itself when its key expires or is revoked.
 * Sessions do not survive a restart and are not shared between the nodes of
 * a cluster (see docs/console.md).
 */
export class ConsoleSessions {
  private readonly byHash = new Map<string, ConsoleSession>();

  /** Start a session; returns the id to put in the cookie. */
  create(session: Omit<ConsoleSession, 'createdAt' | 'endsAt'>, credentialExpiresAt?: number, now = Date.now()): { id: string; session: ConsoleSession } {
    this.sweep(now);
    while (this.byHash.size >= MAX_SESSIONS) this.byHash.delete(this.byHash.keys().next().value!);
    const id = randomBytes(32).toString('base64url');
    const endsAt = Math.min(now + SESSION_LIFETIME_MS, credentialExpiresAt ?? Infinity);
    const full = { ...session, createdAt: now, endsAt };
    this.byHash.set(hashId(id), full);
    return { id, session: full };
  }

  /** The live session with this id, if any. */
  get(id: string, now = Date.now()): ConsoleSession | undefined {
    const hash = hashId(id);
    const s = this.byHash.get(hash);
    if (s && s.endsAt <= now) {
      this.byHash.delete(hash);
      return undefined;
    }
    return s;
  }

  end(id: string): boolean {
    return this.byHash.delete(hashId(id));
  }

  get size(): number {
    return this.byHash.size;
  }

  private sweep(now: number): void {
    for (const [hash, s] of this.byHash) if (s.endsAt <= now) this.byHash.delete(hash);
  }
}

const hashId = (id: string) => createHash('sha256').update(id).digest('base64url');
