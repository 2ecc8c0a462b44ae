import { Ajv, type ValidateFunction } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';

/**
 * Two validators: query strings, params and headers are text, so they are
 * coerced (limit=10 → 10, one type= → [type]); JSON bodies are taken as sent,
 * so a number where a string belongs is an error, not silently converted.
 */
const base = { allErrors: true, removeAdditional: false, useDefaults: true, strict: false } as const;
const coercing = new Ajv({ ...base, coerceTypes: 'array' });
const strictBody = new Ajv({ ...base, coerceTypes: false });

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? strictBody : coercing;
  return ajv.compile(schema as object) as ValidateFunction;
};
