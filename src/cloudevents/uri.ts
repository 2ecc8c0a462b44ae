/**
 * RFC 3986 checks for `source` (URI-reference) and `dataschema` (URI).
 * Strict ASCII RFC 3986: non-ASCII characters, spaces and malformed
 * percent-escapes are rejected (percent-encode them); IRIs are not URIs.
 */

// RFC 3986 Appendix B, used to split; each component is then checked.
const SPLIT = /^(?:([^:/?#]+):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#([\s\S]*))?$/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;
const PCT = '%[0-9A-Fa-f]{2}';
const UNRESERVED_SUBDELIMS = "A-Za-z0-9\\-._~!$&'()*+,;=";
const AUTHORITY = new RegExp(
  `^(?:(?:[${UNRESERVED_SUBDELIMS}:]|${PCT})*@)?` + // userinfo
    `(?:\\[[A-Za-z0-9\\-._~!$&'()*+,;=:]+\\]|(?:[${UNRESERVED_SUBDELIMS}]|${PCT})*)` + // host
    `(?::[0-9]*)?$`, // port
);
const PATH = new RegExp(`^(?:[${UNRESERVED_SUBDELIMS}:@/]|${PCT})*$`);
const QUERY_OR_FRAGMENT = new RegExp(`^(?:[${UNRESERVED_SUBDELIMS}:@/?]|${PCT})*$`);

function check(s: string, requireScheme: boolean): string | undefined {
  const m = SPLIT.exec(s);
  if (m === null) return 'not a URI reference';
  const [, scheme, authority, path, query, fragment] = m;
  if (scheme !== undefined && !SCHEME.test(scheme)) {
    return `"${scheme}" before the first ":" is not a valid scheme (a relative reference cannot have ":" in its first segment)`;
  }
  if (requireScheme && scheme === undefined) return 'not an absolute URI (it has no scheme)';
  if (authority !== undefined && !AUTHORITY.test(authority)) return 'invalid authority (host/port) component';
  if (!PATH.test(path!)) return 'invalid character or percent-escape in the path; percent-encode it';
  if (query !== undefined && !QUERY_OR_FRAGMENT.test(query)) return 'invalid character or percent-escape in the query';
  if (fragment !== undefined && !QUERY_OR_FRAGMENT.test(fragment)) return 'invalid character or percent-escape in the fragment';
  return undefined;
}

/** Undefined if `s` is an RFC 3986 URI-reference (absolute or relative), else a reason. */
export function uriReferenceProblem(s: string): string | undefined {
  return check(s, false);
}

/**
 * Undefined if `s` is an absolute URI (has a scheme), else a reason. A
 * fragment is tolerated (JSON Schema's `uri` format allows it, and schema
 * URLs often carry one), although RFC 3986 §4.3 `absolute-URI` has none.
 */
export function absoluteUriProblem(s: string): string | undefined {
  return check(s, true);
}

export const isUriReference = (s: string): boolean => uriReferenceProblem(s) === undefined;
export const isAbsoluteUri = (s: string): boolean => absoluteUriProblem(s) === undefined;
