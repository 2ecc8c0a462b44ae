// The hub's own rule for what a grant serves (pure: no Node, bundled as it is), so a preview can never drift from it.
import { serves } from '../../../src/hub/project.js';

export { serves };

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
