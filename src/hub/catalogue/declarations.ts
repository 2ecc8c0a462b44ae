import type { Violation } from '../../cloudevents/event.js';
import { isAttributeName, RESERVED_PREFIX, stringProblem, validateCloudEvent } from '../../cloudevents/index.js';
import { compileDataSchema, dataViolations, releaseDataSchema, type DataValidator } from './data-schema.js';

/** Text in Norwegian Bokmål, Nynorsk and English (any of them), or one text. */
export type Text = string | { nb?: string; nn?: string; en?: string };

/** A declared event type of a list (PUT /lists/{list}/types/{type}). */
export interface EventTypeSpec {
  title?: Text;
  description?: Text;
  /** JSON Schema (2020-12) for `data`. */
  schema?: object | boolean;
  /** Example events (structured CloudEvents of this type). */
  examples?: Record<string, unknown>[];
  deprecated?: { since: string; replacement?: string };
}

export const ATTRIBUTE_TYPES = ['String', 'Integer', 'Boolean', 'Timestamp', 'URI'] as const;
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number];
export const PERSONAL_DATA = ['none', 'identifier', 'special'] as const;
export type PersonalData = (typeof PERSONAL_DATA)[number];

/** A declared extension attribute of a list (PUT /lists/{list}/attributes/{name}). */
export interface AttributeSpec {
  type: AttributeType;
  description?: Text;
  /** `identifier`: identifies a person; `special`: a special category (GDPR art. 9 and 10). */
  personalData: PersonalData;
  /** Why the hub may carry it (required unless personalData is `none`). */
  legalBasis?: string;
}

/** Attributes every CloudEvent or every served event has: not declarable. */
const NOT_DECLARABLE = new Set(['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'dataschema', 'data', 'data_base64']);

const MAX_SCHEMA_BYTES = 64 * 1024;
const MAX_EXAMPLES = 10;
const MAX_TEXT = 4000;
const FULL_DATE = /^\d{4}-\d{2}-\d{2}(T.*)?$/;

/** A type name as it may appear in the catalogue (and in the URL that names it). */
export function typeNameProblem(type: string): string | undefined {
  if (type.length === 0 || type.length > 256) return 'must be 1 to 256 characters';
  return stringProblem(type);
}

/** An extension attribute name a list may declare. */
export function attributeNameProblem(name: string): string | undefined {
  if (!isAttributeName(name) || name.length > 64) return 'must be 1 to 64 characters a-z and 0-9 (a CloudEvents extension attribute name)';
  if (name.startsWith(RESERVED_PREFIX)) return `names beginning with '${RESERVED_PREFIX}' are reserved for the hub`;
  if (NOT_DECLARABLE.has(name)) return 'is a CloudEvents core attribute: it needs no declaration';
  return undefined;
}

/**
 * Check a type declaration, every problem with a pointer into the body. The
 * schema is compiled here (once), and each example must be a valid event of
 * this type whose data the schema accepts.
 */
export function parseTypeSpec(type: string, body: unknown): { spec?: EventTypeSpec; validator?: DataValidator; errors: Violation[] } {
  const errors: Violation[] = [];
  if (!isObject(body)) return { errors: [{ pointer: '', message: 'must be a JSON object {title?, description?, schema?, examples?, deprecated?}' }] };
  for (const key of Object.keys(body)) {
    if (!['title', 'description', 'schema', 'examples', 'deprecated'].includes(key)) errors.push({ pointer: `/${key}`, message: 'is not a member of a type declaration' });
  }
  checkText(body.title, '/title', errors);
  checkText(body.description, '/description', errors);
  let validator: DataValidator | undefined;
  if (body.schema !== undefined) {
    if (!isObject(body.schema) && typeof body.schema !== 'boolean') errors.push({ pointer: '/schema', message: 'must be a JSON Schema (2020-12): an object or a boolean' });
    else if (JSON.stringify(body.schema).length > MAX_SCHEMA_BYTES) errors.push({ pointer: '/schema', message: `must be at most ${MAX_SCHEMA_BYTES} bytes of JSON` });
    else {
      const compiled = compileDataSchema(body.schema);
      if ('errors' in compiled) errors.push(...compiled.errors.map((e) => ({ pointer: `/schema${e.at}`, message: e.message })));
      else validator = compiled;
    }
  }
  if (body.examples !== undefined) {
    if (!Array.isArray(body.examples) || body.examples.length > MAX_EXAMPLES) errors.push({ pointer: '/examples', message: `must be an array of at most ${MAX_EXAMPLES} example events` });
    else {
      body.examples.forEach((example, i) => {
        const at = `/examples/${i}`;
        const problems = validateCloudEvent(example, at);
        if (problems.length > 0) return errors.push(...problems);
        const ev = example as Record<string, unknown>;
        if (ev.type !== type) errors.push({ pointer: `${at}/type`, message: `must be '${type}', the type it is an example of` });
        if (validator) errors.push(...dataViolations(validator, ev, `${at}/data`));
      });
    }
  }
  if (body.deprecated !== undefined) {
    const d = body.deprecated;
    if (!isObject(d)) errors.push({ pointer: '/deprecated', message: 'must be an object {since, replacement?}' });
    else {
      if (typeof d.since !== 'string' || !FULL_DATE.test(d.since) || Number.isNaN(Date.parse(d.since))) errors.push({ pointer: '/deprecated/since', message: 'must be a date (YYYY-MM-DD) or an RFC 3339 time' });
      if (d.replacement !== undefined && (typeof d.replacement !== 'string' || typeNameProblem(d.replacement))) errors.push({ pointer: '/deprecated/replacement', message: 'must be an event type name' });
      for (const key of Object.keys(d)) if (key !== 'since' && key !== 'replacement') errors.push({ pointer: `/deprecated/${key}`, message: 'is not a member of deprecated' });
    }
  }
  if (errors.length > 0) {
    if (validator) releaseDataSchema(validator);
    return { errors };
  }
  return { spec: body as EventTypeSpec, validator, errors };
}

/** Check an attribute declaration, every problem with a pointer into the body. */
export function parseAttributeSpec(body: unknown): { spec?: AttributeSpec; errors: Violation[] } {
  const errors: Violation[] = [];
  if (!isObject(body)) return { errors: [{ pointer: '', message: 'must be a JSON object {type, description?, personalData, legalBasis?}' }] };
  for (const key of Object.keys(body)) {
    if (!['type', 'description', 'personalData', 'legalBasis'].includes(key)) errors.push({ pointer: `/${key}`, message: 'is not a member of an attribute declaration' });
  }
  if (!ATTRIBUTE_TYPES.includes(body.type as AttributeType)) errors.push({ pointer: '/type', message: `must be one of ${ATTRIBUTE_TYPES.join(', ')} (CloudEvents types)` });
  checkText(body.description, '/description', errors);
  if (!PERSONAL_DATA.includes(body.personalData as PersonalData)) errors.push({ pointer: '/personalData', message: `must be one of ${PERSONAL_DATA.join(', ')}` });
  if (body.legalBasis !== undefined && (typeof body.legalBasis !== 'string' || body.legalBasis.length === 0 || body.legalBasis.length > MAX_TEXT)) {
    errors.push({ pointer: '/legalBasis', message: `must be a text of 1 to ${MAX_TEXT} characters` });
  } else if (body.legalBasis === undefined && (body.personalData === 'identifier' || body.personalData === 'special')) {
    errors.push({ pointer: '/legalBasis', message: 'is required for personal data: name the legal basis for carrying it' });
  }
  if (errors.length > 0) return { errors };
  return { spec: body as unknown as AttributeSpec, errors };
}

/** One language of a text: the one asked for, else en, nb, nn. */
export function textIn(text: Text | undefined, language?: 'nb' | 'nn' | 'en'): string | undefined {
  if (text === undefined || typeof text === 'string') return text;
  return (language && text[language]) ?? text.en ?? text.nb ?? text.nn;
}

function checkText(v: unknown, pointer: string, errors: Violation[]): void {
  if (v === undefined) return;
  if (typeof v === 'string') {
    if (v.length > MAX_TEXT) errors.push({ pointer, message: `must be at most ${MAX_TEXT} characters` });
    return;
  }
  if (!isObject(v)) return void errors.push({ pointer, message: 'must be a text, or an object {nb?, nn?, en?} of texts' });
  for (const [lang, t] of Object.entries(v)) {
    if (lang !== 'nb' && lang !== 'nn' && lang !== 'en') errors.push({ pointer: `${pointer}/${lang}`, message: 'languages are nb, nn and en' });
    else if (typeof t !== 'string' || t.length > MAX_TEXT) errors.push({ pointer: `${pointer}/${lang}`, message: `must be a text of at most ${MAX_TEXT} characters` });
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
