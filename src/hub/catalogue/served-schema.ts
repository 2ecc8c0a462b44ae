import { serves } from '../project.js';
import { attributeJsonSchema } from './attribute-values.js';
import type { DeclaredAttribute, DeclaredType } from './list-catalogue.js';
import { textIn } from './declarations.js';

/** The context attributes of every served event, as JSON Schema (structured mode). */
const CONTEXT: Record<string, Record<string, unknown>> = {
  specversion: { type: 'string', const: '1.0', description: 'CloudEvents version.' },
  id: { type: 'string', description: 'Identifies the event; with source, unique.' },
  source: { type: 'string', format: 'uri-reference', description: 'Where the event happened.' },
  type: { type: 'string', description: 'The event type.' },
  subject: { type: 'string', description: 'What the event is about, within the source.' },
  time: { type: 'string', format: 'date-time', description: 'When it happened (the provider says).' },
  datacontenttype: { type: 'string', description: 'Media type of data.' },
  dataschema: { type: 'string', format: 'uri', description: 'Schema that data adheres to.' },
  data_base64: { type: 'string', contentEncoding: 'base64', description: 'Binary data.' },
  heroldseq: { type: 'string', pattern: '^[0-9]{1,19}$', description: 'Sequence number of the event in its list (decimal string).' },
  heroldprevseq: { type: 'string', pattern: '^[0-9]{1,19}$', description: 'Sequence number of the previous event with the same subject that you may see.' },
  heroldtime: { type: 'string', format: 'date-time', description: 'When the hub committed the event.' },
};
const REQUIRED = ['specversion', 'id', 'source', 'type', 'heroldseq', 'heroldtime'];

/**
 * The JSON Schema of an event of type `t` as served to a viewer with these
 * `fields`: attributes the grant does not serve are absent, as they are from
 * the events themselves (the one rule, `serves`). `data` is given by `dataRef`
 * (where the embedding document keeps the type's schema), or left open.
 */
export function servedEventSchema(t: DeclaredType, attributes: DeclaredAttribute[], fields: readonly string[] | undefined, dataRef?: Record<string, unknown>): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(CONTEXT)) {
    if (!serves(fields, name)) continue;
    properties[name] = name === 'type' ? { ...schema, const: t.type } : schema;
    if (name === 'dataschema') properties.data = dataRef ?? { description: 'The event data.' };
  }
  if (!serves(fields, 'data')) delete properties.data;
  for (const a of attributes) {
    if (!serves(fields, a.name)) continue;
    properties[a.name] = {
      ...attributeJsonSchema(a.spec.type),
      description: textIn(a.spec.description),
      'x-cloudevents-type': a.spec.type,
      'x-personal-data': a.spec.personalData,
      ...(a.spec.legalBasis !== undefined && { 'x-legal-basis': a.spec.legalBasis }),
    };
  }
  return { type: 'object', required: REQUIRED, properties };
}

/**
 * A declared data schema placed inside another document at `at` (a JSON
 * pointer of that document): local references (`#/$defs/x`) are rewritten to
 * point there, and `$schema`/`$id` are dropped so the document's own base applies.
 */
export function embedSchema(schema: unknown, at: string): unknown {
  const walk = (v: unknown, root: boolean): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x, false));
    if (typeof v !== 'object' || v === null) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (root && (k === '$schema' || k === '$id')) continue;
      out[k] = k === '$ref' && typeof x === 'string' && x.startsWith('#') ? `#${at}${x.slice(1)}` : walk(x, false);
    }
    return out;
  };
  return walk(schema, true);
}
