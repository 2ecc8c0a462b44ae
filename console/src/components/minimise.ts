/**
 * The hub's minimisation rule (src/hub/project.ts), for previews: what an
 * event looks like to a consumer whose grant lists `fields`. A test keeps
 * the two in step (test/console/minimise.test.ts).
 */
const ALWAYS = new Set(['specversion', 'id', 'source', 'type', 'heroldseq', 'heroldtime']);

export function serves(fields: readonly string[] | undefined, attribute: string): boolean {
  if (!fields) return true;
  if (ALWAYS.has(attribute) || fields.includes(attribute)) return true;
  if (attribute === 'data_base64') return fields.includes('data');
  if (attribute === 'heroldprevseq') return fields.includes('subject');
  return false;
}

/**
 * The event as the grant would serve it. `heroldprevseq` is left out of a
 * preview: the hub links it within the consumer's own view, which the
 * owner's read cannot show.
 */
export function minimise(event: Record<string, unknown>, fields: readonly string[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(event)) if (k !== 'heroldprevseq' && serves(fields, k)) out[k] = v;
  return out;
}

/** "subject, data" → ['subject', 'data']; empty means every attribute (no field list). */
export function parseFields(text: string): string[] | undefined {
  const fields = text.split(',').map((s) => s.trim()).filter(Boolean);
  return fields.length === 0 ? undefined : fields;
}
