/** Attributes every consumer sees: what makes it a CloudEvent and where it sits in the list. */
const ALWAYS = new Set(['specversion', 'id', 'source', 'type', 'heroldseq', 'heroldtime']);

/**
 * Whether a grant's field list serves an attribute: the one rule for
 * minimisation and for what a consumer's own filters may test.
 * `data_base64` goes with `data`; `heroldprevseq` links events of one subject,
 * so it goes with `subject` (without it, the links would tell which events
 * share a hidden subject).
 */
export function serves(fields: readonly string[] | undefined, attribute: string): boolean {
  if (!fields) return true;
  if (ALWAYS.has(attribute) || fields.includes(attribute)) return true;
  if (attribute === 'data_base64') return fields.includes('data');
  if (attribute === 'heroldprevseq') return fields.includes('subject');
  return false;
}

/**
 * Minimisation: keep only the attributes a grant serves. Every event leaves
 * the hub through this; with no field list the event is served whole.
 */
export function projectEvent(event: Record<string, unknown>, fields: readonly string[] | undefined): Record<string, unknown> {
  if (!fields) return event;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(event)) if (serves(fields, k)) out[k] = v;
  return out;
}
