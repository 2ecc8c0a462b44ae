import { GraphQLError, GraphQLScalarType, Kind, valueFromASTUntyped, type ValueNode } from 'graphql';

const MAX_LONG = 9223372036854775807n;

/**
 * A sequence number from a variable or literal: a decimal string (or a
 * non-negative integer) up to 2^63-1, exact; inside the hub a JS number
 * (hub/cursor.ts: beyond 2^53 is "after everything").
 */
export function parseLong(value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d{1,19}$/.test(value)) {
    const big = BigInt(value);
    if (big > MAX_LONG) throw new GraphQLError(`Long must be at most 2^63-1, got ${value}.`);
    return big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
  }
  throw new GraphQLError(`Long must be a non-negative integer as a decimal string, such as "42"; got ${JSON.stringify(value)}.`);
}

export const LongScalar = new GraphQLScalarType({
  name: 'Long',
  serialize: (value) => String(value),
  parseValue: parseLong,
  parseLiteral(ast: ValueNode) {
    if (ast.kind === Kind.STRING || ast.kind === Kind.INT) return parseLong(ast.kind === Kind.INT ? ast.value : ast.value);
    throw new GraphQLError('Long must be given as a decimal string or an integer.', { nodes: ast });
  },
});

export const JsonScalar = new GraphQLScalarType({
  name: 'JSON',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables),
});

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 timestamp as epoch ms, or undefined when the text is not one. */
export function rfc3339Ms(text: string): number | undefined {
  const ms = RFC3339.test(text) ? Date.parse(text) : NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

function parseDateTime(value: unknown): string {
  if (typeof value === 'string' && rfc3339Ms(value) !== undefined) return value;
  throw new GraphQLError(`DateTime must be an RFC 3339 timestamp such as "2026-01-31T12:00:00Z"; got ${JSON.stringify(value)}.`);
}

/** Served as the text was published: no reformatting. */
export const DateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  serialize: (value) => String(value),
  parseValue: parseDateTime,
  parseLiteral(ast: ValueNode) {
    if (ast.kind === Kind.STRING) return parseDateTime(ast.value);
    throw new GraphQLError('DateTime must be a string.', { nodes: ast });
  },
});

function parseAttributeValue(value: unknown): string | number | boolean {
  if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isInteger(value))) return value;
  throw new GraphQLError(`AttributeValue must be a string, an integer or a boolean; got ${JSON.stringify(value)}.`);
}

/** A filter's value for an extension attribute: checked against its declared type by the where compiler. */
export const AttributeValueScalar = new GraphQLScalarType({
  name: 'AttributeValue',
  serialize: (value) => value,
  parseValue: parseAttributeValue,
  parseLiteral(ast: ValueNode) {
    if (ast.kind === Kind.STRING || ast.kind === Kind.BOOLEAN) return ast.value;
    if (ast.kind === Kind.INT) return parseAttributeValue(Number(ast.value));
    throw new GraphQLError('AttributeValue must be a string, an integer or a boolean.', { nodes: ast });
  },
});
