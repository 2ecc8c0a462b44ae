import type { Access, Principal } from '../../access/access.js';
import { notFound } from '../errors.js';

/**
 * Who is looking at a list's catalogue, and through which grant. Owners,
 * publishers and admins see all of it, with the counts of types seen;
 * consumers see it projected by their grant's fields (what the grant does
 * not serve is absent, as in the events they receive); principals who only
 * discover the list see its declared types' names and texts.
 */
export type CatalogueViewer = { kind: 'full' } | { kind: 'granted'; fields: readonly string[] | undefined } | { kind: 'discovers' };

/** The viewer of `list`, or a 404 exactly like a list that does not exist. */
export function catalogueViewer(access: Access, principal: Principal | null, list: string): CatalogueViewer {
  if (!principal || !access.decide(principal, 'list.read', list).allowed) throw notFound(`List '${list}'`);
  if (access.discovers(principal, list)) return { kind: 'discovers' };
  if (access.decide(principal, 'list.manage', list).allowed || access.decide(principal, 'events.publish', list).allowed) return { kind: 'full' };
  const read = access.decide(principal, 'events.read', list);
  return read.allowed ? { kind: 'granted', fields: read.scope.fields } : { kind: 'granted', fields: [] };
}

/** The fields a viewer is served: undefined means every attribute. */
export function fieldsOf(viewer: CatalogueViewer): readonly string[] | undefined {
  return viewer.kind === 'granted' ? viewer.fields : viewer.kind === 'full' ? undefined : [];
}

/** The principal's relation to a list, as list views show it (`none`: it only discovers the list). */
export type ListAccess = 'admin' | 'owner' | 'publisher' | 'consumer' | 'none';

export function listAccessOf(access: Access, principal: Principal, list: string): ListAccess {
  if (principal.admin) return 'admin';
  if (access.discovers(principal, list)) return 'none';
  if (access.owner(list) === principal.id) return 'owner';
  if (access.decide(principal, 'events.publish', list).allowed) return 'publisher';
  return access.decide(principal, 'events.read', list).allowed ? 'consumer' : 'none';
}
