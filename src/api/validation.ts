import { Ajv, type ValidateFunction } from 'ajv';
import type { FastifyBodyParser, FastifySchemaCompiler } from 'fastify';
import { rfc3339Millis, tooDeepAt, tooDeepMessage } from '../cloudevents/index.js';
import { invalid } from '../hub/errors.js';

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

/**
 * JSON request bodies: Fastify's own parser (which refuses `__proto__` and
 * `constructor` poisoning), then the codec's one depth limit, so that no
 * later walk of the body can overflow the stack.
 */
export function jsonBodyParser(parse: FastifyBodyParser<string>): FastifyBodyParser<string> {
  return (request, body, done) =>
    parse(request, body, (error, value) => {
      if (error) return done(error);
      const at = tooDeepAt(value);
      if (at !== undefined) return done(invalid(`${tooDeepMessage('The request body')}.`, [{ pointer: at, message: tooDeepMessage('the body') }]));
      done(null, value);
    });
}

/**
 * A timestamp the caller sent (`since`, `until`, `expiresAt`, ...) as epoch
 * ms, checked by the codec's one RFC 3339 checker: real calendar dates only,
 * so `2026-02-30T00:00:00Z` is a 400 at `pointer`, not March 2nd.
 */
export function parseTimestamp(value: string, name: string, pointer: string): number {
  const t = rfc3339Millis(value);
  if ('problem' in t) throw invalid(`${name} must be an RFC 3339 timestamp such as 2026-01-31T12:00:00Z: ${t.problem}.`, [{ pointer, message: t.problem }]);
  return t.ms;
}

/** An optional time in the query string (`?since=`, `?until=`). */
export function timeQuery(value: string | undefined, name: string): number | undefined {
  return value === undefined ? undefined : parseTimestamp(value, name, `/querystring/${name}`);
}
