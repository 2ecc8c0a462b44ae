import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import type { Violation } from '../../cloudevents/event.js';

/** A compiled JSON Schema for `data`, and the schema object it came from (to release it). */
export interface DataValidator {
  validate: ValidateFunction;
  schema: object | boolean;
}

/** Unknown formats met while compiling (Ajv reports them through its logger); null when not compiling. */
let unknownFormats: { format: string; at: string }[] | null = null;

const UNKNOWN_FORMAT = /^unknown format "(.*)" ignored in schema at path "#(.*)"$/;

/**
 * One Ajv for every declared schema. `addUsedSchema: false` keeps a schema's
 * `$id` out of the shared registry, so two lists may declare schemas with the
 * same `$id`. `format` is asserted (ajv-formats, full mode: `date` is a
 * calendar date, `email` an address, `uri` an absolute URI, ...); a format
 * the hub does not know is refused when the schema is declared, since a
 * misspelt format would otherwise check nothing. Remote `$ref`s are not
 * fetched: a schema must be self-contained.
 */
const ajv = new Ajv2020({
  allErrors: true,
  strict: false,
  addUsedSchema: false,
  logger: {
    log: () => undefined,
    error: () => undefined,
    warn: (...args: unknown[]) => {
      const m = UNKNOWN_FORMAT.exec(String(args[0]));
      // Ajv may say it twice for one place (once per type it generates code for).
      if (m && unknownFormats && !unknownFormats.some((u) => u.at === m[2])) unknownFormats.push({ format: m[1], at: m[2] });
    },
  },
});
// ajv-formats is CommonJS: its module object is the plugin, with itself as `default` (what NodeNext types see).
ajvFormats.default(ajv, { mode: 'full', keywords: false });
/** Formats of JSON Schema 2020-12 that ajv-formats has no check for: accepted, not checked (annotations). */
export const UNCHECKED_FORMATS = ['idn-email', 'idn-hostname', 'iri', 'iri-reference'];
for (const format of UNCHECKED_FORMATS) ajv.addFormat(format, true);

/** The formats a declared schema may use. */
export const KNOWN_FORMATS: readonly string[] = Object.keys(ajv.formats).sort();

/** Most violations reported for one event's data. */
const MAX_DATA_VIOLATIONS = 20;

/** Why a schema cannot be declared: each problem where it is in the schema (a JSON pointer, '' for the whole). */
export interface SchemaProblems {
  errors: { at: string; message: string }[];
}

/**
 * Compile a declared schema once; an invalid one gives the problems for the
 * declaration's 400. `unknownFormats: 'ignore'` compiles what is already
 * stored (declared before formats were checked) with such formats as
 * annotations, as they were then.
 */
export function compileDataSchema(schema: object | boolean, options: { unknownFormats?: 'refuse' | 'ignore' } = {}): DataValidator | SchemaProblems {
  unknownFormats = [];
  try {
    const validate = ajv.compile(schema);
    const unknown = unknownFormats;
    if (unknown.length > 0 && options.unknownFormats !== 'ignore') {
      ajv.removeSchema(schema as object);
      return {
        errors: unknown.map((u) => ({ at: `${u.at}/format`, message: `"${u.format}" is not a format the hub checks (formats: ${KNOWN_FORMATS.join(', ')})` })),
      };
    }
    return { validate, schema };
  } catch (error) {
    return { errors: [{ at: '', message: `is not a usable JSON Schema (2020-12): ${(error as Error).message}` }] };
  } finally {
    unknownFormats = null;
  }
}

/** Forget a compiled schema (replaced or deleted). */
export function releaseDataSchema(v: DataValidator): void {
  if (typeof v.schema === 'object') ajv.removeSchema(v.schema);
}

/**
 * What is wrong with an event's `data` under a type's schema, each with a
 * pointer below `at` (`/data`, `/3/data`). An event with no JSON `data` (none,
 * or bytes in `data_base64`) does not meet a schema.
 */
export function dataViolations(v: DataValidator, event: Record<string, unknown>, at: string): Violation[] {
  if (!('data' in event)) {
    return [{ pointer: at, message: 'is missing: this event type declares a schema for its data' }];
  }
  if (v.validate(event.data)) return [];
  return (v.validate.errors ?? []).slice(0, MAX_DATA_VIOLATIONS).map((e) => ({ pointer: pointerOf(at, e), message: messageOf(e) }));
}

/** A missing required member is reported where it would be, not at its parent. */
function pointerOf(at: string, e: ErrorObject): string {
  if (e.keyword === 'required') return `${at}${e.instancePath}/${escape(String((e.params as { missingProperty: string }).missingProperty))}`;
  if (e.keyword === 'additionalProperties') return `${at}${e.instancePath}/${escape(String((e.params as { additionalProperty: string }).additionalProperty))}`;
  return `${at}${e.instancePath}`;
}

function messageOf(e: ErrorObject): string {
  if (e.keyword === 'required') return 'is required by the schema';
  if (e.keyword === 'additionalProperties') return 'is not allowed by the schema';
  if (e.keyword === 'enum') return `${e.message}: ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`;
  return e.message ?? `fails '${e.keyword}'`;
}

function escape(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}
