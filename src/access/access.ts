import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { EventStore } from '../store/types.js';
import type { EventPredicate } from '../hub/hub.js';

/** Who is calling. `null` stands for an unauthenticated caller. */
export interface Principal {
  id: string;
  admin: boolean;
}

export type Action =
  | 'lists.list'
  | 'list.read'
  | 'list.write'
  | 'events.publish'
  | 'events.read'
  | 'system.metrics'
  | 'subscriptions.manage';

/** What a principal may see of a list: every door applies it the same way. */
export interface Scope {
  /** Row filter composed into every read. */
  predicate?: EventPredicate;
  /** Attributes the principal may see; undefined means all. */
  fields?: string[];
}

export type Decision = { allowed: true; scope: Scope } | { allowed: false; status: 401 | 403 | 404; detail: string };

const ADMIN_KEY_SETTING = 'admin_key_sha256';

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * The one access decision point. Every door authenticates the caller here and
 * asks `decide` before it reads or writes; none may bypass it.
 *
 * For now there is one role: the bootstrap admin (HEROLD_ADMIN_KEY). Reads of
 * lists and events are open; every write needs the admin key.
 */
export class Access {
  private adminKeyHash: Buffer | null = null;

  constructor(private readonly store: EventStore) {}

  /**
   * Establish the admin key: the configured one, else the one stored from an
   * earlier start, else a new one. Returns the key only when newly generated,
   * so that it can be printed exactly once.
   */
  async bootstrap(configuredKey: string | undefined): Promise<{ generatedKey?: string }> {
    if (configuredKey !== undefined) {
      if (configuredKey.length < 32) {
        throw new Error('HEROLD_ADMIN_KEY must be at least 32 characters. Generate one with: openssl rand -hex 24');
      }
      this.adminKeyHash = sha256(configuredKey);
      await this.store.setSetting(ADMIN_KEY_SETTING, this.adminKeyHash.toString('hex'));
      return {};
    }
    const stored = await this.store.getSetting(ADMIN_KEY_SETTING);
    if (stored) {
      this.adminKeyHash = Buffer.from(stored, 'hex');
      return {};
    }
    const key = `hk_admin_${randomBytes(24).toString('base64url')}`;
    this.adminKeyHash = sha256(key);
    await this.store.setSetting(ADMIN_KEY_SETTING, this.adminKeyHash.toString('hex'));
    return { generatedKey: key };
  }

  /** Resolve an Authorization header to a principal; null when absent, 'invalid' when wrong. */
  authenticate(authorization: string | undefined): Principal | null | 'invalid' {
    if (!authorization) return null;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) return 'invalid';
    const token = match[1];
    if (this.adminKeyHash && timingSafeEqual(sha256(token), this.adminKeyHash)) return { id: 'admin', admin: true };
    return 'invalid';
  }

  decide(principal: Principal | null, action: Action, _list?: string): Decision {
    switch (action) {
      case 'lists.list':
      case 'list.read':
      case 'events.read':
      case 'system.metrics':
        return { allowed: true, scope: {} };
      case 'list.write':
      case 'events.publish':
      case 'subscriptions.manage':
        if (!principal) return { allowed: false, status: 401, detail: 'This needs an API key: send Authorization: Bearer <key>.' };
        if (principal.admin) return { allowed: true, scope: {} };
        return { allowed: false, status: 403, detail: 'Your key may not do this.' };
    }
  }
}
