import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Violation } from '../../cloudevents/event.js';

/** A compiled JSON Schema for `data`, and the schema object it came from (to release it). */
export interface DataValidator {
  validate: ValidateFunction;
  schema: object | boolean;
}

/**
 * One Ajv for every declared schema. `addUsedSchema: false` keeps a schema's
 * `$id` out of the shared registry, so two lists may declare schemas with the
 * same `$id`. `format` is an annotation, as JSON Schema 2020-12 has it (no
 * format vocabulary is asserted). Remote `$ref`s are not fetched: a schema
 * must be self-contained.
 */
const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false, logger: false, addUsedSchema: false });

/** Most violations reported for one event's data. */
const MAX_DATA_VIOLATIONS = 20;

/** Compile a declared schema once; an invalid one is an error text for the declaration's 400. */
export function compileDataSchema(schema: object | boolean): DataValidator | { error: string } {
  try {
    return { validate: ajv.compile(schema), schema };
  } catch (error) {
    return { error: `is not a usable JSON Schema (2020-12): ${(error as Error).message}` };
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
