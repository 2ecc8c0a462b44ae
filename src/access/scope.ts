import type { EventPredicate } from '../hub/predicate.js';

/** How a caller proved who it is. Admin is a property of the credential, never of a name. */
export type Credential =
  | { kind: 'admin-key' }
  | { kind: 'api-key'; id: string }
  | { kind: 'jwt'; issuer: string }
  /** An operator's declaration (the config file's AMQP ingest principal). */
  | { kind: 'config' }
  | { kind: 'insecure' };

/** Who is calling. */
export interface Principal {
  id: string;
  admin: boolean;
  /** The API key used, when it was one (revoking it ends this principal's streams). */
  keyId?: string;
  credential: Credential;
  /** When the credential stops being valid (epoch ms); streams end and subscriptions pause then. */
  expiresAt?: number;
}

declare const scopeBrand: unique symbol;

/**
 * What a principal may see of one list, and may do there. Only `access` makes
 * scopes (the brand keeps anyone else from building one), and every scoped
 * operation of the hub takes one: a door cannot read without asking first.
 */
export interface Scope {
  readonly [scopeBrand]: true;
  readonly principal: Principal;
  /** The list the decision was about, if any. */
  readonly list: string | undefined;
  /** Row filter composed into every read; undefined means every event. */
  readonly predicate?: EventPredicate;
  /** Attributes the principal may see; undefined means all. */
  readonly fields?: readonly string[];
  /** The grants' filters, for the audit record (JSON-able). */
  readonly filters?: unknown[];
  /** Required source prefixes for a publisher; undefined means any source. */
  readonly sources?: string[];
  /** When the credential expires (epoch ms): reads past it are refused, streams end. */
  readonly expiresAt?: number;
  /** Changes whenever what this scope serves changes (role, grants, fields): part of every ETag. */
  readonly fingerprint: string;
}

/** The parts of a scope that `access` decides; see Access.decide. */
export type ScopeParts = Omit<Scope, typeof scopeBrand | 'principal' | 'list' | 'expiresAt' | 'fingerprint'> & { fingerprint?: string };
