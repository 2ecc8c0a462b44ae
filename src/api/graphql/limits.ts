import {
  GraphQLError,
  Kind,
  NoSchemaIntrospectionCustomRule,
  specifiedRules,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { Config } from '../../config.js';

/** The limits a public GraphQL API needs (config.ts has each one's setting). */
export interface GraphqlLimits {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxFirst: number;
  maxSubscriptions: number;
  timeoutMs: number;
  introspection: boolean;
}

export function limitsOf(config: Config): GraphqlLimits {
  return {
    maxDepth: config.graphqlMaxDepth,
    maxAliases: config.graphqlMaxAliases,
    maxTokens: config.graphqlMaxTokens,
    maxFirst: config.graphqlMaxFirst,
    maxSubscriptions: config.graphqlMaxSubscriptions,
    timeoutMs: config.graphqlTimeoutSeconds * 1000,
    introspection: config.graphqlIntrospection,
  };
}

function tooComplex(message: string, limit: string, max: number): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'QUERY_TOO_COMPLEX', limit, max } });
}

/** The rules every document is validated with: the spec's, and this door's limits. */
export function validationRules(limits: GraphqlLimits, introspection: boolean): ValidationRule[] {
  const rules: ValidationRule[] = [...specifiedRules, maxDepthRule(limits.maxDepth), maxAliasesRule(limits.maxAliases)];
  if (!introspection) rules.push(NoSchemaIntrospectionCustomRule);
  return rules;
}

/**
 * Selections nest at most `max` deep (fragments expanded). Introspection
 * fields are left to graphql-js's own MaxIntrospectionDepthRule, since the
 * standard introspection query is deeper than any data query needs to be.
 */
export function maxDepthRule(max: number): ValidationRule {
  return (context) => ({
    OperationDefinition(node) {
      const depth = depthOf(context, node.selectionSet, new Map(), new Set());
      if (depth > max) {
        context.reportError(tooComplex(`The query nests ${depth} levels deep; this hub answers at most ${max}. Ask for fewer nested fields (previous { previous { ... } } counts each level).`, 'depth', max));
      }
    },
  });
}

function depthOf(context: ValidationContext, set: SelectionSetNode, memo: Map<string, number>, visiting: Set<string>): number {
  let max = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith('__')) continue;
      max = Math.max(max, 1 + (selection.selectionSet ? depthOf(context, selection.selectionSet, memo, visiting) : 0));
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      max = Math.max(max, depthOf(context, selection.selectionSet, memo, visiting));
    } else {
      const name = selection.name.value;
      // A cycle is reported by NoFragmentCyclesRule; here it only must not loop.
      if (visiting.has(name)) continue;
      let depth = memo.get(name);
      if (depth === undefined) {
        const fragment: FragmentDefinitionNode | null | undefined = context.getFragment(name);
        visiting.add(name);
        depth = fragment ? depthOf(context, fragment.selectionSet, memo, visiting) : 0;
        visiting.delete(name);
        memo.set(name, depth);
      }
      max = Math.max(max, depth);
    }
  }
  return max;
}

/** At most `max` aliases in the whole document: aliases multiply the work of one request. */
export function maxAliasesRule(max: number): ValidationRule {
  return (context) => {
    let count = 0;
    return {
      Field(node) {
        if (node.alias && ++count === max + 1) {
          context.reportError(tooComplex(`The document has more than ${max} aliases, the most this hub answers. Send separate requests instead.`, 'aliases', max));
        }
      },
    };
  };
}

/** graphql-js's token limit message ("more that N tokens" in graphql 16), turned into this door's code. */
export function isTokenLimit(error: GraphQLError): boolean {
  return /contains more tha[nt] \d+ tokens/.test(error.message);
}
