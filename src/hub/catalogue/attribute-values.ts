import { absoluteUriProblem, rfc3339Problem, stringProblem } from '../../cloudevents/index.js';
import type { AttributeType } from './declarations.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const CANONICAL_INTEGER = /^-?(0|[1-9][0-9]*)$/;

/**
 * Undefined when `value` is a valid value of the CloudEvents type, else why
 * not. The canonical string form is accepted for every type, because binary
 * mode (HTTP headers, AMQP properties) carries every attribute as a string.
 */
export function attributeValueProblem(type: AttributeType, value: unknown): string | undefined {
  switch (type) {
    case 'String':
      return typeof value === 'string' ? stringProblem(value) : 'must be a String';
    case 'Integer': {
      const n = typeof value === 'string' && CANONICAL_INTEGER.test(value) ? Number(value) : value;
      return typeof n === 'number' && Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX ? undefined : 'must be an Integer (-2^31 to 2^31-1)';
    }
    case 'Boolean':
      return value === true || value === false || value === 'true' || value === 'false' ? undefined : 'must be a Boolean (true or false)';
    case 'Timestamp':
      return typeof value === 'string' ? (rfc3339Problem(value) && 'must be a Timestamp (RFC 3339)') : 'must be a Timestamp (RFC 3339)';
    case 'URI':
      return typeof value === 'string' ? (absoluteUriProblem(value) && 'must be a URI (absolute)') : 'must be a URI (absolute)';
  }
}

/** The JSON Schema of a served attribute of this type (structured mode). */
export function attributeJsonSchema(type: AttributeType): Record<string, unknown> {
  switch (type) {
    case 'String':
      return { type: 'string' };
    case 'Integer':
      return { type: 'integer', minimum: INT32_MIN, maximum: INT32_MAX };
    case 'Boolean':
      return { type: 'boolean' };
    case 'Timestamp':
      return { type: 'string', format: 'date-time' };
    case 'URI':
      return { type: 'string', format: 'uri' };
  }
}

/**
 * A value as its declared type: Integer a number, Boolean a boolean, the
 * others their text (canonical strings such as "42" come from binary mode).
 * Undefined when the value is not one of the type (a list that does not
 * enforce may hold such values).
 */
export function typedAttributeValue(type: AttributeType, value: unknown): string | number | boolean | undefined {
  if (attributeValueProblem(type, value) !== undefined) return undefined;
  switch (type) {
    case 'Integer':
      return typeof value === 'string' ? Number(value) : (value as number);
    case 'Boolean':
      return value === true || value === 'true';
    default:
      return value as string;
  }
}
