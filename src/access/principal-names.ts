/**
 * Names the hub keeps for itself: `admin` (the bootstrap admin key's principal) and anything starting with
 * `herold` (the hub's own lists and principals). No API key or token may be issued to such a name, so a
 * credential can never pass for the hub or its admin by name alone.
 */
export function isReservedPrincipal(name: string): boolean {
  return /^(admin$|herold)/i.test(name);
}

export const RESERVED_PRINCIPAL_RULE = "'admin' and names starting with 'herold' are reserved for the hub";
