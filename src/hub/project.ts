/** Attributes every consumer sees: what makes it a CloudEvent and where it sits in the list. */
const ALWAYS = new Set(['specversion', 'id', 'source', 'type', 'heroldseq', 'heroldprevseq', 'heroldtime']);

/**
 * Minimisation: keep only the attributes a grant lists (`data` and
 * `data_base64` only when `data` is listed). Every door calls this before an
 * event leaves the hub; with no field list the event is served whole.
 */
export function projectEvent(event: Record<string, unknown>, fields: readonly string[] | undefined): Record<string, unknown> {
  if (!fields) return event;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(event)) {
    if (ALWAYS.has(k) || fields.includes(k) || (k === 'data_base64' && fields.includes('data'))) out[k] = v;
  }
  return out;
}
