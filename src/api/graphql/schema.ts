import { buildSchema, GraphQLObjectType, GraphQLScalarType, printSchema, type GraphQLSchema } from 'graphql';
import { RESOLVERS } from './resolvers.js';
import { AttributeValueScalar, DateTimeScalar, JsonScalar, LongScalar } from './scalars.js';
import { SDL } from './sdl.js';

const SCALARS: Record<string, GraphQLScalarType> = { Long: LongScalar, JSON: JsonScalar, DateTime: DateTimeScalar, AttributeValue: AttributeValueScalar };

/** The executable schema: the SDL with this door's scalars and resolvers attached. */
function build(): GraphQLSchema {
  const schema = buildSchema(SDL);
  for (const [name, scalar] of Object.entries(SCALARS)) {
    const type = schema.getType(name) as GraphQLScalarType;
    type.serialize = scalar.serialize;
    type.parseValue = scalar.parseValue;
    type.parseLiteral = scalar.parseLiteral;
  }
  for (const [typeName, fields] of Object.entries(RESOLVERS)) {
    const type = schema.getType(typeName);
    if (!(type instanceof GraphQLObjectType)) throw new Error(`resolvers for unknown type ${typeName}`);
    const defined = type.getFields();
    for (const [fieldName, resolve] of Object.entries(fields)) {
      if (!defined[fieldName]) throw new Error(`resolver for unknown field ${typeName}.${fieldName}`);
      defined[fieldName].resolve = resolve;
    }
  }
  return schema;
}

export const schema = build();

/** The SDL as served at /graphql/schema.graphql (and committed as docs/schema.graphql). */
export const printedSchema = printSchema(schema) + '\n';
